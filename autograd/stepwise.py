"""The backward sweep replayed one visit at a time, each contribution kept apart, for showing it.

``backward()`` adds each edge's contribution into a running sum and forgets it; drawings,
animations and ``explain`` need every contribution, the gradient each node held when it was
visited, and where the sweep stood after ``k`` visits. ``StepwiseSweep.run`` works these out
from the recorded graph alone (``.grad`` is neither read nor written), visiting the nodes in
the order ``backward()`` does and adding contributions up in the same order, so the numbers
it shows are the numbers ``backward()`` computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograd.value import Value

VISITED, COMPLETE, PENDING = "visited", "complete", "pending"


@dataclass
class StepwiseSweep:
    """The reverse sweep stopped after ``steps`` visits, with every contribution kept apart.

    >>> from autograd import Value, topological_order
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> sweep = StepwiseSweep.run(topological_order(y), None)
    >>> sweep.contributions[x], sweep.grads[x], sweep.state(x)
    ([3.0, 3.0], 6.0, 'visited')
    """

    visits: list[Value]  # the root first, in the order the sweep visits the nodes
    number: dict[Value, int]  # 1 for the root, in visiting order
    steps: int  # how many Values have sent their gradient on
    partial: bool  # stopped before the end
    grads: dict[Value, float] = field(default_factory=dict)
    contributions: dict[Value, list[float]] = field(default_factory=dict)
    uses: dict[Value, int] = field(default_factory=dict)
    carried: dict[tuple[Value, int], float] = field(default_factory=dict)

    @classmethod
    def run(cls, order: list[Value], step: int | None) -> StepwiseSweep:
        """Replay the sweep over ``order`` (a topological order) for ``step`` visits (all: None)."""
        visits = order[::-1]
        steps = len(visits) if step is None else min(step, len(visits))
        number = {v: i + 1 for i, v in enumerate(visits)}
        sweep = cls(visits, number, steps, steps < len(visits))
        sweep.grads[visits[0]] = 1.0  # the seed: d root / d root
        for v in visits:
            for inp in v.inputs:
                sweep.uses[inp] = sweep.uses.get(inp, 0) + 1
        for v in visits[:steps]:
            grad = sweep.grads[v]
            for k, (inp, local) in enumerate(zip(v.inputs, v.local_grads, strict=True)):
                # The chain rule, added up in the same order as backward.gradients.
                carried = local * grad
                sweep.carried[(v, k)] = carried
                sweep.contributions.setdefault(inp, []).append(carried)
                sweep.grads[inp] = sweep.grads[inp] + carried if inp in sweep.grads else carried
        return sweep

    def complete(self, v: Value) -> bool:
        """Whether every use of v has sent its contribution (always true of the seed)."""
        return len(self.contributions.get(v, ())) == self.uses.get(v, 0)

    def state(self, v: Value) -> str:
        """``"visited"`` (its gradient was passed on), ``"complete"`` (final, not yet passed
        on) or ``"pending"`` (some uses have not sent their contribution yet)."""
        if self.number[v] <= self.steps:
            return VISITED
        return COMPLETE if self.complete(v) else PENDING
