"""Tests for compiled training: fit(compile=...), nn.compiled.CompiledLoss and the CLI flag."""

from __future__ import annotations

import math
import warnings

import pytest

from autograd import TraceError, Value, trace
from nn import (
    MLP,
    SGD,
    Adam,
    LinearLR,
    TrainingDivergedError,
    cross_entropy,
    fit,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    load,
    log_softmax,
    mse_loss,
    save,
    softmax,
)
from nn.__main__ import main
from nn.compiled import BACKENDS, CompiledLoss
from nn.datasets import make_moons, make_spirals

BACKEND_CHOICES = ["auto", *BACKENDS]


def moons(n=40, seed=0):
    X, y = make_moons(n, noise=0.1, seed=seed)
    return X, [2 * t - 1 for t in y]


def train_moons(compile, *, epochs=4, batch_size=16, loss=hinge_loss, model=None):
    """A small micrograd-style run: hinge + L2, mini-batches, validation, a schedule."""
    X, y = moons()
    X_val, y_val = moons(20, seed=1)
    model = model or MLP(2, [8, 8, 1], seed=3)
    opt = SGD(model.parameters(), lr=0.5)
    history = fit(
        model, X, y, loss=loss, optimizer=opt, epochs=epochs, batch_size=batch_size,
        validation=(X_val, y_val), l2=1e-4, scheduler=LinearLR(opt, 1.0, 0.1, epochs),
        progress=False, compile=compile,
    )  # fmt: skip
    return history, model


def assert_same_history(got, want):
    assert got.epochs == want.epochs
    for name in ("loss", "val_loss", "lr"):
        assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-9, abs=1e-12)
    assert got.accuracy == want.accuracy
    assert got.val_accuracy == want.val_accuracy
    assert got.grad_norm.keys() == want.grad_norm.keys()
    for name in want.grad_norm:
        assert got.grad_norm[name] == pytest.approx(want.grad_norm[name], rel=1e-9, abs=1e-12)
    assert (got.best_epoch, got.stopped_early) == (want.best_epoch, want.stopped_early)


@pytest.mark.parametrize("backend", BACKEND_CHOICES)
def test_fit_with_each_backend_gives_the_dynamic_engines_history(backend):
    want, dynamic = train_moons("off")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback, no NumPy warning
        got, compiled = train_moons(backend)
    assert_same_history(got, want)
    assert compiled.state_dict() == pytest.approx(dynamic.state_dict(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("backend", BACKEND_CHOICES)
def test_fit_with_each_backend_trains_three_classes_with_cross_entropy_and_adam(backend):
    X, y = make_spirals(30, n_classes=3, noise=0.1, seed=0)
    runs = {}
    for choice in ("off", backend):
        model = MLP(2, [8, 3], seed=0)
        opt = Adam(model.parameters(), lr=0.05)
        runs[choice] = fit(model, X, y, loss=cross_entropy, optimizer=opt, epochs=3,
                           batch_size=8, progress=False, compile=choice)  # fmt: skip
    assert_same_history(runs[backend], runs["off"])


@pytest.mark.parametrize("backend", BACKEND_CHOICES)
def test_fit_with_each_backend_regresses_with_the_target_as_an_argument(backend):
    X = [[x / 10] for x in range(-10, 11)]
    y = [3.0 * x[0] - 1.0 for x in X]
    runs = {}
    for choice in ("off", backend):
        model = MLP(1, [4, 1], "tanh", seed=0)
        runs[choice] = fit(model, X, y, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1),
                           epochs=3, progress=False, compile=choice)  # fmt: skip
    assert_same_history(runs[backend], runs["off"])
    compiled = CompiledLoss(MLP(1, [4, 1], "tanh", seed=0), mse_loss, X, y, backend=backend)
    assert compiled.classes is None  # mse_loss computes with its target: one argument


def test_compiled_loss_gives_the_batch_loss_outputs_and_mean_gradient_of_the_engine():
    X, y = moons(12)
    model = MLP(2, [4, 1], seed=0)
    params = model.parameters()
    compiled = CompiledLoss(model, hinge_loss, X, y, l2=1e-3)
    scores = [model(x) for x in X]
    want = hinge_loss(scores, y) + 1e-3 * l2_penalty(params)
    want.backward()
    want_grads = [p.grad for p in params]
    model.zero_grad()
    loss, outputs = compiled(compiled.arrays(X, y))
    assert loss == pytest.approx(want.data, rel=1e-12)
    assert outputs == pytest.approx([s.data for s in scores], rel=1e-12)
    assert [p.grad for p in params] == pytest.approx(want_grads, rel=1e-12, abs=1e-15)
    assert compiled.classes is None  # hinge_loss computes with its target too: one argument
    assert compiled.source_lines > 10 and "def " in compiled.source


def test_compiled_loss_rejects_a_target_it_was_not_compiled_for():
    X, y = moons(6)
    compiled = CompiledLoss(MLP(2, [2, 1], seed=0), hinge_loss, X, y)
    with pytest.raises(ValueError, match="hinge_loss targets must be -1 or \\+1, got 3"):
        compiled.arrays(X, [3] * len(X))


def sum_of_hinges(scores, targets):
    """A loss that sums instead of averaging: not a mean of per-sample terms."""
    return hinge_loss(scores, targets) * (len(scores) if isinstance(scores, list) else 1)


def test_fit_auto_warns_once_and_trains_dynamically_when_the_loss_is_not_a_mean():
    want, _ = train_moons("off", loss=sum_of_hinges)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, _ = train_moons("auto", loss=sum_of_hinges)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "trains with the dynamic engine" in message
    assert "not a mean of per-sample terms" in message
    assert caught[0].filename == __file__  # the warning points at the caller's line
    assert got == want  # the dynamic engine all along: exactly its numbers


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_with_an_explicit_backend_raises_where_auto_would_fall_back(backend):
    with pytest.raises(TraceError, match=f"compile={backend!r}.*not a mean of per-sample"):
        train_moons(backend, loss=sum_of_hinges)


def hinge_reading_numbers(scores, targets):
    """A loss that branches on the numbers it computes: it cannot be traced."""
    scores = scores if isinstance(scores, list) else [scores]
    targets = targets if isinstance(targets, list) else [targets]
    terms = [
        1 - t * s if (1 - t * s).data > 0 else 0 * s for s, t in zip(scores, targets, strict=True)
    ]
    return sum(terms) / len(terms)


def test_fit_auto_falls_back_with_one_warning_when_the_loss_cannot_be_traced():
    want, _ = train_moons("off", loss=hinge_reading_numbers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, _ = train_moons("auto", loss=hinge_reading_numbers)
    assert len(caught) == 1
    assert "trains with the dynamic engine" in str(caught[0].message)
    assert got == want
    with pytest.raises(TraceError):
        train_moons("python", loss=hinge_reading_numbers)


def test_fit_auto_never_trains_dropout_on_a_replayed_mask():
    X, y = moons(20)
    runs = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for choice in ("off", "auto"):
            model = MLP(2, [8, 1], dropout=0.5, seed=0)
            runs[choice] = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(),
                               lr=0.1), epochs=2, progress=False, compile=choice)  # fmt: skip
    # Either the tracer draws a fresh mask per call (and then the first batch cannot match the
    # engine's draw) or it refuses: both fall back to the dynamic engine with a warning, and
    # neither the trace nor the check takes a draw that the dynamic engine would have made.
    assert len(caught) == 1 and "dynamic engine" in str(caught[0].message)
    assert runs["auto"] == runs["off"]


def test_fit_rejects_an_unknown_compile_choice():
    X, y = moons(4)
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="compile must be one of 'auto', 'off', 'python'"):
        fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False, compile="gpu")  # fmt: skip


def test_after_a_compiled_fit_the_models_values_hold_the_trained_weights(tmp_path):
    _, dynamic = train_moons("off")
    _, model = train_moons("auto")
    X, _ = moons(5)
    for x in X:
        assert model(x).data == pytest.approx(dynamic(x).data, rel=1e-9)
    loaded = load(save(model, tmp_path / "model.json"))
    assert loaded.state_dict() == model.state_dict()
    assert all(math.isfinite(p.grad) for p in model.parameters())


def test_full_batch_compiled_fit_is_micrograds_loop():
    X, y = moons(20)
    a, b = MLP(2, [4, 1], seed=2), MLP(2, [4, 1], seed=2)
    fit(a, X, y, loss=hinge_loss, optimizer=SGD(a.parameters(), lr=0.1), epochs=3, l2=1e-4,
        progress=False, compile="auto")  # fmt: skip
    for _ in range(3):
        loss = hinge_loss([b(x) for x in X], y) + 1e-4 * l2_penalty(b.parameters())
        b.zero_grad()
        loss.backward()
        for p in b.parameters():
            p.data -= 0.1 * p.grad
    assert a.state_dict() == pytest.approx(b.state_dict(), rel=1e-12, abs=1e-15)
    assert [p.grad for p in a.parameters()] == pytest.approx(
        [p.grad for p in b.parameters()], rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("choice", ["off", *BACKENDS])
def test_train_command_takes_a_compile_flag(tmp_path, capsys, choice):
    args = ["train", "--epochs", "2", "--samples", "16", "--hidden", "4", "--out", str(tmp_path),
            "--no-progress", "--compile", choice]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr()
    assert f"compile {choice}" in out.out
    assert "note:" not in out.err  # no fallback on the demo's network
    assert load(tmp_path / "model.json").nouts == [4, 1]


def test_train_command_rejects_an_unknown_compile_backend_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--compile", "gpu"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'gpu'" in err and "Traceback" not in err


# -- library functions that read numbers for their rule, traced with the rule recomputed --


@pytest.mark.parametrize("backend", BACKENDS)
def test_cross_entropy_traces_its_max_shift_recomputed_for_every_sample(backend):
    traced = trace(lambda z: cross_entropy(z, 1), [1.0, 2.0, 3.0], backend=backend)
    for logits in ([1000.0, 0.0, -5.0], [0.5, 700.0, 1.0], [-2.0, -1.0, 0.0]):
        zs = [Value(z) for z in logits]
        want = cross_entropy(zs, 1)
        want.backward()
        value, grads = traced(logits)
        assert math.isfinite(value)  # no exp overflowed: the shift was this sample's largest
        assert value == pytest.approx(want.data, rel=1e-12, abs=1e-300)
        assert grads == pytest.approx([z.grad for z in zs], rel=1e-12, abs=1e-15)


def log_softmax_nll(logits, targets):
    """Cross-entropy written with log_softmax: the mean of -log_softmax(z)[t] over samples."""
    pairs = zip(logits, targets, strict=True) if isinstance(targets, list) else [(logits, targets)]
    terms = [-log_softmax(z)[t] for z, t in pairs]
    return sum(terms) / len(terms)


def brier_score(logits, targets):
    """The mean squared distance of softmax(z) from the one-hot target: sum p^2 - 2 p_t + 1."""
    pairs = zip(logits, targets, strict=True) if isinstance(targets, list) else [(logits, targets)]
    terms = []
    for z, t in pairs:
        p = softmax(z)
        terms.append(l2_penalty(p) - 2 * p[t] + 1)
    return sum(terms) / len(terms)


@pytest.mark.parametrize("loss", [log_softmax_nll, brier_score])
def test_fit_auto_compiles_a_loss_made_with_softmax_or_log_softmax(loss):
    X, y = make_spirals(30, n_classes=3, noise=0.1, seed=0)
    X_val, y_val = make_spirals(10, n_classes=3, noise=0.1, seed=1)
    assert CompiledLoss(MLP(2, [8, 3], seed=0), loss, X, y).backend == "fused"
    runs = {}
    for choice in ("off", "auto"):
        model = MLP(2, [8, 3], seed=0)
        opt = Adam(model.parameters(), lr=0.05)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback to the dynamic engine, no NumPy warning
            runs[choice] = fit(model, X, y, loss=loss, optimizer=opt, epochs=3, batch_size=8,
                               validation=(X_val, y_val), progress=False,
                               compile=choice)  # fmt: skip
    assert_same_history(runs["auto"], runs["off"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_l1_penalty_traces_the_sign_of_each_call(backend):
    traced = trace(lambda p: l1_penalty(p), [1.0, -2.0], backend=backend)
    assert traced([-3.0, 4.0]) == (7.0, [-1.0, 1.0])


@pytest.mark.parametrize("backend", BACKEND_CHOICES)
def test_compiled_fit_diverges_in_the_same_epoch_with_the_same_error(backend):
    X, y = moons(30)
    errors = {}
    for choice in ("off", backend):
        model = MLP(2, [8, 8, 1], "tanh", seed=1)
        with pytest.raises(TrainingDivergedError) as caught:
            fit(model, X, y, loss=mse_loss, optimizer=SGD(model.parameters(), lr=3.0),
                epochs=300, progress=False, compile=choice)  # fmt: skip
        errors[choice] = str(caught.value), model.state_dict()
    assert errors[backend][0] == errors["off"][0]
    assert errors[backend][1] == pytest.approx(errors["off"][1], rel=1e-6)


def refuse_to_trace(*args, **kwargs):
    raise TraceError("this tracer refuses everything")


def test_train_command_says_in_one_line_that_auto_fell_back(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("nn.compiled.trace", refuse_to_trace)
    args = ["train", "--epochs", "1", "--samples", "8", "--hidden", "2", "--out", str(tmp_path),
            "--no-progress"]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "note: fit(compile='auto') trains with the dynamic engine instead: "
        "this tracer refuses everything"
    ]


def test_train_command_with_a_backend_that_cannot_compile_exits_1_in_one_line(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("nn.compiled.trace", refuse_to_trace)
    args = ["train", "--epochs", "1", "--samples", "8", "--hidden", "2", "--out", str(tmp_path),
            "--no-progress", "--compile", "fused"]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err == "python -m nn train: error: this tracer refuses everything\n"
    assert not (tmp_path / "model.json").exists()


def test_compiled_data_refuses_targets_of_another_count():
    X, y = make_moons(8, noise=0.1, seed=0)
    compiled = CompiledLoss(MLP(2, [3, 1], seed=0), mse_loss, X, [float(t) for t in y])
    with pytest.raises(ValueError, match="as many samples: 8 and 4"):
        compiled.arrays(X, [[0.0, 1.0]] * 4)


def test_fit_auto_trains_dynamically_when_a_loss_reads_list_targets_as_numbers():
    def sign_loss(outputs, targets):  # reads its targets' numbers: no trace with them
        if isinstance(outputs, Value):  # one sample
            outputs, targets = [outputs], [targets]
        pairs = zip(outputs, targets, strict=True)
        terms = [(o - 1.0) ** 2 if float(t[0]) > 0 else (o + 1.0) ** 2 for o, t in pairs]
        return sum(terms) * (1.0 / len(terms))

    X, y = make_moons(20, noise=0.1, seed=0)
    targets = [[float(t)] for t in y]
    runs = []
    for compile in ("auto", "off"):
        model = MLP(2, [4, 1], seed=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = fit(model, X, targets, loss=sign_loss, optimizer=SGD(model.parameters(),
                          lr=0.1), epochs=3, progress=False, compile=compile)  # fmt: skip
        runs.append((history.loss, [str(w.message) for w in caught]))
    (auto_loss, auto_warnings), (off_loss, _) = runs
    assert auto_loss == off_loss
    assert any("are not classes to compile one loss each" in w for w in auto_warnings)
