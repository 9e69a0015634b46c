"""The losses of ``nn.functional`` traced through every backend: values and gradients equal the
dynamic engine's at any input, edges included; the checks that read numbers, inside a trace."""

from __future__ import annotations

import math
import warnings
from functools import cache

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Traced, Value, linear, trace
from autograd.trace.traced import agree, gradient_scale
from tests.test_trace import BACKENDS, assert_close, assert_exact, bits, compiled, engine

F = nn.functional
inf, nan = math.inf, math.nan

# Two samples, so that the traced program is a mean; each input passes through a parameter, as
# a model's output does, and each target is an argument of the trace.
W = Value(0.75, label="w")
LOSSES = {
    "binary_cross_entropy": lambda x1, x2, t1, t2: F.binary_cross_entropy(
        [(x1 * W).sigmoid(), x2], [t1, t2]
    ),
    "binary_cross_entropy_with_logits": lambda x1, x2, t1, t2: F.binary_cross_entropy_with_logits(
        [x1 * W, x2], [t1, t2]
    ),
    "hinge_loss": lambda x1, x2, t1, t2: F.hinge_loss([x1 * W, x2], [t1, t2]),
    "mse_loss": lambda x1, x2, t1, t2: F.mse_loss([x1 * W, x2], [t1, t2]),
}
EXAMPLE = {
    "binary_cross_entropy": (0.5, 0.25, 1.0, 0.0),
    "binary_cross_entropy_with_logits": (0.5, -2.0, 1.0, 0.0),
    "hinge_loss": (0.5, -2.0, 1.0, -1.0),
    "mse_loss": (0.5, -2.0, 1.0, 0.0),
}


@cache
def traced(loss: str, backend: str) -> Traced:
    program = trace(LOSSES[loss], *EXAMPLE[loss], params=[W], backend=backend)
    assert program.backend == backend
    return program


def assert_like_the_engine(loss: str, backend: str, point: list[float]) -> None:
    expected = engine(LOSSES[loss], point, [W])
    got = compiled(traced(loss, backend), point, [W])
    if backend == "python":
        assert_exact(expected, got)
        return
    # As traced.check compares: NumPy's log may differ from math.log by an ulp, which a
    # gradient such as -logit(p) near p = 1/2 magnifies; relative to the largest gradient too.
    assert agree(expected[0], got[0]), (expected, got)
    grads, got_grads = [*expected[1], *expected[2]], [*got[1], *got[2]]
    scale = gradient_scale(grads)
    if loss == "binary_cross_entropy_with_logits":
        # A logit's gradient is (sigmoid(x) - t) / 2, a difference of numbers up to 1 / 2: an
        # ulp between NumPy's exp and math.exp there is an error of up to 1e-16 however small
        # the difference comes out (x = 1.2e-7, t = 0.5 gives 1.5e-8 with 9 digits in common).
        scale = max(scale, 0.5)
    for e, g in zip(grads, got_grads, strict=True):
        assert agree(e, g, scale=scale), (expected, got)


edge_logits = st.sampled_from(
    [0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 36.0, -36.0, 710.0, -745.0, 1e308, -1e308, inf, -inf]
)
logits = st.one_of(edge_logits, st.floats(-1e3, 1e3), st.floats(allow_nan=True))
numbers = st.one_of(edge_logits, st.floats(-1e3, 1e3), st.floats(allow_nan=False))
probabilities = st.one_of(
    st.sampled_from([0.0, 1.0, 1e-13, 1 - 1e-13, 1e-300, 0.5]), st.floats(0.0, 1.0)
)
soft_targets = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0.0, 1.0))
signs = st.sampled_from([-1.0, 1.0])


@pytest.mark.parametrize("backend", BACKENDS)
@given(x1=numbers, p2=probabilities, t1=soft_targets, t2=soft_targets)  # sigmoid(nan) is refused
def test_binary_cross_entropy_traces_like_the_engine_at_any_probability(backend, x1, p2, t1, t2):
    assert_like_the_engine("binary_cross_entropy", backend, [x1, p2, t1, t2])


@pytest.mark.parametrize("backend", BACKENDS)
@given(x1=logits, x2=logits, t1=soft_targets, t2=soft_targets)
def test_binary_cross_entropy_with_logits_traces_like_the_engine_at_any_logit(
    backend, x1, x2, t1, t2
):
    assert_like_the_engine("binary_cross_entropy_with_logits", backend, [x1, x2, t1, t2])


@pytest.mark.parametrize("backend", BACKENDS)
@given(x1=logits, x2=logits, t1=signs, t2=signs)
def test_hinge_loss_traces_like_the_engine_with_targets_as_arguments(backend, x1, x2, t1, t2):
    assert_like_the_engine("hinge_loss", backend, [x1, x2, t1, t2])


# Numbers within 2 ** -1020 of each other, so that their differences are mostly subnormal, and
# the edges.
subnormal_differences = st.one_of(
    st.sampled_from([0.0, -0.0, 5e-324, 2.2250738585e-313, -1e-310, 1e308, inf, nan]),
    st.floats(-(2.0**-1020), 2.0**-1020),
)


@pytest.mark.parametrize("backend", BACKENDS)
@given(x1=subnormal_differences, x2=subnormal_differences,
       t1=subnormal_differences, t2=subnormal_differences)  # fmt: skip
def test_mse_loss_traces_like_the_engine_where_differences_are_subnormal(backend, x1, x2, t1, t2):
    assert_like_the_engine("mse_loss", backend, [x1, x2, t1, t2])


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_traced_loss_on_a_batch_equals_the_engine_on_each_sample(loss, backend) -> None:
    rng = np.random.default_rng(7)
    n = 16
    x1, x2 = rng.normal(scale=3.0, size=n), rng.uniform(size=n)
    if loss == "hinge_loss":
        t1, t2 = rng.choice([-1.0, 1.0], size=n), rng.choice([-1.0, 1.0], size=n)
    else:
        t1, t2 = rng.uniform(size=n), rng.integers(0, 2, size=n).astype(float)
    x1[:3] = [0.0, -0.0, 40.0]
    samples = np.stack([x1, x2, t1, t2], axis=1)
    expected = [engine(LOSSES[loss], list(s), [W]) for s in samples]
    W.grad = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, grads = traced(loss, backend).batch(*samples.T, reduce="sum")
    for (value, input_grads, _), got_value, got_grads in zip(
        expected, values, np.stack(grads, axis=1), strict=True
    ):
        assert_close((value, input_grads, []), (got_value, list(got_grads), []))
    assert np.isclose(W.grad, math.fsum(e[2][0] for e in expected), rtol=1e-12, atol=0.0)
    W.grad = 0.0


def logsigmoid_by_sign(x: Value, t: float) -> Value:
    """binary_cross_entropy_with_logits as it was written before it could be traced."""
    log_sigmoid = -((-x).exp().log1p()) if x.data >= 0 else x - x.exp().log1p()
    return linear([1.0 - t, -1.0], [x, log_sigmoid], 0.0)


@given(
    xs=st.lists(logits, min_size=1, max_size=4),
    ts=st.lists(soft_targets, min_size=4, max_size=4),
    scale=st.sampled_from([1.0, -1.0, 0.5, 3.0]),
)
def test_binary_cross_entropy_with_logits_has_the_numbers_of_the_branching_form_bit_for_bit(
    xs, ts, scale
) -> None:
    # Values the logits come from through a weight, so that each logit's gradient is passed on.
    def gradients(loss_of):
        leaves, w = [Value(x) for x in xs], Value(scale)
        loss = loss_of([leaf * w for leaf in leaves], ts[: len(xs)])
        loss.backward()
        return [bits(loss.data), bits(w.grad)] + [bits(leaf.grad) for leaf in leaves]

    def by_sign(logit_values, targets):
        terms = [logsigmoid_by_sign(x, t) for x, t in zip(logit_values, targets, strict=True)]
        return terms[0] if len(terms) == 1 else linear([1.0] * len(terms), terms, 0.0) / len(terms)

    assert gradients(F.binary_cross_entropy_with_logits) == gradients(by_sign)


def test_binary_cross_entropy_with_logits_at_zero_has_the_gradient_sigmoid_minus_target():
    x = Value(0.0)
    F.binary_cross_entropy_with_logits(x, 0.25).backward()
    assert x.grad == 0.25  # sigmoid(0) - t: the smooth piece for x >= 0, not abs()'s 0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("p", [1.5, -0.25, inf, -inf])
def test_a_traced_binary_cross_entropy_gives_nan_for_a_probability_outside_0_1(backend, p):
    program = traced("binary_cross_entropy", backend)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, _ = program(0.5, p, 1.0, 0.0)
    assert math.isnan(value)
    W.grad = 0.0
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(Value(p), 1.0)  # the engine, as before


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_traced_hinge_loss_takes_any_target_unchecked_as_documented(backend) -> None:
    program = trace(lambda s, t: F.hinge_loss(s, t), 0.5, 1.0, backend=backend)
    value, (g_score, g_target) = program(0.5, 0.5)
    assert (value, g_score, g_target) == (0.75, -0.5, -0.5)  # relu(1 - t s) and its gradients
    with pytest.raises(ValueError, match="-1 or \\+1"):
        F.hinge_loss(Value(0.5), Value(0.5))  # outside a trace a Value target is checked


def test_a_value_target_gets_the_gradient_that_pytorch_gives_it() -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    cases = [
        (F.binary_cross_entropy_with_logits, tf.binary_cross_entropy_with_logits, [0.3, -2.0, 5.0]),
        (F.binary_cross_entropy, tf.binary_cross_entropy, [0.2, 0.9, 0.5]),
        (F.hinge_loss, lambda s, t: torch.relu(1 - t * s).mean(), [0.3, -2.0, 5.0]),
        (F.mse_loss, tf.mse_loss, [0.3, -2.0, 5.0]),
    ]
    for ours, theirs, inputs in cases:
        t = [1.0, -1.0, 1.0] if ours is F.hinge_loss else [0.25, 1.0, 0.0]
        xv, tv = [Value(a) for a in inputs], [Value(b) for b in t]
        ours(xv, tv).backward()
        xt = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
        tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
        theirs(xt, tt).backward()
        expected_grads = xt.grad.tolist() + tt.grad.tolist()
        for mine, expected in zip([v.grad for v in xv + tv], expected_grads, strict=True):
            assert math.isclose(mine, expected, rel_tol=1e-12), (ours.__name__, mine, expected)
