"""Sequential: modules applied one after another, as ``torch.nn.Sequential``.

Its parameters are named after each module's position, as PyTorch names them: the weight in
row ``j``, column ``i`` of a ``Linear`` at position 0 is ``0.weight.j.i`` (PyTorch's
``0.weight[j, i]``: a scalar engine names each number, not each tensor), its biases
``0.bias.j``. The list is ordered like PyTorch's ``parameters()`` flattened tensor by tensor:
module by module, each ``weight`` row by row, then its ``bias``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, overload

from nn.module import Module


class Sequential(Module):
    """Calls its modules in order, each on the output of the one before.

    It can be indexed (``model[0]``, ``model[-1]``, a slice gives a Sequential of the same
    modules), measured with ``len``, iterated and extended with ``append``.

    >>> from nn import Linear, ReLU
    >>> model = Sequential(Linear(2, 3, seed=0), ReLU(), Linear(3, 1, seed=1))
    >>> len(model), model[1], len(model([[1.0, 2.0], [3.0, 4.0]]))
    (3, ReLU(), 2)
    >>> [name for name, _ in model.named_parameters()][-2:]
    ['2.weight.0.2', '2.bias.0']
    >>> model
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    """

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential takes nn Modules; argument {i} is {type(module).__name__}"
                )
        self._modules = list(modules)
        self._label_parameters()

    def forward(self, x: Any) -> Any:
        """The last module's output, each module taking the previous one's."""
        for module in self._modules:
            x = module(x)
        return x

    def _walk(self, prefix: str) -> Iterator[tuple[str, Any]]:
        for i, module in enumerate(self._modules):
            yield from module._walk(f"{prefix}{i}.")

    def modules(self) -> list[Module]:
        """This Sequential and every module inside it, depth first."""
        found: list[Module] = [self]
        for module in self._modules:
            found.extend(module.modules())
        return found

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            part = Sequential.__new__(Sequential)  # the same modules; their labels stay as they are
            part._modules = self._modules[index]
            part.training = self.training
            return part
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(
                f"Sequential indices must be ints or slices, got {type(index).__name__}"
            )
        if not -len(self._modules) <= index < len(self._modules):
            raise IndexError(
                f"index {index} is out of range for a Sequential of {len(self._modules)} modules"
            )
        return self._modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns this Sequential, as PyTorch's does.

        >>> from nn import Tanh
        >>> len(Sequential().append(Tanh()))
        1
        """
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append takes an nn Module, got {type(module).__name__}")
        self._modules.append(module)
        self._label_parameters()
        return self

    def __repr__(self) -> str:
        if not self._modules:
            return "Sequential()"
        lines = [f"  ({i}): " + repr(m).replace("\n", "\n  ") for i, m in enumerate(self)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
