"""Plots of training with matplotlib: curves, a 2-D decision boundary, per-layer gradient norms.

Each function returns a ``matplotlib.figure.Figure`` made without pyplot, so nothing depends
on a display or a global figure state: ``fig.savefig("loss.png")`` works on a headless server,
and a notebook shows the figure when it is the cell's value. matplotlib is imported only when
one of these functions is called, so ``import nn`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograd import Value, no_grad
from nn.module import Module
from nn.train import History

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Colours that stay distinct for colour-blind readers (Okabe and Ito).
CLASS_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]


def _figure(width: float = 6.4, height: float = 4.8) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _check_history(history: object) -> History:
    if not isinstance(history, History):
        raise TypeError(f"expected the History returned by nn.fit, got {type(history).__name__}")
    if not history.loss:
        raise ValueError("the history is empty: no epoch has run")
    return history


def plot_history(history: History) -> Figure:
    """Loss (left) and accuracy (right) per epoch, for training and, if any, validation data.

    >>> h = History(loss=[1.0, 0.5], accuracy=[0.5, 0.9], val_loss=[1.1, 0.7],
    ...             val_accuracy=[0.4, 0.8])
    >>> [ax.get_title() for ax in plot_history(h).axes]
    ['loss', 'accuracy']
    """
    history = _check_history(history)
    epochs = range(1, history.epochs + 1)
    fig = _figure(10, 4)
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, history.loss, label="train")
    if history.val_loss:
        loss_ax.plot(epochs[: len(history.val_loss)], history.val_loss, label="validation")
    loss_ax.set(title="loss", xlabel="epoch", ylabel="loss")
    if all(a is not None for a in history.accuracy):
        acc_ax.plot(epochs, [100 * a for a in history.accuracy], label="train")
        if history.val_accuracy and all(a is not None for a in history.val_accuracy):
            val = [100 * a for a in history.val_accuracy]
            acc_ax.plot(epochs[: len(val)], val, label="validation")
        acc_ax.set_ylim(0, 101)
    else:
        acc_ax.text(0.5, 0.5, "no accuracy for this loss", ha="center", transform=acc_ax.transAxes)
    acc_ax.set(title="accuracy", xlabel="epoch", ylabel="accuracy (%)")
    if history.best_epoch is not None and history.stopped_early:
        for ax in (loss_ax, acc_ax):
            ax.axvline(history.best_epoch, color="grey", linestyle=":", label="best epoch")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend()
    return fig


def plot_grad_norms(history: History) -> Figure:
    """Each layer's gradient norm per epoch, on a log scale: vanishing or exploding gradients.

    >>> h = History(loss=[1.0, 0.5], grad_norm={"layers.0": [0.1, 0.2], "layers.1": [1.0, 2.0]})
    >>> [line.get_label() for line in plot_grad_norms(h).axes[0].get_lines()]
    ['layers.0', 'layers.1']
    """
    history = _check_history(history)
    fig = _figure()
    ax = fig.subplots()
    epochs = range(1, history.epochs + 1)
    for name, norms in history.grad_norm.items():
        ax.plot(epochs, norms, label=name)
    if any(x > 0 for norms in history.grad_norm.values() for x in norms):
        ax.set_yscale("log")
    ax.set(title="gradient norm per layer", xlabel="epoch", ylabel="2-norm of the gradients")
    ax.grid(alpha=0.3, which="both")
    ax.legend(title="layer")
    return fig


def predict_class(output: Any, threshold: float = 0.0) -> int:
    """The class an output stands for: ``output > threshold`` for one value, else the argmax.

    One value in a list (a PyTorch-style layer's single output) counts as one value.

    >>> predict_class(Value(0.3)), predict_class([Value(0.1), Value(0.9), Value(0.5)])
    (1, 1)
    >>> predict_class([Value(0.3)]), predict_class([Value(-0.3)])
    (1, 0)
    """
    if isinstance(output, Value | int | float):
        return int(float(output) > threshold)
    values = [float(v) for v in output]
    if len(values) == 1:
        return int(values[0] > threshold)
    return max(range(len(values)), key=values.__getitem__)


def plot_decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    resolution: int = 80,
    threshold: float = 0.0,
    padding: float = 0.5,
) -> Figure:
    """The regions where a 2-D classifier predicts each class, with the data on top.

    The model is run (in eval mode, without a graph) on a ``resolution`` x ``resolution`` grid
    covering the data. A single output means class 1 where it exceeds ``threshold`` (0 for
    scores and logits; use 0.5 for probabilities); several outputs mean their argmax. Labels
    -1 and +1 (hinge loss) are drawn as classes 0 and 1.

    >>> from nn import MLP
    >>> fig = plot_decision_boundary(MLP(2, [4, 1], seed=0), [[0.0, 0.0], [1.0, 1.0]], [-1, 1],
    ...                              resolution=10)
    >>> fig.axes[0].get_title()
    'decision boundary'
    """
    if not isinstance(model, Module):
        raise TypeError(f"plot_decision_boundary needs an nn.Module, got {type(model).__name__}")
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be non-empty and equally long, got {len(X)} and {len(y)}")
    if any(len(point) != 2 for point in X):
        raise ValueError("plot_decision_boundary draws 2-D data: every point needs 2 coordinates")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int of at least 2, got {resolution!r}")
    classes = [0 if label == -1 else int(label) for label in y]
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    x_grid = _span(min(xs) - padding, max(xs) + padding, resolution)
    y_grid = _span(min(ys) - padding, max(ys) + padding, resolution)

    was_training = model.training
    model.eval()
    try:
        with no_grad():
            regions = [[predict_class(model([a, b]), threshold) for a in x_grid] for b in y_grid]
    finally:
        model.train(was_training)

    from matplotlib.colors import ListedColormap

    n_classes = max(max(classes), max(max(row) for row in regions)) + 1
    colours = ListedColormap((CLASS_COLOURS * (n_classes // len(CLASS_COLOURS) + 1))[:n_classes])
    fig = _figure(5.5, 5)
    ax = fig.subplots()
    # Cells, not contours: contour lines between classes 0 and 2 would pass through level 1
    # and paint a thin band of class 1 along the boundary.
    ax.pcolormesh(x_grid, y_grid, regions, cmap=colours, vmin=-0.5, vmax=n_classes - 0.5,
                  shading="nearest", alpha=0.3)  # fmt: skip
    ax.scatter(xs, ys, c=classes, cmap=colours, vmin=-0.5, vmax=n_classes - 0.5,
               s=25, edgecolors="black", linewidths=0.5)  # fmt: skip
    ax.set(title="decision boundary", xlabel="$x_1$", ylabel="$x_2$")
    ax.set(xlim=(x_grid[0], x_grid[-1]), ylim=(y_grid[0], y_grid[-1]))
    return fig


def _span(low: float, high: float, n: int) -> list[float]:
    return [low + (high - low) * i / (n - 1) for i in range(n)]
