"""Activation modules with PyTorch's names: ReLU, Tanh, Sigmoid, LeakyReLU and Identity.

Each applies its function to every element of what it is given, whatever the nesting: a Value,
a sample, a batch. Plain numbers become Values first, so the result is always made of Values
(Identity alone returns its input as it is). The derivatives at the kinks are PyTorch's: 0 for
``relu`` at 0, ``negative_slope`` for ``leaky_relu`` at 0 (see ``autograd/ops.py``).
"""

from __future__ import annotations

import numbers
from typing import Any

from autograd import Value
from nn.layers import LEAKY_SLOPE
from nn.module import Module
from nn.shapes import map_elements


def _value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _check_inplace(owner: str, inplace: object) -> bool:
    if not isinstance(inplace, bool):
        raise TypeError(f"{owner} inplace must be a bool, got {type(inplace).__name__}")
    return inplace


class ReLU(Module):
    """``max(0, x)`` for every element, as ``torch.nn.ReLU``.

    ``inplace`` is accepted so that PyTorch code runs unchanged; a Value is never changed in
    place, and the result is the same either way.

    >>> [v.data for v in ReLU()([-1.0, 0.0, 2.0])]
    [0.0, 0.0, 2.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = _check_inplace("ReLU", inplace)

    def forward(self, x: Any) -> Any:
        """``relu`` of every element of ``x``."""
        return map_elements(lambda v: _value(v).relu(), x, "ReLU input")

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module (used by ``nn.save``)."""
        return {"inplace": self.inplace}

    def __repr__(self) -> str:
        return "ReLU(inplace=True)" if self.inplace else "ReLU()"


class Tanh(Module):
    """The hyperbolic tangent of every element, as ``torch.nn.Tanh``.

    >>> [[round(v.data, 4) for v in row] for row in Tanh()([[0.0, 1.0], [-1.0, 2.0]])]
    [[0.0, 0.7616], [-0.7616, 0.964]]
    """

    def forward(self, x: Any) -> Any:
        """``tanh`` of every element of ``x``."""
        return map_elements(lambda v: _value(v).tanh(), x, "Tanh input")

    def __repr__(self) -> str:
        return "Tanh()"


class Sigmoid(Module):
    """The logistic function ``1 / (1 + e^-x)`` of every element, as ``torch.nn.Sigmoid``.

    >>> Sigmoid()(Value(0.0)).data
    0.5
    """

    def forward(self, x: Any) -> Any:
        """``sigmoid`` of every element of ``x``."""
        return map_elements(lambda v: _value(v).sigmoid(), x, "Sigmoid input")

    def __repr__(self) -> str:
        return "Sigmoid()"


class LeakyReLU(Module):
    """``x`` where positive, else ``negative_slope * x``, for every element (torch.nn.LeakyReLU).

    >>> [v.data for v in LeakyReLU(0.1)([-2.0, 3.0])]
    [-0.2, 3.0]
    """

    def __init__(self, negative_slope: float = LEAKY_SLOPE, inplace: bool = False) -> None:
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(
                f"LeakyReLU negative_slope must be a real number, "
                f"got {type(negative_slope).__name__}"
            )
        self.negative_slope = float(negative_slope)
        self.inplace = _check_inplace("LeakyReLU", inplace)

    def forward(self, x: Any) -> Any:
        """``leaky_relu`` of every element of ``x``."""
        slope = self.negative_slope
        return map_elements(lambda v: _value(v).leaky_relu(slope), x, "LeakyReLU input")

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module (used by ``nn.save``)."""
        return {"negative_slope": self.negative_slope, "inplace": self.inplace}

    def __repr__(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"LeakyReLU(negative_slope={self.negative_slope}{inplace})"


class Identity(Module):
    """Returns its input unchanged, as ``torch.nn.Identity``: a placeholder in a Sequential.

    Like PyTorch's, it accepts any arguments and ignores them.

    >>> x = [Value(1.0)]
    >>> Identity(54, unused="argument")(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def forward(self, x: Any) -> Any:
        """``x`` itself."""
        return x

    def __repr__(self) -> str:
        return "Identity()"
