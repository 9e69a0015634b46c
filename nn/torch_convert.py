"""Crossing over to PyTorch and back: ``module.to_torch()`` and ``nn.from_torch(torch_module)``.

PyTorch is optional: it is imported inside these two functions and nowhere else, so
``import nn`` never loads it, and without it they raise ImportError saying how to install it.

=================================  =========================================================
ours                               ``torch.nn``
=================================  =========================================================
``Linear``                         ``Linear`` in float64: ``weight[j][i]`` is ``weight[j, i]``
``Sequential``                     ``Sequential`` of the converted modules, by the same names
``ReLU Tanh Sigmoid LeakyReLU``    the module of the same name and arguments
``Identity Dropout``
``MSELoss L1Loss BCELoss``         the loss of the same name and ``reduction``
``BCEWithLogitsLoss``
``CrossEntropyLoss``
``MLP``                            ``Sequential(Linear, activation, [Dropout,] ..., Linear)``
``Layer``, ``Neuron``              ``Sequential(Linear, activation)``; a linear one: ``Linear``
=================================  =========================================================

``from_torch`` goes the other way for a ``torch.nn.Sequential`` of the layers in the table (a
Sequential inside one too) and for any of those layers alone; it returns our ``Sequential``,
``Linear``, and so on (an exported MLP comes back as a Sequential). Anything else, losses with
``weight``, ``pos_weight``, ``label_smoothing`` or another ``ignore_index`` included, raises
``ValueError`` naming the layer. The training mode crosses over with the weights; in training
mode each side's ``Dropout`` draws its own random masks, so outputs agree in eval mode.

Every float crosses exactly: ours are float64, and a float32 (or float16) torch model's weights
are the same numbers in float64, so ``from_torch(m.to_torch())`` has exactly ``m``'s weights.
Making the torch modules draws nothing from torch's random generator. Shapes differ in one
place: ``MLP``, ``Layer`` and ``Neuron`` return a bare Value for a single output, where the
exported module gives a tensor of one number.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from autograd import Value
from nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from nn.layers import LEAKY_SLOPE, MLP, Dropout, Layer, Neuron
from nn.linear import Linear
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, Loss, MSELoss
from nn.module import Module
from nn.sequential import Sequential

# The doctests below need torch; the suite skips them, saying so, where it is missing.
__doctest_requires__ = ("torch",)

INSTALL_HINT = (
    "PyTorch is optional and not installed; install it with 'pip install torch' "
    "(the CPU-only build: 'pip install torch --index-url https://download.pytorch.org/whl/cpu')"
)

LOSS_MODULES: tuple[type[Loss], ...] = (
    MSELoss,
    L1Loss,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
)
SUPPORTED = (
    "Sequential, Linear, ReLU, Tanh, Sigmoid, LeakyReLU, Identity, Dropout, MSELoss, L1Loss, "
    "BCELoss, BCEWithLogitsLoss, CrossEntropyLoss"
)


def import_torch(caller: str) -> ModuleType:
    """PyTorch, or an ImportError that says ``caller`` needs it and how to install it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{caller} needs PyTorch. {INSTALL_HINT}") from error
    return torch


# -- ours to torch ----------------------------------------------------------------------------


def to_torch(module: Module) -> Any:
    """``module`` as a float64 ``torch.nn.Module`` with the same structure and weights.

    >>> import torch, nn
    >>> model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    >>> twin = model.to_torch()
    >>> twin(torch.tensor([[0.5, -1.0]], dtype=torch.float64)).item()
    -0.3622578047918729
    >>> model([[0.5, -1.0]])[0][0].data
    -0.3622578047918729
    """
    if not isinstance(module, Module):
        raise TypeError(f"to_torch converts nn Modules, got {type(module).__name__}")
    torch = import_torch("to_torch")
    return _to_torch(module, torch)


def _to_torch(module: Module, torch: ModuleType) -> Any:
    kind = type(module)
    if kind is Linear:
        converted = _torch_linear(torch, module.weight, module.bias)
    elif kind is Sequential:
        converted = torch.nn.Sequential(
            OrderedDict((name, _to_torch(m, torch)) for name, m in module.named_children())
        )
    elif kind is ReLU:
        converted = torch.nn.ReLU(inplace=module.inplace)
    elif kind is LeakyReLU:
        converted = torch.nn.LeakyReLU(module.negative_slope, inplace=module.inplace)
    elif kind in (Tanh, Sigmoid, Identity):
        converted = getattr(torch.nn, kind.__name__)()
    elif kind is Dropout:
        converted = torch.nn.Dropout(module.p)
    elif kind in LOSS_MODULES:
        converted = getattr(torch.nn, kind.__name__)(reduction=module.reduction)
    elif kind in (MLP, Layer, Neuron):
        converted = _torch_perceptron(module, torch)
    else:
        raise ValueError(f"to_torch cannot convert {kind.__name__}; it converts MLP, Layer, "
                         f"Neuron and {SUPPORTED}")  # fmt: skip
    return converted.train(module.training)


def _torch_linear(
    torch: ModuleType, weight: Sequence[Sequence[Value]], bias: Sequence[Value] | None
) -> Any:
    # skip_init makes the layer without drawing its random starting weights, so exporting
    # leaves torch's random generator where the user put it.
    layer = torch.nn.utils.skip_init(
        torch.nn.Linear, len(weight[0]), len(weight), bias=bias is not None, dtype=torch.float64
    )
    f64 = torch.float64  # torch.tensor would make float32 from Python floats
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[w.data for w in row] for row in weight], dtype=f64))
        if bias is not None:
            layer.bias.copy_(torch.tensor([b.data for b in bias], dtype=f64))
    return layer


def _torch_activation(name: str | None, torch: ModuleType) -> list[Any]:
    """The torch module for an MLP activation name: none for a linear unit."""
    if name in (None, "linear"):
        return []
    if name == "leaky_relu":
        return [torch.nn.LeakyReLU(LEAKY_SLOPE)]
    return [{"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[name]()]


def _torch_perceptron(module: MLP | Layer | Neuron, torch: ModuleType) -> Any:
    """micrograd's MLP, Layer or Neuron as a torch Sequential of Linear and activation layers."""
    if isinstance(module, Neuron):
        layers: list[Layer | Neuron] = [module]
    else:
        layers = module.layers if isinstance(module, MLP) else [module]
    dropout = module.dropout.p if isinstance(module, MLP) else 0.0
    converted = []
    for i, layer in enumerate(layers):
        neurons = layer.neurons if isinstance(layer, Layer) else [layer]
        converted.append(_torch_linear(torch, [n.w for n in neurons], [n.b for n in neurons]))
        converted.extend(_torch_activation(layer.activation, torch))
        if dropout > 0.0 and i < len(layers) - 1:
            converted.append(torch.nn.Dropout(dropout))
    if len(converted) == 1:
        return converted[0]
    return torch.nn.Sequential(*converted)


# -- torch to ours ----------------------------------------------------------------------------


def from_torch(module: Any) -> Module:
    """Our module with the structure and weights of ``module``, a ``torch.nn.Module``.

    It takes a ``torch.nn.Sequential`` of the layers listed in the module docstring, or one of
    those layers alone; anything else raises ValueError naming the layer.

    >>> import torch, nn
    >>> nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()))
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
    )
    >>> nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GELU()))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: from_torch cannot convert layer '1', GELU(approximate='none'); it converts ...
    """
    torch = import_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch converts a torch.nn.Module, got {type(module).__name__}")
    return _from_torch(module, torch, "")


def _from_torch(module: Any, torch: ModuleType, name: str) -> Module:
    kind = type(module)
    tnn = torch.nn
    if kind is tnn.Sequential:
        converted: Module = Sequential(
            OrderedDict(
                (key, _from_torch(child, torch, f"{name}{key}."))
                for key, child in module.named_children()
            )
        )
    elif kind is tnn.Linear:
        converted = _linear_from_torch(module, name)
    elif kind is tnn.ReLU:
        converted = ReLU(inplace=module.inplace)
    elif kind is tnn.LeakyReLU:
        converted = LeakyReLU(module.negative_slope, inplace=module.inplace)
    elif kind in (tnn.Tanh, tnn.Sigmoid, tnn.Identity):
        converted = {tnn.Tanh: Tanh, tnn.Sigmoid: Sigmoid, tnn.Identity: Identity}[kind]()
    elif kind is tnn.Dropout:
        converted = Dropout(module.p)
    elif kind in (losses := {getattr(tnn, loss.__name__): loss for loss in LOSS_MODULES}):
        _refuse_loss_options(module, name)
        converted = losses[kind](reduction=module.reduction)
    else:
        raise ValueError(
            f"from_torch cannot convert {_describe(module, name)}; it converts {SUPPORTED}"
        )
    return converted.train(module.training)


def _describe(module: Any, name: str) -> str:
    """The layer's place in the Sequential and its repr (or its class, for a long repr)."""
    where = f"layer {name.rstrip('.')!r}, " if name else ""
    text = repr(module)
    return where + (text if "\n" not in text else type(module).__name__)


def _refuse_loss_options(module: Any, name: str) -> None:
    """ValueError for a torch loss option that our loss modules do not have."""
    unsupported = {
        "weight": getattr(module, "weight", None),
        "pos_weight": getattr(module, "pos_weight", None),
    }
    found = [key for key, value in unsupported.items() if value is not None]
    if getattr(module, "label_smoothing", 0.0) != 0.0:
        found.append("label_smoothing")
    if getattr(module, "ignore_index", -100) != -100:
        found.append("ignore_index")
    if found:
        raise ValueError(
            f"from_torch cannot convert {_describe(module, name)}: nn.{type(module).__name__} "
            f"has no {', '.join(found)}"
        )


def _linear_from_torch(module: Any, name: str) -> Linear:
    if module.weight.is_complex():
        raise ValueError(f"from_torch cannot convert {_describe(module, name)}: complex weights")
    has_bias = module.bias is not None
    # The starting weights are overwritten at once, so a fixed seed saves drawing fresh entropy.
    layer = Linear(module.in_features, module.out_features, bias=has_bias, seed=0)
    rows = module.weight.detach().cpu().double().tolist()
    for ours, theirs in zip(layer.weight, rows, strict=True):
        for p, x in zip(ours, theirs, strict=True):
            p.data = x
    if has_bias:
        for p, x in zip(layer.bias, module.bias.detach().cpu().double().tolist(), strict=True):
            p.data = x
    return layer
