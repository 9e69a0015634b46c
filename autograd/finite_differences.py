"""Central finite differences over a recorded graph: each leaf nudged, the root recomputed.

``draw(..., check=True)`` marks the leaves whose gradient disagrees with the numbers found
here. Unlike ``gradcheck``, which calls a function again, this needs only the graph: the root
is recomputed from each node's recorded arguments with the forward functions of ``ops.OPS``.
"""

from __future__ import annotations

from autograd import ops
from autograd.stepwise import StepwiseSweep
from autograd.value import Value

# gradcheck's defaults: the step, and the tolerance |analytic - numeric| <= atol + rtol |numeric|.
CHECK_EPS, CHECK_ATOL, CHECK_RTOL = 1e-6, 1e-5, 1e-3


def disagreeing_leaves(order: list[Value], sweep: StepwiseSweep) -> dict[Value, float]:
    """Leaf -> its central finite difference, for each complete leaf gradient that disagrees.

    The root is recomputed from the recorded operations with one leaf nudged by
    ``CHECK_EPS`` either way; a gradient agrees when it is within ``CHECK_ATOL`` +
    ``CHECK_RTOL`` * |numeric| of it, as in ``gradcheck``.
    """
    found = {}
    for leaf in order:
        if not leaf.is_leaf or not sweep.complete(leaf) or leaf not in sweep.grads:
            continue
        up = recompute(order, leaf, leaf.data + CHECK_EPS)
        down = recompute(order, leaf, leaf.data - CHECK_EPS)
        numeric = (up - down) / (2 * CHECK_EPS)
        analytic = sweep.grads[leaf]
        if not abs(analytic - numeric) <= CHECK_ATOL + CHECK_RTOL * abs(numeric):
            found[leaf] = numeric
    return found


def recompute(order: list[Value], leaf: Value, data: float) -> float:
    """The root's data recomputed from the table's forward functions, with ``leaf`` at data.

    >>> from autograd import Value, topological_order
    >>> x = Value(3.0)
    >>> recompute(topological_order(x * x + 1), x, 4.0)
    17.0
    """
    computed: dict[Value, float] = {}
    for v in order:
        if v.is_leaf:
            computed[v] = data if v is leaf else v.data
            continue
        args = [computed[a] if isinstance(a, Value) else a for a in v.args]
        op = ops.OPS[v.op]
        if op.variadic:
            n = (len(args) - 1) // 2
            computed[v] = op.forward(args[:n], args[n:-1], args[-1])
        else:
            computed[v] = op.forward(*args)
    return computed[order[-1]]
