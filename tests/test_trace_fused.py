"""The fused backend on the spirals network (2-64-64-3, cross-entropy per class of a one-hot
target): its layers still grouped, the repeats of log-sum-exp's shift computed once, and its
numbers the engine's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Value, linear, trace
from autograd.trace.fused import without_repeats
from autograd.trace.traced import agree, gradient_scale
from autograd.value import max_shift, softmax_shift
from tests.test_trace import assert_exact, compiled, engine

F = nn.functional


@pytest.fixture(scope="module")
def spirals():
    """The spirals model's per-sample loss: the loss of every class, weighted by a one-hot
    selector (as ``nn``'s compiled training writes it), plus a zero probe of the outputs
    (whose gradient is the outputs), every argument differentiated."""
    model = nn.MLP(2, [64, 64, 3], seed=1337)

    def loss(x, selector, probe):
        out = model(x)
        value = linear(selector, [F.cross_entropy(out, c) for c in range(3)], 0.0)
        return value + linear(probe, out, 0.0)

    traced = trace(loss, [0.5, -1.0], [1.0, 0.0, 0.0], [0.0] * 3, params=model.parameters())
    return model, loss, traced


def test_the_spirals_network_is_fused_into_its_layer_equations(spirals) -> None:
    _, _, traced = spirals
    assert traced.backend == "fused"
    for line in (
        "Z1 = X1 @ W1.T + b1",
        "Z2 = A1 @ W2.T + b2",
        "Z3 = A2 @ W3.T + b3",
        "G_A2 = G_Z3 @ W3",
        "G_A1 = G_Z2 @ W2",
        "GP[W2_index] += G_Z2.T @ A1",
        "GP[b2_index] += G_Z2.sum(axis=0)",
    ):
        assert f"    {line}\n" in traced.source


def test_the_shift_of_each_class_loss_is_computed_once(spirals) -> None:
    _, _, traced = spirals
    shifts = [i for i in traced.tape.instructions if i.op.name == "max_shift"]
    assert len(shifts) == 9  # three classes, each shifting by the largest of three logits
    kept = [i for i in without_repeats(traced.tape).instructions if i.op.name == "max_shift"]
    assert len(kept) == 3
    written = [line for line in traced.source.splitlines() if "np.isfinite(" in line]
    assert len(written) == 3  # finite_max of each logit, once
    assert "+= 0.0\n" not in traced.source  # the shift's strong zeros add nothing


def test_the_spirals_batch_equals_the_engine_sample_by_sample(spirals) -> None:
    model, loss, traced = spirals
    params = model.parameters()
    X, y = nn.datasets.make_spirals(30, n_classes=3, noise=0.2, seed=1)
    one_hot = np.eye(3)[y]
    probe = np.zeros((len(X), 3))
    values, grads, param_grads = traced.batch_arrays(X, one_hot, probe, reduce="sum")
    expected_params = np.zeros(len(params))
    for k, x in enumerate(X):

        def sample(x0, x1, s0, s1, s2, q0, q1, q2):
            return loss([x0, x1], [s0, s1, s2], [q0, q1, q2])

        value, input_grads, grads_of_params = engine(sample, [*x, *one_hot[k], *probe[k]], params)
        assert agree(value, values[k])
        scale = gradient_scale(input_grads)
        assert all(agree(e, g, scale=scale) for e, g in zip(input_grads, grads[k], strict=True))
        expected_params += grads_of_params
    scale = gradient_scale(expected_params)
    assert all(agree(e, g, scale=scale) for e, g in zip(expected_params, param_grads, strict=True))


@pytest.mark.parametrize("shift_by", [max_shift, softmax_shift])
def test_repeats_that_carry_gradients_are_kept_and_those_that_do_not_are_merged(shift_by) -> None:
    def f(x, y):
        shift = shift_by(x, y) + shift_by(x, y)  # no gradient: one of them goes
        # x * -1.0 twice carries gradients: both stay, so x's gradient adds them in the
        # engine's order and keeps the digits of the sum that cancels
        return (x * -1.0).exp() + (x * -1.0) * 1e-17 + x + shift

    traced = trace(f, 1.0, 2.0, backend="fused")
    tape = without_repeats(traced.tape)
    names = [i.op.name for i in tape.instructions]
    assert names.count(shift_by.__name__) == 1 and names.count("*") == 3
    assert traced.check(36.0, 2.0) and traced.check(-1.0, math.inf)


@pytest.mark.parametrize("x", [-36.0, 0.0, 36.0])
def test_a_confident_logit_keeps_the_digits_of_its_gradient_in_the_fused_program(x) -> None:
    def f(logit):
        return F.binary_cross_entropy_with_logits(logit, 0.0)

    traced = trace(f, 0.5, backend="fused")
    expected, got = engine(f, [x]), compiled(traced, [x])
    assert agree(expected[1][0], got[1][0])  # relative to itself, not to a larger gradient
    python = trace(f, 0.5, backend="python")
    assert_exact(expected, compiled(python, [x]))


def test_without_repeats_keeps_a_tape_with_no_repeats_as_it_is() -> None:
    w = Value(0.5)
    traced = trace(lambda x: (x * w).tanh(), 1.0, params=[w], backend="fused")
    assert without_repeats(traced.tape).instructions == traced.tape.instructions


def _parameter_dot(weights: list[int], inputs: list[int], *, bias: bool) -> tuple:
    """A per-sample term plus a linear of parameters only, at the given positions of ps."""
    ps = [Value(0.5 + k, label=f"p{k}") for k in range(4)]

    def f(x):
        dot = linear([ps[k] for k in weights], [ps[k] for k in inputs], ps[3] if bias else 0.0)
        return x * ps[0] + 0.25 * dot

    return ps, f, trace(f, 1.0, params=ps, backend="fused")


@pytest.mark.parametrize(
    ("weights", "inputs", "bias", "written"),
    [
        ([0, 1, 2, 3], [0, 1, 2, 3], False, "GP += P * "),  # an L2 penalty: all of P, in order
        ([2, 0, 1], [1, 2, 0], True, "GP[t2_w] += "),  # some, each once: a fancy +=
        ([1, 1, 2], [2, 0, 0], False, "np.add.at(GP, t2_w, "),  # repeats: every value added
    ],
)
def test_a_linear_of_parameters_adds_every_contribution_to_their_gradients(
    weights, inputs, bias, written
) -> None:
    ps, f, traced = _parameter_dot(weights, inputs, bias=bias)
    assert traced.backend == "fused" and written in traced.source
    traced.batch([1.0, -2.0, 3.0], reduce="sum")
    fused_param_grads = [p.grad for p in ps]
    for p in ps:
        p.grad = 0.0
    for x in (1.0, -2.0, 3.0):
        f(Value(x)).backward()
    for p, g in zip(ps, fused_param_grads, strict=True):
        assert agree(p.grad, g), (p.label, p.grad, g)


def test_as_fit_traces_it_the_program_returns_the_outputs_and_no_gradient_for_the_data():
    model = nn.MLP(2, [64, 64, 3], seed=1337)

    def loss(x, selector):
        out = model(x)
        return linear(selector, [F.cross_entropy(out, c) for c in range(3)], 0.0), out

    traced = trace(loss, [0.5, -1.0], [1.0, 0.0, 0.0], params=model.parameters(),
                   argnums=(), has_aux=True)  # fmt: skip
    assert traced.backend == "fused"
    assert "G_X1" not in traced.source  # d loss / d x is not asked for: not computed
    assert "return out, (), GP, (Z3[:, 0], Z3[:, 1], Z3[:, 2])" in traced.source
    X, y = nn.datasets.make_spirals(10, n_classes=3, noise=0.2, seed=1)
    (values, outputs), grads, _ = traced.batch_arrays(X, np.eye(3)[y])
    assert grads.shape == (10, 0)
    for x, t, value, out in zip(X, y, values, outputs, strict=True):
        want_loss, want_out = loss(list(x), list(np.eye(3)[t]))
        assert agree(want_loss.data, value)
        assert all(agree(w.data, o) for w, o in zip(want_out, out, strict=True))
