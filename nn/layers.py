"""The building blocks of a multi-layer perceptron: Neuron, Layer, MLP and Dropout.

A Neuron computes ``act(w . x + b)`` as one fused ``linear`` node of the graph followed by its
activation, so that a 2-16-16-1 network over 100 samples is a few thousand nodes, not tens of
thousands. Weights are drawn from a private ``random.Random``: with a ``seed`` two models built
alike are identical, without one they differ, and the global ``random`` state is never touched.
A ``seed`` is an int, None, or a ``random.Random`` to draw from (an MLP hands its generator
down to its layers and neurons this way).

Initial weights (``init``): ``"uniform"`` U(-1, 1) as in micrograd, ``"xavier"`` (Glorot)
or ``"he"`` (Kaiming, for relu); biases start at 0.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Sequence
from typing import Any

from autograd import TraceError, Value, linear
from autograd.trace import is_tracing
from nn.module import Module

Number = int | float
Seed = int | random.Random | None

# The slope PyTorch's LeakyReLU uses by default.
LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str | None, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": lambda v: v.leaky_relu(LEAKY_SLOPE),
    "linear": None,
    None: None,
}

INITS = ("uniform", "xavier", "he")


def activation_function(name: str | None) -> Callable[[Value], Value] | None:
    """The function for an activation name, or None for a linear unit.

    >>> activation_function("tanh")(Value(0.0)).data
    0.0
    >>> activation_function("swish")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'swish'; accepted: 'relu', 'tanh', 'sigmoid', 'leaky_relu', 'linear', None
    """  # noqa: E501
    if name is not None and not isinstance(name, str):
        raise TypeError(f"activation must be a str or None, got {type(name).__name__}")
    if name not in ACTIVATIONS:
        accepted = ", ".join(repr(key) for key in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; accepted: {accepted}")
    return ACTIVATIONS[name]


def make_rng(seed: Seed) -> random.Random:
    """A private generator: seeded from an int, the given generator itself, or fresh entropy."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")
    return random.Random(seed)


def initial_weights(init: str, nin: int, nout: int, rng: random.Random) -> list[float]:
    """``nin`` starting weights for one neuron of a layer of ``nout`` neurons.

    ``"uniform"``: U(-1, 1), micrograd's choice. ``"xavier"``: U(-a, a) with
    a = sqrt(6 / (nin + nout)) (Glorot and Bengio). ``"he"``: N(0, 2 / nin) (He et al.),
    suited to relu.

    >>> w = initial_weights("xavier", 3, 3, random.Random(0))
    >>> len(w), all(abs(x) <= 1.0 for x in w)
    (3, True)
    """
    if init == "uniform":
        return [rng.uniform(-1.0, 1.0) for _ in range(nin)]
    if init == "xavier":
        a = math.sqrt(6.0 / (nin + nout))
        return [rng.uniform(-a, a) for _ in range(nin)]
    if init == "he":
        sigma = math.sqrt(2.0 / nin)
        return [rng.gauss(0.0, sigma) for _ in range(nin)]
    accepted = ", ".join(repr(name) for name in INITS)
    raise ValueError(f"unknown init {init!r}; accepted: {accepted}")


def _check_size(what: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n


def _check_inputs(x: Sequence[Value | Number], nin: int) -> Sequence[Value | Number]:
    """``x`` as a list or tuple of ``nin`` entries; any sized collection (a NumPy row) will do."""
    if type(x) is not list and type(x) is not tuple:
        if isinstance(x, str | Value) or not isinstance(x, Collection):
            raise TypeError(
                f"expected a sequence of {nin} numbers or Values, got {type(x).__name__}"
            )
        x = list(x)
    if len(x) != nin:
        raise ValueError(f"expected {nin} inputs, got {len(x)}")
    return x


class Neuron(Module):
    """``nin`` weights and a bias: ``act(w . x + b)``; parameters ``w.0``, ..., ``b``.

    ``fan_out`` is the width of the layer the neuron belongs to; only ``init="xavier"`` uses it.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.load_state_dict({"w.0": 2.0, "w.1": -1.0, "b": 0.5})
    >>> n([3.0, 4.0]).data
    2.5
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "relu",
        *,
        seed: Seed = None,
        init: str = "uniform",
        fan_out: int = 1,
    ) -> None:
        self.nin = _check_size("nin", nin)
        self._act = activation_function(activation)
        self.activation = activation
        self.init = init
        rng = make_rng(seed)
        self.w = [
            Value(x) for x in initial_weights(init, nin, _check_size("fan_out", fan_out), rng)
        ]
        self.b = Value(0.0)
        self._label_parameters()

    def forward(self, x: Sequence[Value | Number]) -> Value:
        """The neuron's output for one input vector."""
        out = linear(self.w, _check_inputs(x, self.nin), self.b)
        return out if self._act is None else self._act(out)

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (used by ``nn.save``)."""
        return {"nin": self.nin, "activation": self.activation, "init": self.init}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons on the same inputs; a list of outputs, or one Value when ``nout == 1``.

    >>> layer = Layer(3, 2, seed=0)
    >>> len(layer([1.0, 2.0, 3.0])), type(Layer(3, 1, seed=0)([1.0, 2.0, 3.0])).__name__
    (2, 'Value')
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        *,
        seed: Seed = None,
        init: str = "uniform",
    ) -> None:
        self.nin = _check_size("nin", nin)
        self.nout = _check_size("nout", nout)
        self.activation = activation
        self.init = init
        rng = make_rng(seed)
        self.neurons = [
            Neuron(nin, activation, seed=rng, init=init, fan_out=nout) for _ in range(nout)
        ]
        self._label_parameters()

    def forward(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        """Each neuron's output for one input vector."""
        x = _check_inputs(x, self.nin)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (used by ``nn.save``)."""
        return {
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "init": self.init,
        }

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class Dropout(Module):
    """In training mode, zero each input with probability ``p`` and scale the rest by 1/(1-p).

    In eval mode it is the identity, so a trained model's outputs need no rescaling.

    >>> d = Dropout(0.5, seed=0)
    >>> sorted({v.data for v in d([Value(1.0)] * 20)})
    [0.0, 2.0]
    >>> [v.data for v in d.eval()([Value(1.0)] * 3)]
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, *, seed: Seed = None) -> None:
        if isinstance(p, bool) or not isinstance(p, int | float):
            raise TypeError(f"Dropout p must be a number, got {type(p).__name__}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self._rng = make_rng(seed)

    def forward(self, x: Sequence[Value]) -> list[Value]:
        """The inputs, each zeroed with probability ``p`` (training mode only)."""
        if not self.training or self.p == 0.0:
            return list(x)
        if is_tracing():  # the mask is drawn here, in Python: a trace would bake one in
            raise TraceError.here(
                "Dropout in training mode draws a new random mask on every call, and a trace "
                "would replay one mask for every sample; call model.eval() before tracing, "
                "or train this model without compiling"
            )
        keep = 1.0 / (1.0 - self.p)
        rand = self._rng.random
        # Multiplying by 0.0 (not dropping the Value) keeps the graph's shape and passes a zero
        # gradient back, as PyTorch's mask does.
        return [v * (0.0 if rand() < self.p else keep) for v in x]

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class MLP(Module):
    """Layers of sizes ``nouts``: hidden ones use ``activation``, the last ``output_activation``.

    ``output_activation=None`` leaves the last layer linear (a score or a logit), as in
    micrograd's demo. ``dropout > 0`` adds Dropout after every hidden layer.

    >>> model = MLP(2, [16, 16, 1], seed=1337)
    >>> len(model.parameters()), model
    (337, MLP(2, [16, 16, 1], activation='relu', output_activation=None))
    >>> model.parameters()[0].label
    'layers.0.neurons.0.w.0'
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "relu",
        *,
        output_activation: str | None = None,
        dropout: float = 0.0,
        seed: Seed = None,
        init: str = "uniform",
    ) -> None:
        self.nin = _check_size("nin", nin)
        if isinstance(nouts, int) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        sizes = [nin, *(_check_size("layer size", n) for n in nouts)]
        self.nouts = sizes[1:]
        activation_function(activation)  # checked even when there is no hidden layer to use it
        self.activation = activation
        self.output_activation = output_activation
        self.init = init
        rng = make_rng(seed)
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation,
                  seed=rng, init=init)
            for i in range(len(self.nouts))
        ]  # fmt: skip
        self.dropout = Dropout(dropout, seed=rng)
        self._label_parameters()

    def forward(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        """The network's output for one input vector: a Value, or a list for several outputs."""
        x = _check_inputs(x, self.nin)
        drop = self.dropout.p > 0.0 and self.training
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            # Each neuron's forward, inlined: this loop is the hot path of training, and the
            # sizes were checked when the layers were built.
            act = layer.neurons[0]._act
            if act is None:
                x = [linear(n.w, x, n.b) for n in layer.neurons]
            else:
                x = [act(linear(n.w, x, n.b)) for n in layer.neurons]
            if drop and i < last:
                x = self.dropout(x)
        return x[0] if len(x) == 1 else x

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (used by ``nn.save``).

        >>> MLP(2, [3, 1], "tanh").config()["nouts"]
        [3, 1]
        """
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "dropout": self.dropout.p,
            "init": self.init,
        }

    def __repr__(self) -> str:
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )
