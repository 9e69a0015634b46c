"""Optimizers, their options, gradient clipping and schedulers (alone and chained) against
PyTorch (float64): every option PyTorch users set, over many random steps, to 1e-12.

Skipped without torch; CI installs it, so there these tests always run.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn.optim import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")


def same(ours: float, theirs: float) -> bool:
    """Equal to 1e-12 (relative, or absolute near 0); nan equals nan."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12)


def scalar_tensors(grads: list[float]) -> list[torch.Tensor]:
    """One 0-d parameter per gradient, as our Values are."""
    tensors = [torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in grads]
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.tensor(g, dtype=torch.float64)
    return tensors


def values_with(grads: list[float]) -> list[Value]:
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    return params


# -- clipping ----------------------------------------------------------------------------


any_gradient = st.one_of(
    st.sampled_from([0.0, math.nan, math.inf, -math.inf, 1.3e154, 1e200, 1e-200]),
    st.floats(-100, 100),
    st.floats(),
)


def test_clip_grad_norm_with_a_nan_gradient_makes_every_gradient_nan_as_pytorch_does():
    params = values_with([1.0, math.nan, 2.0])
    assert math.isnan(clip_grad_norm_(params, 1.0))
    assert all(math.isnan(p.grad) for p in params)


def test_clip_grad_norm_of_squares_beyond_the_largest_float_is_inf_not_an_overflow_error():
    params = values_with([1.3e154, 1.3e154])
    assert clip_grad_norm_(params, 1.0) == math.inf
    assert [p.grad for p in params] == [0.0, 0.0]


@given(
    st.lists(any_gradient, min_size=1, max_size=5),
    st.one_of(st.floats(0, 50), st.sampled_from([0.0, math.inf])),
)
def test_clip_grad_norm_matches_pytorch_for_any_gradients(grads, max_norm):
    params, tensors = values_with(grads), scalar_tensors(grads)
    ours = clip_grad_norm_(params, max_norm)
    theirs = torch.nn.utils.clip_grad_norm_(tensors, max_norm).item()
    assert same(ours, theirs), (ours, theirs)
    for p, t in zip(params, tensors, strict=True):
        assert same(p.grad, t.grad.item()), (p.grad, t.grad.item())


@given(st.lists(any_gradient, min_size=1, max_size=5), st.floats(0, 50))
def test_clip_grad_value_matches_pytorch_for_any_gradients(grads, clip_value):
    params, tensors = values_with(grads), scalar_tensors(grads)
    clip_grad_value_(params, clip_value)
    torch.nn.utils.clip_grad_value_(tensors, clip_value)
    for p, t in zip(params, tensors, strict=True):
        assert same(p.grad, t.grad.item()), (p.grad, t.grad.item())
