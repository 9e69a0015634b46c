"""Tests for nn.plot: each function returns a Figure that draws the right data, headless."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nn import MLP, History
from nn.plot import plot_decision_boundary, plot_grad_norms, plot_history, predict_class


def history(**extra):
    fields = {"loss": [1.0, 0.5, 0.25], "accuracy": [0.5, 0.75, 1.0]}
    fields.update(extra)
    return History(**fields)


def test_plot_history_draws_train_and_validation_curves():
    h = history(val_loss=[1.2, 0.7, 0.4], val_accuracy=[0.4, 0.6, 0.9])
    fig = plot_history(h)
    loss_ax, acc_ax = fig.axes
    lines = {line.get_label(): list(line.get_ydata()) for line in loss_ax.get_lines()}
    assert lines == {"train": [1.0, 0.5, 0.25], "validation": [1.2, 0.7, 0.4]}
    acc = {line.get_label(): list(line.get_ydata()) for line in acc_ax.get_lines()}
    assert acc["train"] == [50.0, 75.0, 100.0]
    assert acc["validation"] == pytest.approx([40.0, 60.0, 90.0])


def test_plot_history_without_accuracy_says_so():
    fig = plot_history(history(accuracy=[None, None, None]))
    assert "no accuracy" in fig.axes[1].texts[0].get_text()


def test_plot_history_marks_the_best_epoch_after_early_stopping():
    h = history(val_loss=[1.0, 0.5, 0.7], val_accuracy=[0.5, 0.6, 0.6], best_epoch=2,
                stopped_early=True)  # fmt: skip
    labels = [line.get_label() for line in plot_history(h).axes[0].get_lines()]
    assert "best epoch" in labels


def test_plot_grad_norms_draws_one_line_per_layer_on_a_log_scale():
    h = history(grad_norm={"layers.0": [1.0, 0.1, 0.01], "layers.1": [2.0, 1.0, 0.5]})
    ax = plot_grad_norms(h).axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["layers.0", "layers.1"]
    assert list(ax.get_lines()[0].get_ydata()) == [1.0, 0.1, 0.01]
    assert ax.get_yscale() == "log"


@pytest.mark.parametrize("plot", [plot_history, plot_grad_norms])
def test_plots_reject_what_is_not_a_filled_history(plot):
    with pytest.raises(TypeError, match="History"):
        plot({"loss": [1.0]})
    with pytest.raises(ValueError, match="empty"):
        plot(History())


def test_predict_class_thresholds_one_output_and_takes_the_argmax_of_several():
    assert predict_class(0.1) == 1
    assert predict_class(-0.1) == 0
    assert predict_class(0.4, threshold=0.5) == 0
    assert predict_class([0.1, 0.3, 0.2]) == 1


def test_decision_boundary_shows_the_models_regions():
    model = MLP(2, [1], "linear", seed=0)
    # score = x1: class 1 on the right half
    model.load_state_dict(
        {"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.w.1": 0.0, "layers.0.neurons.0.b": 0.0}
    )
    X, y = [[-1.0, 0.0], [1.0, 0.0], [0.5, 1.0]], [-1, 1, 1]
    fig = plot_decision_boundary(model, X, y, resolution=9, padding=0.0)
    ax = fig.axes[0]
    regions = ax.collections[0].get_array().reshape(9, 9).tolist()
    # columns are x1 from -1 to 1: class 1 where x1 > 0
    assert all(row == [0, 0, 0, 0, 0, 1, 1, 1, 1] for row in regions)
    points = ax.collections[-1]
    assert points.get_offsets().tolist() == X
    assert points.get_array().tolist() == [0, 1, 1]
    assert ax.get_xlim() == (-1.0, 1.0)


def test_decision_boundary_handles_several_classes_and_restores_training_mode():
    model = MLP(2, [4, 3], seed=0, dropout=0.3)
    X, y = [[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]], [0, 1, 2]
    plot_decision_boundary(model, X, y, resolution=5)
    assert model.training


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        ([[0.0, 0.0, 0.0]], [0], "2 coordinates"),
        ([[0.0, 0.0]], [0, 1], "equally long"),
        ([], [], "non-empty"),
    ],
)
def test_decision_boundary_rejects_bad_data(X, y, message):
    with pytest.raises(ValueError, match=message):
        plot_decision_boundary(MLP(2, [1], seed=0), X, y)


def test_figures_save_to_png_headless(tmp_path):
    fig = plot_history(history())
    fig.savefig(tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_importing_nn_does_not_import_matplotlib_or_tqdm():
    code = "import nn, sys; print('matplotlib' in sys.modules, 'tqdm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_nn_plot_is_reachable_as_an_attribute_after_import_nn():
    code = "import nn, sys; print(callable(nn.plot.plot_history), 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
