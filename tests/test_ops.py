"""The op table: every row's derivative against finite differences, the awkward points, IEEE."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, linear, no_grad
from autograd.ops import OPS
from autograd.value import binary_cross_entropy, max_shift, softmax_shift

inf, nan = math.inf, math.nan


def same(a: float, b: float) -> bool:
    """Exact equality that also counts nan as equal to nan (and tells -inf from inf)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def within(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Numbers with lo <= |x| <= hi, of either sign: clear of a kink at 0."""
    return st.builds(lambda x, negative: -x if negative else x, within(lo, hi), st.booleans())


@dataclass(frozen=True)
class Case:
    """How to exercise one row of the table through the public API.

    ``build`` takes one Value per differentiable argument, then any plain-number parameters,
    and must return a Value made by the row. ``points`` draws those arguments, in that order,
    from a domain where the operation is smooth (away from kinks and poles).
    """

    build: Callable[..., Value]
    points: st.SearchStrategy[tuple[float, ...]]
    parameters: int = 0  # how many of the trailing arguments are plain numbers
    stops_gradient: bool = False  # a shift whose local derivatives are 0 by design


# One case per row of ``autograd.ops.OPS``; a row without a case fails the parametrized test.
CASES: dict[str, Case] = {
    "+": Case(lambda a, b: a + b, st.tuples(within(-10, 10), within(-10, 10))),
    "*": Case(lambda a, b: a * b, st.tuples(within(-10, 10), within(-10, 10))),
    "/": Case(lambda a, b: a / b, st.tuples(within(-10, 10), away_from_zero(0.5, 10))),
    "**": Case(lambda a, b: a**b, st.tuples(within(0.5, 4), within(-3, 3))),
    "exp": Case(lambda a: a.exp(), st.tuples(within(-10, 10))),
    "log": Case(lambda a: a.log(), st.tuples(within(0.01, 100))),
    "log1p": Case(lambda a: a.log1p(), st.tuples(within(-0.99, 100))),
    "binary_cross_entropy": Case(binary_cross_entropy, st.tuples(within(0.01, 0.99), within(0, 1))),
    "sqrt": Case(lambda a: a.sqrt(), st.tuples(within(0.01, 100))),
    "square": Case(lambda a: a.square(), st.tuples(within(-10, 10))),
    "tanh": Case(lambda a: a.tanh(), st.tuples(within(-10, 10))),
    "sigmoid": Case(lambda a: a.sigmoid(), st.tuples(within(-20, 20))),
    "relu": Case(lambda a: a.relu(), st.tuples(away_from_zero(0.01, 10))),
    "leaky_relu": Case(
        lambda a, slope: a.leaky_relu(slope),
        st.tuples(away_from_zero(0.01, 10), within(0, 1)),
        parameters=1,
    ),
    "abs": Case(lambda a: abs(a), st.tuples(away_from_zero(0.01, 10))),
    "sin": Case(lambda a: a.sin(), st.tuples(within(-10, 10))),
    "cos": Case(lambda a: a.cos(), st.tuples(within(-10, 10))),
    "linear": Case(
        lambda w1, w2, x1, x2, b: linear([w1, w2], [x1, x2], b),
        st.tuples(*[within(-10, 10)] * 5),
    ),
    "max_shift": Case(
        lambda a, b: max_shift(a, b),
        st.tuples(within(-10, 10), within(-10, 10)),
        stops_gradient=True,
    ),
    "softmax_shift": Case(
        lambda a, b: softmax_shift(a, b),
        st.tuples(within(-10, 10), within(-10, 10)),
        stops_gradient=True,
    ),
}


def central_difference(f: Callable[[list[float]], float], point: list[float], i: int) -> float:
    """(f(x + h) - f(x - h)) / 2h in argument i, with h scaled to the argument."""
    h = 1e-6 * max(1.0, abs(point[i]))
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (up[i] - down[i])


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_row_of_the_op_table_has_a_test_case(name):
    assert name in CASES, f"add a Case for the op {name!r} to tests/test_ops.py"


def test_every_test_case_names_a_row_of_the_op_table():
    assert set(CASES) <= set(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_every_op_gradient_matches_central_differences(name, data):
    case = CASES[name]
    point = data.draw(case.points)
    n = len(point) - case.parameters
    parameters = point[n:]

    def forward(xs: list[float]) -> float:
        with no_grad():
            return case.build(*map(Value, xs), *parameters).data

    values = [Value(x) for x in point[:n]]
    out = case.build(*values, *parameters)
    assert out.op == name
    assert all(isinstance(g, float) for g in out.local_grads)
    out.backward()
    if case.stops_gradient:
        assert all(v.grad == 0.0 for v in values)
        return
    # Central differences with h ~ 1e-6 err by about h**2 * |f'''| (truncation) plus
    # 1e-16 * |f| / h (rounding): below 1e-8 + 1e-6 * |f'| on these domains, while a wrong
    # rule is off by far more.
    for i, v in enumerate(values):
        numeric = central_difference(forward, list(point[:n]), i)
        assert abs(v.grad - numeric) <= 1e-8 + 1e-6 * abs(numeric), (i, v.grad, numeric)
    assert [g.data for g in grad(out, values)] == [v.grad for v in values]


# -- the awkward points, exactly as documented in ops.py ------------------------------------

AWKWARD = [
    ("relu at 0 is 0", lambda: Value(0.0).relu(), (0.0,)),
    ("relu below 0 is 0", lambda: Value(-2.0).relu(), (0.0,)),
    ("abs at 0 is 0", lambda: abs(Value(0.0)), (0.0,)),
    ("abs at nan is 0", lambda: abs(Value(nan)), (0.0,)),
    ("relu at nan is 1", lambda: Value(nan).relu(), (1.0,)),
    ("1 / a tiny divisor is inf", lambda: 1 / Value(1e-310), (-inf,)),
    ("log at a tiny number is inf", lambda: Value(1e-310).log(), (inf,)),
    ("abs below 0 is -1", lambda: abs(Value(-2.0)), (-1.0,)),
    ("sqrt at 0 is inf", lambda: Value(0.0).sqrt(), (inf,)),
    ("log at 0 is inf", lambda: Value(0.0).log(), (inf,)),
    ("leaky_relu at 0 is the slope", lambda: Value(0.0).leaky_relu(0.2), (0.2,)),
    ("leaky_relu's default slope is 0.01", lambda: Value(0.0).leaky_relu(), (0.01,)),
    ("leaky_relu below 0 is the slope", lambda: Value(-3.0).leaky_relu(0.2), (0.2,)),
    ("0 ** 0 is 0 in base and exponent", lambda: Value(0.0) ** Value(0.0), (0.0, 0.0)),
    ("x ** 0 is 0 in the base", lambda: Value(2.0) ** Value(0.0), (0.0, math.log(2.0))),
    ("0 ** 2 is 0 in base and exponent", lambda: Value(0.0) ** Value(2.0), (0.0, 0.0)),
    ("0 ** 0.5 is inf in the base", lambda: Value(0.0) ** Value(0.5), (inf, 0.0)),
    ("0 ** -1 is -inf in both", lambda: Value(0.0) ** Value(-1.0), (-inf, -inf)),
    ("(-2) ** 2 is nan in the exponent", lambda: Value(-2.0) ** Value(2.0), (-4.0, nan)),
    ("(-8) ** (1/3) is nan in both", lambda: Value(-8.0) ** Value(1 / 3), (nan, nan)),
    ("1 / 0 is -inf in the divisor", lambda: 1 / Value(0.0), (-inf,)),
    ("0 / 0 is inf and nan", lambda: Value(0.0) / Value(0.0), (inf, nan)),
    ("exp of 1000 is inf", lambda: Value(1000.0).exp(), (inf,)),
    ("sigmoid of 1e308 is 0", lambda: Value(1e308).sigmoid(), (0.0,)),
    ("sigmoid of -1e308 is 0", lambda: Value(-1e308).sigmoid(), (0.0,)),
    ("tanh of 1e308 is 0", lambda: Value(1e308).tanh(), (0.0,)),
    ("tanh of -1e308 is 0", lambda: Value(-1e308).tanh(), (0.0,)),
]


@pytest.mark.parametrize(
    ("build", "expected"), [a[1:] for a in AWKWARD], ids=[a[0] for a in AWKWARD]
)
def test_local_derivatives_at_the_awkward_points_are_as_documented(build, expected):
    out = build()
    assert len(out.local_grads) == len(expected)
    assert all(same(g, e) for g, e in zip(out.local_grads, expected, strict=True)), out.local_grads


@pytest.mark.parametrize(
    ("build", "expected"), [a[1:] for a in AWKWARD], ids=[a[0] for a in AWKWARD]
)
def test_backward_at_the_awkward_points_gives_the_documented_gradient_and_never_raises(
    build, expected
):
    out = build()
    out.backward()
    got = [v.grad for v in out.inputs]
    assert all(same(g, e) for g, e in zip(got, expected, strict=True)), got
    assert all(same(g.data, e) for g, e in zip(grad(out, out.inputs), expected, strict=True))
    grad(out, out.inputs, create_graph=True)  # must not raise either


# -- IEEE 754 results -----------------------------------------------------------------------

IEEE = [
    ("log(0) is -inf", lambda: Value(0).log(), -inf),
    ("log(-1) is nan", lambda: Value(-1).log(), nan),
    ("1 / 0 is inf", lambda: Value(1) / 0, inf),
    ("-1 / 0 is -inf", lambda: Value(-1) / 0, -inf),
    ("1 / Value(0) is inf", lambda: 1 / Value(0), inf),
    ("0 / 0 is nan", lambda: Value(0) / Value(0), nan),
    ("exp(1000) is inf", lambda: Value(1000).exp(), inf),
    ("exp(-1000) is 0", lambda: Value(-1000).exp(), 0.0),
    ("(-8) ** (1/3) is nan", lambda: Value(-8) ** (1 / 3), nan),
    ("-8 ** Value(1/3) is nan", lambda: (-8) ** Value(1 / 3), nan),
    ("0 ** -1 is inf", lambda: Value(0) ** -1, inf),
    ("0 ** Value(-1) is inf", lambda: 0 ** Value(-1), inf),
    ("(-0.0) ** -1 is -inf", lambda: Value(-0.0) ** -1, -inf),
    ("10 ** 400 is inf", lambda: Value(10) ** 400, inf),
    ("10 ** Value(400) is inf", lambda: 10 ** Value(400), inf),
    ("(-10) ** 401 is -inf", lambda: Value(-10) ** 401, -inf),
    ("sqrt(-1) is nan", lambda: Value(-1).sqrt(), nan),
    ("1e308 * 10 is inf", lambda: Value(1e308) * 10, inf),
    ("inf - inf is nan", lambda: Value(inf) - Value(inf), nan),
    ("sin(inf) is nan", lambda: Value(inf).sin(), nan),
    ("cos(inf) is nan", lambda: Value(inf).cos(), nan),
    ("sigmoid(1e308) is 1", lambda: Value(1e308).sigmoid(), 1.0),
    ("sigmoid(-1e308) is 0", lambda: Value(-1e308).sigmoid(), 0.0),
    ("tanh(1e308) is 1", lambda: Value(1e308).tanh(), 1.0),
    ("tanh(-1e308) is -1", lambda: Value(-1e308).tanh(), -1.0),
    ("relu(nan) is nan", lambda: Value(nan).relu(), nan),
]


@pytest.mark.parametrize(("build", "expected"), [a[1:] for a in IEEE], ids=[a[0] for a in IEEE])
def test_results_follow_ieee_754_and_never_raise(build, expected):
    out = build()
    assert same(out.data, expected), out.data
    out.backward()  # never raises outside detect_anomaly
    grad(out, out.inputs)
    grad(out, out.inputs, create_graph=True)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_sigmoid_and_tanh_are_stable_for_every_finite_input(a):
    x = Value(a)
    s, t = x.sigmoid(), x.tanh()
    s.backward()
    t.backward()
    assert 0.0 <= s.data <= 1.0
    assert -1.0 <= t.data <= 1.0
    assert 0.0 <= s.local_grads[0] <= 0.25
    assert 0.0 <= t.local_grads[0] <= 1.0
    assert math.isfinite(x.grad)


@given(st.floats(-700, 700))
def test_sigmoid_agrees_with_its_definition(a):
    assert Value(a).sigmoid().data == pytest.approx(1 / (1 + math.exp(-a)), rel=1e-14, abs=0)


@pytest.mark.parametrize(
    ("method", "reference", "domain"),
    [
        ("exp", math.exp, within(-700, 700)),
        ("log", math.log, within(1e-300, 1e300)),
        ("sqrt", math.sqrt, within(0, 1e300)),
        ("tanh", math.tanh, within(-1e3, 1e3)),
        ("sin", math.sin, within(-1e3, 1e3)),
        ("cos", math.cos, within(-1e3, 1e3)),
    ],
)
@given(data=st.data())
def test_functions_agree_with_the_math_module_where_it_is_defined(method, reference, domain, data):
    a = data.draw(domain)
    assert getattr(Value(a), method)().data == reference(a)


@given(within(1e-3, 1e3), within(-50, 50))
def test_power_agrees_with_python_for_positive_bases(a, b):
    assert (Value(a) ** b).data == a**b
    assert (a ** Value(b)).data == a**b


def test_no_op_raises_an_arithmetic_error_at_extreme_inputs():
    extremes = [0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 5e-324, inf, -inf, nan]
    for case in CASES.values():
        n = case.build.__code__.co_argcount - case.parameters
        for a in extremes:
            out = case.build(*[Value(a)] * n, *[0.01] * case.parameters)
            out.backward()
            grad(out, out.inputs, create_graph=True)
    for a in extremes:
        for b in extremes:
            for out in (Value(a) ** b, a ** Value(b), Value(a) / b, a / Value(b)):
                out.backward()
                grad(out, out.inputs, create_graph=True)
