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


# -- schedulers, alone and chained on one optimizer ---------------------------------------

from nn.optim import SGD  # noqa: E402
from nn.schedulers import CosineAnnealingLR, ExponentialLR, LinearLR, StepLR  # noqa: E402

SCHEDULERS = {
    "StepLR": (StepLR, {"step_size": st.integers(1, 4), "gamma": st.floats(0.05, 1.0)}),
    "ExponentialLR": (ExponentialLR, {"gamma": st.floats(0.5, 1.0)}),
    "CosineAnnealingLR": (
        CosineAnnealingLR,
        {"T_max": st.integers(1, 6), "eta_min": st.sampled_from([0.0, 0.001, 0.01])},
    ),
    "LinearLR": (
        LinearLR,
        {
            "start_factor": st.one_of(st.just(1.0), st.floats(0.01, 1.0)),
            "end_factor": st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
            "total_iters": st.integers(1, 6),
        },
    ),
}

chains = st.lists(
    st.sampled_from(sorted(SCHEDULERS)).flatmap(
        lambda name: st.tuples(st.just(name), st.fixed_dictionaries(SCHEDULERS[name][1]))
    ),
    min_size=1,
    max_size=3,
)


def run_chain(chain, epochs: int, lr: float, set_lr_at: int | None):
    """The lr of each epoch, ours and PyTorch's, with every scheduler stepped every epoch.

    Stops where PyTorch's lr goes below 0, which ours refuses (see LRScheduler.step).
    """
    opt = SGD([Value(0.0)], lr=lr)
    ours = [SCHEDULERS[name][0](opt, **options) for name, options in chain]
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    torch_opt = torch.optim.SGD([param], lr=lr)
    schedulers = torch.optim.lr_scheduler
    theirs = [getattr(schedulers, name)(torch_opt, **options) for name, options in chain]
    ours_lrs, torch_lrs = [opt.lr], [torch_opt.param_groups[0]["lr"]]
    for epoch in range(epochs):
        if epoch == set_lr_at:  # a change by hand carries on through every schedule
            opt.lr = torch_opt.param_groups[0]["lr"] = 0.25
        torch_opt.step()
        for ours_scheduler, torch_scheduler in zip(ours, theirs, strict=True):
            torch_scheduler.step()
            if torch_opt.param_groups[0]["lr"] < 0:
                with pytest.raises(ValueError, match="below 0"):
                    ours_scheduler.step()
                return ours_lrs, torch_lrs
            ours_scheduler.step()
        ours_lrs.append(opt.lr)
        torch_lrs.append(torch_opt.param_groups[0]["lr"])
    return ours_lrs, torch_lrs


def test_a_linear_warm_up_then_a_cosine_on_one_optimizer_steps_as_pytorchs():
    chain = [
        ("LinearLR", {"start_factor": 0.3125, "end_factor": 1.0, "total_iters": 3}),
        ("CosineAnnealingLR", {"T_max": 1}),
    ]
    ours, theirs = run_chain(chain, 12, 1.0, None)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_linear_lr_accepts_an_end_factor_of_zero_and_decays_to_zero():
    ours, theirs = run_chain([("LinearLR", {"start_factor": 1.0, "end_factor": 0.0})], 8, 1.0, None)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)
    assert ours[5:] == [0.0, 0.0, 0.0, 0.0]


@given(chains, st.integers(1, 25), st.floats(0.01, 2.0), st.none() | st.integers(0, 24))
def test_any_chain_of_schedulers_on_one_optimizer_steps_as_pytorchs(chain, epochs, lr, set_lr):
    ours, theirs = run_chain(chain, epochs, lr, set_lr)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15), chain


def test_a_chain_that_would_drive_lr_below_zero_is_refused_and_changes_nothing():
    opt = SGD([Value(0.0)], lr=1.0)
    first = CosineAnnealingLR(opt, T_max=1)
    second = CosineAnnealingLR(opt, T_max=3, eta_min=0.001)
    for _ in range(4):
        first.step()
        second.step()
    first.step()
    with pytest.raises(ValueError, match=r"CosineAnnealingLR would set lr to -0\.002"):
        second.step()  # PyTorch sets lr = -0.002 here
    assert (opt.lr, second.last_epoch) == (0.0, 4)


# -- optimizers, with every option, over many random steps --------------------------------

from nn.optim import Adam, AdamW, RMSprop  # noqa: E402

OPTIMIZERS = {
    "SGD": (
        SGD,
        {
            "lr": st.floats(0.001, 0.5),
            "momentum": st.sampled_from([0.0, 0.5, 0.9]),
            "dampening": st.sampled_from([0.0, 0.1, 0.5, 1.0]),
            "weight_decay": st.sampled_from([0.0, 0.01, 0.3]),
            "nesterov": st.booleans(),
            "maximize": st.booleans(),
        },
    ),
    "Adam": (
        Adam,
        {
            "lr": st.floats(0.001, 0.5),
            "betas": st.tuples(
                st.sampled_from([0.0, 0.3, 0.5, 0.9]), st.sampled_from([0.5, 0.999])
            ),
            "eps": st.sampled_from([1e-8, 1e-3]),
            "weight_decay": st.sampled_from([0.0, 0.1]),
            "amsgrad": st.booleans(),
            "maximize": st.booleans(),
        },
    ),
    "AdamW": (
        AdamW,
        {
            "lr": st.floats(0.001, 0.5),
            "betas": st.tuples(st.sampled_from([0.3, 0.9]), st.sampled_from([0.5, 0.999])),
            "weight_decay": st.sampled_from([0.0, 0.01, 0.3]),
            "amsgrad": st.booleans(),
            "maximize": st.booleans(),
        },
    ),
    "RMSprop": (
        RMSprop,
        {
            "lr": st.floats(0.001, 0.1),
            "alpha": st.sampled_from([0.4, 0.9, 0.99]),
            "eps": st.sampled_from([1e-8, 1e-3]),
            "momentum": st.sampled_from([0.0, 0.5, 0.9]),
            "weight_decay": st.sampled_from([0.0, 0.1]),
            "centered": st.booleans(),
            "maximize": st.booleans(),
        },
    ),
}


def draw_optimizer(name: str, data: st.DataObject) -> tuple[type, dict]:
    cls, strategies = OPTIMIZERS[name]
    options = data.draw(st.fixed_dictionaries(strategies))
    if name == "SGD" and options["nesterov"]:  # PyTorch's rule: momentum, no dampening
        options.update(momentum=0.9, dampening=0.0)
    return cls, options


def step_both_and_compare(name, cls, options, start, grads) -> None:
    """One step per row of grads, here and in PyTorch, each from PyTorch's previous state.

    Each step must give PyTorch's numbers to 1e-12. Starting each step from PyTorch's state
    (parameters and buffers) keeps every step a test of the formulas: PyTorch's vectorized
    sqrt is not always correctly rounded, and a weight that weight decay alone bounces around
    0 follows such last bits, so two free-running trajectories may drift apart slowly.
    """
    params = [Value(x) for x in start]
    ours = cls(params, **options)
    tensor = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    theirs = getattr(torch.optim, name)([tensor], **options)
    for row in grads:
        for p, g in zip(params, row, strict=True):
            p.grad = g
        tensor.grad = torch.tensor(row, dtype=torch.float64)
        ours.step()
        theirs.step()
        for p, t in zip(params, tensor.tolist(), strict=True):
            assert same(p.data, t) or (math.isinf(p.data) and p.data == t), (options, p.data, t)
        for p, t in zip(params, tensor.tolist(), strict=True):
            p.data = t
        for key, buffer in theirs.state[tensor].items():
            if key != "step" and buffer is not None:
                setattr(ours, key, buffer.tolist())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@given(data=st.data())
def test_every_optimizer_option_steps_as_pytorch_over_many_random_steps(name, data):
    cls, options = draw_optimizer(name, data)
    steps = data.draw(st.integers(1, 60))
    grads = [data.draw(st.lists(st.floats(-10, 10), min_size=3, max_size=3)) for _ in range(steps)]
    if data.draw(st.booleans()):  # a steady gradient: centered RMSprop's s - m^2 cancels
        grads = [grads[0]] * data.draw(st.integers(1, 200))
    step_both_and_compare(name, cls, options, [0.5, -1.5, 2.0], grads)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@given(data=st.data())
def test_every_optimizer_meets_nan_inf_and_huge_gradients_as_pytorch_does(name, data):
    cls, options = draw_optimizer(name, data)
    grads = data.draw(st.lists(st.lists(any_gradient, min_size=3, max_size=3), max_size=4))
    step_both_and_compare(name, cls, options, [0.5, -1.5, 2.0], grads)


def test_centered_rmsprop_with_a_steady_gradient_follows_pytorch_to_the_last_bit():
    params = [Value(1.0)]
    ours = RMSprop(params, lr=0.01, alpha=0.4, centered=True)
    tensor = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    theirs = torch.optim.RMSprop([tensor], lr=0.01, alpha=0.4, centered=True)
    for _ in range(60):  # s - m^2 is 1e-24 of s by now: nothing but rounding
        params[0].grad = 0.3
        tensor.grad = torch.tensor([0.3], dtype=torch.float64)
        ours.step()
        theirs.step()
    assert params[0].data == tensor.item()
