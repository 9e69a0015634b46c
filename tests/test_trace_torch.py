"""trace(backend="torch"): the fused program on PyTorch, against NumPy's and the engine's numbers.

The tests that run PyTorch are skipped, saying why, where it is not installed (CI installs it,
so there they always run); the ones that check what happens without it hide it instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import GradcheckError, Value, linear, ops, trace
from autograd.__main__ import main
from autograd.trace.traced import agree, gradient_scale
from tests.test_trace import ROW_CASES, ROWS, _variants, assert_close, bits, compiled, engine
from tests.test_trace_properties import N_INPUTS, numbers, programs, run

try:
    import torch
except ImportError:
    torch = None

ROOT = Path(__file__).resolve().parent.parent
needs_torch = pytest.mark.skipif(
    torch is None, reason="needs torch, not installed (pip install torch)"
)


def assert_same_numbers(expected, got) -> None:
    """Value and every gradient equal to 1e-12 relative (gradients: or to the largest one)."""
    value, grads, param_grads = expected
    got_value, got_grads, got_params = got
    assert agree(value, got_value), (value, got_value)
    scale = gradient_scale([*grads, *param_grads])
    for e, g in zip([*grads, *param_grads], [*got_grads, *got_params], strict=True):
        assert agree(e, g, scale=scale), (grads, got_grads, param_grads, got_params)


def assert_arrays_agree(expected: Any, got: Any) -> None:
    """Every number equal to 1e-12 relative, or to the largest of the array."""
    scale = gradient_scale(expected.ravel().tolist())
    for e, g in zip(expected.ravel().tolist(), got.ravel().tolist(), strict=True):
        assert agree(e, g, scale=scale), (expected, got)


def on_sample(traced: Any, x: list[float], params: list[Value]) -> tuple:
    """A traced function of one list: its value, gradients and parameters' gradients."""
    for p in params:
        p.grad = 0.0
    value, grads = traced(x)
    return value, grads, [p.grad for p in params]


# -- every row of the table, at its IEEE edges ---------------------------------------------------


@needs_torch
@pytest.mark.parametrize(("name", "build", "point"), ROW_CASES)
def test_every_row_through_torch_equals_numpy_fused_and_the_engine(name, build, point) -> None:
    for fn, args in _variants(build, point):
        on_torch = trace(fn, *args, backend="torch")
        on_numpy = trace(fn, *args, backend="fused")
        assert on_torch.backend == "torch"
        # traced at one point, run at another too: the code holds no number of the example
        for at in (args, [x * 0.5 + 0.25 for x in args]):
            got = compiled(on_torch, at)  # which also fails on any warning
            assert_close(engine(fn, at), got)
            assert_close(compiled(on_numpy, at), got)


# PyTorch computes x ** 0.5 with sqrt and x ** -0.5 with rsqrt, x ** 2 as x * x, and so on,
# when the exponent is a plain number; at -0.0 and -inf sqrt is not pow. And torch.where of two
# plain numbers is float32, which has no 0.2 (leaky_relu's slope under its derivative's choice).
EDGES = [
    ("x ** 0.5", lambda x: x**0.5, [-0.0, -np.inf, 0.0, 2.0, np.inf, -1.0]),
    ("x ** -0.5", lambda x: x**-0.5, [-0.0, -np.inf, 0.0, 4.0]),
    ("x ** 2", lambda x: x**2.0, [-0.0, -np.inf, 1e200, 3.0]),
    ("x ** -2", lambda x: x**-2.0, [1e155, -0.0, 3.0]),
    ("x ** 3", lambda x: x**3.0, [1e103, -np.inf, 1.1]),
    ("x ** -1", lambda x: x**-1.0, [-0.0, 1e-310, 3.0]),
    ("2 ** x", lambda x: 2.0**x, [-0.0, np.nan, 1025.0]),
    ("1 ** x", lambda x: 1.0**x, [np.nan, np.inf]),
    ("leaky_relu(x, 0.2)", lambda x: x.leaky_relu(0.2), [-3.0, 0.0, 3.0]),
    ("abs(x)", lambda x: abs(x), [-0.0, np.nan, -2.0]),
]


@needs_torch
@pytest.mark.parametrize(("name", "fn", "points"), EDGES, ids=[e[0] for e in EDGES])
def test_pytorch_shortcuts_do_not_change_the_engines_numbers(name, fn, points) -> None:
    on_torch = trace(fn, 1.5, backend="torch")
    for x in points:
        value, grads, _ = engine(fn, [x])
        got_value, got_grads, _ = compiled(on_torch, [x])
        assert bits(got_value) == bits(value), (x, value, got_value)
        assert agree(grads[0], got_grads[0]), (x, grads, got_grads)


@needs_torch
def test_rows_whose_arguments_are_parameters_add_to_their_grad() -> None:
    for name, (build, point_list) in ROWS.items():
        params = [Value(x, label=f"p{i}") for i, x in enumerate(point_list[0])]

        def fn(s, ps=params, b=build):
            return b(*ps) * s

        got = compiled(trace(fn, 1.5, params=params, backend="torch"), [1.5], params)
        assert_close(engine(fn, [1.5], params), got), name
        assert_close(compiled(trace(fn, 1.5, params=params, backend="fused"), [1.5], params), got)


# -- random programs ----------------------------------------------------------------------------


def _exact(function: Any) -> Any:
    """An elementwise torch function computed by the engine's own float function."""

    def apply(*tensors: Any) -> Any:
        like = next(t for t in tensors if isinstance(t, torch.Tensor))
        arrays = [t.numpy() if isinstance(t, torch.Tensor) else t for t in tensors]
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
        flat = [np.broadcast_to(a, shape).ravel().tolist() for a in arrays]
        out = [function(*xs) for xs in zip(*flat, strict=True)]
        return torch.tensor(out, dtype=like.dtype).reshape(shape)

    return apply


def _exact_torch() -> Any:
    """torch with the engine's exp, log, tanh, ... : +, *, /, sqrt and choices are IEEE exact."""
    exact = types.SimpleNamespace(
        **{name: getattr(torch, name) for name in dir(torch) if not name.startswith("__")}
    )
    for name, function in {"exp": ops.exp, "log": ops.log, "log1p": ops.log1p,
                           "tanh": ops.tanh, "sin": ops.sin, "cos": ops.cos,
                           "pow": ops.power}.items():  # fmt: skip
        setattr(exact, name, _exact(function))
    return exact


@needs_torch
@given(program=programs, point=st.lists(numbers, min_size=N_INPUTS, max_size=N_INPUTS),
       other=st.lists(numbers, min_size=N_INPUTS, max_size=N_INPUTS))  # fmt: skip
def test_random_expressions_on_torch_equal_numpy_fused_and_the_engine(program, point, other):
    def fn(a, b, c):
        return run(program, (a, b, c))

    on_torch = trace(fn, *point, backend="torch")
    on_numpy = trace(fn, *point, backend="fused")
    assert on_torch.backend == "torch", on_torch.fallbacks
    for at in (point, other):
        got = compiled(on_torch, at)
        assert_same_numbers(engine(fn, at), got)
        assert_same_numbers(compiled(on_numpy, at), got)
    # With the engine's own elementary functions, the torch program is the engine's
    # arithmetic, bit for bit: that pins the generated code itself.
    program_ = on_torch._program
    program_.function.__globals__["torch"] = _exact_torch()
    try:
        value, grads, _, _ = program_.run(point, [])
    finally:
        program_.function.__globals__["torch"] = torch
    expected = engine(fn, point)
    assert bits(value) == bits(expected[0])
    assert [bits(0.0 + g) for g in grads] == [bits(g) for g in expected[1]]


@needs_torch
@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "linear"]),
    seed=st.integers(0, 1000),
    samples=st.lists(st.lists(numbers, min_size=3, max_size=3), min_size=1, max_size=4),
)
def test_random_mlps_on_torch_equal_numpy_fused_and_the_engine(sizes, activation, seed, samples):
    model = nn.MLP(3, sizes, activation=activation, seed=seed)
    params = model.parameters()

    def loss(x):
        out = model(x)
        outs = out if isinstance(out, list) else [out]
        return linear([1.0] * len(outs), [o * o for o in outs], 0.0) + 1e-3 * nn.l2_penalty(params)

    on_torch = trace(loss, samples[0], params=params, backend="torch")
    on_numpy = trace(loss, samples[0], params=params, backend="fused")
    assert on_torch.backend == "torch", on_torch.fallbacks
    if len(sizes) > 1 or sizes[0] > 1:
        assert "@ W1.T" in on_torch.source
    for x in samples:
        got = on_sample(on_torch, x, params)
        assert_same_numbers(engine(lambda *xs: loss(list(xs)), x, params), got)
        assert_same_numbers(on_sample(on_numpy, x, params), got)
        assert on_torch.check(x)
    values, grads, param_grads = on_torch.batch_arrays(samples, reduce="sum")
    expected = on_numpy.batch_arrays(samples, reduce="sum")
    for mine, theirs in zip((values, grads, param_grads), expected, strict=True):
        assert_arrays_agree(theirs, mine.numpy())


# -- batches, devices, the API ------------------------------------------------------------------


def demo_step() -> tuple[nn.MLP, Any, list, list]:
    """micrograd's demo: a 2-16-16-1 MLP, the hinge loss and 1e-4 L2 on 100 moons samples."""
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    X, y = nn.datasets.make_moons(n_samples=100, noise=0.1, seed=1)
    y = [2.0 * label - 1.0 for label in y]
    params = model.parameters()

    def loss(x, target):
        margin = (1.0 - target * model(x)).relu()
        return margin + 1e-4 * nn.l2_penalty(params)

    return model, loss, X, y


@needs_torch
@pytest.mark.parametrize("reduce", ["mean", "sum"])
@pytest.mark.parametrize("kind", ["lists", "numpy", "tensors"])
def test_batch_equals_numpy_fused_and_the_engines_per_sample_gradients(reduce, kind) -> None:
    model, loss, X, y = demo_step()
    params = model.parameters()
    on_torch = trace(loss, X[0], y[0], params=params, backend="torch")
    on_numpy = trace(loss, X[0], y[0], params=params, backend="fused")
    args = {
        "lists": (X, y),
        "numpy": (np.array(X), np.array(y)),
        "tensors": (torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)),
    }[kind]
    values, (grads_x, grads_y) = on_torch.batch(*args, reduce=reduce)
    from_torch = [p.grad for p in params]
    model.zero_grad()
    expected_values, (expected_x, expected_y) = on_numpy.batch(X, y, reduce=reduce)
    from_numpy = [p.grad for p in params]
    model.zero_grad()
    for tensor, shape in ((values, (100,)), (grads_x, (100, 2)), (grads_y, (100,))):
        assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float64
        assert tuple(tensor.shape) == shape and tensor.device.type == "cpu"
    for mine, theirs in ((values, expected_values), (grads_x, expected_x), (grads_y, expected_y)):
        assert np.allclose(mine.numpy(), theirs, rtol=1e-12, atol=0.0)
    # and the engine, one sample at a time, summed
    for x, target in zip(X, y, strict=True):
        loss(x, target).backward()
    n = 1 if reduce == "sum" else len(X)
    from_engine = [p.grad / n for p in params]
    scale = gradient_scale(from_engine)
    for e, a, b in zip(from_engine, from_numpy, from_torch, strict=True):
        assert agree(e, b, scale=scale) and agree(a, b, scale=scale), (e, a, b)


@needs_torch
def test_a_training_loop_on_tensors_equals_the_same_loop_on_numpy() -> None:
    model, loss, X, y = demo_step()
    params = model.parameters()
    on_torch = trace(loss, X[0], y[0], params=params, backend="torch")
    on_numpy = trace(loss, X[0], y[0], params=params, backend="fused")
    P_torch = torch.tensor([p.data for p in params], dtype=torch.float64)
    P_numpy = np.array([p.data for p in params])
    X_torch, y_torch = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    for _ in range(20):
        values, _, gP = on_torch.batch_arrays(X_torch, y_torch, params=P_torch)
        expected, _, gP_numpy = on_numpy.batch_arrays(X, y, params=P_numpy)
        assert isinstance(gP, torch.Tensor)  # the loop never leaves PyTorch
        assert agree(expected.mean(), values.mean().item())
        P_torch = P_torch - 0.05 * gP
        P_numpy = P_numpy - 0.05 * gP_numpy
    assert np.allclose(P_torch.numpy(), P_numpy, rtol=1e-12, atol=1e-15)
    assert all(p.grad == 0.0 for p in params)  # batch_arrays leaves .grad alone


@needs_torch
def test_a_weight_shared_in_a_layer_and_a_column_read_twice_add_every_contribution() -> None:
    a, c, e = Value(0.5, label="a"), Value(-1.0, label="c"), Value(1.0, label="e")
    b0, b1 = Value(0.1, label="b0"), Value(-0.2, label="b1")
    params = [a, c, e, b0, b1]

    def f(x):
        h = [linear([a, c], x, b0).tanh(), linear([e, a], x, b1).tanh()]  # a in both neurons
        return linear([1.0, 2.0, 3.0], [h[0].exp(), h[0].exp(), h[1].exp()], 0.0)

    on_torch = trace(f, [0.3, -0.7], params=params, backend="torch")
    on_numpy = trace(f, [0.3, -0.7], params=params, backend="fused")
    assert "GP.index_put_((W1_index,), G_Z1.T @ X1, accumulate=True)" in on_torch.source
    assert ".index_add_(1, " in on_torch.source
    for x in ([0.3, -0.7], [1.5, 2.0]):
        assert on_torch.check(x)
        assert_same_numbers(on_sample(on_numpy, x, params), on_sample(on_torch, x, params))


@needs_torch
def test_one_sample_returns_floats_and_adds_to_grad_like_the_engine() -> None:
    w = Value(2.0, label="w")
    traced = trace(lambda x: (x * w).tanh(), 0.5, params=[w], backend="torch")
    value, grad_x = traced(0.25)
    assert type(value) is float and type(grad_x) is float and type(w.grad) is float
    expected = engine(lambda x: (x * w).tanh(), [0.25], [w])
    assert_close(expected, (value, [grad_x], [w.grad]))


@needs_torch
def test_tensors_are_arguments_too_a_0_d_one_for_a_number() -> None:
    traced = trace(lambda x, t: linear(x, x, t), [1.0, 2.0], 3.0, backend="torch")
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    t = torch.tensor([0.5, -0.5], dtype=torch.float64)
    assert traced(X[1], t[1]) == (24.5, ([6.0, 8.0], 1.0))
    traced = trace(lambda x, t: linear(x, x, t), X[0], t[0], backend="torch")
    values, (grads_x, grads_t) = traced.batch(X, t)
    assert values.tolist() == [5.5, 24.5] and grads_x.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert grads_t.tolist() == [1.0, 1.0]


@needs_torch
def test_check_returns_true_or_raises_with_a_table() -> None:
    traced = trace(lambda x: x.exp() * x, 1.0, backend="torch")
    assert traced.check(0.5) is True
    traced._program.run = lambda inputs, params: (0.0, (1.0,), (), ())
    with pytest.raises(GradcheckError, match="torch backend disagrees"):
        traced.check(0.5)


def written(line: str) -> tuple[str, ...]:
    """What a statement of a fused program writes: a name, or an array and its positions."""
    for adds in (r"np\.add\.at\((\w+)(\.T)?, (\w+),", r"(\w+)\.index_put_\(\((\w+),\),"):
        match = re.search(adds, line)
        if match:
            return match.group(1), match.groups()[-1]
    match = re.search(r"(\w+)\.index_add_\(1, (\w+),", line)
    if match:
        return match.groups()
    return (re.split(r" \+?= ", line)[0],)


@needs_torch
def test_the_torch_source_is_the_fused_program_spelled_for_pytorch() -> None:
    model, loss, X, y = demo_step()
    on_torch = trace(loss, X[0], y[0], params=model.parameters(), backend="torch")
    on_numpy = trace(loss, X[0], y[0], params=model.parameters(), backend="fused")
    torch_lines, numpy_lines = on_torch.source.splitlines(), on_numpy.source.splitlines()
    # one grouping: the same statements, writing the same names, in the same order
    assert list(map(written, torch_lines)) == list(map(written, numpy_lines))
    assert "np." not in on_torch.source
    for line in (
        "    X1 = torch.stack((x_0, x_1), dim=1)",
        "    Z1 = X1 @ W1.T + b1",
        "    A1 = torch.where(Z1 < 0, 0.0, Z1)",
        "    G_Z2 = torch.where(Z2 <= 0, 0.0, G_A2)",
        "    G_A1 = G_Z2 @ W2",
        "    GP[W2_index] += G_Z2.T @ A1",
        "    GP[b2_index] += G_Z2.sum(dim=0)",
    ):
        assert line in torch_lines


@needs_torch
def test_a_device_is_a_choice_and_a_bad_one_is_refused_saying_what_is_accepted() -> None:
    for device in ("cpu", torch.device("cpu")):
        traced = trace(lambda x: x * x, 3.0, backend="torch", device=device)
        values, grads = traced.batch(torch.tensor([1.0, 2.0], dtype=torch.float64))
        assert values.device.type == "cpu" and grads.tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match=r"device 'gpu0' is not usable.*accepted: 'cpu'"):
        trace(lambda x: x * x, 3.0, backend="torch", device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device 'cuda' is not usable"):
            trace(lambda x: x * x, 3.0, backend="torch", device="cuda")
    with pytest.raises(ValueError, match="device 'cuda' needs backend='torch'"):
        trace(lambda x: x * x, 3.0, backend="fused", device="cuda")


@needs_torch
@pytest.mark.skipif(
    torch is None or not torch.cuda.is_available(), reason="needs a GPU that PyTorch can use"
)
def test_on_a_gpu_the_numbers_stay_there_and_equal_the_cpus() -> None:
    model, loss, X, y = demo_step()
    on_gpu = trace(loss, X[0], y[0], params=model.parameters(), backend="torch", device="cuda")
    on_cpu = trace(loss, X[0], y[0], params=model.parameters(), backend="torch")
    values, grads, gP = on_gpu.batch_arrays(X, y)
    assert values.device.type == "cuda" and gP.device.type == "cuda"
    expected = on_cpu.batch_arrays(X, y)
    for mine, theirs in zip((values, grads, gP), expected, strict=True):
        assert torch.allclose(mine.cpu(), theirs, rtol=1e-12, atol=1e-15)


@needs_torch
def test_bad_batches_are_refused_as_on_the_other_backends() -> None:
    traced = trace(lambda x, y: x * y, 1.0, 2.0, backend="torch")
    with pytest.raises(ValueError, match="disagree on the batch size: 2 and 3"):
        traced.batch(torch.ones(2, dtype=torch.float64), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="reduce must be 'mean' or 'sum'"):
        traced.batch([1.0], [2.0], reduce="max")
    with pytest.raises(ValueError, match="batch argument 0: each sample must have"):
        traced.batch([[1.0, 2.0]], [2.0])


# -- the command line ----------------------------------------------------------------------------


@needs_torch
def test_code_prints_the_torch_program(capsys) -> None:
    neuron = ["tanh(x1*w1 + x2*w2 + b)", "--set", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88"]
    assert main(["code", *neuron, "--backend", "torch"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "def program(x1, w1, x2, w2, b, P, seed):"
    assert "    out = torch.tanh(t4)" in lines


# -- without PyTorch ---------------------------------------------------------------------------


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_auto_and_the_numpy_backends_never_import_torch() -> None:
    result = _python("""
        import sys
        from autograd import Value, trace
        w = Value(0.5)
        for backend in ("auto", "fused", "numpy", "python"):
            traced = trace(lambda x: (x * w).relu(), [1.0][0], params=[w], backend=backend)
            traced.batch([1.0, -2.0]); traced.check(3.0)
            assert backend != "auto" or traced.backend == "fused", traced.backend
        assert "torch" not in sys.modules, "torch was imported"
    """)
    assert result.returncode == 0, result.stderr


def test_the_torch_backend_without_torch_says_how_to_install_it() -> None:
    result = _python("""
        import sys
        sys.modules["torch"] = None  # as if torch were not installed
        from autograd import trace
        try:
            trace(lambda x: x * x, 2.0, backend="torch")
        except ImportError as err:
            print(err)
    """)
    assert result.returncode == 0, result.stderr
    assert "the torch backend of trace needs PyTorch" in result.stdout
    assert "pip install torch" in result.stdout


def test_code_with_the_torch_backend_without_torch_exits_2_with_one_line() -> None:
    result = _python("""
        import sys
        sys.modules["torch"] = None
        from autograd.__main__ import main
        sys.exit(main(["code", "x*x", "--set", "x=1", "--backend", "torch"]))
    """)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m autograd code: error: the torch backend of trace needs")
