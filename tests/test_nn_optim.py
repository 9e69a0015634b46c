"""Tests for the optimizers, the learning-rate schedulers and gradient clipping."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    RMSprop,
    StepLR,
    clip_grad_norm_,
    clip_grad_value_,
)


def run(optimizer_class, start, grads, **options):
    """Parameters after one step per row of ``grads``, the gradient set before each step."""
    params = [Value(x) for x in start]
    opt = optimizer_class(params, **options)
    for row in grads:
        for p, g in zip(params, row, strict=True):
            p.grad = g
        opt.step()
    return [p.data for p in params]


# -- hand-computed steps (always run) ----------------------------------------------------------


def test_sgd_step_is_p_minus_lr_grad():
    assert run(SGD, [1.0, -2.0], [[0.5, -1.0]], lr=0.1) == [1.0 - 0.05, -2.0 + 0.1]


def test_sgd_weight_decay_adds_wd_p_to_the_gradient():
    # g = 0.5 + 0.1 * 1 = 0.6, p = 1 - 0.5 * 0.6
    assert run(SGD, [1.0], [[0.5]], lr=0.5, weight_decay=0.1) == [pytest.approx(0.7, abs=1e-15)]


def test_sgd_momentum_starts_the_buffer_at_the_first_gradient():
    # b1 = 1, p1 = 0 - 1 = -1; b2 = 0.9 * 1 + 1 = 1.9, p2 = -1 - 1.9 = -2.9
    assert run(SGD, [0.0], [[1.0], [1.0]], lr=1.0, momentum=0.9) == [pytest.approx(-2.9)]


def test_sgd_nesterov_looks_ahead_along_the_buffer():
    # step 1: b = 1, update g + 0.9 b = 1.9; step 2: b = 1.9, update 1 + 0.9 * 1.9 = 2.71
    result = run(SGD, [0.0], [[1.0], [1.0]], lr=1.0, momentum=0.9, nesterov=True)
    assert result == [pytest.approx(-1.9 - 2.71, abs=1e-14)]


def test_sgd_nesterov_without_momentum_raises():
    with pytest.raises(ValueError, match="momentum > 0"):
        SGD([Value(0.0)], lr=0.1, nesterov=True)


def test_adam_first_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    p, m, v = 1.0, 0.0, 0.0
    for t, g in enumerate([0.5, -0.2, 0.3], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p -= lr * m_hat / (math.sqrt(v_hat) + eps)
    assert run(Adam, [1.0], [[0.5], [-0.2], [0.3]], lr=lr) == [pytest.approx(p, rel=1e-12)]


def test_adam_weight_decay_goes_through_the_gradient_and_adamw_through_the_weight():
    # With a zero gradient, Adam's decay enters m and v: the first step is lr * sign = 0.1.
    assert run(Adam, [2.0], [[0.0]], lr=0.1, weight_decay=0.5) == [pytest.approx(1.9)]
    # AdamW multiplies the weight by 1 - lr * wd and Adam then sees a zero gradient.
    assert run(AdamW, [2.0], [[0.0]], lr=0.1, weight_decay=0.5) == [pytest.approx(1.9, 1e-15)]
    assert run(AdamW, [2.0], [[0.0]], lr=0.1, weight_decay=0.25) == [pytest.approx(1.95)]


def test_adamw_default_weight_decay_is_pytorchs():
    assert AdamW([Value(0.0)]).weight_decay == 1e-2
    assert Adam([Value(0.0)]).weight_decay == 0.0


def test_rmsprop_steps_by_hand():
    lr, alpha, eps = 0.01, 0.9, 1e-8
    p, s = 1.0, 0.0
    for g in [2.0, -1.0]:
        s = alpha * s + (1 - alpha) * g * g
        p -= lr * g / (math.sqrt(s) + eps)
    assert run(RMSprop, [1.0], [[2.0], [-1.0]], lr=lr, alpha=alpha) == [pytest.approx(p, 1e-14)]


def test_rmsprop_momentum_accumulates_the_scaled_gradient():
    lr, alpha, mu = 0.01, 0.5, 0.9
    p, s, b = 0.0, 0.0, 0.0
    for g in [1.0, 1.0]:
        s = alpha * s + (1 - alpha) * g * g
        b = mu * b + g / (math.sqrt(s) + 1e-8)
        p -= lr * b
    result = run(RMSprop, [0.0], [[1.0], [1.0]], lr=lr, alpha=alpha, momentum=mu)
    assert result == [pytest.approx(p, rel=1e-14)]


# -- common behaviour -------------------------------------------------------------------------


OPTIMIZERS = [
    (SGD, {"lr": 0.1, "momentum": 0.9}),
    (Adam, {"lr": 0.1}),
    (AdamW, {"lr": 0.1}),
    (RMSprop, {"lr": 0.1, "momentum": 0.5}),
]


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS)
def test_optimizers_reject_an_empty_parameter_list(cls, options):
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([], **options)


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS)
@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf])
def test_optimizers_reject_a_non_positive_lr(cls, options, lr):
    with pytest.raises(ValueError, match="lr must be in"):
        cls([Value(0.0)], **{**options, "lr": lr})


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS)
def test_optimizers_reject_non_values(cls, options):
    with pytest.raises(TypeError, match="must be Values"):
        cls([1.0], **options)


@pytest.mark.parametrize(
    "build",
    [
        lambda: SGD([Value(0.0)], lr=0.1, momentum=-1),
        lambda: SGD([Value(0.0)], lr=0.1, weight_decay=-1),
        lambda: Adam([Value(0.0)], betas=(1.0, 0.9)),
        lambda: Adam([Value(0.0)], eps=-1.0),
        lambda: RMSprop([Value(0.0)], alpha=1.5),
    ],
)
def test_bad_hyperparameters_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS)
def test_lr_is_mutable_and_used_by_the_next_step(cls, options):
    p = Value(1.0)
    opt = cls([p], **options)
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(ValueError):
        opt.lr = -1.0


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS)
def test_zero_grad_clears_every_gradient(cls, options):
    params = [Value(1.0), Value(2.0)]
    for p in params:
        p.grad = 3.0
    cls(params, **options).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS)
def test_state_dict_round_trip_through_json_resumes_identically(cls, options):
    grads = [[0.5, -1.0], [0.25, 0.75], [-0.5, 0.1], [1.0, 1.0]]
    straight = run(cls, [1.0, -1.0], grads, **options)

    params = [Value(1.0), Value(-1.0)]
    opt = cls(params, **options)
    for row in grads[:2]:
        for p, g in zip(params, row, strict=True):
            p.grad = g
        opt.step()
    saved = json.loads(json.dumps(opt.state_dict()))
    resumed = cls(params, **{**options, "lr": 0.5})
    resumed.load_state_dict(saved)
    assert resumed.lr == options["lr"]
    for row in grads[2:]:
        for p, g in zip(params, row, strict=True):
            p.grad = g
        resumed.step()
    assert [p.data for p in params] == straight


def test_load_state_dict_rejects_another_optimizers_state():
    sgd = SGD([Value(0.0)], lr=0.1)
    with pytest.raises(ValueError, match="not a SGD state dict"):
        sgd.load_state_dict(Adam([Value(0.0)]).state_dict())


def test_load_state_dict_rejects_state_of_the_wrong_length_and_changes_nothing():
    adam = Adam([Value(0.0), Value(1.0)], lr=0.1)
    state = Adam([Value(0.0)], lr=0.2).state_dict()
    with pytest.raises(ValueError, match="list of 2 numbers"):
        adam.load_state_dict(state)
    assert adam.lr == 0.1


def test_load_state_dict_rejects_bad_hyperparameters_and_changes_nothing():
    sgd = SGD([Value(0.0)], lr=0.1)
    state = sgd.state_dict()
    state["momentum"] = -5.0
    with pytest.raises(ValueError, match="momentum"):
        sgd.load_state_dict(state)
    assert sgd.momentum == 0.0


# -- against PyTorch (when it is installed) ---------------------------------------------------

gradients = st.lists(
    st.lists(st.floats(-10, 10, allow_nan=False), min_size=3, max_size=3), min_size=1, max_size=6
)

TORCH_CASES = [
    ("SGD", SGD, {"lr": 0.1}),
    ("SGD", SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD", SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("Adam", Adam, {"lr": 0.01}),
    ("Adam", Adam, {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", AdamW, {"lr": 0.01}),
    ("AdamW", AdamW, {"lr": 0.1, "weight_decay": 0.3}),
    ("RMSprop", RMSprop, {"lr": 0.01}),
    ("RMSprop", RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("torch_name", "cls", "options"), TORCH_CASES)
@settings(max_examples=25, deadline=None)
@given(grads=gradients)
def test_updates_match_pytorch(torch_name, cls, options, grads):
    torch = pytest.importorskip("torch")
    start = [0.5, -1.5, 2.0]
    ours = run(cls, start, grads, **options)
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, torch_name)([param], **options)
    for row in grads:
        param.grad = torch.tensor(row, dtype=torch.float64)
        opt.step()
    assert ours == pytest.approx(param.detach().tolist(), rel=1e-12, abs=1e-12)


# -- schedulers --------------------------------------------------------------------------------


def lrs(scheduler_class, steps, lr=1.0, **options):
    opt = SGD([Value(0.0)], lr=lr)
    scheduler = scheduler_class(opt, **options)
    out = [opt.lr]
    for _ in range(steps):
        scheduler.step()
        out.append(opt.lr)
        assert scheduler.get_last_lr() == opt.lr
    return out


def test_step_lr_by_hand():
    assert lrs(StepLR, 5, step_size=2, gamma=0.1) == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_exponential_lr_by_hand():
    assert lrs(ExponentialLR, 3, lr=2.0, gamma=0.5) == [2.0, 1.0, 0.5, 0.25]


def test_cosine_annealing_follows_the_closed_form_and_goes_on_past_t_max():
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(13)]
    got = lrs(CosineAnnealingLR, 12, T_max=4, eta_min=0.1)
    assert got == pytest.approx(expected, abs=1e-12)
    assert got[4] == pytest.approx(0.1) and got[8] == pytest.approx(1.0)


def test_linear_lr_reproduces_micrograds_schedule():
    got = lrs(LinearLR, 120, start_factor=1.0, end_factor=0.1, total_iters=100)
    expected = [1.0 - 0.9 * min(k, 100) / 100 for k in range(121)]
    assert got == pytest.approx(expected, abs=1e-12)


def test_scheduler_chains_on_a_learning_rate_changed_by_hand():
    opt = SGD([Value(0.0)], lr=1.0)
    scheduler = ExponentialLR(opt, gamma=0.5)
    opt.lr = 4.0
    scheduler.step()
    assert opt.lr == 2.0


@pytest.mark.parametrize(
    "build",
    [
        lambda o: StepLR(o, step_size=0),
        lambda o: StepLR(o, step_size=1, gamma=-0.1),
        lambda o: ExponentialLR(o, gamma=0.0),
        lambda o: CosineAnnealingLR(o, T_max=0),
        lambda o: CosineAnnealingLR(o, T_max=2, eta_min=-1.0),
        lambda o: LinearLR(o, start_factor=1.5),
    ],
)
def test_schedulers_reject_bad_settings(build):
    with pytest.raises(ValueError):
        build(SGD([Value(0.0)], lr=1.0))


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="optimizer"):
        StepLR("sgd", step_size=1)


def test_scheduler_state_dict_round_trip():
    opt = SGD([Value(0.0)], lr=1.0)
    a = StepLR(opt, step_size=2, gamma=0.5)
    a.step()
    b = StepLR(SGD([Value(0.0)], lr=1.0), step_size=9)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict() == {
        "base_lr": 1.0, "last_epoch": 1, "step_size": 2, "gamma": 0.5
    }  # fmt: skip
    with pytest.raises(ValueError, match="not a StepLR state dict"):
        b.load_state_dict({"last_epoch": 1})


SCHEDULER_CASES = [
    ("StepLR", StepLR, {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", ExponentialLR, {"gamma": 0.9}),
    ("CosineAnnealingLR", CosineAnnealingLR, {"T_max": 5, "eta_min": 0.01}),
    ("CosineAnnealingLR", CosineAnnealingLR, {"T_max": 3}),
    ("LinearLR", LinearLR, {"start_factor": 0.5, "end_factor": 1.0, "total_iters": 4}),
]


@pytest.mark.parametrize(("torch_name", "cls", "options"), SCHEDULER_CASES)
def test_schedulers_match_pytorch(torch_name, cls, options):
    torch = pytest.importorskip("torch")
    ours = lrs(cls, 20, lr=0.5, **options)
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=0.5)
    scheduler = getattr(torch.optim.lr_scheduler, torch_name)(opt, **options)
    theirs = [opt.param_groups[0]["lr"]]
    for _ in range(20):
        opt.step()
        scheduler.step()
        theirs.append(opt.param_groups[0]["lr"])
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)


# -- clipping ----------------------------------------------------------------------------------


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_old_norm():
    params = [Value(0.0), Value(0.0)]
    params[0].grad, params[1].grad = 3.0, 4.0
    total = clip_grad_norm_(params, 2.5)
    assert total == 5.0 and isinstance(total, float)
    scale = 2.5 / (5.0 + 1e-6)
    assert [p.grad for p in params] == [3.0 * scale, 4.0 * scale]


def test_clip_grad_norm_leaves_small_gradients_alone():
    p = Value(0.0)
    p.grad = 0.5
    assert clip_grad_norm_([p], 1.0) == 0.5
    assert p.grad == 0.5


def test_clip_grad_value_clamps_each_gradient():
    params = [Value(0.0) for _ in range(3)]
    for p, g in zip(params, [-5.0, 0.5, 7.0], strict=True):
        p.grad = g
    clip_grad_value_(params, 1.0)
    assert [p.grad for p in params] == [-1.0, 0.5, 1.0]


def test_clipping_rejects_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        clip_grad_norm_([], 1.0)
    with pytest.raises(ValueError):
        clip_grad_norm_([Value(0.0)], -1.0)
    with pytest.raises(ValueError):
        clip_grad_value_([Value(0.0)], -1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=6),
       st.floats(0.01, 50))  # fmt: skip
def test_clip_grad_norm_matches_pytorch(grads, max_norm):
    torch = pytest.importorskip("torch")
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    ours = clip_grad_norm_(params, max_norm)
    tensor = torch.zeros(len(grads), dtype=torch.float64, requires_grad=True)
    tensor.grad = torch.tensor(grads, dtype=torch.float64)
    theirs = torch.nn.utils.clip_grad_norm_([tensor], max_norm).item()
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
    assert [p.grad for p in params] == pytest.approx(tensor.grad.tolist(), rel=1e-12, abs=1e-12)


def test_load_state_dict_accepts_a_learning_rate_a_schedule_brought_to_zero():
    opt = SGD([Value(0.0)], lr=1.0)
    scheduler = CosineAnnealingLR(opt, T_max=1)
    scheduler.step()
    assert opt.lr == 0.0
    fresh = SGD([Value(0.0)], lr=0.5)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.lr == 0.0


def test_clip_grad_norm_with_infinite_max_norm_measures_the_norm_and_clips_nothing():
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 3.0, 4.0
    assert clip_grad_norm_([a, b], math.inf) == 5.0
    assert (a.grad, b.grad) == (3.0, 4.0)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda p: SGD(p, lr=0.1, dampening=1.5), ValueError, "dampening"),
        (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "damp"),
        (lambda p: Adam(p, amsgrad="yes"), TypeError, "amsgrad must be a bool"),
        (lambda p: AdamW(p, amsgrad=1), TypeError, "amsgrad must be a bool"),
        (lambda p: RMSprop(p, centered=None), TypeError, "centered must be a bool"),
    ],
)
def test_the_pytorch_options_reject_bad_values(build, error, message):
    with pytest.raises(error, match=message):
        build([Value(0.0)])


def test_amsgrad_and_centered_state_round_trips_through_state_dict():
    for cls, options in [(Adam, {"amsgrad": True}), (RMSprop, {"centered": True, "momentum": 0.5})]:
        a = cls([Value(1.0), Value(2.0)], lr=0.1, **options)
        for p in a.params:
            p.grad = 0.5
        a.step()
        b = cls([Value(1.0), Value(2.0)], lr=0.1, **options)
        b.load_state_dict(a.state_dict())
        assert b.state_dict() == a.state_dict()


def test_sgd_dampening_scales_each_gradient_after_the_first_into_the_buffer():
    # b1 = g1 = 1; b2 = 0.9 * 1 + (1 - 0.5) * 2 = 1.9; p = 0 - 1 - 1.9
    assert run(SGD, [0.0], [[1.0], [2.0]], lr=1.0, momentum=0.9, dampening=0.5) == [-2.9]
