"""Saving and loading models as JSON: a format version, the architecture and every parameter.

The file is plain JSON that any language can read::

    {"format": "valuegrad.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], ...},
     "parameters": {"layers.0.neurons.0.w.0": -0.2366..., ...}}

A Sequential's architecture lists its modules' (``{"type": "Sequential", "modules":
[{"type": "Linear", "in_features": 2, ...}, {"type": "ReLU", ...}]}``) and its parameters
are named as ``named_parameters`` names them (``0.weight.0.0``).

Floats are written with Python's shortest round-tripping ``repr``, so loading gives back
exactly the same weights. Files are written atomically: to a temporary file in the same
folder, flushed to disk, then renamed over the target, so a crash never leaves half a model.
Nothing is ever pickled.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import reprlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

from autograd.files import write_atomically
from nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from nn.layers import MLP, Dropout, Layer, Neuron
from nn.linear import Linear
from nn.module import Module
from nn.sequential import Sequential

FORMAT = "valuegrad.nn"
VERSION = 1
MODEL_TYPES: dict[str, type[Module]] = {
    kind.__name__: kind
    for kind in (MLP, Layer, Neuron, Sequential, Linear, ReLU, Tanh, Sigmoid, LeakyReLU, Identity,
                 Dropout)
}  # fmt: skip
# The types whose constructors draw starting weights, which loading overwrites at once.
WEIGHTED_TYPES = (MLP, Layer, Neuron, Linear)


def save(model: Module, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` as JSON, atomically; returns the path.

    >>> import tempfile, pathlib
    >>> from nn import MLP
    >>> model = MLP(2, [3, 1], seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     copy = load(save(model, pathlib.Path(d) / "model.json"))
    >>> copy.state_dict() == model.state_dict()
    True
    """
    described = architecture(model)
    state = model.state_dict()
    bad = [f"{name}={x!r}" for name, x in state.items() if not math.isfinite(x)]
    if bad:
        raise ValueError("cannot save non-finite parameters: " + ", ".join(bad))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": described,
        "parameters": state,
    }
    path = Path(path)
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    write_atomically(path, text.encode("utf-8"))
    return path


def architecture(model: Module) -> dict[str, Any]:
    """What ``save`` writes to rebuild ``model``: its type and constructor arguments.

    A Sequential lists the architectures of its modules.

    >>> from nn import Linear, ReLU, Sequential
    >>> architecture(Sequential(Linear(2, 3), ReLU()))
    {'type': 'Sequential', 'modules': [{'type': 'Linear', 'in_features': 2, 'out_features': 3, 'bias': True}, {'type': 'ReLU', 'inplace': False}]}
    """  # noqa: E501
    kind = type(model).__name__
    if MODEL_TYPES.get(kind) is not type(model):
        accepted = ", ".join(MODEL_TYPES)
        raise TypeError(f"save can store {accepted} models, got {kind}")
    if isinstance(model, Sequential):
        children = model.named_children()
        described = {"type": kind, "modules": [architecture(module) for _, module in children]}
        names = [name for name, _ in children]
        if names != [str(i) for i in range(len(names))]:
            described["names"] = names  # the keys of an OrderedDict
        return described
    return {"type": kind, **model.config()}


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved at ``path``; a damaged or mismatched file raises ``ValueError``.

    The error says what is wrong: not JSON (for example truncated), another format or version,
    an unknown architecture, or parameters that do not match it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a model file: it is not UTF-8 text") from error
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:  # JSONDecodeError, or a NaN / Infinity constant
        raise ValueError(
            f"{path} is not a valid model file (truncated or corrupt JSON: {error})"
        ) from error
    except RecursionError:  # json's decoder recurses into each nested [ or {
        raise ValueError(
            f"{path} is not a model file: its JSON is nested too deeply to read"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a model file: its 'format' is not {FORMAT!r}")
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ValueError(
            f"{path} has format version {_show(version)}; this version of nn reads "
            f"version {VERSION}"
        )
    for key in ("architecture", "parameters"):
        if not isinstance(document.get(key), dict):
            raise ValueError(f"{path} is missing its {key!r} object")
    parameters = document["parameters"]
    bad = [name for name, x in parameters.items() if not _is_finite_float(x)]
    if bad:
        shown = ", ".join(f"{name}={_show(parameters[name])}" for name in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise ValueError(
            f"{path}: parameters must be finite numbers that fit in a float; not so: {shown}{more}"
        )
    model = _build(document["architecture"], parameters, path)
    try:
        model.load_state_dict(parameters)
    except ValueError as error:
        raise ValueError(f"{path}: the parameters do not match the architecture: {error}") from None
    return model


def _is_finite_float(x: object) -> bool:
    """Whether x (as JSON gives it) is a number that is a finite float: 10**400 is not."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return False
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


# Values read from a damaged file may be huge or deeply nested: show them cut short.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 3, 40, 40, 40
_SHORT.maxlist = _SHORT.maxdict = 4


def _show(value: object) -> str:
    return _SHORT.repr(value)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reject_constant(name: str) -> float:
    raise ValueError(f"model files hold finite numbers only, found {name}")


def _parameter_count(kind: object, config: dict[str, Any]) -> int | None:
    """How many parameters the architecture has, or None if its sizes are not plain ints."""
    if kind == "Sequential":
        modules = config.get("modules")
        if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
            return None
        counts = [_parameter_count(m.get("type"), m) for m in modules]
        return None if None in counts else sum(counts)  # type: ignore[arg-type]
    if kind == "MLP":
        nouts = config.get("nouts")
        sizes = [config.get("nin"), *(nouts if isinstance(nouts, list) else [None])]
    elif kind == "Layer":
        sizes = [config.get("nin"), config.get("nout")]
    elif kind == "Neuron":
        sizes = [config.get("nin"), 1]
    elif kind == "Linear":
        sizes = [config.get("in_features"), config.get("out_features")]
    else:
        return 0
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
        return None
    if kind == "Linear":
        return (sizes[0] + (config.get("bias") is not False)) * sizes[1]
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


def _construct(architecture: object) -> Module:
    """The model an architecture describes; TypeError or ValueError where it is invalid."""
    if not isinstance(architecture, dict):
        raise ValueError(f"a module is described by an object, got {architecture!r}")
    config = dict(architecture)
    kind = config.pop("type", None)
    if not isinstance(kind, str) or kind not in MODEL_TYPES:
        accepted = ", ".join(MODEL_TYPES)
        raise ValueError(f"unknown architecture type {_show(kind)}; accepted: {accepted}")
    if kind == "Sequential":
        modules = config.pop("modules", None)
        names = config.pop("names", [str(i) for i in range(len(modules or ()))])
        if config or not isinstance(modules, list) or not isinstance(names, list):
            raise ValueError(
                "a Sequential is described by a list of 'modules' (and of their 'names') only"
            )
        if len(names) != len(modules):
            raise ValueError(f"a Sequential has {len(modules)} modules but {len(names)} names")
        pairs = zip(names, modules, strict=True)
        built = OrderedDict((name, _construct(module)) for name, module in pairs)
        if len(built) != len(names):
            raise ValueError(f"a Sequential's module names must differ, got {names!r}")
        return Sequential(built)
    model_type = MODEL_TYPES[kind]
    if model_type in WEIGHTED_TYPES:
        # A fixed seed: the weights are about to be overwritten, and drawing from fresh
        # entropy would be wasted work.
        return model_type(**config, seed=0)
    return model_type(**config)


def _build(architecture: dict[str, Any], parameters: dict[str, Any], path: Path) -> Module:
    kind = architecture.get("type")
    if not isinstance(kind, str) or kind not in MODEL_TYPES:
        accepted = ", ".join(MODEL_TYPES)
        raise ValueError(f"{path}: unknown architecture type {_show(kind)}; accepted: {accepted}")
    try:
        count = _parameter_count(kind, architecture)
    except RecursionError:
        raise ValueError(f"{path}: the architecture is nested too deeply") from None
    # Checked before building, so that a damaged or hostile size cannot make us build a model
    # bigger than the file itself.
    if count is not None and count > len(parameters):
        raise ValueError(
            f"{path}: the parameters do not match the architecture: it has {count} "
            f"parameters, the file holds {len(parameters)}"
        )
    try:
        return _construct(architecture)
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        raise ValueError(
            f"{path}: invalid {kind} architecture {_show(architecture)}: {_cut(str(error))}"
        ) from None
