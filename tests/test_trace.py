"""trace(): every op row through every backend against the dynamic engine, the API, fallbacks."""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import GradcheckError, Traced, TraceError, Value, linear, trace
from autograd.ops import OPS
from autograd.trace.traced import agree
from autograd.value import binary_cross_entropy, max_shift, softmax_shift

inf, nan = math.inf, math.nan
BACKENDS = ("python", "numpy", "fused")


def bits(x: float) -> bytes:
    """The IEEE 754 bit pattern, with every nan counted as one pattern."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def engine(build: Callable[..., Value], point: list[float], params: list[Value] = ()):
    """The dynamic engine's value, argument gradients and parameter gradients."""
    leaves = [Value(x) for x in point]
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    out = build(*leaves)
    out.backward()
    param_grads = [p.grad for p in params]
    for p, g in zip(params, saved, strict=True):
        p.grad = g
    return out.data, [leaf.grad for leaf in leaves], param_grads


def compiled(traced: Traced, point: list[float], params: list[Value] = ()):
    """The traced program's value, argument gradients and parameter gradients."""
    for p in params:
        p.grad = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning may reach the user
        value, grads = traced(*point)
    grads = [grads] if len(point) == 1 else list(grads)
    return value, grads, [p.grad for p in params]


def assert_exact(expected, got) -> None:
    value, grads, param_grads = expected
    got_value, got_grads, got_params = got
    assert bits(got_value) == bits(value)
    assert [bits(g) for g in got_grads] == [bits(g) for g in grads]
    assert [bits(g) for g in got_params] == [bits(g) for g in param_grads]


def assert_close(expected, got) -> None:
    value, grads, param_grads = expected
    got_value, got_grads, got_params = got
    assert agree(value, got_value), (value, got_value)
    for e, g in zip([*grads, *param_grads], [*got_grads, *got_params], strict=True):
        assert agree(e, g), (grads, got_grads, param_grads, got_params)


# -- every row of the table, at ordinary and awkward points ------------------------------------

# Each row: how to build it from Values, and points that include its IEEE edges.
ROWS: dict[str, tuple[Callable[..., Value], list[tuple[float, ...]]]] = {
    "+": (lambda a, b: a + b, [(1.0, 2.0), (inf, -inf), (nan, 1.0), (-0.0, 0.0), (1e308, 1e308)]),
    "*": (lambda a, b: a * b, [(3.0, -2.0), (0.0, inf), (-0.0, 5.0), (1e300, 1e300)]),
    "/": (
        lambda a, b: a / b,
        [
            (0.3, 0.1),
            (1.0, 0.0),
            (0.0, 0.0),
            (-1.0, 0.0),
            (1.0, -0.0),
            (inf, inf),
            (3.0, 7.0),
            (1e-20, 1e-310),
        ],
    ),
    "/, a small gradient from above": (
        lambda a, b: (a / b) * 1e-20,
        [(1.0, 1e-310), (2.0, -1e-320), (1.0, 0.0), (3.0, 4.0)],
    ),
    "**": (
        lambda a, b: a**b,
        [
            (2.0, 0.5),
            (0.0, 0.0),
            (0.0, -1.0),
            (-8.0, 1 / 3),
            (-2.0, 3.0),
            (10.0, 400.0),
            (0.0, 2.0),
            (-0.0, -1.0),
            (-2.0, 2.0),
            (inf, 0.0),
            (3.0, -2.5),
        ],
    ),
    "exp": (lambda a: a.exp(), [(0.0,), (1.5,), (1000.0,), (-1000.0,), (nan,), (inf,), (-inf,)]),
    "log": (lambda a: a.log(), [(0.0,), (-1.0,), (2.5,), (inf,), (nan,), (1e-300,)]),
    "log1p": (lambda a: a.log1p(), [(0.0,), (-1.0,), (-2.0,), (1e-20,), (3.0,), (inf,), (nan,)]),
    "binary_cross_entropy": (
        lambda p, t: binary_cross_entropy(Value(0.0) + p, t),
        [(0.8, 1.0), (0.0, 1.0), (1.0, 0.0), (1e-13, 1.0), (0.5, 0.3), (1.0, 1.0)],
    ),
    "sqrt": (lambda a: a.sqrt(), [(0.0,), (-1.0,), (4.0,), (2.0,), (inf,)]),
    "square": (lambda a: a.square(), [(3.0,), (-0.0,), (1e-160,), (1e200,), (-inf,), (nan,)]),
    "square, a small gradient from above": (
        lambda a: a.square() * (1 / 3),
        [(2.2250738585e-313,), (-5e-324,), (1e308,), (0.5,)],
    ),
    "tanh": (lambda a: a.tanh(), [(0.0,), (0.7,), (20.0,), (-inf,), (nan,)]),
    "sigmoid": (lambda a: a.sigmoid(), [(0.0,), (3.0,), (-3.0,), (-1000.0,), (1000.0,), (nan,)]),
    "relu": (lambda a: a.relu(), [(0.0,), (-0.0,), (-1.0,), (2.0,), (nan,), (inf,)]),
    "relu, an infinite gradient from above": (
        lambda a: a.relu().sqrt(),
        [(-1.0,), (0.0,), (4.0,)],
    ),
    "leaky_relu": (
        lambda a: a.leaky_relu(0.2),
        [(0.0,), (-2.0,), (3.0,), (nan,), (-inf,)],
    ),
    "abs": (lambda a: abs(a), [(0.0,), (-0.0,), (-3.0,), (2.0,), (nan,), (-inf,)]),
    "sin": (lambda a: a.sin(), [(0.0,), (1.0,), (inf,), (nan,)]),
    "cos": (lambda a: a.cos(), [(0.0,), (2.0,), (inf,)]),
    "linear": (
        lambda w1, w2, x1, x2, b: linear([w1, w2], [x1, x2], b),
        [(2.0, -1.0, 3.0, 4.0, 0.5), (inf, 1.0, 0.0, 2.0, 1.0), (1e308, 1e308, 2.0, 2.0, -1.0)],
    ),
    "max_shift": (
        lambda a, b: max_shift(Value(0.0) + a, b) * a,
        [(1.0, 3.0), (3.0, 1.0), (inf, -2.0), (nan, 1.0), (-inf, inf), (2.0, 2.0)],
    ),
    "softmax_shift": (
        lambda a, b: softmax_shift(Value(-0.0) + a, b) * a,  # -0.0 + a is a, signs too
        [
            (1.0, 3.0),
            (3.0, 1.0),
            (inf, -2.0),
            (nan, 1.0),
            (1.0, nan),
            (-inf, inf),
            (-inf, -inf),
            (2.0, 2.0),
            (-0.0, 0.0),
            (0.0, -0.0),
        ],
    ),
}


def test_every_row_of_the_table_has_cases() -> None:
    assert {name.partition(",")[0] for name in ROWS} == set(OPS)


def _variants(build: Callable[..., Value], point: tuple[float, ...]):
    """The row with every argument a Value, then with each argument folded in as a number."""
    yield build, list(point)
    if len(point) == 1:
        return
    for i in range(len(point)):
        rest = [x for j, x in enumerate(point) if j != i]

        def folded(*values: Value, i: int = i) -> Value:
            args = list(values)
            args.insert(i, point[i])
            return build(*args)

        yield folded, rest


ROW_CASES = [
    pytest.param(name, build, point, id=f"{name}{point}")
    for name, (build, point_list) in ROWS.items()
    for point in point_list
]


@pytest.mark.parametrize(("name", "build", "point"), ROW_CASES)
def test_python_backend_is_bit_identical_to_the_engine_on_every_row(name, build, point) -> None:
    for fn, args in _variants(build, point):
        traced = trace(fn, *args, backend="python")
        assert_exact(engine(fn, args), compiled(traced, args))
        # traced at one point, run at another: the code holds no number of the example
        shifted = [x * 0.5 + 0.25 for x in args]
        assert_exact(engine(fn, shifted), compiled(traced, shifted))


@pytest.mark.parametrize("backend", ["numpy", "fused"])
@pytest.mark.parametrize(("name", "build", "point"), ROW_CASES)
def test_numpy_backends_agree_with_the_engine_on_every_row(backend, name, build, point) -> None:
    for fn, args in _variants(build, point):
        traced = trace(fn, *args, backend=backend)
        assert traced.backend == backend
        assert_close(engine(fn, args), compiled(traced, args))


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_whose_arguments_are_parameters_add_to_their_grad(backend) -> None:
    for name, (build, point_list) in ROWS.items():
        point = point_list[0]
        params = [Value(x, label=f"p{i}") for i, x in enumerate(point)]
        traced = trace(
            lambda s, ps=params, b=build: b(*ps) * s, 1.5, params=params, backend=backend
        )
        expected = engine(lambda s, ps=params, b=build: b(*ps) * s, [1.5], params)
        got = compiled(traced, [1.5], params)
        check = assert_exact if backend == "python" else assert_close
        check(expected, got), name


# -- networks ---------------------------------------------------------------------------------


def mlp_loss(model: nn.MLP) -> Callable[..., Value]:
    def loss(x, y):
        score = model(x)
        return (1 - y * score).relu() + 1e-4 * nn.functional.l2_penalty(model.parameters())

    return loss


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_mlp_loss_with_l2_matches_the_engine(backend) -> None:
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    loss = mlp_loss(model)

    def flat_loss(x0, x1, y):
        return loss([x0, x1], y)

    traced = trace(flat_loss, 0.5, -1.0, 1.0, params=model.parameters(), backend=backend)
    assert traced.backend == backend
    params = model.parameters()
    for point in [[0.5, -1.0, 1.0], [2.0, 0.3, -1.0], [-0.1, 0.7, 1.0]]:
        expected = engine(flat_loss, point, params)
        got = compiled(traced, point, params)
        if backend == "python":
            assert_exact(expected, got)
        else:
            assert_close(expected, got)


def test_python_backend_on_a_list_argument_returns_a_list_of_gradients() -> None:
    traced = trace(lambda xs: xs[0] * xs[1] + xs[2], [1.0, 2.0, 3.0], backend="python")
    assert traced([2.0, 5.0, 1.0]) == (11.0, [5.0, 2.0, 1.0])


def test_nested_arguments_keep_their_structure() -> None:
    def f(pair, xs):
        return pair[0] * xs[1][0] + pair[1] - xs[0]

    traced = trace(f, (1.0, 2.0), [3.0, [4.0]], backend="python")
    value, (g_pair, g_xs) = traced((2.0, 1.0), [5.0, [3.0]])
    assert value == 2.0
    assert g_pair == (3.0, 1.0)
    assert g_xs == [-1.0, [2.0]]


# -- batches ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_batch_adds_the_mean_or_sum_of_per_sample_engine_gradients(backend, reduce) -> None:
    model = nn.MLP(2, [4, 4, 1], seed=3)
    loss = mlp_loss(model)
    params = model.parameters()
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(7, 2))
    ys = np.where(rng.normal(size=7) > 0, 1.0, -1.0)
    traced = trace(loss, [0.0, 0.0], 1.0, params=params, backend=backend)
    per_sample = [
        engine(lambda x0, x1, y: loss([x0, x1], y), [*x, y], params)
        for x, y in zip(xs, ys, strict=True)
    ]
    for p in params:
        p.grad = 0.0
    values, (gx, gy) = traced.batch(xs, list(ys), reduce=reduce)
    assert values.shape == (7,) and gx.shape == (7, 2) and gy.shape == (7,)
    for i, (value, (*grad_x, grad_y), _) in enumerate(per_sample):
        assert agree(value, values[i])
        assert all(agree(a, b) for a, b in zip(grad_x, gx[i], strict=True))
        assert agree(grad_y, gy[i])
    scale = 1 / 7 if reduce == "mean" else 1.0
    for j, p in enumerate(params):
        terms = [sample[2][j] for sample in per_sample]
        expected = math.fsum(terms) * scale
        # the samples are summed in another order: allow rounding of the sum of |terms|
        assert abs(p.grad - expected) <= 1e-12 * (abs(expected) + math.fsum(map(abs, terms)))


def test_batch_accepts_a_list_of_per_sample_structures() -> None:
    traced = trace(lambda xs: xs[0] * xs[1], [1.0, 2.0], backend="numpy")
    values, grads = traced.batch([[1.0, 2.0], [3.0, 4.0]])
    assert values.tolist() == [2.0, 12.0]
    assert grads.tolist() == [[2.0, 1.0], [4.0, 3.0]]


def test_batch_rejects_mismatched_batch_sizes_and_bad_reduce() -> None:
    traced = trace(lambda a, b: a * b, 1.0, 2.0, backend="python")
    with pytest.raises(ValueError, match="batch size"):
        traced.batch([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="reduce"):
        traced.batch([1.0], [1.0], reduce="max")


# -- guards -----------------------------------------------------------------------------------


def _line_of(marker: str) -> int:
    """The line of this file that holds ``marker`` in a comment."""
    with open(__file__) as source:
        for number, line in enumerate(source, 1):
            if line.rstrip().endswith(f"# {marker}") and "_line_of" not in line:
                return number
    raise AssertionError(marker)


def reads_data(x):
    return x * x.data  # reads-data


def calls_float(x):
    return x * float(x)  # calls-float


def compares(x):
    return x if x > 0 else -x  # compares


def branches(x):
    if x:  # branches
        return x
    return -x


@pytest.mark.parametrize(
    ("fn", "marker", "what"),
    [
        (reads_data, "reads-data", ".data"),
        (calls_float, "calls-float", "float()"),
        (compares, "compares", "comparison"),
        (branches, "branches", "bool()"),
    ],
)
def test_reading_a_number_raises_trace_error_naming_the_line(fn, marker, what) -> None:
    with pytest.raises(TraceError) as caught:
        trace(fn, 1.0)
    assert caught.value.filename == __file__
    assert caught.value.lineno == _line_of(marker)
    assert what in str(caught.value)
    assert f"{__file__}:{caught.value.lineno}" in str(caught.value)
    assert isinstance(caught.value, TypeError)


def test_reading_a_parameter_or_an_intermediate_result_is_refused_too() -> None:
    w = Value(2.0, label="w")
    with pytest.raises(TraceError, match="'w'"):
        trace(lambda x: x * w.data, 1.0, params=[w])
    with pytest.raises(TraceError, match="result of tanh"):
        trace(lambda x: x * float(x.tanh()), 1.0)
    assert type(w) is Value and w.data == 2.0  # the parameter is a plain Value again


def test_a_captured_leaf_is_refused_by_its_label() -> None:
    c = Value(2.0, label="scale")
    with pytest.raises(TraceError, match=r"'scale'.*params="):
        trace(lambda x: x * c, 1.0)


def test_values_made_inside_from_plain_numbers_are_constants() -> None:
    traced = trace(lambda x: x * Value(3.0) + Value(1.0).exp(), 1.0, backend="python")
    assert traced(2.0) == (6.0 + math.e, 3.0)


def test_a_value_computed_under_no_grad_inside_is_refused() -> None:
    from autograd import no_grad

    def f(x):
        with no_grad():
            scale = x * 2
        return x * scale

    with pytest.raises(TraceError, match="no_grad"):
        trace(f, 1.0)


def test_detach_inside_a_trace_is_refused() -> None:
    with pytest.raises(TraceError, match="detach"):
        trace(lambda x: x * x.detach(), 1.0)


def test_values_behave_normally_after_a_trace_that_failed() -> None:
    w = Value(3.0, label="w")
    with pytest.raises(TraceError):
        trace(lambda x: x * float(w), 1.0, params=[w])
    assert float(w) == 3.0 and w.data == 3.0 and type(w) is Value
    assert (w * 2).data == 6.0


def test_trace_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="callable"):
        trace(3.0, 1.0)
    with pytest.raises(ValueError, match="backend"):
        trace(lambda x: x, 1.0, backend="cuda")
    with pytest.raises(TypeError, match="numbers"):
        trace(lambda x: x, "1.0")
    with pytest.raises(TypeError, match="leaf Values"):
        trace(lambda x: x, 1.0, params=[Value(1.0) * 2])
    with pytest.raises(TypeError, match="return one Value"):
        trace(lambda x: [x], 1.0)
    traced = trace(lambda xs: xs[0] + xs[1], [1.0, 2.0], backend="python")
    with pytest.raises(ValueError, match="structure"):
        traced([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="1 arguments"):
        traced([1.0, 2.0], 3.0)


# -- the API ----------------------------------------------------------------------------------


def test_auto_picks_the_fused_backend_and_exposes_source_and_tape() -> None:
    traced = trace(lambda x, y: (x * y).tanh(), 2.0, 0.5)
    assert traced.backend == "fused"
    assert "def program" in traced.source
    assert "tanh" in str(traced.tape)
    assert "backend 'fused'" in repr(traced)


def test_python_source_reads_like_hand_written_backprop() -> None:
    traced = trace(lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).tanh(), 2, 0, -3, 1, 6.88,
                   backend="python")  # fmt: skip
    lines = traced.source.splitlines()
    assert lines[0] == "def program(x1, x2, w1, w2, b):"
    assert "    out = tanh(t4)" in lines
    assert "    g_t4 = (1.0 - out) * (1.0 + out)" in lines
    assert lines[-1].startswith("    return out, (g_x1, g_x2, g_w1, g_w2, g_b)")


def test_check_returns_true_or_raises_with_a_table() -> None:
    traced = trace(lambda x: x.exp() * x, 1.0, backend="numpy")
    assert traced.check(0.5) is True
    traced._program.run = lambda inputs, params: (0.0, (1.0,), (), ())
    with pytest.raises(GradcheckError, match="numpy backend disagrees"):
        traced.check(0.5)


def test_check_leaves_parameter_gradients_alone() -> None:
    w = Value(2.0)
    traced = trace(lambda x: x * w, 1.0, params=[w])
    assert traced.check(3.0) and w.grad == 0.0


# -- fallbacks --------------------------------------------------------------------------------


def test_a_backend_that_disagrees_on_the_example_falls_back(monkeypatch) -> None:
    from autograd.trace import numpy as numpy_backend

    real_run = numpy_backend.NumpyProgram.run

    def wrong(self, inputs, params):
        value, grads, param_grads, aux = real_run(self, inputs, params)
        return value + 1.0, grads, param_grads, aux

    monkeypatch.setattr(numpy_backend.NumpyProgram, "run", wrong)
    traced = trace(lambda x: x * x, 3.0, backend="numpy")
    assert traced.backend == "python"
    assert traced.fallbacks[0][0] == "numpy" and "engine gives 9.0" in traced.fallbacks[0][1]
    assert traced(2.0) == (4.0, 4.0)


def test_a_row_numpy_cannot_write_falls_back_to_python(monkeypatch) -> None:
    import autograd.ops as ops
    from autograd.value import _function

    def halves(a):
        """Round down to a multiple of 0.5 above 1: int() has no NumPy spelling here."""
        if a > 1:
            return float(int(a * 2)) / 2
        return a

    halves.__module__ = ops.__name__
    monkeypatch.setattr(ops, "halves", halves, raising=False)
    monkeypatch.setitem(ops.OPS, "halves", ops.Op("halves", halves, (lambda a, out: 1.0,)))
    method = _function("halves", "")
    traced = trace(lambda x: method(x) * x, 3.3)
    assert traced.backend == "python"
    assert [name for name, _ in traced.fallbacks] == ["fused", "numpy"]
    assert "halves(x)" in traced.source
    assert traced(3.3) == (3.0 * 3.3, 3.0 + 3.3)


# -- library functions that used to read numbers ----------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_cross_entropy_recomputes_its_shift_for_every_sample(backend) -> None:
    def loss(a, b, c):
        return nn.functional.cross_entropy([a, b, c], 1)

    traced = trace(loss, 0.1, 0.2, 0.3, backend=backend)
    # logits far from the example's: a shift baked in at 0.3 would overflow exp here
    for point in ([900.0, 800.0, -5.0], [-1000.0, 0.0, 1000.0], [1.0, 2.0, 3.0]):
        got = compiled(traced, point)
        assert all(math.isfinite(x) for x in [got[0], *got[1]])
        check = assert_exact if backend == "python" else assert_close
        check(engine(loss, point), got)


@pytest.mark.parametrize("backend", BACKENDS)
def test_l1_penalty_follows_a_parameter_that_changes_sign(backend) -> None:
    w = Value(2.0, label="w")
    traced = trace(lambda x: x * nn.functional.l1_penalty([w]), 1.0, params=[w], backend=backend)
    w.data = -3.0
    value, _ = traced(2.0)
    assert value == 6.0 and w.grad == -2.0


def test_dropout_in_training_mode_is_refused_and_in_eval_mode_traced() -> None:
    model = nn.MLP(2, [3, 1], dropout=0.5, seed=0)
    with pytest.raises(TraceError, match="Dropout") as caught:
        trace(lambda x: model(x), [1.0, 2.0], params=model.parameters())
    assert caught.value.filename == __file__
    model.eval()
    traced = trace(lambda x: model(x), [1.0, 2.0], params=model.parameters())
    assert traced.check([0.5, -0.5])


def test_a_layer_with_mixed_activations_is_grouped_by_activation() -> None:
    w = [[Value(0.1 * (i + j) - 0.3) for j in range(3)] for i in range(4)]
    b = [Value(0.05 * i) for i in range(4)]
    params = [p for row in w for p in row] + b

    def f(x):
        z = [linear(wi, x, bi) for wi, bi in zip(w, b, strict=True)]
        h = [z[0].tanh(), z[1].relu(), z[2].tanh(), z[3].relu()]
        return linear([1.0, -2.0, 3.0, 0.5], h, w[0][0])  # a weight used twice

    traced = trace(f, [0.3, -0.2, 0.9], params=params, backend="fused")
    assert traced.backend == "fused"
    assert "Z1 = X1 @ W1.T + b1" in traced.source
    assert traced.source.count("np.tanh(") == 1  # one call for the group (backward: 1 - A * A)
    assert "A1 = np.tanh(Z1[:, A1_from])" in traced.source
    xs = np.random.default_rng(1).normal(size=(5, 3))
    for x in xs:
        assert traced.check(list(x))


def test_python_batches_compute_what_only_parameters_decide_once() -> None:
    w = Value(0.5, label="w")

    def f(x):
        return (x * w).tanh() + 0.01 * nn.functional.l2_penalty([w])

    traced = trace(f, 1.0, params=[w], backend="python")
    batch_source = traced.source.split("def batch(")[1]
    before_loop = batch_source.split("for x, in samples:")[0]
    assert "w * w" in before_loop  # the penalty, once per batch
    values, grads = traced.batch([1.0, -2.0, 3.0], reduce="sum")
    expected = [engine(f, [x], [w]) for x in (1.0, -2.0, 3.0)]
    assert all(agree(e[0], v) for e, v in zip(expected, values, strict=True))
    assert all(agree(e[1][0], g) for e, g in zip(expected, grads, strict=True))
    assert agree(math.fsum(e[2][0] for e in expected), w.grad)


def test_python_batches_of_a_function_of_parameters_only() -> None:
    w = Value(3.0)
    traced = trace(lambda x: w * w, 1.0, params=[w], backend="python")
    values, grads = traced.batch([1.0, 2.0], reduce="sum")
    assert values.tolist() == [9.0, 9.0] and grads.tolist() == [0.0, 0.0] and w.grad == 12.0


# Logits where a shift baked in at the example would overflow exp, and softmax's IEEE edges:
# PyTorch gives nan throughout for an inf, a nan or only -inf, exact 0 and 1 for a -inf beside
# finite logits and for logits 1e308 apart, and the same numbers for either sign of zero.
SOFTMAX_POINTS = [
    [900.0, 800.0, -5.0],
    [-1000.0, 0.0, 1000.0],
    [1.0, 2.0, 3.0],
    [inf, 1.0, 0.0],
    [1.0, -inf, inf],
    [-inf, 1.0, 2.0],
    [-inf, -inf, -inf],
    [nan, 1.0, 2.0],
    [1.0, 2.0, nan],
    [-0.0, 0.0, -0.0],
    [-0.0, -inf, -1000.0],
    [1e308, -1e308, 0.0],
]
SOFTMAX_LOSSES = {
    "softmax": lambda a, b, c: linear([1.0, -2.0, 0.5], nn.functional.softmax([a, b, c]), 0.0),
    "softmax[0]": lambda a, b, c: nn.functional.softmax([a, b, c])[0],
    "log_softmax": lambda a, b, c: linear(
        [1.0, -2.0, 0.5], nn.functional.log_softmax([a, b, c]), 0.0
    ),
    "log_softmax[2]": lambda a, b, c: nn.functional.log_softmax([a, b, c])[2],
}


@pytest.mark.parametrize("backend", [*BACKENDS, "torch"])
@pytest.mark.parametrize("name", SOFTMAX_LOSSES)
def test_softmax_and_log_softmax_trace_their_shift_recomputed_for_every_sample(backend, name):
    if backend == "torch":
        pytest.importorskip("torch")
    loss = SOFTMAX_LOSSES[name]
    traced = trace(loss, 0.1, 0.2, 0.3, backend=backend)
    assert traced.backend == backend
    check = assert_exact if backend == "python" else assert_close
    for point in SOFTMAX_POINTS:
        check(engine(loss, point), compiled(traced, point))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_batch_of_softmax_edges_keeps_each_samples_numbers(backend) -> None:
    loss = SOFTMAX_LOSSES["log_softmax"]
    traced = trace(loss, 0.1, 0.2, 0.3, backend=backend)
    columns = [list(column) for column in zip(*SOFTMAX_POINTS, strict=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inf - inf in one sample warns nobody
        values, grads = traced.batch(*columns, reduce="sum")
    for k, point in enumerate(SOFTMAX_POINTS):
        value, point_grads, _ = engine(loss, point)
        assert agree(value, values[k]), (point, value, values[k])
        assert all(agree(e, g[k]) for e, g in zip(point_grads, grads, strict=True)), point


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sum_of_thousands_of_terms_is_written_in_parts_with_the_same_result(backend) -> None:
    weights = [Value(math.sin(i), label=f"w.{i}") for i in range(3000)]

    def f(x):
        return linear(weights, [x * 0.5 + i for i in range(3000)], 0.0)

    traced = trace(f, 1.0, params=weights, backend=backend)
    assert traced.backend == backend
    if backend != "fused":  # fused sums the neuron as a matrix product instead
        assert "_part1 = " in traced.source
    check = assert_exact if backend == "python" else assert_close
    check(engine(f, [2.0], weights), compiled(traced, [2.0], weights))


def test_batch_arrays_takes_a_flat_parameter_array_and_leaves_grad_alone() -> None:
    w, b = Value(2.0), Value(-1.0)
    traced = trace(lambda x: (w * x + b).relu(), 1.0, params=[w, b], backend="fused")
    values, grads, param_grads = traced.batch_arrays([1.0, 3.0], params=np.array([0.5, 1.0]))
    assert values.tolist() == [1.5, 2.5]
    assert grads.tolist() == [[0.5], [0.5]]
    assert param_grads.tolist() == [2.0, 1.0]  # the mean of (x, 1) over the two samples
    assert (w.grad, b.grad, w.data) == (0.0, 0.0, 2.0)
    with pytest.raises(ValueError, match="2 numbers"):
        traced.batch_arrays([1.0], params=[1.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_function_of_parameters_alone_traces_with_no_arguments(backend) -> None:
    params = [Value(3.0), Value(-4.0)]
    traced = trace(lambda: 1e-4 * nn.functional.l2_penalty(params), params=params, backend=backend)
    assert traced.backend == backend
    value, grads = traced()
    assert agree(value, 25e-4) and grads == ()
    assert agree(params[0].grad, 6e-4) and agree(params[1].grad, -8e-4)
    with pytest.raises(ValueError, match="no arguments"):
        traced.batch()


def test_trace_records_even_when_called_inside_no_grad() -> None:
    from autograd import no_grad

    with no_grad():
        traced = trace(lambda x: x * x, 3.0, backend="python")
    assert traced(2.0) == (4.0, 4.0)


def test_python_writes_out_a_helper_that_branches_once_and_calls_one_that_branches_more():
    def f(x, y):
        return x.relu() * 3.0 + max_shift(x, y)

    traced = trace(f, 2.0, -1.0, backend="python")
    assert "t1 = 0.0 if x < 0 else x" in traced.source  # relu, as ops writes it
    assert "g_x += 0.0 if x <= 0 else g_t1" in traced.source  # step(x) * g_t1, a strong zero
    assert "finite_max(x, y)" in traced.source  # four ways to go: called by its name
    for x in (2.0, -2.0, 0.0, -0.0, math.nan, math.inf, -math.inf):
        assert_exact(engine(f, [x, 1.0]), compiled(traced, [x, 1.0]))


# -- argnums: gradients with respect to some arguments only -----------------------------------


def _data_and_weights():
    w = Value(-1.5, label="w")

    def f(x, target, scale):  # a sample, its target and a number to differentiate by
        return ((x[0] * w + x[1]).tanh() - target) ** 2 * scale

    return w, f


@pytest.mark.parametrize("backend", BACKENDS)
def test_argnums_differentiates_the_chosen_arguments_and_writes_no_code_for_the_others(backend):
    w, f = _data_and_weights()
    traced = trace(f, [0.5, 1.0], 0.25, 2.0, params=[w], backend=backend, argnums=2)
    assert traced.backend == backend
    assert "g_x_0" not in traced.source and "g_target" not in traced.source
    point = [[0.3, -0.2], 0.75, 1.5]
    w.grad = 0.0
    value, d_scale = traced(*point)
    traced_w_grad = w.grad
    w.grad = 0.0
    leaves = [[Value(0.3), Value(-0.2)], Value(0.75), Value(1.5)]
    out = f(*leaves)
    out.backward()
    check = (lambda a, b: a == b) if backend == "python" else agree
    assert check(value, out.data) and check(d_scale, leaves[2].grad)
    assert isinstance(d_scale, float)  # an int picks one argument: its gradient alone
    assert check(traced_w_grad, w.grad)  # the parameters' gradients are always computed
    assert traced.check(*point)


@pytest.mark.parametrize("backend", BACKENDS)
def test_argnums_as_a_tuple_returns_those_arguments_gradients_in_batches_too(backend):
    w, f = _data_and_weights()
    traced = trace(f, [0.5, 1.0], 0.25, 2.0, params=[w], backend=backend, argnums=(0, 2))
    assert "g_target" not in traced.source
    samples = ([[0.3, -0.2], [1.0, 2.0]], [0.75, -0.5], [1.5, 3.0])
    values, (d_x, d_scale) = traced.batch(*samples)
    assert d_x.shape == (2, 2) and d_scale.shape == (2,)
    for k in range(2):
        leaves = [[Value(a) for a in samples[0][k]], Value(samples[1][k]), Value(samples[2][k])]
        out = f(*leaves)
        out.backward()
        assert agree(values[k], out.data)
        assert agree(d_x[k][0], leaves[0][0].grad) and agree(d_x[k][1], leaves[0][1].grad)
        assert agree(d_scale[k], leaves[2].grad)
    _, grads, _ = traced.batch_arrays(*samples)
    assert grads.shape == (2, 3)  # x's two numbers and scale: no column for the target


@pytest.mark.parametrize(
    ("argnums", "error", "message"),
    [
        ("0", TypeError, "an int or a tuple of ints"),
        (True, TypeError, "an int or a tuple of ints"),
        ([0], TypeError, "an int or a tuple of ints"),
        (3, ValueError, "it has 3: 0 to 2"),
        (-1, ValueError, "it has 3: 0 to 2"),
        ((1, 1), ValueError, "names an argument twice"),
    ],
)
def test_argnums_that_name_no_argument_are_refused(argnums, error, message):
    w, f = _data_and_weights()
    with pytest.raises(error, match=message):
        trace(f, [0.5, 1.0], 0.25, 2.0, params=[w], argnums=argnums)


def test_argnums_of_no_argument_computes_the_parameters_gradients_only():
    w, f = _data_and_weights()
    traced = trace(f, [0.5, 1.0], 0.25, 2.0, params=[w], backend="python", argnums=())
    w.grad = 0.0
    value, grads = traced([0.3, -0.2], 0.75, 1.5)
    assert grads == () and "return out, (), (g_w,)" in traced.source
    traced_w_grad, w.grad = w.grad, 0.0
    out = f([Value(0.3), Value(-0.2)], Value(0.75), Value(1.5))
    out.backward()
    assert (value, traced_w_grad) == (out.data, w.grad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_matrix_takes_the_arguments_flattened_side_by_side_and_gives_batch_arrays_numbers(
    backend,
):
    w, f = _data_and_weights()
    traced = trace(f, [0.5, 1.0], 0.25, 2.0, params=[w], backend=backend, argnums=(0, 2))
    samples = ([[0.3, -0.2], [1.0, 2.0]], [0.75, -0.5], [1.5, 3.0])
    matrix = [[0.3, -0.2, 0.75, 1.5], [1.0, 2.0, -0.5, 3.0]]
    for got, want in zip(traced.batch_matrix(matrix), traced.batch_arrays(*samples), strict=True):
        assert got.tolist() == want.tolist()


@pytest.mark.parametrize("shape", [(2, 3), (2, 5), (4,), (0, 4)])
def test_batch_matrix_refuses_an_array_of_another_shape(shape):
    w, f = _data_and_weights()
    traced = trace(f, [0.5, 1.0], 0.25, 2.0, params=[w])
    with pytest.raises(ValueError, match=r"shape \(batch, 4\) with at least one sample"):
        traced.batch_matrix(np.zeros(shape))


# -- has_aux: numbers returned beside the output ----------------------------------------------


def _loss_and_outputs():
    w = Value(0.75, label="w")

    def f(x, t):  # a loss, and beside it the model's outputs, one not on the loss's way
        hidden = (x * w).tanh()
        unused = (x + w).exp()
        return (hidden - t) ** 2, [hidden, (unused, 2.5)]

    return w, f


@pytest.mark.parametrize("backend", BACKENDS)
def test_has_aux_returns_numbers_beside_the_output_as_the_engine_computes_them(backend):
    w, f = _loss_and_outputs()
    traced = trace(f, 0.5, 0.1, params=[w], backend=backend, has_aux=True, argnums=0)
    assert traced.backend == backend and traced.has_aux
    w.grad = 0.0
    (value, aux), d_x = traced(1.5, -0.25)
    traced_w_grad, w.grad = w.grad, 0.0
    x = Value(1.5)
    out, (hidden, (unused, constant)) = f(x, Value(-0.25))
    out.backward()
    same = (lambda a, b: a == b) if backend == "python" else agree
    assert same(value, out.data) and same(d_x, x.grad) and same(traced_w_grad, w.grad)
    assert isinstance(aux, list) and isinstance(aux[1], tuple)  # fn's structure
    assert (
        same(aux[0], hidden.data) and same(aux[1][0], unused.data) and aux[1][1] == constant == 2.5
    )
    assert traced.check(1.5, -0.25)


@pytest.mark.parametrize("backend", BACKENDS)
def test_has_aux_in_batches_gives_each_samples_numbers(backend):
    w, f = _loss_and_outputs()
    traced = trace(f, 0.5, 0.1, params=[w], backend=backend, has_aux=True)
    (values, aux), (d_x, d_t) = traced.batch([0.5, -1.0, 2.0], [0.0, 1.0, 0.5])
    assert aux.shape == (3, 3) and d_x.shape == d_t.shape == (3,)
    for k, (x, t) in enumerate([(0.5, 0.0), (-1.0, 1.0), (2.0, 0.5)]):
        (value, numbers), _ = traced(x, t)
        assert agree(values[k], value)
        assert all(agree(a, b) for a, b in zip(aux[k], [numbers[0], *numbers[1]], strict=True))
    (values, aux), grads, _ = traced.batch_matrix([[0.5, 0.0], [-1.0, 1.0]])
    assert aux.shape == (2, 3) and grads.shape == (2, 2)


def test_check_compares_the_aux_numbers_too():
    w, f = _loss_and_outputs()
    traced = trace(f, 0.5, 0.1, params=[w], backend="numpy", has_aux=True)
    real_run = traced._program.run

    def wrong_aux(inputs, params):
        value, grads, param_grads, aux = real_run(inputs, params)
        return value, grads, param_grads, (aux[0] + 1e-6, *aux[1:])

    traced._program.run = wrong_aux
    with pytest.raises(GradcheckError, match="aux 0"):
        traced.check(0.5, 0.1)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda x: x * x, "must return \\(value, aux\\), got a Value"),
        (lambda x: (x * x, x, x), "must return \\(value, aux\\), got a tuple of 3"),
        (lambda x: (x * x, "x"), "aux must be Values or numbers.*got str"),
    ],
)
def test_has_aux_refuses_a_function_that_does_not_return_a_value_and_its_aux(fn, message):
    with pytest.raises(TypeError, match=message):
        trace(fn, 1.0, has_aux=True)


def test_run_arrays_takes_a_numpy_array_of_parameters_on_the_python_backend():
    w = Value(2.0)
    traced = trace(lambda x: (x * w).exp() / w, 1.0, params=[w], backend="python")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy scalars would warn where floats give inf
        value, _, param_grads = traced.run_arrays(1.0, params=np.array([1e300]))
        assert traced.run_arrays(1.0, params=np.array([0.0]))[0] == math.inf
    from_floats = traced.run_arrays(1.0, params=[1e300])
    assert type(value) is float and value == from_floats[0] == math.inf
    assert [bits(g) for g in param_grads] == [bits(g) for g in from_floats[2]]


def test_an_argument_named_like_the_fused_programs_sum_keeps_its_own_gradient():
    w1, w2 = Value(0.5, label="w1"), Value(-1.5, label="w2")

    def f(x, s_total):
        s = linear([w1, w2], [w1, w2], 0.0)
        s.label = "s"
        return s * x + s_total * x

    traced = trace(f, 2.0, 3.0, params=[w1, w2], backend="fused")
    _, (d_x, d_s_total) = traced.batch([2.0, 1.0], [3.0, 3.0])
    assert d_s_total.tolist() == [2.0, 1.0] and d_x.tolist() == [5.5, 5.5]


def test_aux_numbers_that_cancel_are_compared_relative_to_the_largest():
    w1, w2, b = Value(-1.0), Value(1e-17), Value(1.0)  # -1 + 1e-17 + 1: the order decides
    w3, w4 = Value(0.5), Value(0.25)

    def f(x, t):
        outputs = [linear([w1, w2], x, b), linear([w3, w4], x, 0.0)]
        return (outputs[1] - t).square(), outputs

    traced = trace(f, [1.0, 1.0], 0.5, params=[w1, w2, b, w3, w4], has_aux=True, argnums=())
    assert traced.backend == "fused" and traced.fallbacks == []
    assert traced.check([1.0, 1.0], 0.5)


def test_argnums_takes_numpy_integers_and_is_checked_before_fn_runs():
    calls = []

    def f(x, y):
        calls.append(1)
        return x * y

    assert trace(f, 2.0, 3.0, argnums=np.int64(1))(2.0, 5.0) == (10.0, 2.0)
    calls.clear()
    with pytest.raises(ValueError, match="not an argument"):
        trace(f, 2.0, 3.0, argnums=2)
    assert calls == []  # refused before tracing


def test_has_aux_must_be_a_bool():
    with pytest.raises(TypeError, match="has_aux must be True or False"):
        trace(lambda x: (x, x), 1.0, has_aux="yes")


def test_batch_matrix_of_a_function_of_no_arguments_is_refused_like_batch():
    w = Value(2.0)
    traced = trace(lambda: w * w, params=[w])
    with pytest.raises(ValueError, match="no arguments has no batch"):
        traced.batch_matrix(np.zeros((3, 0)))


def test_python_calls_a_helper_whose_branches_call_functions_by_its_name():
    traced = trace(lambda x: x.sigmoid(), 0.5, backend="python")
    assert "t1 = sigmoid(x)" in traced.source or "out = sigmoid(x)" in traced.source
    for x in (-800.0, -0.5, 0.0, 0.5, 800.0, math.nan):
        assert_exact(engine(lambda a: a.sigmoid(), [x]), compiled(traced, [x]))
