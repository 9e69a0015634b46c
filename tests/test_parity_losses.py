"""The losses against PyTorch (float64) where they are hardest: saturated probabilities, huge
logits, targets between 0 and 1; values and gradients to 1e-12, relative.

Skipped without torch; CI installs it, so there these tests always run.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn.functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_penalty,
    l2_penalty,
    mse_loss,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional


def tensor(xs: list[float]) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def close(ours: float, theirs: float, *, scale: float = 0.0) -> bool:
    """Equal to 1e-12 relative (or to 1e-12 of ``scale``, the size of the terms that cancel)."""
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12 * scale)


def compare(loss, torch_loss, inputs: list[list[float]] | list[float], targets, *, scale=0.0):
    """Run both losses forward and backward; assert equal values and gradients."""
    ours_in = [Value(x) for x in inputs]
    ours = loss(ours_in, targets)
    ours.backward()
    theirs_in = tensor(inputs)
    theirs = torch_loss(theirs_in, torch.tensor(targets, dtype=torch.float64))
    theirs.backward()
    assert close(ours.data, theirs.item()), (ours.data, theirs.item())
    for mine, torchs in zip([v.grad for v in ours_in], theirs_in.grad.tolist(), strict=True):
        assert close(mine, torchs, scale=scale), (mine, torchs)


probabilities = st.one_of(
    st.sampled_from([0.0, 1.0, 1e-13, 1 - 1e-13, 1e-300, 0.5, 1e-12, 1 - 1e-12]),
    st.floats(0, 1),
)


@pytest.mark.parametrize(("p", "t"), [(1e-13, 1.0), (1 - 1e-13, 0.0), (0.0, 1.0), (1.0, 0.0)])
def test_binary_cross_entropy_gradient_divides_by_at_least_1e_12_as_pytorch_does(p, t):
    x = Value(p)
    binary_cross_entropy(x, t).backward()
    assert abs(x.grad) == pytest.approx(1e12, rel=1e-8)  # not 1e13, not 0
    compare(binary_cross_entropy, F.binary_cross_entropy, [p], [t])


@given(st.lists(st.tuples(probabilities, probabilities), min_size=1, max_size=4))
def test_binary_cross_entropy_matches_pytorch_values_and_gradients(pairs):
    compare(binary_cross_entropy, F.binary_cross_entropy, *map(list, zip(*pairs, strict=True)))


def test_binary_cross_entropy_with_logits_keeps_its_digits_where_the_loss_is_tiny():
    loss = binary_cross_entropy_with_logits(Value(30.0), 1.0)
    assert loss.data == math.log1p(math.exp(-30.0))
    compare(
        binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
        [30.0],
        [1.0],
        scale=1.0,
    )


logits = st.one_of(
    st.sampled_from([0.0, 30.0, -30.0, 40.0, -40.0, 800.0, -800.0]), st.floats(-50, 50)
)


@given(st.lists(st.tuples(logits, probabilities), min_size=1, max_size=4))
def test_binary_cross_entropy_with_logits_matches_pytorch(pairs):
    # The gradient is sigmoid(x) - t: where it cancels (t = 1, x large), PyTorch and this
    # engine each carry an absolute rounding error of about 1e-16 of the terms (of size 1).
    compare(
        binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
        *map(list, zip(*pairs, strict=True)),
        scale=1.0,
    )


def test_cross_entropy_of_huge_logits_is_exact_to_1e_12():
    row = [1e6, 1e6 - 0.5, -1e6]
    ours = cross_entropy([Value(x) for x in row], 0)
    theirs = F.cross_entropy(tensor([row]), torch.tensor([0]))
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12, abs=0)


huge_logits = st.one_of(
    st.sampled_from([1e6, 1e6 - 0.5, -1e6, 1e15, 0.0, 700.0, -700.0]), st.floats(-1e8, 1e8)
)


@given(st.lists(st.tuples(st.lists(huge_logits, min_size=3, max_size=3), st.integers(0, 2)),
                min_size=1, max_size=3))  # fmt: skip
def test_cross_entropy_matches_pytorch_for_logits_of_any_size(samples):
    rows, targets = [row for row, _ in samples], [t for _, t in samples]
    ours_in = [[Value(x) for x in row] for row in rows]
    ours = cross_entropy(ours_in, targets)
    ours.backward()
    theirs_in = tensor(rows)
    theirs = F.cross_entropy(theirs_in, torch.tensor(targets))
    theirs.backward()
    assert close(ours.data, theirs.item()), (ours.data, theirs.item())
    for mine_row, torch_row in zip(ours_in, theirs_in.grad.tolist(), strict=True):
        for mine, torchs in zip(mine_row, torch_row, strict=True):
            assert close(mine.grad, torchs, scale=1.0), (mine.grad, torchs)


any_number = st.one_of(
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 1e300]), st.floats(-10, 10)
)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (l1_penalty, lambda t: t.abs().sum()),
        (l2_penalty, lambda t: (t * t).sum()),
    ],
    ids=["l1_penalty", "l2_penalty"],
)
@given(st.lists(any_number, min_size=1, max_size=4))
def test_penalties_match_pytorch_gradients_at_any_parameters(ours, theirs, params):
    values = [Value(p) for p in params]
    ours(values).backward()
    t = tensor(params)
    theirs(t).backward()
    for v, g in zip(values, t.grad.tolist(), strict=True):
        assert (math.isnan(v.grad) and math.isnan(g)) or v.grad == g, (v.grad, g)


@given(st.lists(st.tuples(any_number, any_number), min_size=1, max_size=4))
def test_mse_loss_matches_pytorch_at_any_inputs(pairs):
    preds, targets = map(list, zip(*pairs, strict=True))
    values = [Value(p) for p in preds]
    loss = mse_loss(values, targets)
    loss.backward()
    t = tensor(preds)
    torch_loss = F.mse_loss(t, torch.tensor(targets, dtype=torch.float64))
    torch_loss.backward()
    both_nan = math.isnan(loss.data) and math.isnan(torch_loss.item())
    assert both_nan or close(loss.data, torch_loss.item())
    for v, g in zip(values, t.grad.tolist(), strict=True):
        assert (math.isnan(v.grad) and math.isnan(g)) or close(v.grad, g), (v.grad, g)
