"""Learning-rate schedulers: after each epoch, ``scheduler.step()`` sets the optimizer's ``lr``.

The semantics are PyTorch's: making a scheduler counts as epoch 0 (only ``LinearLR`` changes
``lr`` then, to ``start_factor`` times it); each ``step()`` advances ``last_epoch`` by one and
updates ``lr`` from its current value (PyTorch's "chainable" form), so a change made to
``optimizer.lr`` by hand, or by another scheduler on the same optimizer, carries on through the
schedule. ``base_lr``, which ``CosineAnnealingLR`` returns to, is the optimizer's
``initial_lr``: its ``lr`` when the first scheduler was attached to it, shared by all (PyTorch's
``group["initial_lr"]``), so a warm-up followed by a cosine on one optimizer steps exactly as
PyTorch's do. ``get_last_lr()`` returns a float, not PyTorch's list of one per parameter group,
since an optimizer here has a single ``lr``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from nn.optim import Optimizer


def _check(
    owner: str, name: str, x: object, *, integer: bool = False, positive: bool = True
) -> Any:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(x, bool) or not isinstance(x, kind):
        noun = "an int" if integer else "a real number"
        raise TypeError(f"{owner} {name} must be {noun}, got {type(x).__name__}")
    if positive and not x > 0:
        raise ValueError(f"{owner} {name} must be positive, got {x!r}")
    if not positive and not x >= 0:
        raise ValueError(f"{owner} {name} must be non-negative, got {x!r}")
    return int(x) if integer else float(x)


class LRScheduler:
    """The base of the schedulers: remembers ``base_lr`` and counts epochs in ``last_epoch``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs an nn optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if optimizer.initial_lr is None:
            optimizer.initial_lr = optimizer.lr
        self.base_lr = optimizer.initial_lr
        self.last_epoch = 0

    def get_last_lr(self) -> float:
        """The learning rate the last ``step()`` (or the construction) set."""
        return self.optimizer.lr

    def step(self) -> None:
        """Advance one epoch and set the optimizer's ``lr`` for it.

        A learning rate below 0 is refused with ValueError, and the step is not taken: PyTorch
        would go on with it (schedules chained on one optimizer can get there, such as two
        ``CosineAnnealingLR`` with different ``eta_min``), turning descent into ascent.
        """
        epoch = self.last_epoch + 1
        lr = self._next_lr(self.optimizer.lr, epoch)
        if not lr >= 0.0:
            raise ValueError(
                f"{type(self).__name__} would set lr to {lr!r} at epoch {epoch}: below 0, "
                "from schedules chained on one optimizer (only one of them should set its end)"
            )
        self.optimizer.lr = lr
        self.last_epoch = epoch

    def _next_lr(self, lr: float, epoch: int) -> float:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """``base_lr``, ``last_epoch`` and the schedule's settings, as plain numbers."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; other keys raise ``ValueError``."""
        if set(state_dict) != set(self.state_dict()):
            raise ValueError(
                f"not a {type(self).__name__} state dict: expected keys "
                f"{sorted(self.state_dict())}, got {sorted(state_dict)}"
            )
        for key, value in state_dict.items():
            setattr(self, key, value)


class StepLR(LRScheduler):
    """Multiply ``lr`` by ``gamma`` every ``step_size`` epochs.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     sched.step(); lrs.append(opt.lr)
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = _check("StepLR", "step_size", step_size, integer=True)
        self.gamma = _check("StepLR", "gamma", gamma)

    def _next_lr(self, lr: float, epoch: int) -> float:
        return lr * self.gamma if epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply ``lr`` by ``gamma`` every epoch.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = _check("ExponentialLR", "gamma", gamma)

    def _next_lr(self, lr: float, epoch: int) -> float:
        return lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs.

    Without outside changes to ``lr`` this is
    ``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``. As in PyTorch, the
    schedule does not stop at ``T_max``: it rises again along the same cosine, back to
    ``base_lr`` at ``2 * T_max``, and so on.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> lrs = []
    >>> for _ in range(4):
    ...     sched.step(); lrs.append(round(opt.lr, 12))
    >>> lrs
    [0.5, 0.0, 0.5, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = _check("CosineAnnealingLR", "T_max", T_max, integer=True)
        self.eta_min = _check("CosineAnnealingLR", "eta_min", eta_min, positive=False)

    def _next_lr(self, lr: float, epoch: int) -> float:
        t, eta_min = self.T_max, self.eta_min
        if (epoch - 1 - t) % (2 * t) == 0:
            # Leaving the bottom of the cosine: the ratio form below would divide by zero.
            return lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / t)) / 2
        ratio = (1 + math.cos(math.pi * epoch / t)) / (1 + math.cos(math.pi * (epoch - 1) / t))
        return ratio * (lr - eta_min) + eta_min


class LinearLR(LRScheduler):
    """Scale ``lr`` linearly from ``start_factor * base_lr`` to ``end_factor * base_lr``.

    The change happens over ``total_iters`` epochs, then ``lr`` stays; ``end_factor=0.0``
    decays it to 0. micrograd's demo schedule, ``lr = 1.0 - 0.9 * k / 100``, is
    ``LinearLR(opt, 1.0, 0.1, 100)``.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=1.0, end_factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for _ in range(3):
    ...     sched.step(); lrs.append(opt.lr)
    >>> lrs
    [0.75, 0.5, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        super().__init__(optimizer)
        self.start_factor = _check("LinearLR", "start_factor", start_factor)
        self.end_factor = _check("LinearLR", "end_factor", end_factor, positive=False)
        if self.start_factor > 1.0 or self.end_factor > 1.0:
            raise ValueError(
                "LinearLR start_factor must be in (0, 1] and end_factor in [0, 1], got "
                f"{start_factor!r} and {end_factor!r}"
            )
        self.total_iters = _check("LinearLR", "total_iters", total_iters, integer=True)
        optimizer.lr *= self.start_factor

    def _next_lr(self, lr: float, epoch: int) -> float:
        if epoch > self.total_iters:
            return lr
        change = self.end_factor - self.start_factor
        return lr * (1.0 + change / (self.total_iters * self.start_factor + (epoch - 1) * change))
