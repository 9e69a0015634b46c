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
from nn import MSELoss
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


def compare(
    loss, torch_loss, inputs: list[list[float]] | list[float], targets, *, scale=0.0, exact=False
):
    """Run both losses forward and backward; assert equal values and gradients.

    ``exact`` asks for the same numbers: below 2 ** -1022, where numbers have fewer digits,
    1e-12 relative lets a gradient be off in its last few.
    """
    ours_in = [Value(x) for x in inputs]
    ours = loss(ours_in, targets)
    ours.backward()
    theirs_in = tensor(inputs)
    theirs = torch_loss(theirs_in, torch.tensor(targets, dtype=torch.float64))
    theirs.backward()
    pairs = [(ours.data, theirs.item(), 0.0)]
    pairs += [(v.grad, g, scale) for v, g in zip(ours_in, theirs_in.grad.tolist(), strict=True)]
    for mine, torchs, size in pairs:
        assert (mine == torchs) if exact else close(mine, torchs, scale=size), (mine, torchs)


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


def test_mse_loss_gradient_matches_pytorch_at_a_subnormal_difference():
    # 2 (0 - t) / 4 is exactly -t / 2: t is an even multiple (45035996274) of 2 ** -1074, the
    # smallest subnormal. x * x would add (0 - t) / 4 twice, and that quarter, 11258999068.5
    # multiples, rounds to 11258999068 (to even): the gradient would lose one multiple.
    t = 2.2250738585e-313
    preds = [Value(0.0) for _ in range(4)]
    mse_loss(preds, [t, 0.0, 0.0, 0.0]).backward()
    assert preds[0].grad == -t / 2 == -1.11253692926e-313
    compare(mse_loss, F.mse_loss, [0.0] * 4, [t, 0.0, 0.0, 0.0], exact=True)


# Numbers whose differences are mostly subnormal (below 2 ** -1022), where a gradient keeps
# only the digits that its size leaves it.
tiny = st.one_of(
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 2.2250738585e-313, -1e-310, 2.0**-1022]),
    st.floats(-(2.0**-1020), 2.0**-1020),
)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (mse_loss, F.mse_loss),
        (MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum")),
    ],
    ids=["mse_loss", "MSELoss(reduction='sum')"],
)
@given(st.lists(st.tuples(tiny, tiny), min_size=1, max_size=6))
def test_mse_loss_gradient_matches_pytorch_exactly_where_differences_are_subnormal(
    ours, theirs, pairs
):
    compare(ours, theirs, *map(list, zip(*pairs, strict=True)), exact=True)


def test_mse_loss_gradient_overflows_where_twice_the_difference_does_as_documented():
    # The one difference documented in mse_loss: 2 (pred - target) is taken before the 1 / n.
    preds = [Value(1e308), Value(0.0)]
    loss = mse_loss(preds, [0.0, 0.0])
    loss.backward()
    t = tensor([1e308, 0.0])
    F.mse_loss(t, torch.zeros(2, dtype=torch.float64)).backward()
    assert loss.data == math.inf and preds[0].grad == math.inf
    assert t.grad[0].item() == 1e308  # (2 / 2) * 1e308
