"""Gradient checking: backward's gradients against central finite differences."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

from autograd.backward import gradients
from autograd.modes import enable_grad, no_grad
from autograd.value import Value


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when an analytic gradient disagrees with the numeric one."""


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check d fn / d input for every input against ``(fn(x + eps) - fn(x - eps)) / (2 eps)``.

    ``fn`` takes one Value per input and returns a Value. An input passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``. Returns True, or raises
    ``GradcheckError`` with a table of every input's analytic and numeric gradient.
    The Values passed in are not modified: fn runs on copies.

    >>> gradcheck(lambda x, y: x * y.tanh(), [2.0, 0.5])
    True
    """
    if not callable(fn):
        raise TypeError(f"gradcheck fn must be callable, got {type(fn).__name__}")
    points = [_as_float(x, i) for i, x in enumerate(inputs)]
    if not points:
        raise ValueError("gradcheck needs at least one input")
    for name, number in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(number, Value) or not isinstance(number, numbers.Real):
            raise TypeError(f"gradcheck {name} must be a real number, got {type(number).__name__}")
        if not number >= 0:
            raise ValueError(f"gradcheck {name} must be non-negative, got {number!r}")
    if eps == 0:
        raise ValueError("gradcheck eps must be positive, got 0")

    leaves = [Value(x) for x in points]
    with enable_grad():  # the analytic pass needs a graph, whatever the caller's mode
        output = _call(fn, leaves)
    grads = gradients(output, 1.0)
    analytic = [grads.get(leaf, 0.0) for leaf in leaves]
    numeric = [_central_difference(fn, points, i, eps) for i in range(len(points))]

    rows = []
    failed = False
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        error = abs(a - n)
        ok = error <= atol + rtol * abs(n)  # False for NaN, as it should be
        failed |= not ok
        rows.append((i, points[i], a, n, error, ok))
    if failed:
        raise GradcheckError(_table(rows, atol, rtol))
    return True


def _as_float(x: object, i: int) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(
        f"gradcheck inputs must be numbers or Values; inputs[{i}] is {type(x).__name__}"
    )


def _call(fn: Callable[..., Value], args: list[Value]) -> Value:
    out = fn(*args)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck fn must return a Value, got {type(out).__name__}")
    return out


@no_grad()
def _central_difference(fn: Callable[..., Value], points: list[float], i: int, eps: float) -> float:
    def shifted(delta: float) -> float:
        args = [Value(x + delta if j == i else x) for j, x in enumerate(points)]
        return _call(fn, args).data

    return (shifted(eps) - shifted(-eps)) / (2 * eps)


def _table(
    rows: list[tuple[int, float, float, float, float, bool]], atol: float, rtol: float
) -> str:
    lines = [
        "gradient check failed "
        f"(accepted: |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|)",
        f"{'input':>5}  {'value':>12}  {'analytic':>14}  {'numeric':>14}  {'error':>10}",
    ]
    for i, x, a, n, error, ok in rows:
        mark = "" if ok else "  <-- mismatch"
        lines.append(f"{i:>5}  {x:>12.6g}  {a:>14.8g}  {n:>14.8g}  {error:>10.3g}{mark}")
    if any(math.isnan(r[4]) for r in rows):
        lines.append("(nan: a gradient is not a number at this point)")
    return "\n".join(lines)
