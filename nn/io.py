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
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

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
    write_atomically(path, json.dumps(document, indent=1, allow_nan=False) + "\n")
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


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: write a temporary file beside it, fsync, then rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the permissions an ordinary write
        # would: those of the file it replaces, else read for all.
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a model file: its 'format' is not {FORMAT!r}")
    version = document.get("version")
    if version != VERSION:
        raise ValueError(
            f"{path} has format version {version!r}; this version of nn reads version {VERSION}"
        )
    for key in ("architecture", "parameters"):
        if not isinstance(document.get(key), dict):
            raise ValueError(f"{path} is missing its {key!r} object")
    model = _build(document["architecture"], document["parameters"], path)
    try:
        model.load_state_dict(document["parameters"])
    except ValueError as error:
        raise ValueError(f"{path}: the parameters do not match the architecture: {error}") from None
    return model


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
        sizes = [config.get("nin"), *(config.get("nouts") or [])]
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
    if kind not in MODEL_TYPES:
        accepted = ", ".join(MODEL_TYPES)
        raise ValueError(f"unknown architecture type {kind!r}; accepted: {accepted}")
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
    if kind not in MODEL_TYPES:
        accepted = ", ".join(MODEL_TYPES)
        raise ValueError(f"{path}: unknown architecture type {kind!r}; accepted: {accepted}")
    count = _parameter_count(kind, architecture)
    # Checked before building, so that a damaged or hostile size cannot make us build a model
    # bigger than the file itself.
    if count is not None and count > len(parameters):
        raise ValueError(
            f"{path}: the parameters do not match the architecture: it has {count} "
            f"parameters, the file holds {len(parameters)}"
        )
    try:
        return _construct(architecture)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: invalid {kind} architecture {architecture!r}: {error}") from None
