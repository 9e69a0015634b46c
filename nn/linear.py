"""Linear: PyTorch's fully connected layer, ``y = x W^T + b``, on Values.

``weight`` is a list of ``out_features`` rows of ``in_features`` Values, so ``weight[j][i]`` is
PyTorch's ``weight[j, i]`` and its parameter name is ``weight.j.i``; ``bias`` is a list of
``out_features`` Values (``bias.j``), or None. Each output is one fused ``linear`` node of the
graph. The starting weights are PyTorch's: every weight and bias uniform in
``(-1/sqrt(in_features), 1/sqrt(in_features))``, drawn row by row from a private generator, so
the global ``random`` state is never touched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autograd import Value, linear
from nn.layers import Seed, _check_size, make_rng
from nn.module import Module
from nn.shapes import map_samples

Number = int | float


class Linear(Module):
    """``out_features`` weighted sums of ``in_features`` inputs plus a bias, as ``torch.nn.Linear``.

    A sample (a list of ``in_features`` numbers) gives a list of ``out_features`` Values, also
    when ``out_features`` is 1; a batch (a list of samples) gives the list of their outputs.

    >>> layer = Linear(3, 2, seed=0)
    >>> [len(y) for y in (layer([1.0, 2.0, 3.0]), layer([[1.0, 2.0, 3.0]] * 4))]
    [2, 4]
    >>> [name for name, _ in layer.named_parameters()][:4]
    ['weight.0.0', 'weight.0.1', 'weight.0.2', 'weight.1.0']
    >>> layer([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: Linear(in_features=3, out_features=2, bias=True) expects samples of 3 numbers, got a sample of 2
    """  # noqa: E501

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, *, seed: Seed = None
    ) -> None:
        self.in_features = _check_size("in_features", in_features)
        self.out_features = _check_size("out_features", out_features)
        if not isinstance(bias, bool):
            raise TypeError(f"Linear bias must be a bool, got {type(bias).__name__}")
        rng = make_rng(seed)
        # PyTorch's reset_parameters: kaiming_uniform_ with a = sqrt(5) bounds the weights by
        # sqrt(6 / ((1 + 5) * fan_in)) = 1 / sqrt(fan_in), and the biases use the same bound.
        bound = 1.0 / math.sqrt(in_features)
        self.weight = [
            [Value(rng.uniform(-bound, bound)) for _ in range(in_features)]
            for _ in range(out_features)
        ]
        self.bias = None
        if bias:
            self.bias = [Value(rng.uniform(-bound, bound)) for _ in range(out_features)]
        self._label_parameters()

    def forward(self, x: Sequence[Any]) -> list[Any]:
        """The outputs for a sample, or the list of outputs for a batch of samples."""
        return map_samples(self._sample, x, self.in_features, repr(self))

    def _sample(self, x: Sequence[Value | Number]) -> list[Value]:
        if self.bias is None:
            return [linear(row, x, 0.0) for row in self.weight]
        return [linear(row, x, b) for row, b in zip(self.weight, self.bias, strict=True)]

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (used by ``nn.save``)."""
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
        }

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None})"
        )
