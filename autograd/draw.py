"""Graphviz drawings of the graph behind a Value: the forward pass (data) or the backward pass.

``draw`` returns a ``graphviz.Digraph``: it displays itself in Jupyter and its ``.source`` is
DOT text. ``render`` writes that drawing to an ``.svg``, ``.png``, ``.pdf``, ``.dot`` or ``.gv``
file. Each Value is a box (its label when it has one, its data and its gradient); each operation
is a small oval between its inputs and its result, showing any plain numbers folded into it
(``· * 3``, ``leaky_relu(·, 0.2)``).

Forward drawings show ``.grad`` as the Values hold it. Backward drawings show gradients worked
out afresh from the graph, d(root)/d(node) with the root seeded with 1, whatever ``.grad``
holds: the edge from an operation to an input carries the local derivative times the gradient
shown on the operation's result, and a Value used more than once shows its gradient as the sum
of the contributions of its uses, in the order the sweep adds them. Boxes are numbered in the
order the reverse sweep visits them and coloured by the gradient's magnitude on a log scale.

Drawings are deterministic: nodes are named after their position in the topological order, so
the same graph built twice gives the same DOT source, byte for byte.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphviz

from autograd.backward import topological_order
from autograd.stepwise import StepwiseSweep
from autograd.value import Value

MODES = ("forward", "backward")
RANKDIRS = ("LR", "RL", "TB", "BT")
# Suffix -> the format ``dot -T`` is asked for; None means the DOT source itself is written.
FORMATS: dict[str, str | None] = {
    ".dot": None,
    ".gv": None,
    ".pdf": "pdf",
    ".png": "png",
    ".svg": "svg",
}
INSTALL_DOT = (
    "Graphviz's `dot` program is needed to write {suffix} files and was not found on PATH. "
    "Install Graphviz (Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: "
    "`brew install graphviz`; others: https://graphviz.org/download/), "
    "or write a .dot or .gv file, which needs no Graphviz."
)

# |grad| classes on a log scale: (upper bound, fill colour, legend text), smallest first.
# Blue for vanishing, white for ordinary, red for exploding (ColorBrewer RdBu, lightened).
GRAD_CLASSES = (
    (1e-6, "#6baed6", "< 1e-6 vanishing"),
    (1e-4, "#9ecae1", "1e-6 to 1e-4"),
    (1e-2, "#deebf7", "1e-4 to 1e-2"),
    (1e2, "#ffffff", "1e-2 to 1e2"),
    (1e4, "#fdd0a2", "1e2 to 1e4"),
    (1e6, "#fc9272", "1e4 to 1e6"),
    (math.inf, "#ef3b2c", "> 1e6 exploding"),
)
ZERO_COLOUR = "#d9d9d9"
NOT_FINITE_COLOUR = "#c994c7"
PENDING_COLOUR = "#ffffff"
HIGHLIGHT_COLOUR = "#e6550d"
ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu")
MAX_TERMS = 4  # contributions spelled out in a reused Value's sum before it is abbreviated

_PARAMETER = re.compile(r"(?:(?P<neuron>.+)\.)?(?:w\.\d+|b)")
_NEURON = re.compile(r"(?:(?P<layer>.+)\.)?neurons\.\d+")
_INFIX = ("+", "*", "/", "**")
_ROLES = {"/": ("dividend", "divisor"), "**": ("base", "exponent")}


def draw(
    root: Value,
    mode: str = "forward",
    *,
    rankdir: str = "LR",
    max_nodes: int = 500,
    step: int | None = None,
    cluster: bool = False,
) -> graphviz.Digraph:
    """The Graphviz drawing of the graph that produced ``root``.

    Args:
        mode: ``"forward"``: edges follow the data, from inputs to results; boxes show
            ``.grad`` as it is. ``"backward"``: edges follow the gradients, from each result to
            its inputs, labelled with the local derivative and the gradient they carry; boxes
            show d(root)/d(node) computed afresh (``.grad`` is not read), numbered in visiting
            order and coloured by magnitude, and a legend explains the colours.
        rankdir: the direction edges point in the picture: ``"LR"``, ``"RL"``, ``"TB"``, ``"BT"``.
        max_nodes: the most nodes (Values and operations alike) to draw; a larger graph raises
            ``ValueError`` instead of keeping Graphviz busy for minutes.
        step: backward mode only: the drawing after the first ``step`` nodes of the sweep have
            sent their gradient to their inputs. Node ``step`` is highlighted; nodes not yet
            visited have dashed borders; a gradient still missing some contributions is shown
            as ``3 + … (1 of 2 uses)``. ``step=0`` shows only the seed; from the number of
            Values on, the full drawing.
        cluster: group the nodes of each ``nn`` neuron into a box, and the neurons of a layer
            into an enclosing box, read from parameter labels. A ``"linear"`` node belongs to
            neuron ``P`` when every Value among its weights and bias is labelled ``P.w.<i>`` or
            ``P.b`` (``w.<i>`` and ``b`` alone: a lone neuron), for one and the same ``P``; the
            box holds that node, those parameters and the node applying ``tanh``, ``sigmoid``,
            ``relu`` or ``leaky_relu`` to it when that is its only use. When ``P`` is
            ``L.neurons.<j>`` (or ``neurons.<j>``), the neuron's box sits in layer ``L``'s box.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x
    >>> print(draw(y, "backward").source.count("grad 4 = 2 + 2"))  # x is used twice
    1
    >>> draw(y).source == draw(y).source
    True
    """
    _check_options(root, mode, rankdir, max_nodes, step, cluster)
    order = topological_order(root)
    operations = sum(1 for v in order if not v.is_leaf)
    if len(order) + operations > max_nodes:
        raise ValueError(
            f"the graph has {len(order) + operations} nodes ({len(order)} Values and "
            f"{operations} operations), more than max_nodes={max_nodes}; pass "
            f"max_nodes={len(order) + operations} or more to draw it anyway"
        )
    index = {v: i for i, v in enumerate(order)}
    sweep = StepwiseSweep.run(order, step) if mode == "backward" else None

    g = graphviz.Digraph(name="autograd", comment=f"{mode} graph")
    g.attr(rankdir=rankdir, nodesep="0.25", ranksep="0.35", fontname="Helvetica")
    g.attr("node", fontname="Helvetica", fontsize="11")
    g.attr("edge", fontname="Helvetica", fontsize="9", arrowsize="0.7")
    _add_nodes(g, order, index, _clusters(order) if cluster else {}, root, sweep)
    _add_edges(g, order, index, sweep)
    if sweep is not None:
        # The legend is the graph's label, below the picture, so it takes no place in the layout.
        g.attr(label=_legend(sweep.partial), labelloc="b", labeljust="l", fontsize="9")
    return g


def _check_options(
    root: Any, mode: Any, rankdir: Any, max_nodes: Any, step: Any, cluster: Any
) -> None:
    """Raise TypeError or ValueError, saying what is accepted, for a bad argument of draw."""
    if not isinstance(root, Value):
        raise TypeError(f"draw needs a Value to draw the graph of, got {type(root).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be 'forward' or 'backward', got {mode!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool):
        raise TypeError(f"max_nodes must be an int, got {type(max_nodes).__name__}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if step is not None:
        if mode != "backward":
            raise ValueError("step shows a moment of the backward sweep: use it with 'backward'")
        if not isinstance(step, int) or isinstance(step, bool):
            raise TypeError(f"step must be an int or None, got {type(step).__name__}")
        if step < 0:
            raise ValueError(f"step must be 0 or more, got {step}")
    if not isinstance(cluster, bool):
        raise TypeError(f"cluster must be True or False, got {type(cluster).__name__}")


def render(
    root: Value, path: str | os.PathLike[str], mode: str = "forward", **options: Any
) -> Path:
    """Write ``draw(root, mode, **options)`` to ``path``, in the format its suffix names.

    ``.svg``, ``.png`` and ``.pdf`` are made by Graphviz's ``dot``; ``.dot`` and ``.gv`` are
    the DOT source and need no Graphviz. The file is written whole or not at all, and nothing
    else is left beside it.

    >>> import tempfile, pathlib
    >>> from autograd import Value
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = render(Value(3.0, label="x") * 2, pathlib.Path(folder) / "x.gv")
    ...     path.name, [p.name for p in path.parent.iterdir()]
    ('x.gv', ['x.gv'])
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {str(path)!r} from its suffix {path.suffix!r}; "
            f"accepted suffixes: {', '.join(FORMATS)}"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: {str(path.parent)!r} is no folder")
    drawing = draw(root, mode, **options)
    fmt = FORMATS[suffix]
    if fmt is None:
        content = drawing.source.encode("utf-8")
    else:
        try:
            content = drawing.pipe(format=fmt)
        except graphviz.ExecutableNotFound as err:
            raise RuntimeError(INSTALL_DOT.format(suffix=suffix)) from err
    _write_atomically(path, content)
    return path


# -- the backward sweep, as the drawing shows it ---------------------------------------------


def _grad_text(sweep: StepwiseSweep, v: Value) -> str:
    """``grad 8 = 3 + 5`` for a reused Value, ``grad 3 + … (1 of 2 uses)`` mid-sweep."""
    terms = sweep.contributions.get(v, [])
    if sweep.number[v] == 1:
        return f"grad {_num(sweep.grads[v])} (seed)"
    if not terms:
        return "grad pending"
    shown = " + ".join(_num(t) for t in terms[:MAX_TERMS])
    complete = sweep.complete(v)
    if len(terms) > MAX_TERMS or not complete:
        shown += " + …"
    if not complete:
        return f"grad {shown} ({len(terms)} of {sweep.uses[v]} uses)"
    if len(terms) == 1:
        return f"grad {shown}"
    count = f" ({len(terms)} terms)" if len(terms) > MAX_TERMS else ""
    return f"grad {_num(sweep.grads[v])} = {shown}{count}"


# -- nodes ----------------------------------------------------------------------------------


def _add_nodes(
    g: graphviz.Digraph,
    order: list[Value],
    index: dict[Value, int],
    groups: dict[Value, tuple[str, str | None]],
    root: Value,
    sweep: StepwiseSweep | None,
) -> None:
    """Declare every node, inside its neuron's and layer's boxes when it has them."""
    outside = [v for v in order if v not in groups]
    for v in outside:
        _add_value(g, v, index[v], root, sweep)
    layers: dict[str | None, dict[str, list[Value]]] = {}
    for v in order:
        if v in groups:
            neuron, layer = groups[v]
            layers.setdefault(layer, {}).setdefault(neuron, []).append(v)
    for i, (layer, neurons) in enumerate(layers.items()):
        if layer is None:
            _add_neurons(g, neurons, index, root, sweep, f"{i}")
            continue
        with g.subgraph(name=f"cluster_layer{i}") as box:
            box.attr(label=f"<<B>{_html(layer or 'layer')}</B>>", style="rounded", color="gray40")
            _add_neurons(box, neurons, index, root, sweep, f"{i}")


def _add_neurons(
    g: graphviz.Digraph,
    neurons: dict[str, list[Value]],
    index: dict[Value, int],
    root: Value,
    sweep: StepwiseSweep | None,
    prefix: str,
) -> None:
    for j, (neuron, members) in enumerate(neurons.items()):
        with g.subgraph(name=f"cluster_neuron{prefix}_{j}") as box:
            box.attr(label=f"<{_html(neuron or 'neuron')}>", style="rounded,dashed", color="gray55")
            for v in members:
                _add_value(box, v, index[v], root, sweep)


def _add_value(
    g: graphviz.Digraph, v: Value, i: int, root: Value, sweep: StepwiseSweep | None
) -> None:
    """The box of one Value and, when an operation made it, the oval of that operation."""
    heading = [f"<B>{_html(v.label)}</B>"] if v.label else []
    style = ["filled"]
    attrs = {"shape": "box", "peripheries": "2" if v is root else "1"}
    op_attrs: dict[str, str] = {}
    if sweep is None:
        grad_line = f"grad {_num(v.grad)}"
        attrs["fillcolor"] = "#f7fbff" if v.is_leaf else "#ffffff"
        attrs["tooltip"] = f"data {v.data!r}, grad {v.grad!r}"
    else:
        number = sweep.number[v]
        heading = [" ".join([f"#{number}", *heading])]
        grad_line = _html(_grad_text(sweep, v))
        grad = sweep.grads.get(v)
        attrs["fillcolor"] = _colour(grad) if sweep.complete(v) else PENDING_COLOUR
        attrs["tooltip"] = (
            f"#{number}: data {v.data!r}, grad {'pending' if grad is None else repr(grad)}"
        )
        if number > sweep.steps:
            style.append("dashed")
            op_attrs["style"] = "dashed"
        if sweep.partial and number == sweep.steps:
            attrs["penwidth"] = op_attrs["penwidth"] = "3"
            attrs["color"] = op_attrs["color"] = HIGHLIGHT_COLOUR
    attrs["style"] = ",".join(style)
    lines = [*heading, f"data {_num(v.data)}", grad_line]
    g.node(f"v{i}", label="<" + "<BR/>".join(lines) + ">", **attrs)
    if not v.is_leaf:
        label = "<" + "<BR/>".join(_html(line) for line in _op_lines(v)) + ">"
        g.node(f"o{i}", label=label, shape="ellipse", fontsize="10", height="0.3", **op_attrs)


def _add_edges(
    g: graphviz.Digraph, order: list[Value], index: dict[Value, int], sweep: StepwiseSweep | None
) -> None:
    """Forward: input -> operation -> result. Backward: result -> operation -> each input."""
    for i, v in enumerate(order):
        if v.is_leaf:
            continue
        roles = _roles(v)
        if sweep is None:
            for inp, role in zip(v.inputs, roles, strict=True):
                g.edge(f"v{index[inp]}", f"o{i}", **({"label": role} if role else {}))
            g.edge(f"o{i}", f"v{i}")
            continue
        g.edge(f"v{i}", f"o{i}")
        for k, (inp, local, role) in enumerate(zip(v.inputs, v.local_grads, roles, strict=True)):
            text = f"{role}: local {_num(local)}" if role else f"local {_num(local)}"
            carried = sweep.carried.get((v, k))
            if carried is None:  # the sweep has not reached v yet
                g.edge(f"o{i}", f"v{index[inp]}", label=text, style="dashed", color="gray50")
            else:
                tooltip = f"local {local!r} x grad {sweep.grads[v]!r} = {carried!r}"
                label = f"{text}\\ngrad {_num(carried)}"
                g.edge(f"o{i}", f"v{index[inp]}", label=label, tooltip=tooltip)


def _op_lines(v: Value) -> list[str]:
    """The operation's name with any plain numbers folded into it: ``· * 3``, ``2 ** ·``."""
    shown = ["·" if isinstance(a, Value) else _num(a) for a in v.args]
    if all(isinstance(a, Value) for a in v.args):
        return [v.op]
    if v.op in _INFIX:
        return [f" {v.op} ".join(shown)]
    if v.op == "linear":
        names = _linear_roles(len(v.args))
        folded = [(n, a) for n, a in zip(names, v.args, strict=True) if not isinstance(a, Value)]
        return ["linear", *(f"{n} = {_num(a)}" for n, a in folded)]
    return [f"{v.op}({', '.join(shown)})"]


def _roles(v: Value) -> list[str]:
    """What each input entry is to its operation, where order matters: ``w1``, ``divisor``."""
    if v.op == "linear":
        names = _linear_roles(len(v.args))
        return [n for n, a in zip(names, v.args, strict=True) if isinstance(a, Value)]
    if v.op in _ROLES and len(v.inputs) == 2:
        return list(_ROLES[v.op])
    return [""] * len(v.inputs)


def _linear_roles(count: int) -> list[str]:
    n = (count - 1) // 2
    # 0-based, like the parameter labels of nn (w.0, w.1, ...) and Python indices.
    return [f"w{k}" for k in range(n)] + [f"x{k}" for k in range(n)] + ["b"]


def _legend(partial: bool) -> str:
    """An HTML-like table: what the colours, numbers and edge labels of a backward drawing say."""
    swatches = [(ZERO_COLOUR, "0")]
    swatches += [(colour, text) for _, colour, text in GRAD_CLASSES]
    swatches.append((NOT_FINITE_COLOUR, "nan, inf"))
    if partial:
        swatches.append((PENDING_COLOUR, "incomplete"))
    cells = "".join(f'<TD BGCOLOR="{colour}">{_html(text)}</TD>' for colour, text in swatches)
    notes = [
        "#n: the order in which the backward sweep visits the Values;"
        " double border: the output, seeded with grad 1",
        "an edge's grad = its local derivative times the grad of the result it leaves",
    ]
    if partial:
        notes.append("dashed: not visited yet; thick orange border: being visited")
    note = "<BR/>".join(_html(n) for n in notes)
    span = len(swatches) + 1
    return (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        f"<TR><TD><B>|grad|</B></TD>{cells}</TR>"
        f'<TR><TD COLSPAN="{span}" BORDER="0" BALIGN="LEFT">{note}</TD></TR></TABLE>>'
    )


def _colour(grad: float | None) -> str:
    """The fill colour of a gradient's magnitude class (see ``GRAD_CLASSES``).

    >>> _colour(0.0) == ZERO_COLOUR, _colour(0.5), _colour(1e-9), _colour(float("nan"))
    (True, '#ffffff', '#6baed6', '#c994c7')
    """
    if grad is None:
        return PENDING_COLOUR
    magnitude = abs(grad)
    if magnitude == 0:
        return ZERO_COLOUR
    if not math.isfinite(magnitude):
        return NOT_FINITE_COLOUR
    return next(colour for bound, colour, _ in GRAD_CLASSES if magnitude < bound)


# -- modules as clusters ---------------------------------------------------------------------


def _clusters(order: list[Value]) -> dict[Value, tuple[str, str | None]]:
    """Value -> (neuron prefix, layer prefix or None) for the Values inside a neuron's box."""
    users: dict[Value, list[Value]] = {}
    for v in order:
        for inp in v.inputs:
            users.setdefault(inp, []).append(v)
    groups: dict[Value, tuple[str, str | None]] = {}
    for v in order:
        if v.op != "linear":
            continue
        n = (len(v.args) - 1) // 2
        parameters = [a for a in (*v.args[:n], v.args[-1]) if isinstance(a, Value)]
        matches = [_PARAMETER.fullmatch(p.label) for p in parameters]
        if not matches or None in matches:
            continue
        neurons = {m.group("neuron") or "" for m in matches if m is not None}
        if len(neurons) != 1:
            continue
        neuron = neurons.pop()
        in_layer = _NEURON.fullmatch(neuron)
        group = (neuron, (in_layer.group("layer") or "") if in_layer else None)
        members = [v, *parameters]
        after = users.get(v, [])
        if len(after) == 1 and after[0].op in ACTIVATIONS and len(after[0].inputs) == 1:
            members.append(after[0])
        for member in members:
            groups.setdefault(member, group)
    return groups


# -- text ------------------------------------------------------------------------------------


def _num(x: float) -> str:
    """A number to 4 significant digits: short, yet enough to follow the arithmetic.

    >>> _num(0.7071067811865476), _num(-3.0), _num(1234567.0), _num(float("-inf")), _num(-0.0)
    ('0.7071', '-3', '1.235e+06', '-inf', '0')
    """
    return f"{x + 0.0:.4g}"  # -0.0 + 0.0 is 0.0: a negative zero reads as a plain 0


# dot's HTML-like label parser also stumbles on a "]" just before a tag, so it is escaped too.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "]": "&#93;"}


def _html(text: str) -> str:
    """Text as the content of an HTML-like label, showing exactly the characters of ``text``.

    Markup characters become entities and a newline a line break; characters Python does not
    print (control and format characters, separators other than the space) appear as their
    Python escapes, so that nothing in a label is invisible or breaks the DOT source. Every
    backslash is doubled, as dot shows a doubled backslash as one.

    >>> print(_html('a<b> & "c"\\nd\\te \\\\ f'))
    a&lt;b&gt; &amp; &quot;c&quot;<BR/>d\\\\te \\\\ f
    """
    return "".join(_html_chars(text))


def _html_chars(text: str) -> Iterator[str]:
    for ch in text:
        if ch == "\n":
            yield "<BR/>"
        elif ch in _ENTITIES:
            yield _ENTITIES[ch]
        elif ch.isprintable():
            # dot reads a backslash in a label as the start of an escape (\G is the graph's
            # name), even in HTML-like labels and even written as &#92;: a doubled one shows one.
            yield "\\\\" if ch == "\\" else ch
        else:
            yield ch.encode("unicode_escape").decode("ascii").replace("\\", "\\\\")


# -- files -----------------------------------------------------------------------------------


def _write_atomically(path: Path, content: bytes) -> None:
    """Write a temporary file beside ``path``, then rename it over ``path`` in one step."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # O_EXCL: never write through a file that is already there; 0o666 less the umask: the
    # permissions any new file of the user's gets (tempfile.mkstemp would make it private).
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
