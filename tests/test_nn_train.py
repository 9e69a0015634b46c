"""Tests for nn.fit, nn.evaluate and the History they produce."""

from __future__ import annotations

import io
import math
import sys
import types

import pytest

from nn import (
    MLP,
    SGD,
    Adam,
    LinearLR,
    TrainingDivergedError,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    evaluate,
    fit,
    hinge_loss,
    l2_penalty,
    mse_loss,
)
from nn.datasets import make_moons, make_spirals
from nn.train import _in_notebook, accuracy_for


def line_data():
    return [[-2.0], [-1.0], [1.0], [2.0]], [-1, -1, 1, 1]


def test_fit_reaches_97_percent_on_micrograds_moons_demo():
    X, y = make_moons(100, noise=0.1, seed=1337)
    y = [2 * t - 1 for t in y]
    model = MLP(2, [16, 16, 1], seed=1337)
    opt = SGD(model.parameters(), lr=1.0)
    history = fit(
        model, X, y, loss=hinge_loss, optimizer=opt, epochs=100, l2=1e-4,
        scheduler=LinearLR(opt, 1.0, 0.1, 100), progress=False,
    )  # fmt: skip
    assert history.accuracy[-1] >= 0.97
    assert history.loss[-1] < history.loss[0]


def test_full_batch_fit_is_exactly_micrograds_loop():
    X, y = make_moons(20, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    a, b = MLP(2, [4, 1], seed=2), MLP(2, [4, 1], seed=2)
    fit(a, X, y, loss=hinge_loss, optimizer=SGD(a.parameters(), lr=0.1), epochs=3, l2=1e-4,
        progress=False)  # fmt: skip
    for _ in range(3):
        scores = [b(x) for x in X]
        loss = hinge_loss(scores, y) + 1e-4 * l2_penalty(b.parameters())
        b.zero_grad()
        loss.backward()
        for p in b.parameters():
            p.data -= 0.1 * p.grad
    assert a.state_dict() == pytest.approx(b.state_dict(), rel=1e-12, abs=1e-15)


def test_history_has_one_entry_per_epoch_for_every_measure():
    X, y = line_data()
    model = MLP(1, [3, 1], seed=0)
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.05),
                  epochs=4, validation=(X, y), progress=False)  # fmt: skip
    assert history.epochs == 4
    for series in (history.loss, history.accuracy, history.val_loss, history.val_accuracy):
        assert len(series) == 4
    assert set(history.grad_norm) == {"layers.0", "layers.1"}
    assert all(
        len(norms) == 4 and all(n >= 0 for n in norms) for norms in history.grad_norm.values()
    )
    assert history.lr == [0.05] * 4


def test_grad_norm_is_the_norm_of_the_layers_gradients():
    X, y = [[1.0]], [1.0]
    model = MLP(1, [1], "linear", seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 0.0, "layers.0.neurons.0.b": 0.0})
    # d mse / dw = 2 (wx + b - y) x = -2, d/db = -2: norm sqrt(8)
    history = fit(model, X, y, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1),
                  epochs=1, progress=False)  # fmt: skip
    assert history.grad_norm["layers.0"] == [pytest.approx(math.sqrt(8))]
    assert history.accuracy == [None]


def test_mini_batches_take_one_step_each():
    X, y = [[1.0]] * 10, [1.0] * 10
    model = MLP(1, [1], "linear", seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 0.0, "layers.0.neurons.0.b": 0.0})
    steps = []
    opt = SGD(model.parameters(), lr=1e-3)
    original = opt.step

    def counting_step():
        steps.append(1)
        original()

    opt.step = counting_step
    fit(model, X, y, loss=mse_loss, optimizer=opt, epochs=2, batch_size=4, progress=False)
    assert len(steps) == 2 * 3


def test_shuffling_is_reproducible_with_a_seed():
    X, y = make_moons(30, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    results = []
    for _ in range(2):
        model = MLP(2, [4, 1], seed=0)
        fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=2,
            batch_size=7, seed=5, progress=False)  # fmt: skip
        results.append(model.state_dict())
    assert results[0] == results[1]


def test_early_stopping_restores_the_best_weights():
    X, y = make_moons(40, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    X_val, y_val = make_moons(40, noise=0.3, seed=1)
    y_val = [2 * t - 1 for t in y_val]
    model = MLP(2, [8, 1], seed=0)
    # A learning rate far too large makes the validation loss jump around, so it stops early.
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=3.0),
                  epochs=60, validation=(X_val, y_val), patience=3, progress=False)  # fmt: skip
    assert history.stopped_early
    assert history.epochs == history.best_epoch + 3
    best = min(history.val_loss)
    assert history.val_loss[history.best_epoch - 1] == best
    assert evaluate(model, X_val, y_val, loss=hinge_loss)[0] == pytest.approx(best, rel=1e-12)


def test_non_finite_loss_names_the_epoch_and_keeps_the_previous_weights():
    X, y = [[1e200]], [0.0]
    model = MLP(1, [1], "linear", seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": 0.0})
    before = model.state_dict()
    with pytest.raises(
        TrainingDivergedError, match=r"epoch 1: the loss became inf.*learning rate lr=0\.1"
    ):
        fit(model, X, y, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
            progress=False)  # fmt: skip
    assert model.state_dict() == before


def test_a_step_that_makes_weights_non_finite_is_undone():
    X, y = [[1e200]], [0.0]
    model = MLP(1, [1], "linear", seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 1e-70, "layers.0.neurons.0.b": 0.0})
    # The loss (1e130)^2 = 1e260 is finite; the gradient 2e130 * 1e200 overflows to inf.
    before = model.state_dict()
    with pytest.raises(TrainingDivergedError, match="epoch 1: a step made weights infinite"):
        fit(model, X, y, loss=mse_loss, optimizer=SGD(model.parameters(), lr=1.0), epochs=3,
            progress=False)  # fmt: skip
    assert model.state_dict() == before


def test_diverged_error_is_a_floating_point_error():
    assert issubclass(TrainingDivergedError, FloatingPointError)


def test_fit_trains_a_three_class_model_with_cross_entropy():
    X, y = make_spirals(60, n_classes=3, noise=0.1, seed=0)
    model = MLP(2, [16, 3], seed=0)
    history = fit(model, X, y, loss=cross_entropy, optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=25, progress=False)  # fmt: skip
    assert history.loss[-1] < history.loss[0]
    assert history.accuracy[-1] > 0.5


def test_fit_leaves_the_model_in_training_mode():
    X, y = line_data()
    model = MLP(1, [2, 1], dropout=0.2, seed=0)
    with pytest.warns(RuntimeWarning, match="Dropout in training mode"):  # not compiled
        fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.01), epochs=1,
            validation=(X, y), progress=False)  # fmt: skip
    assert model.training


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs must be at least 1"),
        ({"batch_size": 0}, ValueError, "batch_size must be at least 1"),
        ({"patience": 2}, ValueError, "patience needs validation"),
        ({"l2": -1.0}, ValueError, "l2"),
        ({"epochs": 1.5}, TypeError, "epochs must be an int"),
        ({"loss": "hinge"}, TypeError, "loss must be callable"),
        ({"validation": [[1.0]]}, TypeError, "pair"),
    ],
)
def test_fit_rejects_bad_arguments(options, error, message):
    X, y = line_data()
    model = MLP(1, [1], seed=0)
    arguments = {"loss": hinge_loss, "optimizer": SGD(model.parameters(), lr=0.1), "epochs": 1,
                 "progress": False, **options}  # fmt: skip
    with pytest.raises(error, match=message):
        fit(model, X, y, **arguments)


def test_fit_rejects_mismatched_or_empty_data():
    model = MLP(1, [1], seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="2 samples in X but 1 targets"):
        fit(model, [[1.0], [2.0]], [1], loss=hinge_loss, optimizer=opt, epochs=1)
    with pytest.raises(ValueError, match="empty"):
        fit(model, [], [], loss=hinge_loss, optimizer=opt, epochs=1)


def test_progress_bar_is_off_when_output_is_not_a_terminal(capsys):
    X, y = line_data()
    model = MLP(1, [1], seed=0)
    fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=2)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("loss", "outputs", "targets", "expected"),
    [
        (hinge_loss, [0.5, -0.5, 2.0], [1, 1, -1], 1 / 3),
        (binary_cross_entropy_with_logits, [0.5, -0.5, 2.0], [1, 0, 0], 2 / 3),
        (binary_cross_entropy, [0.7, 0.2, 0.5], [1, 0, 0], 2 / 3),
        (cross_entropy, [[0.1, 0.9], [2.0, 1.0], [0.0, 3.0]], [1, 1, 1], 2 / 3),
    ],
)
def test_accuracy_follows_what_the_loss_says_outputs_mean(loss, outputs, targets, expected):
    assert accuracy_for(loss)(outputs, targets) == pytest.approx(expected)


def test_evaluate_uses_eval_mode_and_restores_training_mode():
    model = MLP(2, [20, 1], dropout=0.5, seed=0)
    X, y = [[0.5, 0.5]] * 3, [1, 1, 1]
    first = evaluate(model, X, y, loss=hinge_loss)
    assert evaluate(model, X, y, loss=hinge_loss) == first
    assert model.training


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_shows_loss_and_accuracy(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    X, y = line_data()
    model = MLP(1, [2, 1], seed=0)
    fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
        validation=(X, y))  # fmt: skip
    shown = terminal.getvalue()
    assert "3/3" in shown
    assert "loss=" in shown and "acc=" in shown and "val_acc=" in shown


def test_progress_false_hides_the_bar_even_on_a_terminal(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    X, y = line_data()
    model = MLP(1, [2, 1], seed=0)
    fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=2,
        progress=False)  # fmt: skip
    assert terminal.getvalue() == ""


def test_notebooks_are_recognised_by_their_kernel_shell(monkeypatch):
    class ZMQInteractiveShell:
        pass

    class TerminalInteractiveShell:
        pass

    fake = types.ModuleType("IPython")
    monkeypatch.setitem(sys.modules, "IPython", fake)
    fake.get_ipython = lambda: ZMQInteractiveShell()
    assert _in_notebook()
    fake.get_ipython = lambda: TerminalInteractiveShell()
    assert not _in_notebook()
    fake.get_ipython = lambda: None
    assert not _in_notebook()


def test_progress_in_a_notebook_is_saved_as_one_plain_line_not_stderr_frames(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    code = (
        "import time, nn\n"
        "class Slow(nn.MLP):\n"
        "    def forward(self, x):\n"
        "        time.sleep(0.002)\n"
        "        return super().forward(x)\n"
        "m = Slow(1, [2, 1], seed=0)\n"
        "h = nn.fit(m, [[-1.0], [1.0]], [-1, 1], loss=nn.hinge_loss,\n"
        "           optimizer=nn.SGD(m.parameters(), lr=0.1), epochs=200)"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(notebook, timeout=120).execute()
    outputs = notebook.cells[0].outputs
    # About 0.8 s of training redraws the line several times; only its last state remains.
    assert [o.output_type for o in outputs] == ["display_data"]
    line = outputs[0].data["text/plain"]
    assert "\n" not in line and "\r" not in line
    assert line.startswith("training: 100%") and "200/200" in line
    assert "loss=" in line and "acc=100.0%" in line


def test_numpy_arrays_work_as_data_inputs_and_targets():
    np = pytest.importorskip("numpy")
    X, y = make_moons(20, noise=0.1, seed=0)
    X, y = np.array(X), np.array([2 * t - 1 for t in y])
    model = MLP(2, [4, 1], seed=0)
    assert model(X[0]).data == model(list(X[0])).data
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1),
                  epochs=2, validation=(X, y), progress=False)  # fmt: skip
    assert history.epochs == 2
    assert hinge_loss([model(x) for x in X], y).data == pytest.approx(
        evaluate(model, X, y, loss=hinge_loss)[0]
    )


def test_fit_trains_a_sequential_with_a_loss_module_and_groups_norms_by_position():
    from nn import Linear, MSELoss, Sequential, Tanh

    model = Sequential(Linear(2, 4, seed=0), Tanh(), Linear(4, 1, seed=1))
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [[1.0], [-1.0], [0.0], [0.0]]
    opt = Adam(model.parameters(), lr=0.05)
    history = fit(model, X, y, loss=MSELoss(), optimizer=opt, epochs=20, progress=False)
    assert history.loss[-1] < history.loss[0] / 10
    assert set(history.grad_norm) == {"0", "2"}


def test_fit_measures_accuracy_for_the_classification_loss_modules():
    from nn import BCEWithLogitsLoss, CrossEntropyLoss, Linear, ReLU, Sequential

    X, y = make_moons(60, noise=0.1, seed=0)
    for loss, outputs, targets in [
        (CrossEntropyLoss(), 2, list(y)),
        (BCEWithLogitsLoss(), 1, [[float(t)] for t in y]),
    ]:
        model = Sequential(Linear(2, 8, seed=0), ReLU(), Linear(8, outputs, seed=1))
        opt = Adam(model.parameters(), lr=0.05)
        history = fit(model, X, targets, loss=loss, optimizer=opt, epochs=30, progress=False)
        assert history.accuracy[-1] >= 0.85


def test_cross_entropy_with_a_one_output_model_names_the_model_not_the_targets():
    model = MLP(2, [4, 1], seed=0)
    X, y = [[i / 10, -i / 10] for i in range(100)], [i % 2 for i in range(100)]
    before = model.state_dict()
    with pytest.raises(ValueError) as caught:
        fit(model, X, y, loss=cross_entropy, optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False)  # fmt: skip
    message = str(caught.value)
    assert message.startswith("the model has 1 output, but cross_entropy needs one logit per class")
    assert "MLP(nin, [..., 2])" in message and "[0, 1, 0" not in message and len(message) < 300
    assert model.state_dict() == before


def test_a_one_number_loss_with_a_many_output_model_is_refused_before_training():
    model = MLP(2, [4, 3], seed=0)
    with pytest.raises(
        ValueError, match="the model has 3 outputs, but hinge_loss takes one number"
    ):
        fit(model, [[0.0, 1.0]], [1], loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False)  # fmt: skip


def test_checking_the_outputs_draws_no_random_number_so_training_is_unchanged():
    runs = []
    for _ in range(2):
        model = MLP(2, [4, 2], dropout=0.5, seed=3)
        X, y = [[0.5, -1.0], [1.0, 2.0], [-1.0, 0.0]], [0, 1, 1]
        with pytest.warns(RuntimeWarning, match="Dropout in training mode"):  # not compiled
            fit(model, X, y, loss=cross_entropy, optimizer=SGD(model.parameters(), lr=0.1),
                epochs=3, progress=False, seed=1)  # fmt: skip
        runs.append(model.state_dict())
    assert runs[0] == runs[1]
