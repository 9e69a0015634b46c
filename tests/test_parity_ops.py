"""Every row of the op table against PyTorch (float64), at the awkward points and with any
gradient from above: inf, nan, 0, tiny and huge, including what the masks of PyTorch's
backward formulas do with them (``relu`` and ``x ** 0`` pass 0, whatever comes from above).

Skipped without torch; CI installs it, so there these tests always run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, linear, ops
from autograd.backward import gradients
from autograd.ops import OPS, StrongZero, power
from autograd.value import binary_cross_entropy, max_shift, softmax_shift

torch = pytest.importorskip("torch")

inf, nan = math.inf, math.nan
SMALLEST_NORMAL = 2.0**-1022

# Numbers where rules change or break down: signed zeros, subnormals (1 / 1e-310 overflows),
# the edges of exp's range, huge, infinite and not-a-number.
AWKWARD = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, 1e-310, -1e-310, 1e-160, 1e300, -1e300]
AWKWARD += [710.0, -750.0, 20.0, -40.0, inf, -inf, nan]
numbers = st.one_of(st.sampled_from(AWKWARD), st.floats(-20, 20), st.floats())
seeds = st.one_of(st.sampled_from([1.0, -1.0, 0.0, inf, -inf, nan, 1e-20, 1e300]), st.floats())


def close(ours: float, theirs: float, *, gradient: bool = False) -> bool:
    """Equal to 1e-12, nan to nan, inf to the same inf; below the normal range, to its spacing.

    Results smaller than the smallest normal number (2 ** -1022) carry fewer digits, so two
    correct formulas (``x * x * x`` in PyTorch, ``pow(x, 3)`` here) may differ there by far
    more than 1e-12 relatively while differing by less than 2 ** -1022 absolutely.

    Values tell 0.0 from -0.0 (``1 / x`` does). Gradients do not: a gradient here is a sum that
    starts at 0.0, and 0.0 + -0.0 is 0.0, where PyTorch's first contribution is the gradient.
    """
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if ours == 0 and theirs == 0 and not gradient:
        return math.copysign(1, ours) == math.copysign(1, theirs)
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=SMALLEST_NORMAL)


# tanh and sigmoid take their derivative from their result (1 - out ** 2, out (1 - out)), and
# PyTorch's vectorized tanh and sigmoid may differ from the math module's by an ulp or two.
# Near out = 1 the derivative is small and such a difference is large beside it, so it is
# allowed for: by |d local / d out| times the difference of the results.
SENSITIVITY_TO_THE_RESULT: dict[str, Callable[[float], float]] = {
    "tanh": lambda out: 2 * abs(out),
    "sigmoid": lambda out: abs(1 - 2 * out),
}


def documented_difference(label: str, args: tuple[float, ...]) -> bool:
    """The one difference documented in ``autograd/ops.py``: x ** 0.5 and x ** -0.5 are pow.

    PyTorch computes a tensor to the power of the plain number 0.5 as ``sqrt`` (and -0.5 as
    ``1 / sqrt``); pow and sqrt differ at -0.0 and -inf only, in the result and in the
    derivatives of exponents b whose b - 1 is 0.5 or -0.5.
    """
    if label != "a ** c":
        return False
    a, c = args
    return c in (0.5, -0.5, 1.5) and ((a == 0 and math.copysign(1, a) < 0) or a == -inf)


def torch_max_shift(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """PyTorch's logsumexp shift: the larger finite value, 0 if none, detached (no gradient)."""
    finite_a, finite_b = torch.isfinite(a), torch.isfinite(b)
    zero = torch.zeros_like(a)
    only = torch.where(finite_a, a, torch.where(finite_b, b, zero))
    shift = torch.where(finite_a & finite_b, torch.maximum(a, b), only)
    return shift.detach().requires_grad_()


def torch_softmax_shift(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """PyTorch's softmax shift: the larger value, nan if either is, detached (no gradient)."""
    return torch.maximum(a, b).detach().requires_grad_()


# Each way a user calls a row: (row, label, Values taken, ours and torch's, plain-number args).
# The function is written once and runs on Values and on tensors alike.
F = torch.nn.functional
FORMS: list[tuple[str, str, int, Callable[..., Any], Callable[..., Any], int]] = [
    ("+", "a + b", 2, lambda a, b: a + b, lambda a, b: a + b, 0),
    ("+", "a + c", 1, lambda a, c: a + c, lambda a, c: a + c, 1),
    ("+", "c - a", 1, lambda a, c: c - a, lambda a, c: c - a, 1),
    ("+", "a - b", 2, lambda a, b: a - b, lambda a, b: a - b, 0),
    ("*", "a * b", 2, lambda a, b: a * b, lambda a, b: a * b, 0),
    ("*", "c * a", 1, lambda a, c: c * a, lambda a, c: c * a, 1),
    ("*", "-a", 1, lambda a: -a, lambda a: -a, 0),
    ("/", "a / b", 2, lambda a, b: a / b, lambda a, b: a / b, 0),
    ("/", "a / c", 1, lambda a, c: a / c, lambda a, c: a / c, 1),
    ("/", "c / a", 1, lambda a, c: c / a, lambda a, c: torch.tensor(c, dtype=torch.float64) / a, 1),
    ("**", "a ** b", 2, lambda a, b: a**b, lambda a, b: a**b, 0),
    ("**", "a ** c", 1, lambda a, c: a**c, lambda a, c: a**c, 1),
    ("**", "c ** a", 1, lambda a, c: c**a, lambda a, c: c**a, 1),
    ("exp", "exp", 1, lambda a: a.exp(), lambda a: a.exp(), 0),
    ("log", "log", 1, lambda a: a.log(), lambda a: a.log(), 0),
    ("log1p", "log1p", 1, lambda a: a.log1p(), lambda a: a.log1p(), 0),
    ("sqrt", "sqrt", 1, lambda a: a.sqrt(), lambda a: a.sqrt(), 0),
    ("square", "square", 1, lambda a: a.square(), lambda a: a.square(), 0),
    ("tanh", "tanh", 1, lambda a: a.tanh(), lambda a: a.tanh(), 0),
    ("sigmoid", "sigmoid", 1, lambda a: a.sigmoid(), lambda a: a.sigmoid(), 0),
    ("relu", "relu", 1, lambda a: a.relu(), lambda a: a.relu(), 0),
    ("leaky_relu", "leaky_relu", 1, lambda a, c: a.leaky_relu(c), F.leaky_relu, 1),
    ("abs", "abs", 1, abs, abs, 0),
    ("sin", "sin", 1, lambda a: a.sin(), lambda a: a.sin(), 0),
    ("cos", "cos", 1, lambda a: a.cos(), lambda a: a.cos(), 0),
    (
        "linear",
        "linear",
        5,
        lambda w1, w2, x1, x2, b: linear([w1, w2], [x1, x2], b),
        lambda w1, w2, x1, x2, b: b + w1 * x1 + w2 * x2,
        0,
    ),
    ("max_shift", "max_shift", 2, max_shift, torch_max_shift, 0),
    ("softmax_shift", "softmax_shift", 2, softmax_shift, torch_softmax_shift, 0),
    (
        "binary_cross_entropy",
        "binary_cross_entropy",
        2,
        binary_cross_entropy,
        lambda p, t: F.binary_cross_entropy(p, t, reduction="none"),
        0,
    ),
]


def run_ours(form: tuple, args: tuple[float, ...], seed: float) -> tuple[float, list[float]]:
    _, _, n, ours, _, _ = form
    values = [Value(a) for a in args[:n]]
    out = ours(*values, *args[n:])
    out.backward(seed)
    return out.data, [v.grad for v in values]


def run_torch(form: tuple, args: tuple[float, ...], seed: float) -> tuple[float, list[float]]:
    _, _, n, _, theirs, _ = form
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args[:n]]
    out = theirs(*tensors, *args[n:])
    out.backward(torch.tensor(seed, dtype=torch.float64))
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in tensors]


def test_every_row_of_the_op_table_is_compared_with_pytorch():
    assert {form[0] for form in FORMS} == set(OPS)


@pytest.mark.parametrize("form", FORMS, ids=[form[1] for form in FORMS])
@given(data=st.data())
def test_every_op_matches_pytorch_for_any_input_and_any_gradient_from_above(form, data):
    _, label, n, _, _, plain = form
    args = tuple(data.draw(numbers) for _ in range(n + plain))
    if label == "leaky_relu":
        args = (args[0], data.draw(st.floats(0, 1)))  # F.leaky_relu's slope is a real number
    if label == "binary_cross_entropy":  # PyTorch refuses probabilities outside [0, 1]
        probability = st.one_of(st.sampled_from([0.0, 1.0, 1e-13, 1 - 1e-13, 0.5]), st.floats(0, 1))
        args = (data.draw(probability), data.draw(probability))
    seed = data.draw(seeds)
    if documented_difference(label, args):
        return
    ours, theirs = run_ours(form, args, seed), run_torch(form, args, seed)
    assert close(ours[0], theirs[0]), (args, seed, ours, theirs)
    slack = 0.0
    if label in SENSITIVITY_TO_THE_RESULT and math.isfinite(seed) and ours[0] != theirs[0]:
        slack = abs(seed) * SENSITIVITY_TO_THE_RESULT[label](ours[0]) * abs(ours[0] - theirs[0])
    for mine, torchs in zip(ours[1], theirs[1], strict=True):
        assert close(mine, torchs, gradient=True) or abs(mine - torchs) <= slack, (
            args,
            seed,
            ours,
            theirs,
        )


# -- the defects this file was written for ------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda x: x.relu().sqrt(),
        lambda x: x.relu().log(),
        lambda x: (x**0.0 - 1.0).sqrt(),
        lambda x: 1.0 / x.relu(),
    ],
    ids=["relu().sqrt()", "relu().log()", "(x ** 0 - 1).sqrt()",
         "1 / relu()"],
)  # fmt: skip
def test_a_masked_zero_derivative_stops_an_infinite_gradient_from_above(build):
    x = Value(-1.0)
    build(x).backward()
    t = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    build(t).backward()
    assert x.grad == t.grad.item() == 0.0


def test_a_zero_exponent_masks_the_base_but_not_the_exponent_as_in_pytorch():
    x, e = Value(-1.0), Value(0.0)
    ((x**e - 1.0).sqrt()).backward()
    tx, te = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (-1.0, 0.0))
    ((tx**te - 1.0).sqrt()).backward()
    assert x.grad == tx.grad.item() == 0.0
    assert math.isnan(e.grad) and math.isnan(te.grad.item())  # inf * log(-1), a product


def test_one_nan_node_does_not_poison_the_gradients_beside_a_masked_path():
    w, x = Value(2.0), Value(-1.0)
    y = (w * x).relu().sqrt() + w * 3.0
    y.backward()
    assert (w.grad, x.grad) == (3.0, 0.0)


def test_pytorchs_masks_are_strong_zeros_in_the_table_and_plain_products_elsewhere():
    assert isinstance(Value(-1.0).relu().local_grads[0], StrongZero)
    assert isinstance((Value(2.0) ** 0.0).local_grads[0], StrongZero)
    assert isinstance((Value(2.0) ** Value(0.0)).local_grads[0], StrongZero)
    # PyTorch multiplies for these, so inf * 0 is nan there as here.
    assert type((Value(0.0) * Value(0.0)).local_grads[0]) is float
    assert type(Value(-1000.0).exp().local_grads[0]) is float
    assert type(Value(1000.0).tanh().local_grads[0]) is float
    assert type(abs(Value(0.0)).local_grads[0]) is float


def test_prelu_slope_derivative_is_masked_where_the_input_is_positive_as_in_pytorch():
    # leaky_relu with a Value slope is PyTorch's prelu, whose weight gradient is
    # where(x > 0, 0, x * grad): masked, not a product.
    rule = OPS["leaky_relu"].derivatives[1]
    x, slope = torch.tensor([2.0], dtype=torch.float64), torch.tensor([0.1], requires_grad=True)
    F.prelu(x, slope.double()).backward(torch.tensor([inf], dtype=torch.float64))
    assert rule(2.0, 0.1, 2.0) * inf == 0.0
    assert rule(-2.0, 0.1, -0.2) * 3.0 == -6.0


def test_a_strong_zero_gives_a_differentiable_zero_under_create_graph():
    x = Value(-1.0)
    (dx,) = grad(x.relu().sqrt(), [x], create_graph=True)
    assert isinstance(dx, Value) and dx.data == 0.0
    (d2x,) = grad(dx, [x])
    assert d2x.data == 0.0


@pytest.mark.parametrize(("a", "expected"), [(nan, (0.0, 1.0)), (0.0, (0.0, 0.0))])
def test_abs_and_relu_at_nan_and_zero_pass_what_pytorch_passes(a, expected):
    x, y = Value(a), Value(a)
    abs(x).backward()
    y.relu().backward()
    tx = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    abs(tx).backward()
    ty.relu().backward()
    assert (x.grad, y.grad) == (tx.grad.item(), ty.grad.item()) == expected


@pytest.mark.parametrize("divisor", [1e-310, -1e-310, 5e-324, 3e-309])
def test_a_tiny_divisor_gives_the_quotient_pytorch_gives_not_inf(divisor):
    a, b = Value(1.0), Value(divisor)
    ((a / b) * 1e-20).backward()
    x = Value(divisor)
    (x.log() * 1e-20).backward()
    ta = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(divisor, dtype=torch.float64, requires_grad=True)
    ((ta / tb) * 1e-20).backward()
    tx = torch.tensor(divisor, dtype=torch.float64, requires_grad=True)
    (tx.log() * 1e-20).backward()
    assert math.isfinite(a.grad) and close(a.grad, ta.grad.item())
    assert math.isfinite(x.grad) and close(x.grad, tx.grad.item())
    assert close(b.grad, tb.grad.item())


@pytest.mark.parametrize(
    ("base", "exponent"),
    [(-0.0, 0.5), (-inf, 0.5), (-0.0, -0.5), (-inf, -0.5), (-inf, 1.5)],
)
def test_x_to_the_half_is_pow_not_sqrt_at_minus_zero_and_minus_inf_as_documented(base, exponent):
    x = Value(base)
    y = x**exponent
    y.backward()
    assert y.data == power(base, exponent)
    assert x.grad == exponent * power(base, exponent - 1)
    t = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    u = t**exponent
    u.backward()
    assert (u.item(), t.grad.item()) != (y.data, x.grad)  # still different: else drop the note
    assert "``x ** 0.5`` is ``pow(x, 0.5)`` here" in " ".join(ops.__doc__.split())


def test_a_number_divided_by_a_value_is_true_division_where_pytorchs_reciprocal_overflows():
    x = Value(1e-310)
    y = 0.0 / x
    t = torch.tensor(1e-310, dtype=torch.float64, requires_grad=True)
    u = 0.0 / t  # PyTorch: reciprocal(t) * 0.0 = inf * 0.0
    assert y.data == 0.0 and math.isnan(u.item())
    assert (torch.tensor(0.0, dtype=torch.float64) / t).item() == y.data
    assert "``c / x`` for a plain number ``c`` is Python's true division" in " ".join(
        ops.__doc__.split()
    )


def test_relu_keeps_the_sign_of_zero_as_pytorch_does():
    t = torch.tensor(-0.0, dtype=torch.float64)
    assert (1.0 / Value(-0.0).relu()).data == (1.0 / t.relu()).item() == -inf


# -- random expressions: a mask or a nan must act on the whole graph as in PyTorch ---------

UNARY = {
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "log1p": lambda a: a.log1p(),
    "sqrt": lambda a: a.sqrt(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "abs": abs,
    "sin": lambda a: a.sin(),
    "neg": lambda a: -a,
    "square": lambda a: a**2,
    "to_the_0": lambda a: a**0.0,
    "reciprocal": lambda a: 1.0 / a,
    "minus_1": lambda a: a - 1.0,
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}

expressions = st.recursive(
    st.tuples(st.just("x"), st.integers(0, 1)),
    lambda children: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
    ),
    max_leaves=6,
)


def evaluate(tree: tuple, xs: list[Any]) -> Any:
    if tree[0] == "x":
        return xs[tree[1]]
    if tree[0] in UNARY:
        return UNARY[tree[0]](evaluate(tree[1], xs))
    return BINARY[tree[0]](evaluate(tree[1], xs), evaluate(tree[2], xs))


def agree(ours: float, theirs: float, *, gradient: bool = False, scale: float = 0.0) -> bool:
    """The same kind of number (nan, the same inf, the same zero) and, if finite, close.

    Over several operations the ulp-sized differences of PyTorch's vectorized functions may
    grow, so finite numbers are compared to 1e-9; and where a sum cancels (``x / x`` has the
    gradient 1 / x - (x / x) / x), to 1e-12 of ``scale``, the largest term summed (for a
    value: the largest value in its graph).
    """
    if not (math.isfinite(ours) and math.isfinite(theirs)) or (ours == 0 and theirs == 0):
        return close(ours, theirs, gradient=gradient)
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12 * scale)


def largest_term(out: Value, seed: float) -> float:
    """The largest finite contribution ``local * gradient`` that backward adds up."""
    terms = [
        abs(local * grad)
        for node, grad in gradients(out, seed).items()
        for local in node.local_grads
    ]
    return max([t for t in terms if math.isfinite(t)], default=0.0)


@given(expressions, st.tuples(numbers, numbers), seeds)
def test_random_expressions_match_pytorch_at_any_point_with_any_gradient(tree, point, seed):
    xs = [Value(p) for p in point]
    out = evaluate(tree, xs)
    if not isinstance(out, Value):
        return
    out.backward(seed)
    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    torch_out = evaluate(tree, ts)
    torch_out.backward(torch.tensor(seed, dtype=torch.float64))
    theirs = [0.0 if t.grad is None else t.grad.item() for t in ts]
    largest_value = max(
        [abs(n.data) for n, _ in gradients(out, 0.0).items() if math.isfinite(n.data)], default=0.0
    )
    assert agree(out.data, torch_out.item(), scale=largest_value), (out.data, torch_out.item())
    scale = largest_term(out, seed)
    for x, g in zip(xs, theirs, strict=True):
        assert agree(x.grad, g, gradient=True, scale=scale), ([x.grad for x in xs], theirs)


@pytest.mark.parametrize(
    "build", [lambda a, b: (a / b) * 1e-20, lambda a, b: (b.log() + a) * 1e-20]
)
def test_grad_with_create_graph_divides_by_a_tiny_divisor_as_backward_does(build):
    a, b = Value(1.0), Value(1e-310)
    out = build(a, b)
    out.backward()
    first = grad(out, [a, b], create_graph=True)
    assert [d.data for d in first] == [a.grad, b.grad]
    assert math.isfinite(first[0].data) or math.isfinite(first[1].data)
    grad(first[0] + first[1], [a, b])  # differentiable again, never raises


@pytest.mark.parametrize("form", FORMS, ids=[form[1] for form in FORMS])
@given(data=st.data())
def test_grad_with_create_graph_gives_backwards_numbers_at_any_input(form, data):
    _, label, n, ours, _, plain = form
    args = tuple(data.draw(numbers) for _ in range(n + plain))
    if label == "leaky_relu":
        args = (args[0], 0.1)
    if label == "binary_cross_entropy":
        args = tuple(data.draw(st.floats(0, 1)) for _ in range(2))
    values = [Value(a) for a in args[:n]]
    out = ours(*values, *args[n:])
    first = grad(out, values, create_graph=True)
    out.backward()
    for d, v in zip(first, values, strict=True):
        assert close(d.data, v.grad, gradient=True), (args, d.data, v.grad)
