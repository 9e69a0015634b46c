"""Module: the base class of every model, which finds its parameters by walking its attributes.

A Module's parameters are the Values among its attributes, found in the order the attributes
were set: a Value attribute ``b`` is the parameter ``b``, a list of Values ``w`` gives ``w.0``,
``w.1``, ..., and a sub-Module (or a list of them, such as ``layers``) contributes its own
parameters under its attribute's name: ``layers.0.neurons.3.w.1``. Lists nest: row ``j``,
column ``i`` of a list of lists ``weight`` is ``weight.j.i``. Attributes whose names
start with ``_`` are private and never searched. This is PyTorch's naming, found without its
registration machinery.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping
from typing import Any

from autograd import Value


class Module:
    """The base class of models: parameters, names, gradients, training mode and state dicts.

    A subclass sets its parameters and sub-Modules as attributes and defines ``forward``;
    calling the module calls ``forward``.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.k = Value(2.0)
    ...     def forward(self, x):
    ...         return self.k * x
    >>> m = Scale()
    >>> m(3.0).data, m.state_dict()
    (6.0, {'k': 2.0})
    """

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- parameters ---------------------------------------------------------------------------

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, in the order the attributes were set.

        A Value used in two places is listed once, under its first name, as in PyTorch.

        >>> from nn import MLP
        >>> [name for name, _ in MLP(2, [1], seed=0).named_parameters()]
        ['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b']
        """
        seen: set[int] = set()
        named = []
        for name, p in self._walk(""):
            if id(p) not in seen:
                seen.add(id(p))
                named.append((name, p))
        return named

    def parameters(self) -> list[Value]:
        """Every parameter, in ``named_parameters`` order (micrograd's: weights, then the bias).

        >>> from nn import Neuron
        >>> n = Neuron(3, seed=0)
        >>> n.parameters() == [*n.w, n.b]
        True
        """
        return [p for _, p in self.named_parameters()]

    def _walk(self, prefix: str) -> Iterator[tuple[str, Value]]:
        for attribute, item in vars(self).items():
            if attribute.startswith("_"):
                continue
            if isinstance(item, list | tuple):  # one generator level less than _walk_item takes
                for i, element in enumerate(item):
                    yield from _walk_item(f"{prefix}{attribute}.{i}", element)
            else:
                yield from _walk_item(prefix + attribute, item)

    def modules(self) -> list[Module]:
        """This module and every sub-Module inside it, depth first.

        >>> from nn import MLP
        >>> [type(m).__name__ for m in MLP(1, [1, 1]).modules()][:3]
        ['MLP', 'Layer', 'Neuron']
        """
        found = [self]
        for item in vars(self).values():
            elements = item if isinstance(item, list | tuple) else (item,)
            for element in elements:
                if isinstance(element, Module):
                    found.extend(element.modules())
        return found

    def _label_parameters(self) -> None:
        """Give every parameter its ``named_parameters`` name as its label, for drawings."""
        for name, p in self.named_parameters():
            p.label = name

    # -- gradients and modes ------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0; call it before each ``backward``.

        >>> from nn import MLP
        >>> m = MLP(2, [1], seed=0); m([1.0, 2.0]).backward(); m.zero_grad()
        >>> all(p.grad == 0.0 for p in m.parameters())
        True
        """
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Put this module and all inside it in training mode (or, with False, eval mode).

        Only ``Dropout`` behaves differently in the two modes. Returns the module itself.

        >>> from nn import MLP
        >>> m = MLP(2, [3, 1], dropout=0.5).eval()
        >>> m.training, m.dropout.training
        (False, False)
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train() mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Put this module and all inside it in eval mode: ``train(False)``."""
        return self.train(False)

    # -- state dicts --------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name: a plain dict of floats, a copy.

        >>> from nn import Neuron
        >>> Neuron(2, seed=0).state_dict().keys()
        dict_keys(['w.0', 'w.1', 'b'])
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, float]) -> None:
        """Set every parameter from ``state_dict``, which must hold exactly their names.

        Missing, unexpected or non-finite entries raise ``ValueError`` naming them, and then
        no parameter is changed.

        >>> from nn import Neuron
        >>> n = Neuron(2, seed=0)
        >>> n.load_state_dict({"w.0": 1.0, "w.1": 2.0, "b": 3.0})
        >>> n([1.0, 1.0]).data
        6.0
        >>> n.load_state_dict({"w.0": 1.0})
        Traceback (most recent call last):
        ...
        ValueError: state dict does not match the model: missing w.1, b
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict expects a mapping of names to floats, "
                f"got {type(state_dict).__name__}"
            )
        named = self.named_parameters()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state_dict]
        unexpected = [_short(repr(key)) for key in state_dict if key not in names]
        problems = []
        if missing:
            problems.append("missing " + _some(missing))
        if unexpected:
            problems.append("unexpected " + _some(unexpected))
        if problems:
            raise ValueError("state dict does not match the model: " + "; ".join(problems))
        not_numbers = [
            name
            for name, _ in named
            if isinstance(state_dict[name], bool | Value)
            or not isinstance(state_dict[name], numbers.Real)
        ]
        if not_numbers:
            raise ValueError(
                "state dict entries must be real numbers; not a number: " + _some(not_numbers)
            )
        shown = {name: _shown_if_not_finite(state_dict[name]) for name, _ in named}
        non_finite = [name + text for name, text in shown.items() if text]
        if non_finite:
            raise ValueError("state dict has non-finite entries: " + _some(non_finite))
        for name, p in named:
            p.data = float(state_dict[name])

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module (used by ``nn.save``); none here.

        >>> Module().config()
        {}
        """
        return {}

    # -- PyTorch ------------------------------------------------------------------------------

    def to_torch(self) -> Any:
        """This module as a float64 ``torch.nn.Module`` with the same structure and weights.

        Needs PyTorch, which is imported here and nowhere else; ``nn.from_torch`` goes back.
        Which modules convert, and into what, is listed in ``nn.torch_convert``.
        """
        from nn.torch_convert import to_torch

        return to_torch(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.parameters())} parameters)"


def _shown_if_not_finite(x: numbers.Real) -> str:
    """What a message says after the name of a number that is no finite float; "" if it is."""
    try:
        as_float = float(x)
    except OverflowError:  # the int 10**400
        return " (too large for a float)"
    return "" if math.isfinite(as_float) else f"={as_float!r}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _some(items: list[str], shown: int = 5) -> str:
    """The first few items, then how many more: a message never lists a whole model."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _walk_item(name: str, item: object) -> Iterator[tuple[str, Value]]:
    if isinstance(item, Value):
        yield name, item
    elif isinstance(item, Module):
        yield from item._walk(name + ".")
    elif isinstance(item, list | tuple):  # nested lists too: a matrix ``weight`` is ``weight.j.i``
        for i, element in enumerate(item):
            yield from _walk_item(f"{name}.{i}", element)
