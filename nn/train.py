"""fit(): the training loop (shuffled mini-batches, validation, early stopping) and its History.

One epoch: shuffle the samples with a seeded generator, and for each mini-batch run the model
on every sample, take the batch loss (plus an optional L2 penalty, as in micrograd's demo),
``zero_grad``, ``backward`` and ``optimizer.step()``. After the epoch the model is scored on the
validation data, in eval mode and without recording a graph.

Accuracy needs to know what an output means, which the loss tells: ``hinge_loss`` scores
(the sign is the class, targets -1/+1), ``binary_cross_entropy_with_logits`` logits (positive
means class 1), ``binary_cross_entropy`` probabilities (0.5 and above means class 1),
``cross_entropy`` logits (the largest is the class). For other losses accuracy is None unless
an ``accuracy`` function is given.
"""

from __future__ import annotations

import math
import random
import sys
import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import TraceError, Value, no_grad
from nn import functional as F
from nn.compiled import CHECK_TOLERANCE, CompiledLoss, check_compile_choice, same_random_draws
from nn.functional import l2_penalty
from nn.module import Module
from nn.optim import Optimizer
from nn.schedulers import LRScheduler

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


def accuracy_for(loss: Callable[..., Value]) -> Accuracy | None:
    """The accuracy function that matches a loss from ``nn.functional``, or None.

    >>> accuracy_for(F.hinge_loss)([Value(2.0), Value(-1.0)], [1, 1])
    0.5
    """
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

    params = model.parameters()
    compiled = _compile(compile, model, loss, X, y, l2, validation)
    layers = _layer_groups(model)
    rng = random.Random(seed)
    history = History(grad_norm={name: [] for name in layers})
    best_loss, best_state, waited = math.inf, None, 0
    bar = _progress_bar(epochs) if progress else None
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
                if compiled is not None and compiled.checked:
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
                        compiled = _check_first_batch(
                            compiled, batch, loss, params, y, batch_loss, batch_out, l2_term
                        )
                if not math.isfinite(batch_loss):
                    raise _diverged(f"the loss became {batch_loss!r}", epoch, optimizer)
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
                if compiled is not None and compiled.validation is not None:
                    compiled, (val_loss, val_accuracy) = _compiled_evaluate(
                        compiled, model, loss, score, validation
                    )
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


def _check_count(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"fit {name} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"fit {name} must be at least 1, got {n}")
    return n


def _layer_groups(model: Module) -> dict[str, list[Value]]:
    """Parameters grouped by layer: the part of each name before ``neurons`` (``layers.0``)."""
    groups: dict[str, list[Value]] = {}
    for name, p in model.named_parameters():
        parts = name.split(".")
        key = ".".join(parts[: parts.index("neurons")]) if "neurons" in parts else ""
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


# -- compiled training --


@dataclass
class _CompiledFit:
    """The compiled training loss and validation loss, with their data as arrays."""

    choice: str
    loss: CompiledLoss
    data: tuple[Any, Any]
    validation: CompiledLoss | None
    validation_data: tuple[Any, Any] | None
    checked: bool = False
    validation_checked: bool = False

    def train(self, batch: list[int]) -> tuple[float, list[Any]]:
        X, y = self.data
        return self.loss(X[batch], y[batch])

    def give_up(self, why: str) -> None:
        """Raise for an explicit backend; for ``"auto"`` warn once (the caller goes dynamic)."""
        if self.choice != "auto":
            raise TraceError(f"fit(compile={self.choice!r}) cannot compile this training: {why}")
        _warn_dynamic(why)


def _warn_dynamic(why: str) -> None:
    # The warning names the line that called fit: the first frame outside this module.
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    warnings.warn(
        f"fit(compile='auto') trains with the dynamic engine instead: {why}",
        RuntimeWarning,
        stacklevel=level,
    )


def _compile(
    choice: str, model: Module, loss: Loss, X: list, y: list, l2: float,
    validation: tuple[list, list] | None,
) -> _CompiledFit | None:  # fmt: skip
    """Trace the training loss (and the validation loss, in eval mode); None if "off".

    A loss that cannot be traced gives None with a warning for ``"auto"``, else raises.
    """
    if choice == "off":
        return None
    was_training = model.training
    try:
        model.train()
        train_loss = CompiledLoss(model, loss, X, y, l2=l2, backend=choice)
        compiled = _CompiledFit(choice, train_loss, train_loss.arrays(X, y), None, None)
        if validation is not None:
            model.eval()
            val_loss = CompiledLoss(model, loss, *validation, backend=choice)
            compiled.validation = val_loss
            compiled.validation_data = val_loss.arrays(*validation)
    except TraceError as error:
        if choice != "auto":
            raise
        _warn_dynamic(f"{error}")
        return None
    finally:
        model.train(was_training)
    return compiled


def _check_first_batch(
    compiled: _CompiledFit, batch: list[int], loss: Loss, params: list[Value], y: list,
    want_loss: float, want_out: list[Any], l2_term: float,
) -> _CompiledFit | None:  # fmt: skip
    """Compare the compiled loss, gradients and outputs with the engine's on the first batch.

    ``params`` hold the engine's gradients for the batch, and hold them again afterwards.
    Returns ``compiled``, marked checked, or None (after a warning) for ``"auto"`` when the two
    differ; an explicit backend raises ``TraceError``.
    """
    want_grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    with same_random_draws(compiled.loss.model):
        got_loss, got_out = compiled.train(batch)
    got_grads = [p.grad for p in params]
    for p, g in zip(params, want_grads, strict=True):
        p.grad = g
    why = _difference("the loss", [got_loss], [want_loss])
    if why:
        targets = [y[i] for i in batch]
        why = _not_a_mean(loss, want_out, targets, want_loss - l2_term) or why
    why = (
        why
        or _difference("the gradient of " + _name_of(params, got_grads, want_grads), got_grads,
                       want_grads)
        or _difference("the outputs", _flat(got_out), _flat(want_out))
    )  # fmt: skip
    if why:
        compiled.give_up(why)
        return None
    compiled.checked = True
    return compiled


def _compiled_evaluate(
    compiled: _CompiledFit, model: Module, loss: Loss, score: Accuracy | None,
    validation: tuple[list, list],
) -> tuple[_CompiledFit | None, tuple[float, float | None]]:  # fmt: skip
    """The validation loss and accuracy on the compiled validation loss, in eval mode.

    The first time, they are compared with ``evaluate`` on the dynamic engine; where they
    differ, ``"auto"`` warns and validates dynamically from then on.
    """
    params = compiled.loss.params
    saved = [p.grad for p in params]  # the compiled call adds gradients nobody asked for
    X, y = compiled.validation_data
    value, outputs = compiled.validation(X, y)  # traced in eval mode: no mode to switch
    for p, g in zip(params, saved, strict=True):
        p.grad = g
    result = value, (score(outputs, validation[1]) if score else None)
    if not compiled.validation_checked:
        want = evaluate(model, *validation, loss=loss, accuracy=score)
        why = _difference("the validation loss", [result[0]], [want[0]])
        if why or result[1] != want[1]:
            compiled.give_up(why or "the validation accuracy differs from the dynamic engine's")
            compiled.validation = None
            return compiled, want
        compiled.validation_checked = True
    return compiled, result


def _difference(what: str, got: Sequence[float], want: Sequence[float]) -> str | None:
    """Where ``got`` and ``want`` differ beyond ``CHECK_TOLERANCE``, a sentence saying so."""
    scale = max([1.0, *map(abs, want)])
    for a, b in zip(got, want, strict=True):
        if not abs(a - b) <= CHECK_TOLERANCE * scale and a != b:
            return f"{what} differs from the dynamic engine's ({a!r}, engine {b!r})"
    return None


def _not_a_mean(
    loss: Loss, outputs: list[Any], targets: list[Any], batch_value: float
) -> str | None:
    """A sentence if ``loss`` over a batch is not the mean of its per-sample values."""
    with no_grad():
        per_sample = [loss(_as_values(o), t).data for o, t in zip(outputs, targets, strict=True)]
    mean = sum(per_sample) / len(per_sample)
    if abs(mean - batch_value) <= CHECK_TOLERANCE * max(1.0, abs(batch_value)):
        return None
    return (
        f"the loss is not a mean of per-sample terms (over the first batch it is "
        f"{batch_value!r}, the mean of its per-sample values {mean!r})"
    )


def _name_of(params: list[Value], got: list[float], want: list[float]) -> str:
    worst = max(range(len(params)), key=lambda k: abs(got[k] - want[k]))
    return params[worst].label or f"parameter {worst}"


def _as_values(out: Any) -> Any:
    return Value(out) if isinstance(out, int | float) else [Value(o) for o in out]


def _flat(outputs: list[Any]) -> list[float]:
    return [x for out in outputs for x in (out if isinstance(out, list) else [out])]


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
    """A tqdm bar over epochs: the notebook widget in Jupyter, text on a terminal, else None."""
    if _in_notebook():
        from tqdm.auto import tqdm
    elif sys.stderr is not None and sys.stderr.isatty():
        from tqdm import tqdm
    else:
        return None
    return tqdm(total=epochs, desc="training", unit="epoch")
