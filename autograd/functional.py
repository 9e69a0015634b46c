"""grad(): derivatives returned as Values instead of added to ``.grad``, to any order.

With ``create_graph=True`` the backward sweep is itself carried out on Values: each local
derivative is rebuilt from its rule in ``ops.OPS`` as a Value expression of the node's inputs,
so the returned derivatives have graphs of their own and can be differentiated again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd.backward import gradients, topological_order
from autograd.modes import _without_anomaly_checks, enable_grad, state
from autograd.value import Value


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> tuple[Value, ...]:
    """d(output)/d(input) for each of ``inputs``, leaving every ``.grad`` untouched.

    An input that ``output`` does not depend on gets ``Value(0.0)``. With
    ``create_graph=True`` the results are differentiable themselves.

    >>> x = Value(2.0)
    >>> (dy,) = grad(x**3, [x], create_graph=True)
    >>> (d2y,) = grad(dy, [x])
    >>> dy.data, d2y.data
    (12.0, 12.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value):
        inputs = [inputs]
    inputs = list(inputs)
    for i, inp in enumerate(inputs):
        if not isinstance(inp, Value):
            raise TypeError(f"grad inputs must be Values; inputs[{i}] is {type(inp).__name__}")
    if create_graph:
        grads = _gradients_as_values(output)
        # A gradient that only strong zeros (ops.StrongZero) reached is a plain 0.0.
        return tuple(_as_value(grads.get(inp, 0.0)) for inp in inputs)
    float_grads = gradients(output, 1.0)
    return tuple(Value(float_grads.get(inp, 0.0)) for inp in inputs)


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


@enable_grad()
def _gradients_as_values(root: Value) -> dict[Value, Value]:
    """The reverse sweep of ``backward.gradients`` carried out on Values, recording a graph."""
    grads: dict[Value, Value] = {root: Value(1.0)}
    for node in reversed(topological_order(root)):
        if node._op is None:
            continue
        node_grad = grads[node]
        op, args = node._op, node.args
        # The same rules as the float sweep, now fed Values, so their results have graphs.
        # Only arguments that are Values need a derivative; folded numbers get none.
        with _without_anomaly_checks():  # a non-finite derivative is reported below, by name
            if op.variadic:
                local_grads = op.local_grads(*args, node)
            else:
                local_grads = tuple(
                    rule(*args, node) if isinstance(arg, Value) else None
                    for arg, rule in zip(args, op.derivatives, strict=True)
                )
        for arg, local in zip(args, local_grads, strict=True):
            if isinstance(arg, Value):
                if state.anomaly and not math.isfinite(local):
                    raise FloatingPointError(
                        f"the derivative of {node.op} (inputs "
                        f"{', '.join(repr(float(a)) for a in args)}) with respect to its input "
                        f"{arg!r} is {float(local)!r}"
                    )
                contribution = local * node_grad
                grads[arg] = grads[arg] + contribution if arg in grads else contribution
    return grads
