"""grad(): derivatives as Values, .grad untouched, and higher derivatives with create_graph."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, linear, topological_order
from autograd.ops import OPS
from autograd.value import binary_cross_entropy, max_shift, softmax_shift


def within(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.builds(lambda x, negative: -x if negative else x, within(lo, hi), st.booleans())


# -- first derivatives ----------------------------------------------------------------------


def test_grad_returns_one_value_per_input_in_order():
    x, y = Value(2.0), Value(5.0)
    result = grad(x * y + x, [y, x])
    assert isinstance(result, tuple)
    assert all(isinstance(r, Value) for r in result)
    assert [r.data for r in result] == [2.0, 6.0]


def test_grad_leaves_every_grad_untouched():
    x = Value(3.0)
    h = x * x
    y = h + x
    x.grad = 7.0
    grad(y, [x, h])
    grad(y, [x, h], create_graph=True)
    assert (x.grad, h.grad, y.grad) == (7.0, 0.0, 0.0)


def test_grad_of_an_input_the_output_does_not_depend_on_is_zero():
    x, unrelated = Value(2.0), Value(5.0)
    y = x * 3
    for create_graph in (False, True):
        (d,) = grad(y, [unrelated], create_graph=create_graph)
        assert d.data == 0.0


def test_grad_with_respect_to_an_intermediate_node():
    x = Value(2.0)
    h = x * x
    y = h * 3 + x
    dh, dx = grad(y, [h, x])
    assert (dh.data, dx.data) == (3.0, 13.0)


def test_grad_of_an_output_with_respect_to_itself_is_one():
    y = Value(2.0) * 3
    assert grad(y, [y])[0].data == 1.0


def test_grad_without_create_graph_returns_leaves():
    x = Value(2.0)
    (d,) = grad(x**3, [x])
    assert d.data == 12.0
    assert d.is_leaf


def test_grad_with_create_graph_returns_differentiable_values():
    x = Value(2.0)
    (d,) = grad(x**3, [x], create_graph=True)
    assert d.data == 12.0
    assert not d.is_leaf
    assert x in topological_order(d)


@pytest.mark.parametrize("bad", [3.0, None, "y"])
def test_grad_rejects_an_output_that_is_not_a_value(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        grad(bad, [Value(1.0)])


@pytest.mark.parametrize("bad", [3.0, None, "x"])
def test_grad_rejects_inputs_that_are_not_values(bad):
    x = Value(1.0)
    with pytest.raises(TypeError, match=type(bad).__name__):
        grad(x * 2, [x, bad])


# -- second and higher derivatives ----------------------------------------------------------


def test_second_derivative_of_x_cubed_is_6x():
    x = Value(2.0)
    (dy,) = grad(x**3, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert (dy.data, d2y.data) == (12.0, 12.0)


def test_third_derivative_of_x_to_the_fourth_is_24x():
    x = Value(0.5)
    (d1,) = grad(x**4, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    (d4,) = grad(d3, [x])
    assert (d1.data, d2.data, d3.data, d4.data) == (0.5, 3.0, 12.0, 24.0)


def test_third_derivative_of_sin_is_minus_cos():
    x = Value(0.7)
    d = x.sin()
    for _ in range(3):
        (d,) = grad(d, [x], create_graph=True)
    assert d.data == pytest.approx(-math.cos(0.7), rel=1e-15)


def test_mixed_partials_of_a_two_variable_function_agree_with_the_analytic_ones():
    # f = x y^2 + sin(x y): f_xy = 2y + cos(xy) - xy sin(xy), f_xx = -y^2 sin(xy)
    x, y = Value(0.5), Value(-1.5)
    f = x * y**2 + (x * y).sin()
    fx, fy = grad(f, [x, y], create_graph=True)
    fxx, fxy = grad(fx, [x, y])
    fyx, fyy = grad(fy, [x, y])
    xy = 0.5 * -1.5
    assert fxy.data == pytest.approx(2 * -1.5 + math.cos(xy) - xy * math.sin(xy), rel=1e-14)
    assert fyx.data == pytest.approx(fxy.data, rel=1e-14)
    assert fxx.data == pytest.approx(-(1.5**2) * math.sin(xy), rel=1e-14)
    assert fyy.data == pytest.approx(2 * 0.5 - 0.5**2 * math.sin(xy), rel=1e-14)


def test_create_graph_works_through_linear():
    # f = L^2 with L = b + w1 x1 + w2 x2: df/dw1 = 2 L x1, so
    # d2f/dw1 dx1 = 2 w1 x1 + 2 L, d2f/dw1 dw2 = 2 x1 x2, d2f/dw1 db = 2 x1.
    w1, w2, x1, x2, b = Value(2.0), Value(-1.0), Value(3.0), Value(4.0), Value(0.5)
    f = linear([w1, w2], [x1, x2], b) ** 2  # L = 2.5
    (fw1,) = grad(f, [w1], create_graph=True)
    assert fw1.data == 15.0
    assert [d.data for d in grad(fw1, [x1, w2, b, w1])] == [17.0, 24.0, 6.0, 18.0]
    g = linear([w1, w2], [3.0, 4.0], b) ** 2  # plain numbers folded
    (gw1,) = grad(g, [w1], create_graph=True)
    assert [d.data for d in grad(gw1, [w2, b])] == [24.0, 6.0]


def test_second_derivatives_through_a_chain_100_000_operations_deep():
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    h = x
    for i in range(100_000):
        h = h * 1.0 if i % 2 else h + 0.0  # h stays x
    (d,) = grad(h * h * h, [x], create_graph=True)
    (d2,) = grad(d, [x])
    assert (d.data, d2.data) == (0.75, 3.0)  # 3x^2 and 6x
    assert sys.getrecursionlimit() == limit


@dataclass(frozen=True)
class Second:
    """A function made by one row of the op table, and its analytic Hessian."""

    build: Callable[..., Value]
    points: st.SearchStrategy[tuple[float, ...]]
    hessian: Callable[..., list[list[float]]]


def sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


# One case per row of ``autograd.ops.OPS``: each unary op's f'' and each binary op's Hessian.
SECOND: dict[str, Second] = {
    "+": Second(
        lambda a, b: a + b, st.tuples(within(-5, 5), within(-5, 5)), lambda a, b: [[0, 0], [0, 0]]
    ),
    "*": Second(
        lambda a, b: a * b, st.tuples(within(-5, 5), within(-5, 5)), lambda a, b: [[0, 1], [1, 0]]
    ),
    "/": Second(
        lambda a, b: a / b,
        st.tuples(within(-5, 5), away_from_zero(0.5, 5)),
        lambda a, b: [[0, -1 / b**2], [-1 / b**2, 2 * a / b**3]],
    ),
    "**": Second(
        lambda a, b: a**b,
        # Not at b = 0, where d/da is taken as 0 as PyTorch does, so that d2/da db is 0 too.
        st.tuples(within(0.5, 4), away_from_zero(0.01, 3)),
        lambda a, b: [
            [b * (b - 1) * a ** (b - 2), a ** (b - 1) * (1 + b * math.log(a))],
            [a ** (b - 1) * (1 + b * math.log(a)), a**b * math.log(a) ** 2],
        ],
    ),
    "exp": Second(lambda a: a.exp(), st.tuples(within(-5, 5)), lambda a: [[math.exp(a)]]),
    "log": Second(lambda a: a.log(), st.tuples(within(0.1, 10)), lambda a: [[-1 / a**2]]),
    "log1p": Second(
        lambda a: a.log1p(), st.tuples(within(-0.9, 10)), lambda a: [[-1 / (1 + a) ** 2]]
    ),
    # PyTorch's gradient (p - t) / (p (1 - p)), differentiated again; d/dt is -1 / (p (1 - p)).
    "binary_cross_entropy": Second(
        binary_cross_entropy,
        st.tuples(within(0.05, 0.95), within(0, 1)),
        lambda p, t: [
            [(p * (1 - p) - (p - t) * (1 - 2 * p)) / (p * (1 - p)) ** 2, -1 / (p * (1 - p))],
            [-1 / (p * (1 - p)), 0],
        ],
    ),
    "sqrt": Second(lambda a: a.sqrt(), st.tuples(within(0.1, 10)), lambda a: [[-0.25 * a**-1.5]]),
    "square": Second(lambda a: a.square(), st.tuples(within(-5, 5)), lambda a: [[2]]),
    "tanh": Second(
        lambda a: a.tanh(),
        st.tuples(within(-5, 5)),
        lambda a: [[-2 * math.tanh(a) * (1 - math.tanh(a) ** 2)]],
    ),
    "sigmoid": Second(
        lambda a: a.sigmoid(),
        st.tuples(within(-10, 10)),
        lambda a: [[sigmoid(a) * (1 - sigmoid(a)) * (1 - 2 * sigmoid(a))]],
    ),
    "relu": Second(lambda a: a.relu(), st.tuples(away_from_zero(0.1, 5)), lambda a: [[0]]),
    "leaky_relu": Second(
        lambda a: a.leaky_relu(0.1), st.tuples(away_from_zero(0.1, 5)), lambda a: [[0]]
    ),
    "abs": Second(lambda a: abs(a), st.tuples(away_from_zero(0.1, 5)), lambda a: [[0]]),
    "sin": Second(lambda a: a.sin(), st.tuples(within(-5, 5)), lambda a: [[-math.sin(a)]]),
    "cos": Second(lambda a: a.cos(), st.tuples(within(-5, 5)), lambda a: [[-math.cos(a)]]),
    "max_shift": Second(
        lambda a, b: max_shift(a, b),
        st.tuples(within(-5, 5), within(-5, 5)),
        lambda a, b: [[0, 0], [0, 0]],
    ),
    "softmax_shift": Second(
        lambda a, b: softmax_shift(a, b),
        st.tuples(within(-5, 5), within(-5, 5)),
        lambda a, b: [[0, 0], [0, 0]],
    ),
    "linear": Second(
        lambda w, x, b: linear([w], [x], b),
        st.tuples(within(-5, 5), within(-5, 5), within(-5, 5)),
        lambda w, x, b: [[0, 1, 0], [1, 0, 0], [0, 0, 0]],
    ),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_row_of_the_op_table_has_a_second_derivative_case(name):
    assert name in SECOND, f"add a Second case for the op {name!r} to tests/test_functional.py"


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_second_derivatives_through_create_graph_match_the_analytic_ones(name, data):
    case = SECOND[name]
    point = data.draw(case.points)
    xs = [Value(p) for p in point]
    out = case.build(*xs)
    assert out.op == name
    first = grad(out, xs, create_graph=True)
    out.backward()
    assert [d.data for d in first] == pytest.approx([x.grad for x in xs], rel=1e-14, abs=1e-300)
    expected = case.hessian(*point)
    got = [[d.data for d in grad(df, xs)] for df in first]
    for row_got, row_expected in zip(got, expected, strict=True):
        assert row_got == pytest.approx(row_expected, rel=1e-12, abs=1e-14), (got, expected)


@given(within(-3, 3), within(-3, 3))
def test_mixed_partials_are_symmetric(a, b):
    x, y = Value(a), Value(b)
    f = (x * y).tanh() * x.exp() + (x - y).sin() * y**2
    fx, fy = grad(f, [x, y], create_graph=True)
    (fxy,) = grad(fx, [y])
    (fyx,) = grad(fy, [x])
    assert fxy.data == pytest.approx(fyx.data, rel=1e-12, abs=1e-12)
