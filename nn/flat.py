"""A model's parameters as one NumPy array while ``fit`` trains with a compiled loss.

With a compiled loss, a training step needs no Value: the program reads the weights from an
array and returns the gradient as an array, and ``SGD`` and ``Adam`` (``AdamW``) can step on
arrays with the very rules they run on Values (``Optimizer.step_flat``). Writing hundreds of
gradients into ``.grad``, zeroing them and stepping over Values one by one was a third of the
compiled step. ``FlatParameters`` holds the numbers during training; ``write_back()`` puts
them into the Values (``.data`` and ``.grad``, and the optimizer's state back into lists)
whenever ``fit`` hands control back: before validation, at the end, and on an error.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import Value
from nn.optim import Optimizer


def steps_on_arrays(optimizer: Optimizer) -> bool:
    """Whether ``optimizer.step_flat`` is the same update as its ``step``: neither a subclass
    below the class that gave it ``step_flat`` nor the instance replaced ``step`` or ``_update``."""
    mro = type(optimizer).__mro__
    owner = next(cls for cls in mro if "step_flat" in vars(cls))
    replaced = [*mro[: mro.index(owner)], optimizer]
    return owner is not Optimizer and not any(
        "step" in vars(where) or "_update" in vars(where) for where in replaced
    )


class FlatParameters:
    """Every parameter's ``data`` and ``grad`` as two arrays, stepped by the optimizer.

    >>> from nn import SGD
    >>> a, b = Value(1.0), Value(2.0)
    >>> flat = FlatParameters([a, b], SGD([a, b], lr=0.5), {"all": [a, b]})
    >>> flat.grad = np.array([1.0, -2.0])
    >>> flat.step()
    True
    >>> a.data, flat.data.tolist()
    (1.0, [0.5, 3.0])
    >>> flat.write_back(); a.data, b.data, b.grad
    (0.5, 3.0, -2.0)
    """

    def __init__(self, params: list[Value], optimizer: Optimizer, layers: dict[str, list[Value]]):
        self.params, self.optimizer = params, optimizer
        self.data = np.array([p.data for p in params], dtype=float)
        self.grad = np.array([p.grad for p in params], dtype=float)
        index = {id(p): k for k, p in enumerate(params)}
        self.layers = {name: [index[id(p)] for p in group] for name, group in layers.items()}

    def step(self) -> bool:
        """One optimizer step on the arrays; False, with the weights kept, where it made one
        of them infinite or NaN."""
        with np.errstate(all="ignore"):  # inf and nan are reported by fit, not by NumPy
            data = self.optimizer.step_flat(self.data, self.grad)
        if not np.isfinite(data).all():
            return False
        self.data = data
        return True

    def grad_norms(self) -> dict[str, float]:
        """The 2-norm of each layer's gradient, summed as ``fit`` sums it over Values."""
        return {
            name: math.sqrt(math.fsum((self.grad[rows] * self.grad[rows]).tolist()))
            for name, rows in self.layers.items()
        }

    def write_back(self) -> None:
        """Put the numbers into the Values and the optimizer's state back into lists."""
        for p, x, g in zip(self.params, self.data.tolist(), self.grad.tolist(), strict=True):
            p.data, p.grad = x, g
        self.optimizer.state_as_lists()
