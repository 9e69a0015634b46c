"""Properties of random expressions built by hypothesis: gradients, exactness, graph order.

An expression is a tree over three variables: leaves are variables (so they get reused) and
plain numbers (so Values meet floats on both sides of an operator); inner nodes are the
operations of the table, arranged to stay smooth and well-conditioned: logarithms and square
roots see ``a * a + 1``, divisions divide by ``b * b + 1``, powers raise ``a * a + 1``. The same
tree is evaluated twice: on Values (the engine) and on floats with the ``math`` module (the
reference for finite differences, independent of the engine).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value, grad, gradcheck, linear, no_grad, topological_order

N_VARIABLES = 3


def call(method: str, a: Any, reference: Callable[[float], float]) -> Any:
    """``a.method()`` on a Value, ``reference(a)`` on a float."""
    return getattr(a, method)() if isinstance(a, Value) else reference(a)


def float_sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))


def float_linear(w: list[Any], x: list[Any], b: Any) -> Any:
    """``b + w1 * x1 + w2 * x2 + ...``, added left to right from b (as ops.linear does)."""
    for wi, xi in zip(w, x, strict=True):
        b = b + wi * xi
    return b


class Evaluation:
    """Notes made while evaluating: the largest magnitude met, and how close a kink came."""

    def __init__(self) -> None:
        self.largest = 0.0
        self.kink_distance = math.inf
        self.zero_exponent = False

    def seen(self, result: Any) -> Any:
        self.largest = max(self.largest, abs(float(result)))
        return result

    def kink(self, a: Any) -> Any:
        if isinstance(a, Value):  # a plain number cannot move across the kink
            self.kink_distance = min(self.kink_distance, abs(a.data))
        return a

    def exponent(self, b: Any) -> Any:
        # At b == 0 d(a ** b)/da is taken as 0 (as PyTorch does), so its derivatives are 0 too.
        if isinstance(b, Value) and b.data == 0:
            self.zero_exponent = True
        return b


UNARY: dict[str, Callable[[Any, Evaluation], Any]] = {
    "neg": lambda a, e: -a,
    "exp": lambda a, e: call("exp", a, math.exp),
    "log": lambda a, e: call("log", a * a + 1, math.log),
    "sqrt": lambda a, e: call("sqrt", a * a + 1, math.sqrt),
    "tanh": lambda a, e: call("tanh", a, math.tanh),
    "sigmoid": lambda a, e: call("sigmoid", a, float_sigmoid),
    "sin": lambda a, e: call("sin", a, math.sin),
    "cos": lambda a, e: call("cos", a, math.cos),
    "relu": lambda a, e: call("relu", e.kink(a), lambda f: max(f, 0.0)),
    "abs": lambda a, e: abs(e.kink(a)),
    "leaky_relu": lambda a, e: (
        e.kink(a).leaky_relu(0.1) if isinstance(a, Value) else (a if a > 0 else 0.1 * a)
    ),
    "square": lambda a, e: a**2,
    "cube": lambda a, e: a**3,
    "two_to_the": lambda a, e: 2**a,
    "reciprocal": lambda a, e: 1 / (a * a + 1),
}

BINARY: dict[str, Callable[[Any, Any, Evaluation], Any]] = {
    "+": lambda a, b, e: a + b,
    "-": lambda a, b, e: a - b,
    "*": lambda a, b, e: a * b,
    "/": lambda a, b, e: a / (b * b + 1),
    "**": lambda a, b, e: (a * a + 1) ** e.exponent(b),
}


def evaluate(tree: tuple, xs: list[Any], e: Evaluation) -> Any:
    return e.seen(evaluate_node(tree, xs, e))


def evaluate_node(tree: tuple, xs: list[Any], e: Evaluation) -> Any:
    kind = tree[0]
    if kind == "x":
        return xs[tree[1]]
    if kind == "c":
        return tree[1]
    if kind == "linear":
        w, x, b = (evaluate(t, xs, e) for t in tree[1:])
        if any(isinstance(v, Value) for v in (w, x, b)):
            return linear([w, x], [x, b], b)
        return float_linear([w, x], [x, b], b)
    if kind in UNARY:
        return UNARY[kind](evaluate(tree[1], xs, e), e)
    return BINARY[kind](evaluate(tree[1], xs, e), evaluate(tree[2], xs, e), e)


variables = st.tuples(st.just("x"), st.integers(0, N_VARIABLES - 1))
constants = st.tuples(st.just("c"), st.floats(-3, 3, allow_nan=False))


def extend(children: st.SearchStrategy[tuple]) -> st.SearchStrategy[tuple]:
    return st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
        st.tuples(st.just("linear"), children, children, children),
    )


trees = st.recursive(st.one_of(variables, variables, constants), extend, max_leaves=20)
points = st.lists(st.floats(-2, 2, allow_nan=False), min_size=N_VARIABLES, max_size=N_VARIABLES)


def build(
    tree: tuple, point: list[float], *, smooth_second_derivatives: bool = False
) -> tuple[Value, list[Value]]:
    """The tree on fresh Values at point, or an example hypothesis should not use."""
    xs = [Value(p) for p in point]
    e = Evaluation()
    try:
        out = evaluate(tree, xs, e)
    except (OverflowError, ValueError, ZeroDivisionError):  # plain numbers alone overflowed
        assume(False)
    assume(isinstance(out, Value))
    # Moderate magnitudes keep finite differences accurate; kinks must be out of their reach.
    assume(e.largest < 1e4)
    assume(e.kink_distance > 1e-3)
    if smooth_second_derivatives:
        assume(not e.zero_exponent)
    return out, xs


def reference(tree: tuple, point: list[float]) -> float:
    return evaluate(tree, list(point), Evaluation())


def central_difference(f: Callable[[list[float]], float], point: list[float], i: int) -> float:
    h = 1e-6
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (up[i] - down[i])


# A rule that is wrong is off by far more than finite differences err here: with h = 1e-6
# and |values| < 1e4, rounding costs about 12 nodes * 1e-16 * 1e4 / 1e-6 ~ 1e-5 at the very
# worst, truncation h**2 * |f'''| / 6 far less.
ATOL, RTOL = 1e-4, 1e-5


@given(trees, points)
def test_random_expression_gradients_match_central_differences(tree, point):
    out, xs = build(tree, point)
    # The same operations in the same order on floats: equal up to rounding, here none.
    assert out.data == pytest.approx(reference(tree, point), rel=1e-12, abs=1e-12)
    out.backward()
    for i, x in enumerate(xs):
        numeric = central_difference(lambda p: reference(tree, p), point, i)
        assert abs(x.grad - numeric) <= ATOL + RTOL * abs(numeric), (i, x.grad, numeric)


@given(trees, points)
def test_grad_agrees_with_backward_on_random_expressions(tree, point):
    out, xs = build(tree, point)
    plain = grad(out, xs)
    with_graph = grad(out, xs, create_graph=True)
    out.backward()
    assert [d.data for d in plain] == [x.grad for x in xs]
    assert [d.data for d in with_graph] == pytest.approx([x.grad for x in xs], rel=1e-12, abs=1e-12)


@given(trees, points)
def test_second_derivatives_match_central_differences_of_the_gradient(tree, point):
    out, xs = build(tree, point, smooth_second_derivatives=True)
    first = grad(out, xs, create_graph=True)
    hessian = [[d.data for d in grad(df, xs)] for df in first]
    for i in range(N_VARIABLES):

        def d_i(p: list[float], i: int = i) -> float:
            values = [Value(v) for v in p]
            return grad(evaluate(tree, values, Evaluation()), [values[i]])[0].data

        for j in range(N_VARIABLES):
            numeric = central_difference(d_i, point, j)
            got = hessian[i][j]
            assert abs(got - numeric) <= ATOL + RTOL * abs(numeric), (i, j, got, numeric)
    for i in range(N_VARIABLES):
        for j in range(i):
            assert hessian[i][j] == pytest.approx(hessian[j][i], rel=1e-9, abs=1e-9)


@given(trees, points)
def test_backward_twice_doubles_every_gradient_of_random_expressions(tree, point):
    out, _ = build(tree, point)
    nodes = topological_order(out)
    out.backward()
    once = [v.grad for v in nodes]
    out.backward()
    assert [v.grad for v in nodes] == [2 * g for g in once]


@given(trees, points)
def test_backward_and_grad_never_change_data(tree, point):
    out, xs = build(tree, point)
    nodes = topological_order(out)
    before = [v.data for v in nodes]
    out.backward()
    first = grad(out, xs, create_graph=True)
    for d in first:
        grad(d, xs)
    assert [v.data for v in nodes] == before
    assert [x.data for x in xs] == point


@given(trees, points)
def test_topological_order_lists_each_node_once_after_its_inputs(tree, point):
    out, _ = build(tree, point)
    order = topological_order(out)
    assert order[-1] is out
    assert len(order) == len(set(order))
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        assert all(position[inp] < position[v] for inp in v.inputs)
    reached = set()
    stack = [out]
    while stack:
        v = stack.pop()
        if v not in reached:
            reached.add(v)
            stack.extend(v.inputs)
    assert reached == set(order)


@given(trees, points)
def test_no_grad_computes_the_same_numbers_without_a_graph(tree, point):
    out, _ = build(tree, point)
    with no_grad():
        bare = evaluate(tree, [Value(p) for p in point], Evaluation())
    assert bare.is_leaf
    assert bare.data == out.data


@given(trees, points)
def test_gradcheck_accepts_random_expressions(tree, point):
    build(tree, point)
    assert gradcheck(lambda *xs: evaluate(tree, list(xs), Evaluation()), point)
