"""A model's training loss compiled by ``autograd.trace``: traced once per sample, run per batch.

``fit(compile=...)`` trains with a ``CompiledLoss`` instead of building a graph per sample. The
per-sample loss ``loss(model(x), t)`` is traced once with the model's parameters as ``params``;
each batch then runs the generated code over all its samples and adds the mean gradient to
every parameter's ``.grad``, exactly where ``backward()`` would have put it. The batch loss is
the mean of the per-sample values, which is why a loss must be a mean of per-sample terms to be
compiled. The L2 term ``l2 * l2_penalty(params)`` is the same for every sample: the fused
program adds it to each sample's loss (one broadcast), the others get it as a program of its
own, with no arguments, run once per batch.

Targets. A target is traced as an argument where the loss only computes with it
(``mse_loss``). Losses that read their target as a number (``hinge_loss`` checks it is -1 or
+1, ``cross_entropy`` indexes the logits with it) get a one-hot ``selector`` argument instead:
the traced function computes the loss for every class ``c`` the data holds, each with ``c`` a
constant, and returns ``sum_c selector_c * loss(outputs, c)``. With a one-hot selector that is
the sample's own loss, and every other class adds an exact ``0.0``; the loss part of the
program is a few times larger, the model part (nearly all of it) is not.

Outputs. ``fit`` needs each sample's model outputs for its accuracy. They come out of the same
program: the traced function returns them beside the loss (``has_aux``). No argument is
differentiated (``argnums=()``): the program computes the parameters' gradients and none for
the data.

``CompiledTraining`` is what ``fit`` holds: the compiled training loss, the validation loss
(traced in eval mode, without L2), and the checks against the dynamic engine on the first
batch and the first validation that decide whether ``fit`` may go on with them.
"""

from __future__ import annotations

import random
import reprlib
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograd import Traced, TraceError, Value, linear, no_grad, trace
from nn.flat import FlatParameters, steps_on_arrays
from nn.functional import l2_penalty
from nn.module import Module
from nn.optim import Optimizer

BACKENDS = ("python", "numpy", "fused")
COMPILE_CHOICES = ("auto", "off", *BACKENDS)
# Losses that read their targets as numbers get one trace per distinct target; past this many
# distinct targets that stops being a small program.
MAX_TARGET_CLASSES = 32
# How closely the compiled loss, gradients and outputs must match the dynamic engine's on the
# first batch, relative to the largest magnitude compared (the backends sum in another order).
CHECK_TOLERANCE = 1e-9


def check_compile_choice(compile: object) -> str:
    """``compile`` if it is one of ``COMPILE_CHOICES``, else a clear ``ValueError``.

    >>> check_compile_choice("fused")
    'fused'
    >>> check_compile_choice("gpu")
    Traceback (most recent call last):
    ...
    ValueError: fit compile must be one of 'auto', 'off', 'python', 'numpy', 'fused'; got 'gpu'
    """
    if not isinstance(compile, str) or compile not in COMPILE_CHOICES:
        accepted = ", ".join(repr(choice) for choice in COMPILE_CHOICES)
        raise ValueError(f"fit compile must be one of {accepted}; got {compile!r}")
    return compile


class CompiledLoss:
    """``mean(loss(model(x_i), y_i)) + l2 * l2_penalty(params)`` over a batch, compiled once.

    ``backend`` is ``"auto"`` or one of ``BACKENDS``; an explicit backend that cannot compile
    the model's loss raises ``TraceError``, as does a loss that cannot be traced at all.
    Calling it on a batch returns the batch loss and each sample's outputs, and adds the
    gradient to every parameter's ``.grad``.

    >>> from nn import MLP, mse_loss
    >>> model = MLP(2, [3, 1], seed=0)
    >>> compiled = CompiledLoss(model, mse_loss, [[1.0, 2.0], [0.0, 1.0]], [0.5, -1.0])
    >>> loss, outputs = compiled(compiled.arrays([[1.0, 2.0], [0.0, 1.0]], [0.5, -1.0]))
    >>> want = mse_loss([model(x) for x in [[1.0, 2.0], [0.0, 1.0]]], [0.5, -1.0]).data
    >>> abs(loss - want) <= 1e-12 * abs(want)
    True
    """

    def __init__(
        self,
        model: Module,
        loss: Callable[..., Value],
        X: Sequence[Sequence[float]],
        y: Sequence[Any],
        *,
        l2: float = 0.0,
        backend: str = "auto",
    ) -> None:
        if backend == "off" or backend not in COMPILE_CHOICES:
            raise ValueError(f"CompiledLoss backend must be 'auto' or one of {BACKENDS}")
        self.model, self.loss, self.l2 = model, loss, l2
        self.params = model.parameters()
        with same_random_draws(model):
            self._trace(X, y, backend)

    def _trace(self, X: Sequence[Sequence[float]], y: Sequence[Any], backend: str) -> None:
        example = list(X[0])
        with no_grad():
            first = self.model(example)
        self.n_outputs = 1 if isinstance(first, Value) else len(first)
        # The fused program adds the L2 term to every sample for less than a second call
        # costs; the Python and NumPy programs would repeat it per sample, so for them it is a
        # program of its own, run once per batch.
        self.l2_per_sample = bool(self.l2) and backend in ("auto", "fused")
        self.traced = self._trace_loss(example, y, backend)
        if self.l2_per_sample and self.traced.backend != "fused":
            self.l2_per_sample = False
            self.traced = self._trace_loss(example, y, backend)
        self.backend = self.traced.backend
        if backend != "auto" and self.backend != backend:
            raise TraceError(
                f"the {backend!r} backend cannot compile this model's loss "
                f"(autograd.trace chose {self.backend!r})"
            )
        self.penalty = None
        if self.l2 and not self.l2_per_sample:
            l2, params = self.l2, self.params
            self.penalty = trace(lambda: l2 * l2_penalty(params), params=params)

    def _trace_loss(self, example: list[float], y: Sequence[Any], backend: str) -> Traced:
        options = {"params": self.params, "backend": backend, "argnums": (), "has_aux": True}
        # First the target as an argument; a loss that reads it as a number refuses that.
        try:
            self.classes: list[Any] | None = None
            return trace(self._per_sample, example, y[0], **options)
        except (TraceError, TypeError, ValueError) as error:
            self.classes = _distinct(y, error)
        selector = [1.0] + [0.0] * (len(self.classes) - 1)
        try:
            return trace(self._per_sample_selected, example, selector, **options)
        except TraceError:
            raise
        except (TypeError, ValueError) as error:
            raise TraceError(f"the loss could not be traced: {error}") from error

    @property
    def source(self) -> str:
        """The generated source of the compiled per-sample loss (and of the L2 term)."""
        if self.penalty is None:
            return self.traced.source
        return f"{self.traced.source}\n\n{self.penalty.source}"

    @property
    def source_lines(self) -> int:
        """Lines of generated code: a measure of the program's size."""
        return self.source.count("\n") + 1

    def _per_sample(self, x: list[Value], target: Any) -> tuple[Value, list[Value]]:
        out = self.model(x)
        return self._finish(self.loss(out, target), out)

    def _per_sample_selected(
        self, x: list[Value], selector: list[Value]
    ) -> tuple[Value, list[Value]]:
        out = self.model(x)
        return self._finish(linear(selector, [self.loss(out, c) for c in self.classes], 0.0), out)

    def _finish(self, value: Value, out: Value | list[Value]) -> tuple[Value, list[Value]]:
        """The sample's loss (with the L2 term, for the fused program) and, beside it, the
        model's outputs (the aux of the trace)."""
        if self.l2_per_sample:
            value = value + self.l2 * l2_penalty(self.params)
        return value, _as_list(out)

    def arrays(self, X: Sequence[Sequence[float]], y: Sequence[Any]) -> np.ndarray:
        """The data as one array of the traced loss's inputs, made once, so that a batch is
        ``data[rows]``: each row a sample's numbers and its target (a one-hot row where the
        loss reads targets as numbers).
        """
        if len(X) != len(y):
            raise ValueError(f"X and y must hold as many samples: {len(X)} and {len(y)}")
        X = np.asarray(X, dtype=float).reshape(len(X), -1)
        if self.classes is None:
            self._check_targets(X, y)
            return np.hstack([X, np.asarray(y, dtype=float).reshape(len(X), -1)])
        index = {c: k for k, c in enumerate(self.classes)}
        unknown = [t for t in y if t not in index]
        if unknown:
            raise ValueError(f"target {unknown[0]!r} was not among the targets compiled for")
        one_hot = np.zeros((len(y), len(self.classes)))
        one_hot[np.arange(len(y)), [index[t] for t in y]] = 1.0
        return np.hstack([X, one_hot])

    def _check_targets(self, X: np.ndarray, y: Sequence[Any]) -> None:
        """Each target through the loss on the engine once, so that a target the loss refuses
        (hinge_loss's 3) is refused here as ``fit`` on the engine would, not computed with."""
        with no_grad(), same_random_draws(self.model):
            out = self.model(X[0].tolist())
            for target in y:
                self.loss(out, target)

    def __call__(self, data: np.ndarray) -> tuple[float, list[Any]]:
        """The loss and each sample's outputs over a batch of ``arrays``' rows; adds
        d loss / d p to every ``p.grad``."""
        value, outputs, grad = self.flat(data)
        for p, g in zip(self.params, grad.tolist(), strict=True):
            p.grad += g
        return value, outputs

    def flat(
        self, data: np.ndarray, params: np.ndarray | None = None
    ) -> tuple[float, list[Any], np.ndarray]:
        """The loss over a batch of ``arrays``' rows, each sample's outputs and the gradient
        as an array, with the parameters' numbers read from ``params`` (default: their
        ``.data``); no ``.grad`` changes."""
        n = len(data)
        (values, outputs), _, grad = self.traced.batch_matrix(data, params=params)
        value = sum(values.tolist()) / n  # left to right, as the engine adds a mean's terms
        if self.penalty is not None:
            penalty, _, penalty_grad = self.penalty.run_arrays(params=params)
            value, grad = value + penalty, grad + penalty_grad
        return value, outputs[:, 0].tolist() if self.n_outputs == 1 else outputs.tolist(), grad


class CompiledTraining:
    """What ``fit(compile=...)`` trains with: the compiled training and validation losses.

    ``build`` traces them; ``train`` runs a batch; ``check_first_batch`` compares the first
    batch with the dynamic engine's, and ``evaluate`` the first validation. Where compiling
    fails or the numbers differ, ``"auto"`` warns once and ``fit`` goes on with the dynamic
    engine; an explicit backend raises ``TraceError``.
    """

    def __init__(self, choice: str, loss: CompiledLoss, data: np.ndarray) -> None:
        self.choice, self.loss, self.data = choice, loss, data
        self.validation: CompiledLoss | None = None
        self.validation_data: np.ndarray | None = None
        self.checked = self.validation_checked = False

    @classmethod
    def build(
        cls, choice: str, model: Module, loss: Callable[..., Value], X: list, y: list, *,
        l2: float, validation: tuple[list, list] | None,
    ) -> CompiledTraining | None:  # fmt: skip
        """Trace the training loss, and the validation loss in eval mode; None for ``"off"``.

        A loss that cannot be traced gives None, with a warning, for ``"auto"``.
        """
        if choice == "off":
            return None
        was_training = model.training
        try:
            model.train()
            train_loss = CompiledLoss(model, loss, X, y, l2=l2, backend=choice)
            compiled = cls(choice, train_loss, train_loss.arrays(X, y))
            if validation is not None:
                model.eval()
                compiled.validation = CompiledLoss(model, loss, *validation, backend=choice)
                compiled.validation_data = compiled.validation.arrays(*validation)
        except TraceError as error:
            if choice != "auto":
                raise
            _warn_dynamic(f"{error}")
            return None
        finally:
            model.train(was_training)
        return compiled

    def train(self, batch: list[int]) -> tuple[float, list[Any]]:
        """The batch's loss and outputs; adds the batch's gradient to every ``p.grad``."""
        return self.loss(self._rows(batch))

    def train_flat(self, batch: list[int], flat: FlatParameters) -> tuple[float, list[Any]]:
        """The batch's loss and outputs, the weights read from ``flat.data`` and the gradient
        written to ``flat.grad``; no Value changes."""
        value, outputs, grad = self.loss.flat(self._rows(batch), flat.data)
        flat.grad = grad + 0.0  # as 0.0 + g into a zeroed .grad: -0.0 reads as 0.0
        return value, outputs

    def _rows(self, batch: list[int]) -> np.ndarray:
        # take() with an array of positions: data[batch] with a list of ints took 4x as long
        positions = np.fromiter(batch, dtype=np.intp, count=len(batch))
        return self.data.take(positions, axis=0)

    def flat_parameters(self, optimizer: Optimizer, layers: dict) -> FlatParameters | None:
        """The parameters as arrays, where the optimizer steps on arrays; else None."""
        if not steps_on_arrays(optimizer):
            return None
        if [id(p) for p in optimizer.params] != [id(p) for p in self.loss.params]:
            return None  # an optimizer over other parameters, or in another order
        return FlatParameters(self.loss.params, optimizer, layers)

    def give_up(self, why: str) -> None:
        """Raise for an explicit backend; for ``"auto"`` warn (the caller goes dynamic)."""
        if self.choice != "auto":
            raise TraceError(f"fit(compile={self.choice!r}) cannot compile this training: {why}")
        _warn_dynamic(why)

    def check_first_batch(
        self, batch: list[int], y: list, want_loss: float, want_out: list[Any], l2_term: float
    ) -> bool:
        """Whether the compiled loss, gradients and outputs are the engine's on ``batch``.

        The parameters hold the engine's gradients for the batch, and hold them again
        afterwards. False (after a warning) when they differ; an explicit backend raises.
        """
        params = self.loss.params
        want_grads = [p.grad for p in params]
        for p in params:
            p.grad = 0.0
        with same_random_draws(self.loss.model):
            got_loss, got_out = self.train(batch)
        got_grads = [p.grad for p in params]
        for p, g in zip(params, want_grads, strict=True):
            p.grad = g
        why = _difference("the loss", [got_loss], [want_loss])
        if why:
            targets = [y[i] for i in batch]
            why = _not_a_mean(self.loss.loss, want_out, targets, want_loss - l2_term) or why
        worst = max(range(len(params)), key=lambda k: abs(got_grads[k] - want_grads[k]))
        name = params[worst].label or f"parameter {worst}"
        why = (
            why
            or _difference(f"the gradient of {name}", got_grads, want_grads)
            or _difference("the outputs", _flat(got_out), _flat(want_out))
        )
        if why:
            self.give_up(why)
            return False
        self.checked = True
        return True

    def evaluate(
        self, y: list, score: Callable[..., float] | None,
        dynamic: Callable[[], tuple[float, float | None]],
    ) -> tuple[float, float | None]:  # fmt: skip
        """The validation loss and accuracy, from the validation loss traced in eval mode.

        The first time they are compared with ``dynamic()`` (``evaluate`` on the engine);
        where they differ, ``"auto"`` warns and validates dynamically from then on.
        """
        assert self.validation is not None
        params = self.loss.params
        saved = [p.grad for p in params]  # the compiled call adds gradients nobody asked for
        value, outputs = self.validation(self.validation_data)
        for p, g in zip(params, saved, strict=True):
            p.grad = g
        result = value, (score(outputs, y) if score else None)
        if not self.validation_checked:
            want = dynamic()
            why = _difference("the validation loss", [result[0]], [want[0]])
            if why or result[1] != want[1]:
                self.give_up(why or "the validation accuracy differs from the dynamic engine's")
                self.validation = None
                return want
            self.validation_checked = True
        return result


def _warn_dynamic(why: str) -> None:
    # The warning names the line that called fit: the first frame outside nn.
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("nn."):
        frame, level = frame.f_back, level + 1
    warnings.warn(
        f"fit(compile='auto') trains with the dynamic engine instead: {why}",
        RuntimeWarning,
        stacklevel=level,
    )


def _difference(what: str, got: Sequence[float], want: Sequence[float]) -> str | None:
    """Where ``got`` and ``want`` differ beyond ``CHECK_TOLERANCE``, a sentence saying so."""
    scale = max([1.0, *map(abs, want)])
    for a, b in zip(got, want, strict=True):
        if not abs(a - b) <= CHECK_TOLERANCE * scale and a != b:
            return f"{what} differs from the dynamic engine's ({a!r}, engine {b!r})"
    return None


def _not_a_mean(
    loss: Callable[..., Value], outputs: list[Any], targets: list[Any], batch_value: float
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


def _as_values(out: Any) -> Any:
    return Value(out) if isinstance(out, int | float) else [Value(o) for o in out]


def _flat(outputs: list[Any]) -> list[float]:
    return [x for out in outputs for x in (out if isinstance(out, list) else [out])]


@contextmanager
def same_random_draws(model: Module) -> Iterator[None]:
    """Put back the state of every generator of ``model`` (Dropout's) when the block ends.

    Tracing runs the model once, and the check on the first batch runs the compiled program:
    neither may change the draws that training with the dynamic engine would make next.
    """
    generators = _generators(model)
    states = [g.getstate() for g in generators]
    try:
        yield
    finally:
        for g, state in zip(generators, states, strict=True):
            g.setstate(state)


def _generators(model: Module) -> list[random.Random]:
    found, modules, seen = [], [model], {id(model)}
    while modules:
        for item in vars(modules.pop()).values():
            for element in item if isinstance(item, list | tuple) else [item]:
                if isinstance(element, random.Random) and element not in found:
                    found.append(element)
                elif isinstance(element, Module) and id(element) not in seen:
                    seen.add(id(element))
                    modules.append(element)
    return found


def _as_list(out: Value | Sequence[Value]) -> list[Value]:
    return [out] if isinstance(out, Value) else list(out)


def _distinct(y: Sequence[Any], why: Exception) -> list[Any]:
    """The distinct targets, one loss to trace for each; ``why`` the target as an argument
    failed."""
    try:
        targets = sorted(set(y), key=repr)
    except TypeError:  # a target of several numbers (a list) is no class
        raise TraceError(
            f"the loss could not be traced with its target as an argument ({why}), and "
            f"targets such as {reprlib.repr(y[0])} are not classes to compile one loss each"
        ) from None
    if len(targets) > MAX_TARGET_CLASSES:
        raise TraceError(
            f"the loss reads its targets as numbers, and {len(targets)} distinct targets are "
            f"too many to compile one loss each (at most {MAX_TARGET_CLASSES})"
        )
    return targets
