"""fit(): the training loop (shuffled mini-batches, validation, early stopping) and its History.

One epoch: shuffle the samples with a seeded generator, and for each mini-batch run the model
on every sample, take the batch loss (plus an optional L2 penalty, as in micrograd's demo),
``zero_grad``, ``backward`` and ``optimizer.step()``. After the epoch the model is scored on the
validation data, in eval mode and without recording a graph.

Accuracy needs to know what an output means, which the loss tells: ``hinge_loss`` scores
(the sign is the class, targets -1/+1), ``binary_cross_entropy_with_logits`` logits (positive
means class 1), ``binary_cross_entropy`` probabilities (0.5 and above means class 1),
``cross_entropy`` logits (the largest is the class), and the loss modules ``BCEWithLogitsLoss``,
``BCELoss`` and ``CrossEntropyLoss`` alike, on their lists. For other losses accuracy is None
unless an ``accuracy`` function is given.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value, no_grad
from nn import functional as F
from nn.compiled import CompiledTraining, check_compile_choice
from nn.flat import FlatParameters
from nn.functional import l2_penalty
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss
from nn.module import Module
from nn.optim import Optimizer
from nn.schedulers import LRScheduler
from nn.shapes import flatten

Loss = Callable[[Any, Any], Value]
Accuracy = Callable[[Sequence[Any], Sequence[Any]], float]


@dataclass
class History:
    """What ``fit`` measured, one entry per finished epoch.

    ``grad_norm`` maps each layer's name (``layers.0``, ...) to the 2-norm of its parameters'
    gradients, averaged over the epoch's batches: vanishing or exploding gradients show here.
    Validation lists stay empty without validation data; accuracies are None where the loss
    does not define one.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    grad_norm: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """How many epochs ran."""
        return len(self.loss)


# -- what an output means --


def _sign_accuracy(outputs: Sequence[Any], targets: Sequence[Any]) -> float:
    return _mean_bool((float(o) > 0) == (t > 0) for o, t in zip(outputs, targets, strict=True))


def _logit_accuracy(outputs: Sequence[Any], targets: Sequence[Any]) -> float:
    return _mean_bool((float(o) > 0) == (t >= 0.5) for o, t in zip(outputs, targets, strict=True))


def _probability_accuracy(outputs: Sequence[Any], targets: Sequence[Any]) -> float:
    return _mean_bool(
        (float(o) >= 0.5) == (t >= 0.5) for o, t in zip(outputs, targets, strict=True)
    )


def _argmax_accuracy(outputs: Sequence[Any], targets: Sequence[Any]) -> float:
    return _mean_bool(argmax(o) == t for o, t in zip(outputs, targets, strict=True))


def _mean_bool(hits: Any) -> float:
    hits = list(hits)
    return sum(hits) / len(hits)


def argmax(values: Sequence[Any]) -> int:
    """The index of the largest value (the first one on a tie).

    >>> argmax([Value(0.5), Value(2.0), Value(-1.0)])
    1
    """
    numbers_ = [float(v) for v in values]
    return max(range(len(numbers_)), key=numbers_.__getitem__)


ACCURACY: dict[Callable[..., Value], Accuracy] = {
    F.hinge_loss: _sign_accuracy,
    F.binary_cross_entropy_with_logits: _logit_accuracy,
    F.binary_cross_entropy: _probability_accuracy,
    F.cross_entropy: _argmax_accuracy,
}


def _elementwise(accuracy: Accuracy) -> Accuracy:
    """``accuracy`` over every element of a batch of samples (a loss module's shapes)."""
    return lambda outputs, targets: accuracy(flatten(outputs), flatten(targets))


# The loss modules, by type: their outputs and targets are samples (lists), not numbers.
MODULE_ACCURACY: dict[type, Accuracy] = {
    CrossEntropyLoss: _argmax_accuracy,
    BCEWithLogitsLoss: _elementwise(_logit_accuracy),
    BCELoss: _elementwise(_probability_accuracy),
}


def accuracy_for(loss: Callable[..., Value]) -> Accuracy | None:
    """The accuracy function that matches a loss from ``nn.functional`` or a loss module, or None.

    >>> accuracy_for(F.hinge_loss)([Value(2.0), Value(-1.0)], [1, 1])
    0.5
    >>> from nn import BCEWithLogitsLoss
    >>> accuracy_for(BCEWithLogitsLoss())([[Value(2.0)], [Value(-1.0)]], [[1.0], [1.0]])
    0.5
    """
    if isinstance(loss, Module):
        return MODULE_ACCURACY.get(type(loss))
    return ACCURACY.get(loss)


# -- the loop --


class TrainingDivergedError(FloatingPointError):
    """Raised by ``fit`` when the loss or the weights stop being finite numbers."""


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    validation: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
    patience: int | None = None,
    l2: float = 0.0,
    scheduler: LRScheduler | None = None,
    accuracy: Accuracy | None = None,
    seed: int | None = 0,
    progress: bool = True,
    compile: str = "auto",
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` epochs and return the ``History``.

    Args:
        loss: a loss from ``nn.functional`` (or any ``loss(outputs, targets) -> Value``).
        batch_size: samples per step; None means the whole data set (full-batch, micrograd's).
        validation: ``(X_val, y_val)``, scored after every epoch.
        patience: stop after this many epochs without a lower validation loss, then restore
            the weights of the best epoch. Needs ``validation``.
        l2: adds ``l2 * l2_penalty(model.parameters())`` to every batch loss.
        scheduler: stepped once after every epoch.
        accuracy: ``accuracy(outputs, targets) -> float``; by default the one for ``loss``.
        seed: seeds the shuffling of mini-batches (None: fresh entropy each call).
        progress: show a progress bar (only on a terminal or in a notebook).
        compile: ``"auto"`` traces the per-sample loss once with ``autograd.trace`` and trains
            with the compiled code (``nn.compiled``), checked against the dynamic engine on
            the first batch; if the loss cannot be traced, is not a mean of per-sample terms
            or does not match, it warns once and trains with the dynamic engine. ``"off"``
            builds a graph per sample; ``"python"``, ``"numpy"`` or ``"fused"`` asks for one
            backend and raises ``TraceError`` where ``"auto"`` would fall back.

    A loss or a weight that stops being finite raises ``TrainingDivergedError`` naming the epoch;
    the weights from before that step are kept.

    >>> from nn import MLP, SGD, hinge_loss
    >>> model = MLP(1, [4, 1], seed=0)
    >>> X, y = [[-2.0], [-1.0], [1.0], [2.0]], [-1, -1, 1, 1]
    >>> opt = SGD(model.parameters(), lr=0.05)
    >>> history = fit(model, X, y, loss=hinge_loss, optimizer=opt, epochs=30, progress=False)
    >>> history.epochs, history.accuracy[-1], history.loss[-1] < history.loss[0]
    (30, 1.0, True)
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit needs an nn.Module, got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"fit loss must be callable, such as nn.hinge_loss, got {loss!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit needs an nn optimizer, got {type(optimizer).__name__}")
    X, y = _check_data(X, y, "X", "y")
    epochs = _check_count("epochs", epochs)
    batch_size = len(X) if batch_size is None else _check_count("batch_size", batch_size)
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise TypeError("fit validation must be a pair (X_val, y_val)")
        validation = _check_data(validation[0], validation[1], "X_val", "y_val")
    if patience is not None:
        patience = _check_count("patience", patience)
        if validation is None:
            raise ValueError("fit patience needs validation data: pass validation=(X_val, y_val)")
    if isinstance(l2, bool) or not isinstance(l2, int | float) or not 0 <= l2 < math.inf:
        raise ValueError(f"fit l2 must be a finite number >= 0, got {l2!r}")
    compile = check_compile_choice(compile)
    score = accuracy if accuracy is not None else accuracy_for(loss)
    _check_outputs_suit_loss(model, X[0], y, loss)

    params = model.parameters()
    compiled = CompiledTraining.build(compile, model, loss, X, y, l2=l2, validation=validation)
    layers = _layer_groups(model)
    rng = random.Random(seed)
    history = History(grad_norm={name: [] for name in layers})
    best_loss, best_state, waited = math.inf, None, 0
    bar = _progress_bar(epochs) if progress else None
    flat: FlatParameters | None = None  # once checked, the compiled step runs on arrays
    try:
        # Training mode for the whole run: evaluate() puts back the mode it found.
        model.train()
        for epoch in range(1, epochs + 1):
            order = list(range(len(X)))
            rng.shuffle(order)
            total, outputs, targets = 0.0, [None] * len(X), [None] * len(X)
            norms = {name: 0.0 for name in layers}
            n_batches = 0
            for start in range(0, len(X), batch_size):
                batch = order[start : start + batch_size]
                if flat is not None:
                    batch_loss, batch_out = compiled.train_flat(batch, flat)
                elif compiled is not None and compiled.checked:
                    optimizer.zero_grad()
                    batch_loss, batch_out = compiled.train(batch)
                else:
                    graph, batch_out = _dynamic_batch(model, loss, params, l2, X, y, batch)
                    batch_loss = graph.data
                    if math.isfinite(batch_loss):
                        optimizer.zero_grad()
                        graph.backward()
                    if compiled is not None and math.isfinite(batch_loss):
                        l2_term = l2 * l2_penalty(params).data if l2 else 0.0
                        if not compiled.check_first_batch(batch, y, batch_loss, batch_out, l2_term):
                            compiled = None
                        else:
                            flat = compiled.flat_parameters(optimizer, layers)
                if not math.isfinite(batch_loss):
                    raise _diverged(f"the loss became {batch_loss!r}", epoch, optimizer)
                if flat is not None:
                    if not flat.step():
                        raise _diverged("a step made weights infinite or NaN", epoch, optimizer)
                    for name, norm in flat.grad_norms().items():
                        norms[name] += norm
                else:
                    before = [p.data for p in params]
                    optimizer.step()
                    if not all(math.isfinite(p.data) for p in params):
                        for p, x in zip(params, before, strict=True):
                            p.data = x
                        raise _diverged("a step made weights infinite or NaN", epoch, optimizer)
                    for name, group in layers.items():
                        norms[name] += math.sqrt(math.fsum(p.grad * p.grad for p in group))
                total += batch_loss * len(batch)
                for i, out in zip(batch, batch_out, strict=True):
                    outputs[i] = out
                    targets[i] = y[i]
                n_batches += 1
            history.loss.append(total / len(X))
            history.accuracy.append(score(outputs, targets) if score else None)
            history.lr.append(optimizer.lr)
            for name in layers:
                history.grad_norm[name].append(norms[name] / n_batches)
            if validation is not None:
                if flat is not None:
                    flat.write_back()  # validation and the best epoch's state read the Values
                if compiled is not None and compiled.validation is not None:
                    val_loss, val_accuracy = compiled.evaluate(
                        validation[1], score, lambda: evaluate(model, *validation, loss=loss,
                                                                accuracy=score)
                    )  # fmt: skip
                else:
                    val_loss, val_accuracy = evaluate(model, *validation, loss=loss, accuracy=score)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_accuracy)
                if val_loss < best_loss:
                    best_loss, best_state, waited = val_loss, model.state_dict(), 0
                    history.best_epoch = epoch
                else:
                    waited += 1
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                bar.set_postfix(_postfix(history), refresh=False)
                bar.update(1)
            if patience is not None and waited >= patience:
                history.stopped_early = True
                break
    finally:
        if flat is not None:
            flat.write_back()
        if bar is not None:
            bar.close()
        model.train()
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    return history


def evaluate(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    loss: Loss,
    accuracy: Accuracy | None = None,
) -> tuple[float, float | None]:
    """The model's mean loss and accuracy on ``(X, y)``, in eval mode and without a graph.

    The model's training mode is restored afterwards.

    >>> from nn import MLP, hinge_loss
    >>> model = MLP(1, [1], seed=0)
    >>> model.load_state_dict({"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": 0.0})
    >>> evaluate(model, [[2.0], [-3.0]], [1, 1], loss=hinge_loss)
    (2.0, 0.5)
    """
    X, y = _check_data(X, y, "X", "y")
    score = accuracy if accuracy is not None else accuracy_for(loss)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(x) for x in X]
            value = loss(outputs, list(y)).data
    finally:
        model.train(was_training)
    return value, (score(outputs, y) if score else None)


# -- helpers --


def _check_data(X: Any, y: Any, x_name: str, y_name: str) -> tuple[list[Any], list[Any]]:
    for name, data in ((x_name, X), (y_name, y)):
        if isinstance(data, str) or not isinstance(data, Collection):
            raise TypeError(f"fit {name} must be a list, got {type(data).__name__}")
    if len(X) != len(y):
        raise ValueError(f"fit got {len(X)} samples in {x_name} but {len(y)} targets in {y_name}")
    if len(X) == 0:
        raise ValueError(f"fit {x_name} is empty; it needs at least one sample")
    return list(X), list(y)


# Losses that take one number per sample, and the one that takes a list of logits per sample.
_ONE_OUTPUT = (F.hinge_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.mse_loss)


def _check_outputs_suit_loss(model: Module, sample: Any, y: list[Any], loss: Loss) -> None:
    """Refuse a model whose number of outputs does not suit the loss, before any training.

    Caught here, the mistake is named; caught inside the loss, it would read as bad targets.
    """
    if loss is not F.cross_entropy and loss not in _ONE_OUTPUT:
        return
    was_training = model.training
    model.eval()  # no dropout, so that no random number is drawn
    try:
        with no_grad():
            out = model(sample)
    finally:
        model.train(was_training)
    if not isinstance(out, Value | Collection):
        return  # a model of another kind: the loss will say what it makes of it
    outputs = 1 if isinstance(out, Value) else len(out)
    name = loss.__name__
    if loss is F.cross_entropy and outputs == 1:
        whole = all(isinstance(t, int) and not isinstance(t, bool) for t in y)
        classes = max(2, max(y) + 1) if whole else 2
        raise ValueError(
            f"the model has 1 output, but cross_entropy needs one logit per class, "
            f"{classes} or more outputs: end the model with a layer of {classes} "
            f"(MLP(nin, [..., {classes}])); with 1 output, use binary_cross_entropy_with_logits "
            "(targets 0 and 1) or hinge_loss (targets -1 and 1)"
        )
    if loss is not F.cross_entropy and outputs != 1:
        raise ValueError(
            f"the model has {outputs} outputs, but {name} takes one number per sample: end "
            f"the model with a layer of 1, or use cross_entropy for {outputs} classes"
        )


def _check_count(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"fit {name} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"fit {name} must be at least 1, got {n}")
    return n


# The first part of a parameter's name that lies inside a layer.
LAYER_PARTS = ("neurons", "weight", "bias")


def _layer_groups(model: Module) -> dict[str, list[Value]]:
    """Parameters grouped by layer: the part of each name before ``neurons`` (``layers.0``), or
    before ``weight`` or ``bias`` (a Sequential's ``0``, ``2``)."""
    groups: dict[str, list[Value]] = {}
    for name, p in model.named_parameters():
        parts = name.split(".")
        cut = next((i for i, part in enumerate(parts) if part in LAYER_PARTS), 0)
        key = ".".join(parts[:cut])
        groups.setdefault(key or type(model).__name__.lower(), []).append(p)
    return groups


def _detach(out: Any) -> Any:
    if isinstance(out, Value):
        return out.data
    return [v.data if isinstance(v, Value) else v for v in out]


def _dynamic_batch(
    model: Module, loss: Loss, params: list[Value], l2: float, X: list, y: list, batch: list[int]
) -> tuple[Value, list[Any]]:
    """The batch loss as a graph (L2 term included) and each sample's outputs as numbers."""
    batch_out = [model(X[i]) for i in batch]
    batch_loss = loss(batch_out, [y[i] for i in batch])
    if l2:
        batch_loss = batch_loss + l2 * l2_penalty(params)
    return batch_loss, [_detach(out) for out in batch_out]


def _diverged(what: str, epoch: int, optimizer: Optimizer) -> TrainingDivergedError:
    return TrainingDivergedError(
        f"training diverged in epoch {epoch}: {what}. "
        f"The learning rate lr={optimizer.lr:g} is probably too large; try a smaller one. "
        "The weights from before this step are kept."
    )


def _postfix(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.loss[-1]:.4f}"}
    if history.accuracy[-1] is not None:
        shown["acc"] = f"{history.accuracy[-1]:.1%}"
    if history.val_loss:
        shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
        if history.val_accuracy[-1] is not None:
            shown["val_acc"] = f"{history.val_accuracy[-1]:.1%}"
    return shown


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = shell.get_ipython()  # type: ignore[attr-defined]
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


def _progress_bar(epochs: int) -> Any:
    """A progress bar over epochs: one line updated in place in Jupyter, tqdm on a terminal."""
    if _in_notebook():
        return _NotebookLine(epochs)
    if sys.stderr is not None and sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(total=epochs, desc="training", unit="epoch")
    return None


class _NotebookLine:
    """tqdm's bar as one line of notebook output, redrawn in place and saved as its last state.

    tqdm's text bar writes a frame to stderr at every refresh, and a saved notebook keeps
    every frame as a block of pink lines; its widget needs ipywidgets and renders on GitHub
    only as a placeholder. A display updated by id leaves one plain-text output behind.
    """

    def __init__(self, total: int) -> None:
        from IPython.display import display
        from tqdm import tqdm

        self._format_meter = tqdm.format_meter
        self.total, self.n, self.postfix = total, 0, ""
        self.start = self.last_shown = time.monotonic()
        self.handle = display(self._bundle(), raw=True, display_id=True)

    def _bundle(self) -> dict[str, str]:
        elapsed = time.monotonic() - self.start
        line = self._format_meter(self.n, self.total, elapsed, prefix="training", unit="epoch",
                                  postfix=self.postfix or None)  # fmt: skip
        return {"text/plain": line}

    def set_postfix(self, shown: dict[str, str], refresh: bool = False) -> None:
        self.postfix = ", ".join(f"{name}={value}" for name, value in shown.items())

    def update(self, n: int = 1) -> None:
        self.n += n
        if time.monotonic() - self.last_shown >= 0.1:  # tqdm's refresh rate: 10 per second
            self._show()

    def close(self) -> None:
        self._show()  # the final state, which is what a saved notebook keeps

    def _show(self) -> None:
        self.last_shown = time.monotonic()
        if self.handle is not None:
            self.handle.update(self._bundle(), raw=True)
