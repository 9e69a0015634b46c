"""Backpropagation: order the graph topologically, then apply the chain rule in one reverse sweep.

Both steps are loops over an explicit stack, never recursion, so a graph a million operations
deep is no harder than a small one. Nodes are told apart by identity.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from autograd.modes import state

if TYPE_CHECKING:
    from autograd.value import Value


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on, root included, each one after all of its inputs.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * 3
    >>> y.label = "y"
    >>> [v.label for v in topological_order(y + x)]
    ['x', 'y', '']
    """
    order: list[Value] = []
    seen = {root}
    # Depth-first: a node is finished (appended) once every one of its inputs is finished.
    stack = [(root, iter(root._inputs))]
    while stack:
        node, pending_inputs = stack[-1]
        for inp in pending_inputs:
            if inp not in seen:
                seen.add(inp)
                stack.append((inp, iter(inp._inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def gradients(root: Value, seed: Any) -> dict[Value, Any]:
    """d(root)/d(node) times ``seed`` for every node ``root`` depends on, as a dict.

    ``.grad`` is neither read nor written: the sweep keeps its own sums, which is what lets
    ``backward()`` add exactly one sweep's worth to ``.grad`` however often it is called.

    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> gradients(x * x, 1.0)[x]
    6.0
    """
    grads: dict[Value, Any] = {root: seed}
    check = state.anomaly
    for node in reversed(topological_order(root)):
        grad = grads[node]
        for inp, local in zip(node._inputs, node._local_grads, strict=True):
            # The chain rule: d root/d inp collects d root/d node * d node/d inp from every use.
            contribution = local * grad
            if check:
                _check_gradient(node, inp, contribution)
            if inp in grads:
                grads[inp] = grads[inp] + contribution
            else:
                grads[inp] = contribution
    return grads


def backward(root: Value, seed: float) -> None:
    """Add d(root)/d(node) times ``seed`` to the ``.grad`` of every node root depends on."""
    for node, grad in gradients(root, seed).items():
        node.grad += grad


def _check_gradient(node: Value, inp: Value, contribution: Any) -> None:
    if not math.isfinite(contribution):
        shown = ", ".join(repr(float(a)) for a in node._args)
        raise FloatingPointError(
            f"the gradient flowing from {node.op} (inputs {shown}) into its input "
            f"{inp!r} is {float(contribution)!r}"
        )
