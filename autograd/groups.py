"""Which Values of a graph belong to which ``nn`` neuron and layer, read from parameter labels.

``nn`` labels every parameter with its name in the model (``layers.0.neurons.3.w.1``). A
``"linear"`` node belongs to neuron ``P`` when every Value among its weights and bias is
labelled ``P.w.<i>`` or ``P.b`` (``w.<i>`` and ``b`` alone: a lone neuron), for one and the
same ``P``. The neuron holds that node, those parameters and the node applying ``tanh``,
``sigmoid``, ``relu`` or ``leaky_relu`` to it when that is its only use; its output is the
last of these. When ``P`` is ``L.neurons.<j>`` (or ``neurons.<j>``), the neuron is in layer
``L`` (``""`` for a Layer of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from autograd.value import Value

ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu")

_PARAMETER = re.compile(r"(?:(?P<neuron>.+)\.)?(?:w\.\d+|b)")
_NEURON = re.compile(r"(?:(?P<layer>.+)\.)?neurons\.\d+")


@dataclass
class Neuron:
    """The Values of one neuron: its parameters, weighted sums, activations and outputs.

    A neuron applied to several samples has one weighted sum and one output per sample.
    """

    name: str  # the parameters' common prefix: "layers.0.neurons.3", or "" for a lone neuron
    layer: str | None  # the enclosing layer's prefix, None when the neuron is in no layer
    parameters: list[Value] = field(default_factory=list)
    members: list[Value] = field(default_factory=list)  # every Value of the neuron
    outputs: list[Value] = field(default_factory=list)  # activations, or sums without one


def neurons(order: list[Value]) -> list[Neuron]:
    """The neurons found in ``order`` (a topological order), in the order they were computed.

    >>> from autograd import Value, linear, topological_order
    >>> w, b = [Value(1.0, label="neurons.0.w.0")], Value(0.0, label="neurons.0.b")
    >>> (found,) = neurons(topological_order(linear(w, [2.0], b).tanh()))
    >>> found.name, found.layer, found.outputs[0].op, len(found.members)
    ('neurons.0', '', 'tanh', 4)
    """
    users: dict[Value, list[Value]] = {}
    for v in order:
        for inp in v.inputs:
            users.setdefault(inp, []).append(v)
    found: dict[str, Neuron] = {}
    taken: set[Value] = set()
    for v in order:
        if v.op != "linear":
            continue
        n = (len(v.args) - 1) // 2
        parameters = [a for a in (*v.args[:n], v.args[-1]) if isinstance(a, Value)]
        matches = [_PARAMETER.fullmatch(p.label) for p in parameters]
        if not matches or None in matches:
            continue
        prefixes = {m.group("neuron") or "" for m in matches if m is not None}
        if len(prefixes) != 1:
            continue
        name = prefixes.pop()
        if name not in found:
            in_layer = _NEURON.fullmatch(name)
            found[name] = Neuron(name, (in_layer.group("layer") or "") if in_layer else None)
        neuron = found[name]
        new = [p for p in parameters if p not in taken]
        neuron.parameters += new
        neuron.members += [*new, v]
        output = v
        after = users.get(v, [])
        if len(after) == 1 and after[0].op in ACTIVATIONS and len(after[0].inputs) == 1:
            output = after[0]
            neuron.members.append(output)
        neuron.outputs.append(output)
        taken.update(neuron.members)
    return list(found.values())
