"""fit's compiled step on one flat parameter array against the same step on Values."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Value
from nn import MLP, SGD, Adam, AdamW, RMSprop, StepLR, TrainingDivergedError, fit, hinge_loss
from nn.compiled import CompiledTraining
from nn.datasets import make_moons
from nn.flat import FlatParameters, steps_on_arrays

OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "sgd weight decay maximize": lambda ps: SGD(ps, lr=0.05, weight_decay=0.01, maximize=True),
    "sgd momentum dampening": lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.3),
    "sgd nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.8, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: Adam(ps, lr=0.01),
    "adam amsgrad weight decay": lambda ps: Adam(ps, lr=0.02, amsgrad=True, weight_decay=0.1),
    "adamw amsgrad maximize": lambda ps: AdamW(ps, lr=0.01, amsgrad=True, maximize=True),
}


def train(make_optimizer, backend, *, on_values, monkeypatch, **options):
    """Weights, History and optimizer state after fit; ``on_values`` turns the flat step off."""
    with monkeypatch.context() as patch:
        flat_steps = []
        if on_values:
            patch.setattr(CompiledTraining, "flat_parameters", lambda *args: None)
        else:
            step = FlatParameters.step
            patch.setattr(FlatParameters, "step", lambda self: flat_steps.append(1) or step(self))
        X, y = make_moons(40, noise=0.1, seed=0)
        y = [2 * t - 1 for t in y]
        model = MLP(2, [8, 8, 1], seed=0)
        optimizer = make_optimizer(model.parameters())
        scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
        history = fit(model, X, y, loss=hinge_loss, optimizer=optimizer, epochs=5,
                      batch_size=16, l2=1e-4, scheduler=scheduler, progress=False,
                      compile=backend, **options)  # fmt: skip
        weights = [(p.data, p.grad) for p in model.parameters()]
        assert len(flat_steps) == (0 if on_values else 3 * history.epochs)
        return weights, history, optimizer.state_dict()


@pytest.mark.parametrize("backend", ["python", "numpy", "fused"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_flat_training_ends_with_the_value_steps_weights_bit_for_bit(name, backend, monkeypatch):
    # with an L2 term: the fused program adds it per sample, the others run it on the array
    flat = train(OPTIMIZERS[name], backend, on_values=False, monkeypatch=monkeypatch)
    values = train(OPTIMIZERS[name], backend, on_values=True, monkeypatch=monkeypatch)
    assert flat[0] == values[0]  # every weight and gradient, exactly
    assert flat[1] == values[1]
    assert flat[2] == values[2]  # the state is lists of floats again, the same ones


def test_validation_and_early_stopping_see_the_trained_weights(monkeypatch):
    X_val, y_val = make_moons(20, noise=0.1, seed=1)
    options = {"validation": (X_val, [2 * t - 1 for t in y_val]), "patience": 2}
    flat = train(OPTIMIZERS["adam"], "fused", on_values=False, monkeypatch=monkeypatch, **options)
    values = train(OPTIMIZERS["adam"], "fused", on_values=True, monkeypatch=monkeypatch, **options)
    assert flat[1].val_loss == values[1].val_loss
    assert flat[0] == values[0]


def test_a_diverging_flat_step_keeps_the_weights_from_before_it():
    model = MLP(2, [4, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=1.7e308, momentum=0.5)
    X, y = make_moons(20, noise=0.1, seed=0)
    X = [[100.0 * a, 100.0 * b] for a, b in X]  # gradients far above 1: lr * g overflows
    with pytest.raises(TrainingDivergedError, match="infinite or NaN"):
        fit(model, X, [2 * t - 1 for t in y], loss=hinge_loss, optimizer=optimizer,
            epochs=20, progress=False, compile="fused")  # fmt: skip
    assert all(np.isfinite(p.data) for p in model.parameters())
    assert isinstance(optimizer.state_dict()["state"]["momentum_buffer"], list)


def test_only_optimizers_whose_step_is_their_array_rule_step_on_arrays():
    params = [Value(1.0)]
    assert steps_on_arrays(SGD(params, lr=0.1)) and steps_on_arrays(AdamW(params))
    assert not steps_on_arrays(RMSprop(params))

    class Halved(SGD):
        def step(self) -> None:
            self.lr /= 2
            super().step()

    assert not steps_on_arrays(Halved(params, lr=0.1))
    replaced = SGD(params, lr=0.1)
    replaced.step = lambda: None
    assert not steps_on_arrays(replaced)


def test_step_flat_is_step_on_every_parameter_at_once():
    rng = np.random.default_rng(0)
    data, grads = rng.normal(size=(6, 50)), rng.normal(size=(6, 50))
    on_values = [Value(x) for x in data[0]]
    by_value = Adam(on_values, lr=0.1, amsgrad=True)
    on_array = Adam([Value(x) for x in data[0]], lr=0.1, amsgrad=True)
    flat = FlatParameters(on_array.params, on_array, {})
    for g in grads:
        for p, x in zip(on_values, g, strict=True):
            p.grad = float(x)
        by_value.step()
        flat.grad = g
        assert flat.step()
    assert flat.data.tolist() == [p.data for p in on_values]
