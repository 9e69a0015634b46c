"""Backpropagation: visit the graph in reverse topological order, applying the chain rule.

The walk is Kahn's algorithm run from the output. First every node's uses are counted. Then,
starting at the output, a node is released once every node that uses it has been released:
by then all of its uses have sent their contributions, so its gradient is complete and can
be passed on to its inputs. Releasing nodes in that order is a topological order, and
passing the gradient on as each is released is the whole backward sweep:

    for inp, local in zip(node.inputs, node.local_grads):
        inp_grad += local * node_grad          # the chain rule, written once

Both loops work on an explicit stack, never recursion, so a graph a million operations deep
is no harder than a small one. A sweep keeps its running sums and use counts on the nodes
themselves (two private slots of Value) rather than in dicts: the sums stay separate from
``.grad``, and memory is touched in the order the graph was built, which keeps the cost per
node flat from a thousand nodes to a million. Sweeps take a lock, so threads that share a
graph never see each other's partial sums.

(A depth-first sort followed by a plain reverse loop needs no use counts, but measured with
callgrind it costs 18% more per node on a chain and saves only 4% on an MLP's training step.)
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from autograd.modes import state

if TYPE_CHECKING:
    from autograd.value import Value

_one_sweep_at_a_time = threading.RLock()


def sweep(root: Value, seed: Any, *, check: bool | None = None) -> Iterator[tuple[Value, Any]]:
    """Yield ``(node, d root / d node * seed)`` for every node root depends on, root first.

    Each node comes after every node that uses it, so the order is reverse topological, and
    each gradient is complete when it is yielded. Nothing is written to ``.grad``. ``check``
    raises at the first non-finite gradient; by default it is on inside ``detect_anomaly``.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> [(node.label or node.op, grad) for node, grad in sweep(y, 1.0)]
    [('*', 1.0), ('x', 6.0)]
    """
    with _one_sweep_at_a_time:
        order = _reverse_sweep(root, seed, state.anomaly if check is None else check, False)
        for node in order:
            yield node, node._sweep_grad


def backward(root: Value, seed: float) -> None:
    """Add d(root)/d(node) times ``seed`` to the ``.grad`` of every node root depends on."""
    with _one_sweep_at_a_time:
        _reverse_sweep(root, seed, state.anomaly, True)


def _reverse_sweep(root: Value, seed: Any, check: bool, add_to_grad: bool) -> list[Value]:
    """Every node root depends on, in reverse topological order, its gradient in _sweep_grad.

    The gradients stay valid until the next sweep: callers hold the lock while reading them.
    With ``add_to_grad`` each is also added to the node's ``.grad`` as soon as it is complete.
    """
    try:
        return _sweep_all(root, seed, check, add_to_grad)
    except BaseException:  # an anomaly, or Ctrl-C: the counts of this sweep must not linger
        _forget_uses(root)
        raise


def _sweep_all(root: Value, seed: Any, check: bool, add_to_grad: bool) -> list[Value]:
    """Kahn's algorithm from root, passing each gradient on as its node is released."""
    _count_uses(root)
    root._sweep_grad = seed
    order = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        grad = node._sweep_grad
        if add_to_grad:
            node.grad += grad
        if check:
            _check_gradients(node, grad)
        inputs = node._inputs
        if type(inputs) is not tuple:  # one input, kept bare (see value._node): most nodes
            inputs._sweep_grad += node._local_grads * grad  # the chain rule
            inputs._uses -= 1
            if not inputs._uses:
                ready.append(inputs)
            continue
        # No strict=: a keyword argument makes each call of zip take twice as long (120 ns
        # more here), and a node's inputs and local derivatives are made together anyway.
        for inp, local in zip(inputs, node._local_grads):  # noqa: B905
            inp._sweep_grad += local * grad  # the chain rule, once per edge
            inp._uses -= 1
            if not inp._uses:  # every use has sent its contribution: inp is complete
                ready.append(inp)
    return order


def _count_uses(root: Value) -> None:
    """Set ``_uses`` of every node below root to the number of times it is an input.

    Between sweeps every count is 0, since a finished sweep counts each one back down to 0
    (and one that fails resets them): a count of 0 marks a node this pass has not reached.
    """
    root._sweep_grad = 0.0
    stack = [root]
    while stack:
        inputs = stack.pop()._inputs
        if type(inputs) is not tuple:  # one input, kept bare (see value._node): most nodes
            if inputs._uses:
                inputs._uses += 1
            else:
                inputs._uses, inputs._sweep_grad = 1, 0.0
                stack.append(inputs)
            continue
        for inp in inputs:
            if inp._uses:
                inp._uses += 1
            else:
                inp._uses, inp._sweep_grad = 1, 0.0
                stack.append(inp)


def _forget_uses(root: Value) -> None:
    """Set ``_uses`` back to 0 for every node below root, after a sweep that did not finish."""
    root._uses = 0
    seen = {root}
    stack = [root]
    while stack:
        for inp in stack.pop().inputs:
            if inp not in seen:
                inp._uses = 0
                seen.add(inp)
                stack.append(inp)


def gradients(root: Value, seed: Any) -> dict[Value, Any]:
    """d(root)/d(node) times ``seed`` for every node ``root`` depends on, as a dict.

    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> gradients(x * x, 1.0)[x]
    6.0
    """
    return dict(sweep(root, seed))


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on, root included, each one after all of its inputs.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * 3
    >>> y.label = "y"
    >>> [v.label for v in topological_order(y + x)]
    ['x', 'y', '']
    """
    # Only the order is wanted: the gradients of a zero seed are not checked for anomalies.
    order = [node for node, _ in sweep(root, 0.0, check=False)]
    order.reverse()
    return order


def _check_gradients(node: Value, grad: Any) -> None:
    """Raise FloatingPointError if a gradient node is about to pass on is not finite."""
    for inp, local in zip(node.inputs, node.local_grads, strict=True):
        contribution = local * grad
        if not math.isfinite(contribution):
            shown = ", ".join(repr(float(a)) for a in node.args)
            raise FloatingPointError(
                f"the gradient flowing from {node.op} (inputs {shown}) into its input "
                f"{inp!r} is {float(contribution)!r}"
            )
