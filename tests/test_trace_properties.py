"""Random expression graphs (shared subexpressions, folded constants, every op) traced.

The Python backend must give the engine's numbers bit for bit. The NumPy backends must too,
once NumPy's own transcendental functions (which may differ from the C library's by an ulp)
are swapped for the engine's: that pins the generated code exactly, while the op-row tests
in test_trace.py bound NumPy's functions themselves at 1e-12.
"""

from __future__ import annotations

import math
import types
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, linear, ops, trace
from autograd.trace.python import compile_source
from autograd.value import binary_cross_entropy, max_shift, softmax_shift
from tests.test_trace import assert_exact, bits, compiled, engine

UNARY = ["exp", "log", "log1p", "sqrt", "square", "tanh", "sigmoid", "relu", "abs", "sin", "cos"]
BINARY = ["+", "*", "/", "**", "max_shift", "softmax_shift", "binary_cross_entropy"]
N_INPUTS = 3

numbers = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
# an operand: a Value already made (by its index in the pool), or a plain number
operands = st.one_of(
    st.integers(0, 100).map(lambda i: ("pool", i)), numbers.map(lambda c: ("number", c))
)
steps = st.one_of(
    st.tuples(st.sampled_from(UNARY), st.integers(0, 100)),
    st.tuples(st.sampled_from(BINARY), st.integers(0, 100), operands),
    st.tuples(st.just("leaky_relu"), st.integers(0, 100), st.floats(0, 1)),
    st.tuples(
        st.just("linear"), st.lists(st.tuples(operands, operands), min_size=1, max_size=4), operands
    ),
    st.tuples(st.just("constant"), numbers),  # a Value made from a number inside the function
)
programs = st.lists(steps, min_size=1, max_size=14)


def run(program: list, leaves: tuple[Value, ...]) -> Value:
    """Apply each step to the pool of Values made so far; the last Value is the output."""
    pool: list[Any] = list(leaves)

    def operand(o: tuple) -> Any:
        kind, x = o
        return pool[x % len(pool)] if kind == "pool" else x

    for step in program:
        name = step[0]
        if name == "constant":
            pool.append(Value(step[1]))
            continue
        if name == "linear":
            pairs, bias = step[1], operand(step[2])
            pool.append(
                linear([operand(w) for w, _ in pairs], [operand(x) for _, x in pairs], bias)
            )
            continue
        a = pool[step[1] % len(pool)]
        if name in UNARY:
            pool.append(abs(a) if name == "abs" else getattr(a, name)())
        elif name == "leaky_relu":
            pool.append(a.leaky_relu(step[2]))
        elif name == "max_shift":
            pool.append(max_shift(a, operand(step[2])))
        elif name == "softmax_shift":
            pool.append(softmax_shift(a, operand(step[2])))
        elif name == "binary_cross_entropy":
            pool.append(binary_cross_entropy(a, operand(step[2])))
        else:
            b = operand(step[2])
            pool.append({"+": a + b, "*": a * b, "/": a / b, "**": a**b}[name])
    out = pool[-1]
    return out if isinstance(out, Value) else Value(out)


def test_the_steps_cover_every_row_of_the_table() -> None:
    assert set(ops.OPS) == {*UNARY, *BINARY, "leaky_relu", "linear"}


@given(program=programs, point=st.lists(numbers, min_size=N_INPUTS, max_size=N_INPUTS),
       other=st.lists(numbers, min_size=N_INPUTS, max_size=N_INPUTS))  # fmt: skip
def test_python_backend_is_bit_identical_on_random_graphs(program, point, other) -> None:
    def fn(a, b, c):
        return run(program, (a, b, c))

    traced = trace(fn, *point, backend="python")
    assert_exact(engine(fn, point), compiled(traced, point))
    assert_exact(engine(fn, other), compiled(traced, other))


def _exact_elementwise(function: Any) -> Any:
    def apply(*arrays: Any) -> Any:
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
        flat = [np.broadcast_to(a, shape).ravel().tolist() for a in arrays]
        return np.array([function(*xs) for xs in zip(*flat, strict=True)]).reshape(shape)

    return apply


# NumPy with the engine's own elementary functions: the generated code can then be held to
# bit-identical results. +, -, *, /, sqrt and comparisons are IEEE 754 exact in both.
EXACT_NUMPY = types.SimpleNamespace(
    **{name: getattr(np, name) for name in dir(np) if not name.startswith("__")}
)
for _name, _function in {"exp": ops.exp, "log": ops.log, "log1p": ops.log1p, "tanh": math.tanh,
                         "sin": ops.sin, "cos": ops.cos, "power": ops.power}.items():  # fmt: skip
    setattr(EXACT_NUMPY, _name, _exact_elementwise(_function))


@given(program=programs, point=st.lists(numbers, min_size=N_INPUTS, max_size=N_INPUTS),
       backend=st.sampled_from(["numpy", "fused"]))  # fmt: skip
def test_numpy_backends_write_the_engines_arithmetic_on_random_graphs(program, point, backend):
    def fn(a, b, c):
        return run(program, (a, b, c))

    traced = trace(fn, *point, backend=backend)
    assert traced.backend == backend, traced.fallbacks
    namespace = dict(traced._program.function.__globals__, np=EXACT_NUMPY)
    function = compile_source(traced.source, namespace, backend)
    columns = [np.array([x]) for x in point]
    with np.errstate(all="ignore"):
        if backend == "numpy":
            value, grads, _ = function(*columns, np.ones(1))
        else:
            value, grads, _ = function(*columns, np.zeros(0), np.ones(1))
    got = (float(np.broadcast_to(value, (1,))[0]),
           [0.0 + float(np.broadcast_to(g, (1,))[0]) for g in grads], [])  # fmt: skip
    expected = engine(fn, point)
    assert bits(got[0]) == bits(expected[0])
    assert [bits(g) for g in got[1]] == [bits(g) for g in expected[1]]


@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "linear"]),
    seed=st.integers(0, 1000),
    points=st.lists(st.lists(numbers, min_size=3, max_size=3), min_size=1, max_size=3),
)
def test_fused_layers_of_any_shape_and_activation_agree_with_the_engine(
    sizes, activation, seed, points
) -> None:
    import nn

    model = nn.MLP(3, sizes, activation=activation, seed=seed)

    def loss(x):
        out = model(x)
        outs = out if isinstance(out, list) else [out]
        return linear([1.0] * len(outs), [o * o for o in outs], 0.0).sqrt()

    traced = trace(loss, points[0], params=model.parameters(), backend="fused")
    assert traced.backend == "fused", traced.fallbacks
    if len(sizes) > 1 or sizes[0] > 1:
        assert "@ W1.T" in traced.source
    for point in points:
        assert traced.check(point)
