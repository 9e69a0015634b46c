"""Sequential: modules applied one after another, as ``torch.nn.Sequential``.

Its parameters are named after each module's position, as PyTorch names them: the weight in
row ``j``, column ``i`` of a ``Linear`` at position 0 is ``0.weight.j.i`` (PyTorch's
``0.weight[j, i]``: a scalar engine names each number, not each tensor), its biases
``0.bias.j``. Given an ``OrderedDict``, as PyTorch's can be, the modules are named by its keys
instead (``fc1.weight.j.i``). The list is ordered like PyTorch's ``parameters()`` flattened
tensor by tensor: module by module, each ``weight`` row by row, then its ``bias``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, overload

from nn.module import Module


class Sequential(Module):
    """Calls its modules in order, each on the output of the one before.

    It can be indexed (``model[0]``, ``model[-1]``, a slice gives a Sequential of the same
    modules), measured with ``len``, iterated and extended with ``append``; a module named by
    an ``OrderedDict`` is also an attribute (``model.fc1``).

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
    >>> named = Sequential(OrderedDict(fc1=Linear(2, 1, seed=0), act=ReLU()))
    >>> named.fc1 is named[0], [name for name, _ in named.named_parameters()]
    (True, ['fc1.weight.0.0', 'fc1.weight.0.1', 'fc1.bias.0'])
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        self._modules: dict[str, Module] = {}
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self._add(name, module, f"module {name!r}")
        else:
            for i, module in enumerate(modules):
                self._add(str(i), module, f"argument {i}")
        self._label_parameters()

    def _add(self, name: str, module: Module, what: str) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential takes nn Modules; {what} is {type(module).__name__}")
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(
                f"Sequential module names must be non-empty strings without '.', got {name!r}"
            )
        if name in self._modules:
            raise ValueError(f"Sequential already has a module named {name!r}")
        self._modules[name] = module

    def forward(self, x: Any) -> Any:
        """The last module's output, each module taking the previous one's."""
        for module in self._modules.values():
            x = module(x)
        return x

    def named_children(self) -> list[tuple[str, Module]]:
        """Each module with its name: its position (``"0"``, ``"1"``, ...) or its key.

        >>> from nn import Tanh
        >>> Sequential(Tanh(), Tanh()).named_children()
        [('0', Tanh()), ('1', Tanh())]
        """
        return list(self._modules.items())

    def _walk(self, prefix: str) -> Iterator[tuple[str, Any]]:
        for name, module in self._modules.items():
            yield from module._walk(f"{prefix}{name}.")

    def modules(self) -> list[Module]:
        """This Sequential and every module inside it, depth first."""
        found: list[Module] = [self]
        for module in self._modules.values():
            found.extend(module.modules())
        return found

    def __getattr__(self, name: str) -> Module:
        # Called only when ordinary lookup fails: a module named by an OrderedDict key.
        modules = self.__dict__.get("_modules", {})
        if name in modules:
            return modules[name]
        raise AttributeError(f"'Sequential' object has no attribute {name!r}")

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            part = Sequential.__new__(Sequential)  # the same modules; their labels stay as they are
            part._modules = dict(list(self._modules.items())[index])
            part.training = self.training
            return part
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(
                f"Sequential indices must be ints or slices, got {type(index).__name__}"
            )
        if not -len(self) <= index < len(self):
            raise IndexError(
                f"index {index} is out of range for a Sequential of {len(self)} modules"
            )
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end, named by its position; returns this Sequential.

        >>> from nn import Tanh
        >>> len(Sequential().append(Tanh()))
        1
        """
        self._add(str(len(self)), module, "the appended module")
        self._label_parameters()
        return self

    def __repr__(self) -> str:
        if not self._modules:
            return "Sequential()"
        lines = [
            f"  ({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
        ]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
