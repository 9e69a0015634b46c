"""Tests for nn.plot: each function returns a Figure that draws the right data, headless."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from autograd import Value
from nn import MLP, History
from nn.plot import (
    CLASS_COLOURS,
    class_margins,
    plot_data,
    plot_decision_boundary,
    plot_grad_norms,
    plot_history,
    predict_class,
)


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


def test_plot_grad_norms_legend_sits_beside_the_curves():
    h = history(grad_norm={f"layers.{i}": [10.0**-i] * 3 for i in range(7)})
    fig = plot_grad_norms(h)
    rendered(fig)
    ax = fig.axes[0]
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())


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


def rendered(fig):
    """The figure's pixels as rows of (r, g, b) and a map from data to pixel coordinates."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    height = pixels.shape[0]

    def at(ax, x, y):
        px, py = ax.transData.transform((x, y))
        r, g, b, _ = pixels[height - 1 - round(py), round(px)]
        return int(r), int(g), int(b)

    return at


def tint(colour, alpha=0.3):
    """A class colour at the regions' opacity over a white background."""
    from matplotlib.colors import to_rgb

    return tuple(round(255 * (alpha * c + 1 - alpha)) for c in to_rgb(colour))


def close(a, b, tolerance=3):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_decision_boundary_shows_the_models_regions():
    model = MLP(2, [1], "linear", seed=0)
    # score = x1: class 1 on the right half
    model.load_state_dict(
        {"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.w.1": 0.0, "layers.0.neurons.0.b": 0.0}
    )
    X, y = [[-1.0, 0.0], [1.0, 0.0], [0.5, 1.0]], [-1, 1, 1]
    fig = plot_decision_boundary(model, X, y, resolution=9, padding=0.0)
    ax = fig.axes[0]
    at = rendered(fig)
    for height in (0.1, 0.5, 0.9):
        assert close(at(ax, -0.5, height), tint(CLASS_COLOURS[0]))
        assert close(at(ax, 0.3, height), tint(CLASS_COLOURS[1]))
    points = ax.collections[-1]
    assert points.get_offsets().tolist() == X
    assert points.get_array().tolist() == [0, 1, 1]
    assert ax.get_xlim() == (-1.0, 1.0)


def test_decision_boundary_is_interpolated_between_grid_points_not_drawn_in_cells():
    model = MLP(2, [1], "linear", seed=0)
    # score = x1 + x2 - 0.1: a diagonal boundary that no grid line follows
    model.load_state_dict(
        {"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.w.1": 1.0, "layers.0.neurons.0.b": -0.1}
    )
    fig = plot_decision_boundary(model, [[-1.0, -1.0], [1.0, 1.0]], [0, 1], resolution=5,
                                 padding=0.0)  # fmt: skip
    ax = fig.axes[0]
    at = rendered(fig)
    # Cells of width 0.5 centred on the grid points would give 5 of these 16 points the
    # other class.
    for x in (-0.8, -0.6, -0.35, -0.15, 0.1, 0.3, 0.55, 0.7):
        assert close(at(ax, x, 0.1 - x - 0.08), tint(CLASS_COLOURS[0]))
        assert close(at(ax, x, 0.1 - x + 0.08), tint(CLASS_COLOURS[1]))


def test_decision_boundary_colours_three_classes_as_the_scatter_does():
    # outputs (x1, x2, -x1 - x2): class 0 right, class 1 top, class 2 bottom left
    model = MLP(2, [3], "linear", seed=0)
    weights = {0: (1.0, 0.0), 1: (0.0, 1.0), 2: (-1.0, -1.0)}
    model.load_state_dict(
        {f"layers.0.neurons.{k}.{name}": value for k, (a, b) in weights.items()
         for name, value in (("w.0", a), ("w.1", b), ("b", 0.0))}
    )  # fmt: skip
    X, y = [[1.0, -0.2], [-0.2, 1.0], [-1.0, -1.0]], [0, 1, 2]
    fig = plot_decision_boundary(model, X, y, resolution=20, padding=0.2)
    ax = fig.axes[0]
    at = rendered(fig)
    assert close(at(ax, 1.0, 0.2), tint(CLASS_COLOURS[0]))
    assert close(at(ax, 0.2, 1.0), tint(CLASS_COLOURS[1]))
    assert close(at(ax, -1.0, -0.6), tint(CLASS_COLOURS[2]))
    scatter = ax.collections[-1]
    assert [scatter.cmap(scatter.norm(k)) for k in (0, 1, 2)] == [
        to_rgba(CLASS_COLOURS[k]) for k in (0, 1, 2)
    ]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["0", "1", "2"]


def test_class_margins_are_positive_for_the_predicted_class_only():
    assert class_margins(0.25) == [-0.25, 0.25]
    assert class_margins(0.25, threshold=0.5) == [0.25, -0.25]
    assert class_margins([1.0, 3.0, 2.0]) == [-2.0, 1.0, -1.0]
    assert class_margins([Value(0.25)]) == [-0.25, 0.25]  # one output, even in a list
    for output in ([0.1, 0.3, 0.2], [5.0, -1.0], 0.7, -0.2):
        margins = class_margins(output)
        assert [k for k, m in enumerate(margins) if m > 0] == [predict_class(output)]


def test_plot_data_colours_classes_as_every_plot_does_with_the_legend_beside_the_axes():
    X, y = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], [-1, 1, 1]
    fig = plot_data(X, y, title="moons")
    ax = fig.axes[0]
    scatter = ax.collections[0]
    assert scatter.get_offsets().tolist() == X
    assert [scatter.cmap(scatter.norm(k)) for k in scatter.get_array()] == [
        to_rgba(CLASS_COLOURS[k]) for k in (0, 1, 1)
    ]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["-1", "1"]
    rendered(fig)
    assert not legend.get_window_extent().overlaps(ax.get_window_extent())
    with pytest.raises(ValueError, match="2 coordinates"):
        plot_data([[0.0]], [0])


def test_plot_history_legend_sits_below_the_panels_clear_of_the_curves():
    h = history(val_loss=[1.2, 0.7, 0.4], val_accuracy=[0.4, 0.6, 1.0])
    fig = plot_history(h)
    rendered(fig)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["train", "validation"]
    box = legend.get_window_extent()
    assert all(not box.overlaps(ax.get_window_extent()) for ax in fig.axes)
    assert all(ax.get_legend() is None for ax in fig.axes)


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
