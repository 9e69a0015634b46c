"""Tests for the losses and softmax in nn.functional: hand-computed cases, PyTorch, gradients."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, gradcheck
from nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    softmax,
)

finite = st.floats(min_value=-30, max_value=30, allow_nan=False)
probabilities = st.floats(min_value=0.0, max_value=1.0)


def values(xs):
    return [Value(x) for x in xs]


# -- hand-computed cases (always run) ---------------------------------------------------------


def test_mse_loss_of_one_sample_and_of_a_batch():
    assert mse_loss(Value(3.0), 1.0).data == 4.0
    assert mse_loss(values([1.0, 2.0, 3.0]), [1.0, 0.0, 0.0]).data == (0 + 4 + 9) / 3


def test_mse_loss_gradient_is_two_residuals_over_n():
    pred = values([1.0, 2.0])
    mse_loss(pred, [0.0, 4.0]).backward()
    assert [p.grad for p in pred] == [1.0, -2.0]


def test_binary_cross_entropy_hand_values():
    assert binary_cross_entropy(Value(0.8), 1.0).data == pytest.approx(-math.log(0.8), abs=1e-15)
    assert binary_cross_entropy(Value(0.8), 0.0).data == pytest.approx(-math.log(0.2), abs=1e-15)
    batch = binary_cross_entropy(values([0.5, 0.25]), [1.0, 0.0]).data
    assert batch == pytest.approx((math.log(2) - math.log(0.75)) / 2, abs=1e-15)


def test_binary_cross_entropy_clamps_each_log_at_minus_100():
    assert binary_cross_entropy(Value(0.0), 1.0).data == 100.0
    assert binary_cross_entropy(Value(1.0), 0.0).data == 100.0
    assert binary_cross_entropy(Value(0.0), 0.0).data == 0.0


def test_binary_cross_entropy_gradient_is_p_minus_t_over_p_one_minus_p():
    p = Value(0.8)
    binary_cross_entropy(p, 1.0).backward()
    assert p.grad == pytest.approx((0.8 - 1.0) / (0.8 * 0.2), rel=1e-12)


def test_binary_cross_entropy_rejects_values_outside_zero_one():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got 1.5"):
        binary_cross_entropy(Value(1.5), 1.0)


def test_bce_with_logits_hand_values():
    assert binary_cross_entropy_with_logits(Value(0.0), 1.0).data == math.log(2)
    x = 1.5
    expected = -math.log(1 / (1 + math.exp(-x)))
    assert binary_cross_entropy_with_logits(Value(x), 1.0).data == pytest.approx(expected, 1e-14)
    expected0 = -math.log(1 - 1 / (1 + math.exp(-x)))
    assert binary_cross_entropy_with_logits(Value(x), 0.0).data == pytest.approx(expected0, 1e-14)


@pytest.mark.parametrize("x", [-1000.0, -50.0, 50.0, 1000.0])
def test_bce_with_logits_is_finite_and_exact_for_huge_logits(x):
    wrong = binary_cross_entropy_with_logits(Value(x), 0.0 if x > 0 else 1.0)
    right = binary_cross_entropy_with_logits(Value(x), 1.0 if x > 0 else 0.0)
    assert wrong.data == pytest.approx(abs(x), rel=1e-15)
    assert 0.0 <= right.data < 1e-20
    logit = Value(x)
    binary_cross_entropy_with_logits(logit, 1.0).backward()
    assert math.isfinite(logit.grad)


@pytest.mark.parametrize("x", [-2.0, -1e-300, 0.0, 1e-300, 0.3, 2.0])
@pytest.mark.parametrize("t", [0.0, 0.25, 1.0])
def test_bce_with_logits_gradient_is_sigmoid_minus_target(x, t):
    logit = Value(x)
    binary_cross_entropy_with_logits(logit, t).backward()
    assert logit.grad == pytest.approx(1 / (1 + math.exp(-x)) - t, abs=1e-15)


def test_hinge_loss_is_micrograds_max_margin_loss():
    scores = values([2.0, 0.5, 0.5, -3.0])
    targets = [1, 1, -1, -1]
    # relu(1 - t s): 0, 0.5, 1.5, 0
    assert hinge_loss(scores, targets).data == 0.5
    hinge_loss(scores, targets).backward()
    assert [s.grad for s in scores] == [0.0, -0.25, 0.25, 0.0]


def test_hinge_loss_rejects_targets_other_than_plus_minus_one():
    with pytest.raises(ValueError, match=r"-1 or \+1, got 0\.0"):
        hinge_loss(Value(1.0), 0)


def test_softmax_sums_to_one_and_matches_exp_ratios():
    probs = softmax(values([1.0, 2.0, 3.0]))
    total = sum(math.exp(k) for k in (1, 2, 3))
    for p, k in zip(probs, (1, 2, 3), strict=True):
        assert p.data == pytest.approx(math.exp(k) / total, rel=1e-15)
    assert math.fsum(p.data for p in probs) == pytest.approx(1.0, abs=1e-15)


def test_softmax_is_stable_for_huge_logits():
    assert [p.data for p in softmax(values([1000.0, 1000.0]))] == [0.5, 0.5]
    assert [p.data for p in softmax(values([-1000.0, 0.0]))] == [0.0, 1.0]


def test_cross_entropy_hand_values():
    logits = values([1.0, 2.0, 3.0])
    lse = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert cross_entropy(logits, 0).data == pytest.approx(lse - 1.0, rel=1e-15)
    batch = cross_entropy([values([0.0, 0.0]), values([0.0, math.log(3)])], [0, 1]).data
    assert batch == pytest.approx((math.log(2) + math.log(4 / 3)) / 2, rel=1e-14)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits = values([1.0, 2.0, 3.0])
    cross_entropy(logits, 1).backward()
    probs = [p.data for p in softmax(values([1.0, 2.0, 3.0]))]
    assert [v.grad for v in logits] == pytest.approx([probs[0], probs[1] - 1, probs[2]], abs=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    assert cross_entropy(values([1000.0, 0.0]), 0).data == 0.0
    assert cross_entropy(values([1000.0, 0.0]), 1).data == 1000.0


@pytest.mark.parametrize("target", [-1, 3])
def test_cross_entropy_rejects_a_class_out_of_range(target):
    with pytest.raises(ValueError, match=f"target {target} is out of range for 3 classes"):
        cross_entropy(values([1.0, 2.0, 3.0]), target)


def test_cross_entropy_rejects_non_integer_targets():
    with pytest.raises(TypeError, match="class index"):
        cross_entropy(values([1.0, 2.0]), 1.0)


def test_penalties_sum_squares_and_absolute_values():
    params = values([3.0, -4.0, 0.0])
    assert l2_penalty(params).data == 25.0
    assert l1_penalty(params).data == 7.0
    l2_penalty(params).backward()
    assert [p.grad for p in params] == [6.0, -8.0, 0.0]
    for p in params:
        p.grad = 0.0
    l1_penalty(params).backward()
    assert [p.grad for p in params] == [1.0, -1.0, 0.0]


def test_l1_penalty_of_nan_is_nan():
    assert math.isnan(l1_penalty([Value(math.nan)]).data)


@pytest.mark.parametrize(
    "loss", [mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, hinge_loss]
)
def test_mismatched_lengths_raise_value_error(loss):
    with pytest.raises(ValueError, match="got 2 inputs and 3 targets"):
        loss(values([0.5, 0.5]), [1, 1, 1])


@pytest.mark.parametrize(
    "loss", [mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, hinge_loss]
)
def test_empty_batches_raise_value_error(loss):
    with pytest.raises(ValueError, match="at least one sample"):
        loss([], [])


def test_cross_entropy_mismatched_batch_raises_value_error():
    with pytest.raises(ValueError, match="got 2 inputs and 1 targets"):
        cross_entropy([values([1.0, 2.0]), values([1.0, 2.0])], [0])


def test_losses_reject_strings():
    with pytest.raises(TypeError):
        mse_loss("1.0", 1.0)
    with pytest.raises(TypeError):
        mse_loss([Value(1.0)], "1")


def test_plain_numbers_are_accepted_as_predictions():
    assert mse_loss([1.0, 2.0], [1.0, 1.0]).data == 0.5


# -- gradients against finite differences -----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(finite, min_size=3, max_size=3), st.integers(0, 2))
def test_cross_entropy_gradient_matches_finite_differences(logits, target):
    assert gradcheck(lambda a, b, c: cross_entropy([a, b, c], target), logits)


@settings(max_examples=30, deadline=None)
@given(finite.filter(lambda x: abs(x) > 1e-3), st.sampled_from([0.0, 0.3, 1.0]))
def test_bce_with_logits_gradient_matches_finite_differences(x, t):
    assert gradcheck(lambda v: binary_cross_entropy_with_logits(v, t), [x])


@settings(max_examples=30, deadline=None)
@given(st.lists(finite, min_size=3, max_size=3))
def test_softmax_gradient_matches_finite_differences(logits):
    assert gradcheck(lambda a, b, c: softmax([a, b, c])[0] * 2 + softmax([a, b, c])[2], logits)


# -- against PyTorch (when it is installed) ---------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=5))
def test_mse_loss_matches_pytorch(pairs):
    torch = pytest.importorskip("torch")
    preds, targets = [p for p, _ in pairs], [t for _, t in pairs]
    ours = mse_loss(values(preds), targets).data
    theirs = torch.nn.functional.mse_loss(
        torch.tensor(preds, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64)
    ).item()
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(probabilities, probabilities), min_size=1, max_size=5))
def test_binary_cross_entropy_matches_pytorch(pairs):
    torch = pytest.importorskip("torch")
    probs, targets = [p for p, _ in pairs], [t for _, t in pairs]
    ours = binary_cross_entropy(values(probs), targets).data
    theirs = torch.nn.functional.binary_cross_entropy(
        torch.tensor(probs, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64)
    ).item()
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-800, 800, allow_nan=False), probabilities), min_size=1, max_size=5
    )
)
def test_bce_with_logits_matches_pytorch_values_and_gradients(pairs):
    torch = pytest.importorskip("torch")
    logits, targets = [x for x, _ in pairs], [t for _, t in pairs]
    ours_in = values(logits)
    ours = binary_cross_entropy_with_logits(ours_in, targets)
    ours.backward()
    theirs_in = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        theirs_in, torch.tensor(targets, dtype=torch.float64)
    )
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12, abs=1e-12)
    assert [v.grad for v in ours_in] == pytest.approx(theirs_in.grad.tolist(), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.floats(-500, 500, allow_nan=False), min_size=3, max_size=3),
                  st.integers(0, 2)),
        min_size=1,
        max_size=4,
    )
)  # fmt: skip
def test_cross_entropy_matches_pytorch_values_and_gradients(samples):
    torch = pytest.importorskip("torch")
    logits, targets = [s for s, _ in samples], [t for _, t in samples]
    ours_in = [values(row) for row in logits]
    ours = cross_entropy(ours_in, targets)
    ours.backward()
    theirs_in = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(theirs_in, torch.tensor(targets))
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12, abs=1e-12)
    ours_grads = [[v.grad for v in row] for row in ours_in]
    for mine, torchs in zip(ours_grads, theirs_in.grad.tolist(), strict=True):
        assert mine == pytest.approx(torchs, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-700, 700, allow_nan=False), min_size=1, max_size=5))
def test_softmax_matches_pytorch(logits):
    torch = pytest.importorskip("torch")
    ours = [p.data for p in softmax(values(logits))]
    theirs = torch.softmax(torch.tensor(logits, dtype=torch.float64), dim=0).tolist()
    assert ours == pytest.approx(theirs, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, st.sampled_from([-1.0, 1.0])), min_size=1, max_size=5))
def test_hinge_loss_matches_pytorch_relu_form(pairs):
    torch = pytest.importorskip("torch")
    scores, targets = [s for s, _ in pairs], [t for _, t in pairs]
    ours = hinge_loss(values(scores), targets).data
    s = torch.tensor(scores, dtype=torch.float64)
    t = torch.tensor(targets, dtype=torch.float64)
    assert ours == pytest.approx(torch.relu(1 - t * s).mean().item(), rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=1, max_size=6))
def test_penalties_match_pytorch(params):
    torch = pytest.importorskip("torch")
    t = torch.tensor(params, dtype=torch.float64)
    assert l2_penalty(values(params)).data == pytest.approx((t**2).sum().item(), rel=1e-12)
    assert l1_penalty(values(params)).data == pytest.approx(t.abs().sum().item(), rel=1e-12)


def test_a_list_of_targets_for_one_samples_logits_is_shown_cut_short():
    logits = [Value(0.5)] * 100
    with pytest.raises(TypeError, match=r"got \[0, 1, 0, 1, 0, 1, \.\.\.\]$"):
        cross_entropy(logits, [i % 2 for i in range(100)])
