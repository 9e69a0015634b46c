"""Loss modules with PyTorch's names and reductions: MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss
and CrossEntropyLoss.

``criterion = nn.MSELoss(); loss = criterion(predictions, targets)``, as in PyTorch. Each loss
of one element (or one sample, for cross-entropy) is a function of ``nn.functional``, where its
numerical care lives; the module checks shapes and applies ``reduction``: ``"mean"`` (the
default) averages over every element, ``"sum"`` adds them up, ``"none"`` returns the loss of
each element in the input's shape. For the elementwise losses, predictions and targets must
have the same shape: a batch of one-output samples is ``[[y0], [y1], ...]`` on both sides, and
a ``[y0, y1, ...]`` target against it raises ``ValueError`` naming both sizes, where PyTorch
would broadcast with a warning. Like PyTorch's, the mean of no elements is ``nan``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import Value, linear
from nn import functional as F
from nn.module import Module
from nn.shapes import Shape, flatten, shape, unflatten

REDUCTIONS = ("mean", "sum", "none")


class Loss(Module):
    """The base of the loss modules: a ``reduction`` and no parameters."""

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__} reduction must be 'mean', 'sum' or 'none', "
                f"got {reduction!r}"
            )
        self.reduction = reduction

    def _reduce(self, terms: list[Value], shape: Shape) -> Any:
        """The terms' mean or sum as one Value, or (``"none"``) the terms in ``shape``."""
        if self.reduction == "none":
            return unflatten(terms, shape)
        total = linear([1.0] * len(terms), terms, 0.0)  # one node for the whole sum
        return total if self.reduction == "sum" else total / len(terms)

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this loss."""
        return {"reduction": self.reduction}

    def __repr__(self) -> str:
        reduction = "" if self.reduction == "mean" else f"reduction={self.reduction!r}"
        return f"{type(self).__name__}({reduction})"


class _ElementwiseLoss(Loss):
    """A loss of predictions and targets of one shape, element by element."""

    # The loss of one (prediction, target) pair.
    element_loss: Callable[[Any, Any], Value]

    def forward(self, input: Any, target: Any) -> Any:
        """The loss of ``input`` against ``target``, reduced as ``reduction`` says."""
        name = type(self).__name__
        input_shape = shape(input, f"{name} input")
        target_shape = shape(target, f"{name} target")
        if input_shape != target_shape:
            raise ValueError(
                f"{name} got a target of size {target_shape} for an input of size "
                f"{input_shape}; they must be the same size"
            )
        loss = type(self).element_loss
        terms = [loss(p, t) for p, t in zip(flatten(input), flatten(target), strict=True)]
        return self._reduce(terms, input_shape)


class MSELoss(_ElementwiseLoss):
    """The squared error ``(input - target)^2`` of each element, as ``torch.nn.MSELoss``.

    >>> MSELoss()([[Value(1.0)], [Value(2.0)]], [[0.0], [4.0]]).data
    2.5
    >>> [[v.data] for [v] in MSELoss(reduction="none")([[Value(1.0)], [Value(2.0)]], [[0.0], [4.0]])]
    [[1.0], [4.0]]
    >>> MSELoss()([[Value(1.0)], [Value(2.0)]], [0.0, 4.0])
    Traceback (most recent call last):
    ...
    ValueError: MSELoss got a target of size (2,) for an input of size (2, 1); they must be the same size
    """  # noqa: E501

    element_loss = F.mse_loss


class L1Loss(_ElementwiseLoss):
    """The absolute error ``|input - target|`` of each element, as ``torch.nn.L1Loss``.

    >>> L1Loss(reduction="sum")([Value(1.0), Value(2.0)], [0.0, 4.0]).data
    3.0
    """

    element_loss = F.l1_loss


class BCELoss(_ElementwiseLoss):
    """Binary cross-entropy of probabilities in [0, 1], as ``torch.nn.BCELoss``.

    Each log is clamped at -100 as PyTorch does; see ``nn.functional.binary_cross_entropy``
    for the one place where the gradient differs (a saturated, wrong prediction).

    >>> round(BCELoss()([Value(0.8), Value(0.4)], [1.0, 0.0]).data, 6)
    0.366985
    """

    element_loss = F.binary_cross_entropy


class BCEWithLogitsLoss(_ElementwiseLoss):
    """Binary cross-entropy of ``sigmoid(input)``, stable for logits of any size.

    As ``torch.nn.BCEWithLogitsLoss``.

    >>> BCEWithLogitsLoss()([Value(-1000.0)], [1.0]).data
    1000.0
    """

    element_loss = F.binary_cross_entropy_with_logits


class CrossEntropyLoss(Loss):
    """``-log softmax(logits)[class]``, or with class probabilities ``-sum p log softmax(logits)``.

    As ``torch.nn.CrossEntropyLoss``. The input is one sample's logits (``C`` numbers) or a batch
    of ``N`` samples' logits; the target is a class index (an int) per sample, or class
    probabilities in the input's own shape. ``"mean"`` divides by the number of samples and
    ``"none"`` gives one loss per sample. ``weight``, ``ignore_index`` and ``label_smoothing``
    are not supported.

    >>> round(CrossEntropyLoss()([[Value(1.0), Value(2.0), Value(3.0)]], [2]).data, 6)
    0.407606
    >>> round(CrossEntropyLoss()([Value(1.0), Value(2.0), Value(3.0)], [0.0, 0.5, 0.5]).data, 6)
    0.907606
    >>> CrossEntropyLoss()([[Value(1.0), Value(2.0)]], [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: CrossEntropyLoss got a target of size (2,) for logits of size (1, 2); expected size (1,) (class indices) or (1, 2) (class probabilities)
    """  # noqa: E501

    def forward(self, input: Any, target: Any) -> Any:
        """The loss of ``input`` (logits) against ``target``, reduced."""
        input_shape = shape(input, "CrossEntropyLoss input")
        if len(input_shape) not in (1, 2):
            raise ValueError(
                f"CrossEntropyLoss takes logits of size (C,) for one sample or (N, C) for a "
                f"batch, got size {input_shape}"
            )
        target_shape = shape(target, "CrossEntropyLoss target")
        if target_shape not in (input_shape, input_shape[:-1]):
            raise ValueError(
                f"CrossEntropyLoss got a target of size {target_shape} for logits of size "
                f"{input_shape}; expected size {input_shape[:-1]} (class indices) or "
                f"{input_shape} (class probabilities)"
            )
        one_sample = len(input_shape) == 1
        samples = [input] if one_sample else list(input)
        targets = [target] if one_sample else list(target)
        if target_shape == input_shape:  # class probabilities
            terms = [
                linear([-p for p in probabilities], F.log_softmax(logits), 0.0)
                for logits, probabilities in zip(samples, targets, strict=True)
            ]
        else:  # class indices
            terms = [F.cross_entropy(s, t) for s, t in zip(samples, targets, strict=True)]
        return self._reduce(terms, input_shape[:-1])
