"""A model's training loss compiled by ``autograd.trace``: traced once per sample, run per batch.

``fit(compile=...)`` trains with a ``CompiledLoss`` instead of building a graph per sample. The
per-sample loss ``loss(model(x), t)`` is traced once with the model's parameters as ``params``;
each batch then runs the generated code over all its samples and adds the mean gradient to
every parameter's ``.grad``, exactly where ``backward()`` would have put it. The batch loss is
the mean of the per-sample values, which is why a loss must be a mean of per-sample terms to be
compiled. The L2 term ``l2 * l2_penalty(params)`` is the same for every sample, so it is traced
as a program of its own, with no arguments, and run once per batch.

Targets. A target is traced as an argument where the loss only computes with it
(``mse_loss``). Losses that read their target as a number (``hinge_loss`` checks it is -1 or
+1, ``cross_entropy`` indexes the logits with it) get a one-hot ``selector`` argument instead:
the traced function computes the loss for every class ``c`` the data holds, each with ``c`` a
constant, and returns ``sum_c selector_c * loss(outputs, c)``. With a one-hot selector that is
the sample's own loss, and every other class adds an exact ``0.0``; the loss part of the
program is a few times larger, the model part (nearly all of it) is not.

Outputs. ``fit`` needs each sample's model outputs for its accuracy. They come out of the same
program: the traced function adds ``probe . outputs`` to the loss, with a ``probe`` argument
that is always zero, so the value and every parameter gradient are unchanged (each gains an
exact ``+ 0.0``) and ``d value / d probe`` is the outputs themselves.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograd import TraceError, Value, linear, no_grad, trace
from nn.functional import l2_penalty
from nn.module import Module

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
    >>> X, y = compiled.arrays([[1.0, 2.0], [0.0, 1.0]], [0.5, -1.0])
    >>> loss, outputs = compiled(X, y)
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
        probe = [0.0] * self.n_outputs
        # First the target as an argument; a loss that reads it as a number refuses that.
        try:
            self.traced = trace(self._per_sample, example, y[0], probe, params=self.params,
                                backend=backend)  # fmt: skip
            self.classes: list[Any] | None = None
        except (TraceError, TypeError, ValueError):
            self.classes = _distinct(y)
            selector = [1.0] + [0.0] * (len(self.classes) - 1)
            try:
                self.traced = trace(self._per_sample_selected, example, selector, probe,
                                    params=self.params, backend=backend)  # fmt: skip
            except TraceError:
                raise
            except (TypeError, ValueError) as error:
                raise TraceError(f"the loss could not be traced: {error}") from error
        self.backend = self.traced.backend
        if backend != "auto" and self.backend != backend:
            raise TraceError(
                f"the {backend!r} backend cannot compile this model's loss "
                f"(autograd.trace chose {self.backend!r})"
            )
        self.penalty = None
        if self.l2:
            l2, params = self.l2, self.params
            # One program per batch, on whichever backend is fastest for it.
            self.penalty = trace(lambda: l2 * l2_penalty(params), params=params)

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

    def _per_sample(self, x: list[Value], target: Any, probe: list[Value]) -> Value:
        out = self.model(x)
        value = self.loss(out, target)
        # probe is all zeros: the value is unchanged and d value / d probe is the outputs.
        return value + linear(probe, _as_list(out), 0.0)

    def _per_sample_selected(
        self, x: list[Value], selector: list[Value], probe: list[Value]
    ) -> Value:
        out = self.model(x)
        value = linear(selector, [self.loss(out, c) for c in self.classes], 0.0)
        return value + linear(probe, _as_list(out), 0.0)

    def arrays(self, X: Sequence[Sequence[float]], y: Sequence[Any]) -> tuple[Any, Any]:
        """The data as NumPy arrays, made once, so that a batch is ``X[rows], y[rows]``.

        Targets become one-hot rows where the loss reads them as numbers.
        """
        X = np.asarray(X, dtype=float)
        if self.classes is None:
            return X, np.asarray(y, dtype=float)
        index = {c: k for k, c in enumerate(self.classes)}
        unknown = [t for t in y if t not in index]
        if unknown:
            raise ValueError(f"target {unknown[0]!r} was not among the targets compiled for")
        one_hot = np.zeros((len(y), len(self.classes)))
        one_hot[np.arange(len(y)), [index[t] for t in y]] = 1.0
        return X, one_hot

    def __call__(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[Any]]:
        """The batch loss and each sample's outputs; adds d loss / d p to every ``p.grad``."""
        n = len(X)
        values, grads = self.traced.batch(X, y, np.zeros((n, self.n_outputs)), reduce="mean")
        value = sum(values.tolist()) / n  # left to right, as the engine adds a mean's terms
        if self.penalty is not None:
            value += self.penalty()[0]
        outputs = np.asarray(grads[-1], dtype=float).reshape(n, self.n_outputs)
        return value, outputs[:, 0].tolist() if self.n_outputs == 1 else outputs.tolist()


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


def _distinct(y: Sequence[Any]) -> list[Any]:
    targets = sorted(set(y), key=repr)
    if len(targets) > MAX_TARGET_CLASSES:
        raise TraceError(
            f"the loss reads its targets as numbers, and {len(targets)} distinct targets are "
            f"too many to compile one loss each (at most {MAX_TARGET_CLASSES})"
        )
    return targets
