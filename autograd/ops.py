"""The one table of operations: each row is a forward function and its local derivatives.

A row's ``forward`` maps input numbers to the output number. Its ``derivatives`` hold one rule
per argument: the rule maps the same arguments and the output to the local derivative
d out / d argument, so a node with a plain number for an argument computes only the derivative
it needs. Rules are written with the helpers below (``div``, ``power``, ``log``, ``sin``,
``cos``) and ordinary arithmetic, so a rule runs on floats (the plain backward sweep) and on
Values alike (the ``create_graph=True`` sweep, where the derivative becomes part of a graph).

Numbers follow IEEE 754 as PyTorch does: no operation raises a Python arithmetic error.
``log(0)`` is ``-inf``, ``log(-1)`` is ``nan``, ``1 / 0`` is ``inf``, ``exp(1000)`` is ``inf``,
``(-8) ** (1/3)`` is ``nan``.

Derivatives at the awkward points, in one place (the same values as PyTorch):

=============  =====================================================================
operation      local derivative
=============  =====================================================================
``a + b``      1 and 1
``a * b``      b and a
``a / b``      1 / b and -(a / b) / b; ``inf`` or ``nan`` where b is 0
``a ** b``     b * a ** (b - 1), a strong zero where b is 0;
               a ** b * log(a), taken as 0 where a is 0 and b >= 0 (``nan`` for a < 0)
``exp(a)``     exp(a)
``log(a)``     1 / a; ``inf`` at 0
``log1p(a)``   1 / (1 + a); ``inf`` at -1
``sqrt(a)``    1 / (2 sqrt(a)); ``inf`` at 0
``square(a)``  2 a, one product with the gradient as in PyTorch (not ``a * a``: see below)
``tanh(a)``    1 - tanh(a) ** 2, as (1 - tanh(a)) (1 + tanh(a)), which keeps its digits
               where tanh(a) is near 1 (PyTorch rounds 1 - t * t once, with a fused op)
``sigmoid(a)`` sigmoid(a) * (1 - sigmoid(a))
``relu(a)``    1 for a > 0 and for ``nan``; a strong zero for a <= 0
``leaky_relu`` 1 for a > 0, else the slope (the slope at a = 0);
               for a slope that is a Value: a for a <= 0, a strong zero for a > 0
``abs(a)``     the sign of a: 0 at a = 0 and at ``nan``
``sin(a)``     cos(a)
``cos(a)``     -sin(a)
``linear``     b + sum of w_i * x_i: x_i for each w_i, w_i for each x_i, 1 for b
``bce(p, t)``  (p - t) / max(p (1 - p), 1e-12) in p, and -log(p / (1 - p)) in t:
               PyTorch's formulas for binary_cross_entropy
``max_shift``  strong zeros: a shift that no gradient flows through (see ``finite_max``);
               ``softmax_shift`` alike, by the plain maximum (see ``maximum``)
=============  =====================================================================

``binary_cross_entropy`` is a row, not a formula of other rows, because PyTorch's gradient is
not the derivative of its forward: its forward clamps each log at -100 and its gradient divides
by at least 1e-12 (a float32 constant there, so 9.999999960041972e-13) instead, which keeps
a confident wrong prediction learning. Made of logs, the gradient would be 0 where a log is
clamped, ``-1e13`` for p = 1e-13, and lose digits where t is near p.

``square`` is a row, not ``a * a``, because that product has two edges: its gradient
``g a + g a`` rounds ``g a`` and then doubles it, where PyTorch's ``square`` rounds ``2 a g``
(and its ``mse_loss`` ``(2 / n) a``) once. The two differ where ``g a`` is subnormal (below
2 ** -1022, with fewer digits), as in the mean squared error of a prediction 1e-313 away from
its target.

Where PyTorch's backward formula *chooses* between the gradient from above and 0 (a mask)
instead of multiplying, the table stores a ``StrongZero``: a 0.0 whose product with anything,
``inf`` and ``nan`` included, is 0.0. So ``Value(-1.0).relu().sqrt()`` gets the gradient 0 as
in PyTorch, where ``0 * inf`` would be ``nan`` and one ``nan`` would poison every gradient.
Where PyTorch multiplies (``x * 0``, ``exp(-1000)``, ``tanh(1000)``, ``abs`` at 0), a plain
0.0 is stored, and ``inf`` from above gives ``nan`` here as there.

PyTorch divides the gradient by ``b`` (``log``: by ``a``) where the table stores ``1 / b``.
The two agree to the last digit or so, except for divisors so small (below 2 ** -1024, about
5.6e-309, yet not 0) that ``1 / b`` overflows: there the table stores a ``Reciprocal``, an
``inf`` whose product with a gradient ``g`` is ``g / b``, so ``(1 / Value(1e-310)) * 1e-20``
passes ``1e290`` back, as PyTorch does. Both kinds of number are floats: drawings and
``local_grads`` show them as ``0.0`` and ``inf``, and the backward sweep, which only
multiplies, stays as fast as it was (only the rare nodes that hold one pay a method call).

One documented difference: ``x ** 0.5`` is ``pow(x, 0.5)`` here. PyTorch computes a tensor to
the power of the plain number 0.5 with ``sqrt`` (and -0.5 with ``1 / sqrt``), which differs
from ``pow`` at -0.0 and -inf only (``sqrt(-inf)`` is ``nan``, ``pow(-inf, 0.5)`` is ``inf``),
so there the results, and the derivatives of exponents 0.5, -0.5 and 1.5, differ; checking
for those exponents in every power would slow every ``x ** 2``. Use ``x.sqrt()`` for PyTorch's
numbers at those two points.

And ``c / x`` for a plain number ``c`` is Python's true division, as ``torch.tensor(c) / x``
is; PyTorch's ``c / x`` computes ``reciprocal(x) * c``, which overflows where ``1 / x`` does
(``0 / 1e-310`` is ``nan`` there, 0.0 here) and whose gradient ``-(g c) (1 / x) ** 2``
overflows where ``1 / x ** 2`` does: it differs only where ours is the more accurate.

Subtraction and negation add no row: ``a - b`` is ``a + (-1 * b)``, exact in IEEE 754.
Division has its own row because ``a * (1 / b)`` is not always ``a / b`` in floating point
(``0.3 / 0.1`` differs from ``0.3 * (1 / 0.1)``), and printed numbers must match Python's.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

INF = math.inf
NAN = math.nan
LARGEST = sys.float_info.max


class Op(NamedTuple):
    """One row of the table: the operation's name, forward function and derivative rules.

    ``derivatives`` has one rule per argument, each called with ``(arguments..., out)``. An
    operation on any number of arguments (``linear``) is ``variadic``: its forward and its one
    rule take the weights and the inputs as two sequences, then the bias, and the rule gives
    the derivatives for every argument at once, in order (weights, inputs, bias).

    >>> OPS["*"].local_grads(3.0, 5.0, 15.0), OPS["tanh"].local_grads(0.0, 0.0)
    ((5.0, 3.0), (1.0,))
    """

    name: str
    forward: Callable[..., Any]
    derivatives: tuple[Callable[..., Any], ...]
    variadic: bool = False

    def local_grads(self, *args_and_out: Any) -> tuple[Any, ...]:
        """d out / d argument for every argument, given ``(arguments..., out)``."""
        if self.variadic:
            n = (len(args_and_out) - 2) // 2
            weights, inputs, (bias, out) = args_and_out[:n], args_and_out[n:-2], args_and_out[-2:]
            return self.derivatives[0](weights, inputs, bias, out)
        return tuple([rule(*args_and_out) for rule in self.derivatives])


# Local derivatives that PyTorch applies otherwise than by a product (see the module's note).


class StrongZero(float):
    """A local derivative of 0 that blocks any gradient from above: its product is always 0.

    >>> STRONG_ZERO * math.inf, math.nan * STRONG_ZERO, 0.0 * math.inf
    (0.0, 0.0, nan)
    """

    __slots__ = ()

    def __mul__(self, other: Any) -> float:
        return 0.0

    __rmul__ = __mul__


STRONG_ZERO = StrongZero(0.0)


class Reciprocal(float):
    """``1 / b`` that overflowed to ``inf``, applied to a gradient ``g`` as ``g / b`` instead.

    >>> r = reciprocal(1e-310)
    >>> r, r * 1e-20
    (inf, 1.000000000000003e+290)
    """

    __slots__ = ("divisor",)

    def __mul__(self, other: Any) -> Any:
        return div(other, self.divisor)

    __rmul__ = __mul__


def reciprocal(b: Any) -> Any:
    """``1 / b``, as a ``Reciprocal`` where it overflows for a tiny but nonzero ``b``.

    ``b`` may be a Value (``create_graph=True``): its Reciprocal then divides a Value gradient
    by ``b``, recording the division, so the result can be differentiated again.
    """
    try:
        r = 1.0 / b
    except ZeroDivisionError:
        return math.copysign(INF, b)
    if type(r) is float:
        data = r
    else:  # a Value under create_graph (or anything else a rule may be run on)
        data = getattr(r, "data", None)
        if type(data) is not float:
            return r
    if -LARGEST <= data <= LARGEST or data != data:
        return r
    overflowed = Reciprocal(data)  # b is tiny, not 0: 1 / b overflowed
    overflowed.divisor = b
    return overflowed


# IEEE 754 versions of the float operations that Python would otherwise raise on.


def div(a: Any, b: Any) -> Any:
    """``a / b``, with ``inf`` or ``nan`` where Python would raise ZeroDivisionError.

    >>> div(1.0, 0.0), div(-1.0, 0.0), div(0.0, 0.0)
    (inf, -inf, nan)
    """
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def power(a: Any, b: Any) -> Any:
    """``a ** b``; ``nan`` for a negative base and a fractional exponent, never a complex number.

    >>> power(-8.0, 1 / 3), power(0.0, -1.0), power(10.0, 400.0), power(-2.0, 3.0)
    (nan, inf, inf, -8.0)
    """
    if type(a) is not float or type(b) is not float:
        return a**b
    try:
        return math.pow(a, b)
    except OverflowError:
        odd_integer_exponent = b.is_integer() and b % 2 == 1
        return -INF if a < 0 and odd_integer_exponent else INF
    except ValueError:
        if a == 0:  # zero to a negative power: a pole, signed as IEEE 754 says
            odd_integer_exponent = b.is_integer() and b % 2 == 1
            return math.copysign(INF, a) if odd_integer_exponent else INF
        return NAN  # a negative base to a fractional power has no real value


def exp(a: Any) -> Any:
    """``e ** a``; ``inf`` where the result overflows."""
    if type(a) is not float:
        return a.exp()
    try:
        return math.exp(a)
    except OverflowError:
        return INF


def log(a: Any) -> Any:
    """The natural logarithm; ``-inf`` at 0 and ``nan`` below 0."""
    if type(a) is not float:
        return a.log()
    if a > 0:
        return math.log(a)
    return -INF if a == 0 else NAN


def sqrt(a: Any) -> Any:
    """The square root; ``nan`` below 0."""
    if type(a) is not float:
        return a.sqrt()
    return math.sqrt(a) if a >= 0 else NAN


def log1p(a: Any) -> Any:
    """``log(1 + a)``, exact for tiny ``a``; ``-inf`` at -1 and ``nan`` below."""
    if type(a) is not float:
        return a.log1p()
    if a > -1.0:
        return math.log1p(a)
    return -INF if a == -1.0 else NAN


def sin(a: Any) -> Any:
    """The sine; ``nan`` for infinite input."""
    if type(a) is not float:
        return a.sin()
    return math.sin(a) if math.isfinite(a) else NAN


def cos(a: Any) -> Any:
    """The cosine; ``nan`` for infinite input."""
    if type(a) is not float:
        return a.cos()
    return math.cos(a) if math.isfinite(a) else NAN


def sigmoid(a: float) -> float:
    """``1 / (1 + e ** -a)``, computed so that no intermediate overflows."""
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)  # a < 0, so e is in (0, 1): no overflow
    return e / (1.0 + e)


def tanh(a: float) -> float:
    """The hyperbolic tangent (``math.tanh`` never overflows)."""
    return math.tanh(a)


def square(a: Any) -> Any:
    """``a * a``, rounded once (``a ** 2`` is ``pow``, which may differ in the last digit)."""
    return a * a


def relu(a: float) -> float:
    """``max(a, 0)``; ``nan`` stays ``nan`` and -0.0 stays -0.0, as in PyTorch."""
    return 0.0 if a < 0 else a


def leaky_relu(a: float, slope: float) -> float:
    """``a`` for positive ``a``, otherwise ``slope * a``."""
    return a if a > 0 else slope * a


def step(a: Any) -> float:
    """The derivative of relu as PyTorch masks it: a strong zero for ``a <= 0``, else 1.0.

    So 0 at the kink and 1.0 at ``nan`` (PyTorch's mask tests ``relu(a) <= 0``).
    """
    return STRONG_ZERO if float(a) <= 0 else 1.0


def sign(a: Any) -> float:
    """-1.0, 0.0 or 1.0: the derivative of abs, with 0 at the kink and at ``nan`` (PyTorch's)."""
    a = float(a)
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0


def finite_max(a: float, b: float) -> float:
    """The larger of the finite ones among a and b, 0.0 if neither is finite.

    Log-sum-exp subtracts the largest value before ``exp`` so that nothing overflows; the
    result does not depend on the shift, so no gradient flows through it (PyTorch's
    ``logsumexp`` detaches its max and takes 0 for an infinite one, alike). As a node of the
    graph the shift is recomputed from its inputs, so a traced program keeps it right for
    every sample instead of baking in one sample's number.

    >>> finite_max(1.0, 3.0), finite_max(math.inf, -2.0), finite_max(math.nan, -math.inf)
    (3.0, -2.0, 0.0)
    """
    if math.isfinite(a):
        return max(a, b) if math.isfinite(b) else a
    return b if math.isfinite(b) else 0.0


def maximum(a: float, b: float) -> float:
    """The larger of a and b, ``nan`` if either is: ``torch.maximum``'s rule (a tie gives a).

    Softmax shifts by the largest value as PyTorch's does, by this maximum and not by
    ``finite_max``: PyTorch's softmax of logits with an ``inf``, a ``nan`` or only ``-inf``
    is ``nan`` throughout (``inf - inf``), where log-sum-exp's finite shift would give numbers.
    As for ``finite_max``, the shift is a node without gradient, recomputed on every call.

    >>> maximum(1.0, 3.0), maximum(math.inf, -2.0), maximum(1.0, math.nan), maximum(-0.0, 0.0)
    (3.0, inf, nan, -0.0)
    """
    if a != a:
        return a
    return a if a >= b else b


def linear(weights: Sequence[float], inputs: Sequence[float], bias: float) -> float:
    """``bias + w1 * x1 + ... + wn * xn``, added left to right from the bias as micrograd does.

    >>> linear([2.0, 10.0], [3.0, 100.0], 1.0)
    1007.0
    """
    return sum(map(operator.mul, weights, inputs), bias)


def d_linear(weights: Sequence[Any], inputs: Sequence[Any], bias: Any, out: Any) -> tuple:
    """d out / d w_i = x_i, d out / d x_i = w_i, d out / d bias = 1, in the arguments' order."""
    return (*inputs, *weights, 1.0)


# PyTorch's binary_cross_entropy: its clamp of each log, and the least divisor of its gradient.
LOG_FLOOR = -100.0
BCE_EPSILON = 9.999999960041972e-13  # PyTorch's EPSILON = 1e-12, stored as a float32


def at_least(x: Any, floor: float) -> Any:
    """``max(x, floor)`` that keeps ``nan`` (as PyTorch's clamp does) and works on Values."""
    return floor if float(x) < floor else x


def binary_cross_entropy(p: float, t: float) -> float:
    """``-(t log p + (1 - t) log(1 - p))`` with each log clamped at -100, as PyTorch has it.

    >>> binary_cross_entropy(0.0, 1.0), round(binary_cross_entropy(0.8, 1.0), 6)
    (100.0, 0.223144)
    """
    return (t - 1.0) * at_least(log1p(-p), LOG_FLOOR) - t * at_least(log(p), LOG_FLOOR)


def d_bce_d_prob(p: Any, t: Any, out: Any) -> Any:
    """PyTorch's (p - t) / max(p (1 - p), 1e-12): finite for every p in [0, 1]."""
    return div(p - t, at_least((1.0 - p) * p, BCE_EPSILON))


def d_bce_d_target(p: Any, t: Any, out: Any) -> Any:
    """-logit(p) = -log(p / (1 - p)), unclamped, as PyTorch has it."""
    return -log(div(p, 1.0 - p))


def d_leaky_relu_d_a(a: Any, slope: Any, out: Any) -> Any:
    """1 for a > 0, else the slope (the slope at a = 0)."""
    return 1.0 if float(a) > 0 else slope


def d_leaky_relu_d_slope(a: Any, slope: Any, out: Any) -> Any:
    """A strong zero for a > 0, else a (PyTorch's prelu masks its weight's gradient)."""
    return STRONG_ZERO if float(a) > 0 else a


def d_pow_d_base(a: Any, b: Any, out: Any) -> Any:
    """d(a ** b) / da = b * a ** (b - 1), a strong zero where b is 0 (PyTorch masks it)."""
    return STRONG_ZERO if float(b) == 0 else b * power(a, b - 1)


def d_pow_d_exponent(a: Any, b: Any, out: Any) -> Any:
    """d(a ** b) / db = a ** b * log(a), taken as 0 where a is 0 and b >= 0 (as PyTorch does)."""
    return 0.0 if float(a) == 0 and float(b) >= 0 else out * log(a)


# fmt: off
OPS: dict[str, Op] = {op.name: op for op in (
    #   name          forward        d out / d a, then d out / d b, given (arguments..., out)
    Op("+",          operator.add,  (lambda a, b, out: 1.0,
                                     lambda a, b, out: 1.0)),
    Op("*",          operator.mul,  (lambda a, b, out: b,
                                     lambda a, b, out: a)),
    Op("/",          div,           (lambda a, b, out: reciprocal(b),
                                     lambda a, b, out: -div(out, b))),
    Op("**",         power,         (d_pow_d_base,
                                     d_pow_d_exponent)),
    Op("exp",        exp,           (lambda a, out: out,)),
    Op("log",        log,           (lambda a, out: reciprocal(a),)),
    Op("log1p",      log1p,         (lambda a, out: reciprocal(1.0 + a),)),
    Op("sqrt",       sqrt,          (lambda a, out: div(0.5, out),)),
    Op("square",     square,        (lambda a, out: 2.0 * a,)),
    Op("tanh",       tanh,          (lambda a, out: (1.0 - out) * (1.0 + out),)),
    Op("sigmoid",    sigmoid,       (lambda a, out: out * (1.0 - out),)),
    Op("relu",       relu,          (lambda a, out: step(a),)),
    Op("leaky_relu", leaky_relu,    (d_leaky_relu_d_a,
                                     d_leaky_relu_d_slope)),
    Op("abs",        abs,           (lambda a, out: sign(a),)),
    Op("sin",        sin,           (lambda a, out: cos(a),)),
    Op("cos",        cos,           (lambda a, out: -sin(a),)),
    Op("linear",     linear,        (d_linear,), variadic=True),
    Op("binary_cross_entropy",
                     binary_cross_entropy,
                                    (d_bce_d_prob,
                                     d_bce_d_target)),
    Op("max_shift",  finite_max,    (lambda a, b, out: STRONG_ZERO,
                                     lambda a, b, out: STRONG_ZERO)),
    Op("softmax_shift",
                     maximum,       (lambda a, b, out: STRONG_ZERO,
                                     lambda a, b, out: STRONG_ZERO)),
)}
# fmt: on

# How explain() writes each row's rule, one text per argument (per weight, input and the bias
# for linear), over the argument names a and b and the result out, as the rule above computes
# it. Edit a text together with its row; a test evaluates every text against its rule.
# fmt: off
RULE_TEXT: dict[str, tuple[str, ...]] = {
    "+":          ("1", "1"),
    "*":          ("b", "a"),
    "/":          ("1 / b", "-out / b"),
    "**":         ("b * a ** (b - 1)", "out * log(a)"),
    "exp":        ("out",),
    "log":        ("1 / a",),
    "log1p":      ("1 / (1 + a)",),
    "sqrt":       ("0.5 / out",),
    "square":     ("2 * a",),
    "tanh":       ("1 - out * out",),
    "sigmoid":    ("out * (1 - out)",),
    "relu":       ("1 if a > 0 else 0",),
    "leaky_relu": ("1 if a > 0 else b", "0 if a > 0 else a"),
    "abs":        ("sign(a)",),
    "sin":        ("cos(a)",),
    "cos":        ("-sin(a)",),
    "linear":     ("x_i", "w_i", "1"),  # d out / d w_i, d out / d x_i, d out / d bias
    "binary_cross_entropy":
                  ("(a - b) / max(a * (1 - a), 1e-12)", "-log(a / (1 - a))"),
    "max_shift":  ("0", "0"),  # a shift for stability only: no gradient flows through it
    "softmax_shift":
                  ("0", "0"),  # likewise
}
# fmt: on
