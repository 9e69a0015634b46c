"""Plots of training with matplotlib: curves, a 2-D decision boundary, per-layer gradient norms.

Each function returns a ``matplotlib.figure.Figure`` made without pyplot, so nothing depends
on a display or a global figure state: ``fig.savefig("loss.png")`` works on a headless server,
and a notebook shows the figure when it is the cell's value. matplotlib is imported only when
one of these functions is called, so ``import nn`` stays light.
"""

from __future__ import annotations

import math
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
    _legend_below(fig, [loss_ax, acc_ax])
    return fig


def _legend_below(fig: Figure, axes: list[Any]) -> None:
    """One legend for all panels, under them: curves near 0% or 100% stay visible."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for line in ax.get_lines():
            handles.setdefault(line.get_label(), line)
    if handles:
        fig.legend(handles.values(), handles.keys(), loc="outside lower center",
                   ncols=len(handles), frameon=False)  # fmt: skip


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
    ax.legend(title="layer", loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
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
    scores and logits; use 0.5 for probabilities); several outputs mean their argmax. Each
    region is contoured from the class's margin (``class_margins``), interpolated between grid
    points, so boundaries are smooth rather than stepped. Labels -1 and +1 (hinge loss) are
    drawn as classes 0 and 1, in the colours of ``plot_data``.

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
            grid = [[class_margins(model([a, b]), threshold) for a in x_grid] for b in y_grid]
    finally:
        model.train(was_training)

    n_classes = max(max(classes) + 1, len(grid[0][0]))
    fig = _figure(6.5, 5)
    ax = fig.subplots()
    # Each class is filled where its margin is positive, contoured from the margin itself:
    # boundaries are interpolated between grid points instead of following the grid's cells,
    # and regions of classes 0 and 2 meet without a sliver of class 1 between them.
    for k in range(min(n_classes, len(grid[0][0]))):
        margin = [[row_margins[k] for row_margins in row] for row in grid]
        top = max(max(row) for row in margin)
        if top <= 0:
            continue
        ax.contourf(x_grid, y_grid, margin, levels=[0.0, top + 1.0], colors=[class_colour(k)],
                    alpha=0.3, antialiased=True)  # fmt: skip
        ax.contour(x_grid, y_grid, margin, levels=[0.0], colors=["#333333"], linewidths=0.8)
    _scatter_classes(ax, xs, ys, classes, n_classes)
    ax.set(title="decision boundary", xlabel="$x_1$", ylabel="$x_2$")
    ax.set(xlim=(x_grid[0], x_grid[-1]), ylim=(y_grid[0], y_grid[-1]))
    _class_legend(ax, classes, y)
    return fig


def class_colour(k: int) -> str:
    """The colour of class ``k`` in every plot (Okabe and Ito's colour-blind safe palette).

    >>> class_colour(0), class_colour(1), class_colour(len(CLASS_COLOURS))
    ('#0072B2', '#E69F00', '#0072B2')
    """
    return CLASS_COLOURS[k % len(CLASS_COLOURS)]


def class_margins(output: Any, threshold: float = 0.0) -> list[float]:
    """How far each class is from being predicted: positive for the predicted class only.

    One output scores class 1 against ``threshold``: the margins are ``threshold - output``
    and ``output - threshold``. Several outputs give each class its output minus the largest
    other one. The class with a positive margin is ``predict_class(output, threshold)``.

    >>> class_margins(Value(0.75)), class_margins([Value(0.5), Value(2.0), Value(1.0)])
    ([-0.75, 0.75], [-1.5, 1.0, -1.0])
    """
    if isinstance(output, Value | int | float):
        return [threshold - float(output), float(output) - threshold]
    values = [float(v) for v in output]
    if len(values) == 1:
        return class_margins(values[0], threshold)
    return [v - max(values[:k] + values[k + 1 :], default=-math.inf) for k, v in enumerate(values)]


def plot_data(X: Sequence[Sequence[float]], y: Sequence[Any], *, title: str = "data") -> Figure:
    """A scatter plot of 2-D points, one colour per class (the colours of every other plot).

    Labels -1 and +1 (hinge loss) are drawn as classes 0 and 1.

    >>> fig = plot_data([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], [0, 1, 2], title="three points")
    >>> fig.axes[0].get_title(), [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ('three points', ['0', '1', '2'])
    """
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be non-empty and equally long, got {len(X)} and {len(y)}")
    if any(len(point) != 2 for point in X):
        raise ValueError("plot_data draws 2-D data: every point needs 2 coordinates")
    classes = [0 if label == -1 else int(label) for label in y]
    fig = _figure(5.5, 4)
    ax = fig.subplots()
    _scatter_classes(ax, [p[0] for p in X], [p[1] for p in X], classes, max(classes) + 1)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    _class_legend(ax, classes, y)
    return fig


def _scatter_classes(ax: Any, xs: list[float], ys: list[float], classes: list[int],
                     n_classes: int) -> None:  # fmt: skip
    from matplotlib.colors import ListedColormap

    colours = ListedColormap([class_colour(k) for k in range(n_classes)])
    ax.scatter(xs, ys, c=classes, cmap=colours, vmin=-0.5, vmax=n_classes - 0.5,
               s=25, edgecolors="black", linewidths=0.5)  # fmt: skip


def _class_legend(ax: Any, classes: list[int], labels: Sequence[Any]) -> None:
    """A legend of the classes beside the axes, named by the labels the data uses."""
    from matplotlib.lines import Line2D

    names = {k: label for k, label in zip(classes, labels, strict=True)}
    style = {"marker": "o", "linestyle": "", "markeredgecolor": "black", "markeredgewidth": 0.5}
    handles = [
        Line2D([], [], markerfacecolor=class_colour(k), label=str(names[k]), **style)
        for k in sorted(names)
    ]
    ax.legend(handles=handles, title="class", loc="upper left", bbox_to_anchor=(1.02, 1.0),
              frameon=False)  # fmt: skip


def _span(low: float, high: float, n: int) -> list[float]:
    return [low + (high - low) * i / (n - 1) for i in range(n)]
