"""Graphviz drawings of the graph behind a Value: the forward pass (data) or the backward pass.

``draw`` returns a ``graphviz.Digraph``: it displays itself in Jupyter and its ``.source`` is
DOT text. ``render`` writes that drawing to an ``.svg``, ``.png``, ``.pdf``, ``.dot`` or ``.gv``
file. Each Value is a box (its label when it has one, its data and its gradient); each operation
is a small oval between its inputs and its result, showing any plain numbers folded into it
(``· * 3``, ``leaky_relu(·, 0.2)``), and subtraction and negation as written (``· - 1``, ``-·``).

Forward drawings show ``.grad`` as the Values hold it. Backward drawings show gradients worked
out afresh from the graph, d(root)/d(node) with the root seeded with 1, whatever ``.grad``
holds: the edge from an operation to an input carries the local derivative times the gradient
shown on the operation's result, and a Value used more than once shows its gradient as the sum
of the contributions of its uses, in the order the sweep adds them. Boxes are numbered in the
order the reverse sweep visits them and coloured by the gradient's magnitude on a log scale.

Networks can be drawn coarser: ``level="neuron"`` draws each ``nn`` neuron as one box and
``level="layer"`` each layer (see ``autograd.groups`` for how they are found).

Drawings are deterministic: nodes are named after their position in the topological order, so
the same graph built twice gives the same DOT source, byte for byte.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphviz

from autograd.backward import topological_order
from autograd.files import write_atomically
from autograd.finite_differences import disagreeing_leaves
from autograd.graphviz_run import run_graphviz
from autograd.groups import Neuron, neurons
from autograd.stepwise import COMPLETE, PENDING, VISITED, StepwiseSweep
from autograd.value import Value

MODES = ("forward", "backward")
RANKDIRS = ("LR", "RL", "TB", "BT")
LEVELS = ("value", "neuron", "layer")
# Suffix -> the format ``dot -T`` is asked for; None means the DOT source itself is written.
FORMATS: dict[str, str | None] = {
    ".dot": None,
    ".gv": None,
    ".pdf": "pdf",
    ".png": "png",
    ".svg": "svg",
}

# |grad| classes on a log scale: (upper bound, fill colour, legend text), smallest first.
# Blue for vanishing, white for ordinary, red for exploding (ColorBrewer RdBu, lightened).
GRAD_CLASSES = (
    (1e-6, "#6baed6", "<1e-6"),
    (1e-4, "#9ecae1", "<1e-4"),
    (1e-2, "#deebf7", "<0.01"),
    (1e2, "#ffffff", "<100"),
    (1e4, "#fdd0a2", "<1e4"),
    (1e6, "#fc9272", "<1e6"),
    (math.inf, "#ef3b2c", "\u2265 1e6"),
)
ZERO_COLOUR = "#d9d9d9"
NOT_FINITE_COLOUR = "#c994c7"
PENDING_COLOUR = "#fff7d6"  # pale yellow: no swatch of the scale is near it
HIGHLIGHT_COLOUR = "#e6550d"
MISMATCH_COLOUR = "#cb181d"
# The edges of a weighted sum, each with its label (ColorBrewer Dark2, no red: red marks checks).
EDGE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666")
MAX_TERMS = 4  # contributions spelled out in a reused Value's sum before it is abbreviated
LABEL_LIMIT = 40  # characters of a label shown in a box; the tooltip keeps all of it
# dot's lexer refuses a quoted string over 16,384 bytes: longer tooltips are cut in the DOT
# source, and run_graphviz puts the whole text back into the SVG it writes.
TOOLTIP_BYTES = 8000
# The largest picture by default, in inches: 720 x 2592 points, 960 pixels wide on a screen
# or in a PNG (96 dpi), so a drawing fits the text column of a 1,200-pixel notebook page and a
# PNG of a drawing at max_nodes renders in about a second (see benchmarks/draw_sizes.py).
PAGE = (10.0, 36.0)
MANY_USES = 8  # a Value used more often is drawn again beside each use (see _input_end)
LARGE = 100  # nodes: above this, dot's layout passes are limited (see _Drawing.build)

_INFIX = ("+", "*", "/", "**")
_ROLES = {"/": ("dividend", "divisor"), "**": ("base", "exponent")}
_STATE_STYLE = {VISITED: "", COMPLETE: "dotted", PENDING: "dashed"}


def draw(
    root: Value,
    mode: str = "forward",
    *,
    rankdir: str = "LR",
    max_nodes: int = 500,
    step: int | None = None,
    cluster: bool = False,
    level: str = "value",
    check: bool = False,
    legend: bool = True,
    size: tuple[float, float] | None = PAGE,
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
            sent their gradient to their inputs. Node ``step`` is highlighted; a node not yet
            visited has a dotted border when its gradient is already complete and a dashed one
            while it still awaits contributions (``3 + … (1 of 2 uses)``). ``step=0`` shows only
            the seed; from the number of Values on, the full drawing.
        cluster: group the nodes of each ``nn`` neuron into a box, and the neurons of a layer
            into an enclosing box, read from parameter labels (see ``autograd.groups``); inside
            a box, Values show their names without the box's prefix.
        level: ``"value"`` draws every Value; ``"neuron"`` draws each ``nn`` neuron as one box
            (its output's data and grad, the norm of its parameters' gradients, ``dead`` when a
            relu outputs 0) inside its layer's box; ``"layer"`` one box per layer (the norm of
            its parameters' gradients). Backward drawings colour these boxes by that norm.
        check: backward mode only: compare each leaf's gradient with a central finite
            difference of the root and mark every leaf where they disagree (red border, both
            numbers shown); the legend says how many disagree.
        legend: backward mode only: show the legend below the picture.
        size: the largest picture, ``(width, height)`` in inches: a larger drawing is scaled
            down to fit (Graphviz's ``size``), a smaller one is left alone. The default fits a
            1,200-pixel notebook page and keeps PNG files quick to make; None: natural size.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x
    >>> print(draw(y, "backward").source.count("grad 4 = 2 + 2"))  # x is used twice
    1
    >>> draw(y).source == draw(y).source
    True
    """
    _check_options(root, mode, rankdir, max_nodes, step, cluster, level, check, legend, size)
    drawing = _Drawing(root, mode, step, cluster, level, check)
    return drawing.build(rankdir, max_nodes, legend, size)


def _check_options(
    root: Any,
    mode: Any,
    rankdir: Any,
    max_nodes: Any,
    step: Any,
    cluster: Any,
    level: Any,
    check: Any,
    legend: Any,
    size: Any = None,
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
    for name, flag in (("cluster", cluster), ("check", check), ("legend", legend)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {type(flag).__name__}")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(map(repr, LEVELS))}, got {level!r}")
    if size is not None and not (
        isinstance(size, tuple)
        and len(size) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in size)
        and all(x > 0 and math.isfinite(x) for x in size)
    ):
        raise ValueError(f"size must be None or (width, height) in inches, both > 0; got {size!r}")
    if check and mode != "backward":
        raise ValueError("check compares the backward sweep's gradients: use it with 'backward'")


def render(
    root: Value, path: str | os.PathLike[str], mode: str = "forward", **options: Any
) -> Path:
    """Write ``draw(root, mode, **options)`` to ``path``, in the format its suffix names.

    ``.svg``, ``.png`` and ``.pdf`` are made by Graphviz's ``dot``; ``.dot`` and ``.gv`` are
    the DOT source and need no Graphviz. The file is written whole or not at all, and nothing
    else is left beside it. If ``dot`` fails, ``RuntimeError`` says how.

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
        raise FileNotFoundError(
            f"cannot write {str(path)!r}: there is no folder {str(path.parent)!r}"
        )
    drawing = draw(root, mode, **options)
    fmt = FORMATS[suffix]
    content = drawing.source.encode("utf-8") if fmt is None else run_graphviz(drawing, fmt)
    write_atomically(path, content)
    return path


# -- what a drawing shows -------------------------------------------------------------------


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


class _Drawing:
    """Builds one drawing: nodes, boxes around neurons and layers, edges and the legend.

    ``pins`` (used by animations) maps node, edge and cluster names to fixed positions.
    """

    def __init__(
        self,
        root: Value,
        mode: str,
        step: int | None,
        cluster: bool,
        level: str,
        check: bool,
        pins: Any = None,
    ) -> None:
        self.root, self.mode, self.level, self.pins = root, mode, level, pins
        self.order = topological_order(root)
        self.index = {v: i for i, v in enumerate(self.order)}
        self.sweep = StepwiseSweep.run(self.order, step) if mode == "backward" else None
        self.neurons = neurons(self.order) if cluster or level != "value" else []
        self.neuron_of = {v: n for n in self.neurons for v in n.members}
        self.neuron_numbers = {n.name: i for i, n in enumerate(self.neurons)}
        self.layer_numbers: dict[str, int] = {}
        for n in self.neurons:
            if n.layer is not None:
                self.layer_numbers.setdefault(n.layer, len(self.layer_numbers))
        self.mismatches = None
        if check:
            assert self.sweep is not None
            self.mismatches = disagreeing_leaves(self.order, self.sweep)
        self.check = check
        self.edges = 0
        self.full_tooltips: dict[str, str] = {}
        self.uses = Counter(inp for v in self.order for inp in v.inputs)

    # -- the whole drawing ----------------------------------------------------------------

    def build(
        self, rankdir: str, max_nodes: int, legend: bool, size: tuple[float, float] | None
    ) -> graphviz.Digraph:
        shown = self._shown()
        count = sum(2 if v is not None and not v.is_leaf else 1 for v in shown)
        if count > max_nodes:
            raise ValueError(self._too_many(count, max_nodes))
        g = graphviz.Digraph(name="autograd", comment=f"{self.mode} graph")
        g.attr(rankdir=rankdir, nodesep="0.25", ranksep="0.35", fontname="Helvetica")
        if size is not None:
            g.attr(size=f"{size[0]:g},{size[1]:g}")
        g.attr("node", fontname="Helvetica", fontsize="11")
        g.attr("edge", fontname="Helvetica", fontsize="9", arrowsize="0.7")
        if count > LARGE:
            # dot's network simplex runs for minutes on large graphs where one Value has many
            # uses (x + x + ... + x, 60 terms: over 200 s); a few passes lay them out in seconds.
            g.attr(nslimit="1", nslimit1="1", mclimit="0.1")
        if self.level == "value":
            self._values(g)
        else:
            self._groups(g)
        if self.sweep is not None and legend:
            # The legend is the graph's label, below the picture: no place in the layout.
            g.attr(label=self._legend(), labelloc="b", labeljust="l", fontsize="9")
        if self.pins is not None:
            g.attr(**self.pins.graph())
        g._full_tooltips = self.full_tooltips  # type: ignore[attr-defined]
        return g

    def _shown(self) -> list[Value | None]:
        """One entry per box: a Value drawn as itself, None for a neuron's or layer's box."""
        if self.level == "value":
            return list(self.order)
        boxes = {self._box_of(n) for n in self.neurons}
        return [v for v in self.order if v not in self.neuron_of] + [None] * len(boxes)

    def _too_many(self, count: int, max_nodes: int) -> str:
        what = f"the graph has {count} nodes"
        if self.level == "value":
            operations = sum(1 for v in self.order if not v.is_leaf)
            what += f" ({len(self.order)} Values and {operations} operations)"
        else:
            what += f" at level={self.level!r}"
        coarser = LEVELS[LEVELS.index(self.level) + 1 :]
        if coarser and (self.neurons or neurons(self.order)):
            hint = f"draw it at level={coarser[0]!r}, or pass max_nodes={count} or more"
        else:
            hint = f"pass max_nodes={count} or more to draw it anyway"
        return f"{what}, more than max_nodes={max_nodes}; {hint}"

    # -- level "value" --------------------------------------------------------------------

    def _values(self, g: graphviz.Digraph) -> None:
        """Every Value and operation, inside its neuron's and layer's boxes when clustered."""
        for v in self.order:
            if v not in self.neuron_of:
                self._value(g, v, "")
        for i, (layer, members) in enumerate(self._layers().items()):
            if layer is None:
                for j, neuron in enumerate(members):
                    self._neuron_cluster(g, neuron, f"cluster_neuron{i}_{j}")
                continue
            with g.subgraph(name=f"cluster_layer{i}") as box:
                self._cluster_attrs(box, f"cluster_layer{i}", layer or "layer", "gray40", True)
                for j, neuron in enumerate(members):
                    self._neuron_cluster(box, neuron, f"cluster_neuron{i}_{j}")
        for i, v in enumerate(self.order):
            if not v.is_leaf:
                self._edges_of(g, v, i)

    def _layers(self) -> dict[str | None, list[Neuron]]:
        layers: dict[str | None, list[Neuron]] = {}
        for neuron in self.neurons:
            layers.setdefault(neuron.layer, []).append(neuron)
        return layers

    def _neuron_cluster(self, g: graphviz.Digraph, neuron: Neuron, name: str) -> None:
        with g.subgraph(name=name) as box:
            self._cluster_attrs(box, name, neuron.name or "neuron", "gray55", False)
            for v in sorted(neuron.members, key=self.index.__getitem__):
                self._value(box, v, f"{neuron.name}." if neuron.name else "")

    def _cluster_attrs(
        self, box: graphviz.Digraph, name: str, title: str, colour: str, bold: bool
    ) -> None:
        text = _html(_shortened(title))
        style = "rounded" if bold else "rounded,dashed"
        box.attr(label=f"<<B>{text}</B>>" if bold else f"<{text}>", style=style, color=colour)
        if self.pins is not None:
            box.attr(**self.pins.cluster(name))

    def _value(self, g: graphviz.Digraph, v: Value, prefix: str) -> None:
        """The box of one Value and, when an operation made it, the oval of that operation."""
        name = v.label
        if prefix and name.startswith(prefix):
            name = name[len(prefix) :]  # inside a neuron's box: w.0, not layers.0.neurons.1.w.0
        heading = [f"<B>{_html(_shortened(name))}</B>"] if name else []
        attrs = {"shape": "box", "peripheries": "2" if v is self.root else "1"}
        style = ["filled"]
        op_attrs: dict[str, str] = {}
        sweep = self.sweep
        if sweep is None:
            lines = [*heading, f"data {_num(v.data)}", f"grad {_num(v.grad)}"]
            attrs["fillcolor"] = "#f7fbff" if v.is_leaf else "#ffffff"
            tooltip = f"data {v.data!r}, grad {v.grad!r}"
        else:
            number = sweep.number[v]
            if v is self.root and not name:
                heading = ["<B>output</B>"]
            heading = [" ".join([f"#{number}", *heading])]
            lines = [*heading, f"data {_num(v.data)}", _html(_grad_text(sweep, v))]
            grad = sweep.grads.get(v)
            state = sweep.state(v)
            attrs["fillcolor"] = PENDING_COLOUR if state == PENDING else _colour(grad)
            if _STATE_STYLE[state]:
                style.append(_STATE_STYLE[state])
            if state != VISITED:
                op_attrs["style"] = "dashed"
            if sweep.partial and number == sweep.steps:
                attrs["penwidth"] = op_attrs["penwidth"] = "3"
                attrs["color"] = op_attrs["color"] = HIGHLIGHT_COLOUR
            shown_grad = "pending" if grad is None else repr(grad)
            tooltip = f"#{number} ({state}): data {v.data!r}, grad {shown_grad}"
            if self.mismatches and v in self.mismatches:
                numeric = self.mismatches[v]
                lines.append(f'<FONT COLOR="{MISMATCH_COLOUR}">finite diff {_num(numeric)}</FONT>')
                attrs["color"], attrs["penwidth"] = MISMATCH_COLOUR, "3"
                tooltip += f"; central finite difference {numeric!r}"
        attrs["style"] = ",".join(style)
        node = f"v{self.index[v]}"
        self._node(g, node, "<" + "<BR/>".join(lines) + ">", _tooltip(v.label, tooltip), attrs)
        if not v.is_leaf:
            label = "<" + "<BR/>".join(_html(line) for line in _op_lines(v)) + ">"
            op_attrs |= {"shape": "ellipse", "fontsize": "10", "height": "0.3"}
            self._node(g, f"o{self.index[v]}", label, None, op_attrs)

    def _node(
        self, g: graphviz.Digraph, name: str, label: str, tooltip: str | None, attrs: dict
    ) -> None:
        if tooltip is not None:
            attrs["tooltip"] = self._fitting(name, tooltip)
        if self.pins is not None:
            attrs |= self.pins.node(name)
        g.node(name, label=label, **attrs)

    def _fitting(self, name: str, tooltip: str) -> str:
        """The tooltip, cut to what dot's lexer accepts; the whole one is kept for the SVG."""
        escaped = tooltip.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        if len(escaped.encode("utf-8")) <= TOOLTIP_BYTES:
            return escaped
        self.full_tooltips[name] = tooltip
        return escaped[: TOOLTIP_BYTES // 4].rstrip("\\") + "…"

    def _edge(self, g: graphviz.Digraph, tail: str, head: str, **attrs: str) -> None:
        if self.pins is not None:
            attrs |= self.pins.edge(self.edges)
        self.edges += 1
        g.edge(tail, head, **attrs)

    def _edges_of(self, g: graphviz.Digraph, v: Value, i: int) -> None:
        """Forward: input -> operation -> result. Backward: result -> operation -> each input."""
        roles = _roles(v)
        sweep = self.sweep
        if sweep is None:
            for k, (inp, role) in enumerate(zip(v.inputs, roles, strict=True)):
                tail = self._input_end(g, inp, i, k)
                self._edge(g, tail, f"o{i}", **({"label": role} if role else {}))
            self._edge(g, f"o{i}", f"v{i}")
            return
        self._edge(g, f"v{i}", f"o{i}")
        many = v.op == "linear" and len(v.inputs) > 2
        for k, (inp, local, role) in enumerate(zip(v.inputs, v.local_grads, roles, strict=True)):
            text = f"{role}: local {_num(local)}" if role else f"local {_num(local)}"
            carried = sweep.carried.get((v, k))
            # A weighted sum's edges leave its oval side by side, their labels close together:
            # each edge and its label share a colour, so no label is read as its neighbour's.
            colour = EDGE_COLOURS[k % len(EDGE_COLOURS)] if many else None
            head = self._input_end(g, inp, i, k)
            if carried is None:  # the sweep has not reached v yet
                self._edge(
                    g, f"o{i}", head, label=text, style="dashed",
                    color=colour or "gray50", fontcolor=colour or "black",
                )  # fmt: skip
            else:
                tooltip = f"local {local!r} x grad {sweep.grads[v]!r} = {carried!r}"
                label = f"{text}\\ngrad {_num(carried)}"
                shade = {"color": colour, "fontcolor": colour} if colour else {}
                self._edge(g, f"o{i}", head, label=label, tooltip=tooltip, **shade)

    def _input_end(self, g: graphviz.Digraph, inp: Value, i: int, k: int) -> str:
        """Where the edge of input k of operation i ends: the input's box, or a copy of it.

        A Value with more than ``MANY_USES`` uses gets a small copy of its box beside each
        use instead of one edge per use into its box: edges from every corner of the picture
        into one box are unreadable, and they cost dot minutes (x + x + ... + x, 125 terms:
        54 s) or crash it (250 terms).
        """
        if self.uses[inp] <= MANY_USES or (self.level != "value" and inp in self.neuron_of):
            return self._end(inp)
        name = f"c{i}_{k}"
        if self.sweep is None:
            shown = inp.label or f"data {_num(inp.data)}"
        else:
            number = f"#{self.sweep.number[inp]}"
            shown = f"{number} {inp.label}" if inp.label else number
        label = f"<{_html(_shortened(shown))}<BR/><I>used {self.uses[inp]} times</I>>"
        tooltip = f"the same Value as the box {shown}: each of its uses gets a copy like this"
        attrs = {"shape": "box", "style": "rounded,dashed", "fontsize": "9", "color": "gray40"}
        self._node(g, name, label, _tooltip(inp.label, tooltip), attrs)
        return name

    def _end(self, v: Value) -> str:
        """The node an edge to or from v ends at: v's box, or its neuron's or layer's box."""
        neuron = self.neuron_of.get(v)
        if self.level == "value" or neuron is None:
            return f"v{self.index[v]}"
        return self._box_of(neuron)

    # -- levels "neuron" and "layer" --------------------------------------------------------

    def _box_of(self, neuron: Neuron) -> str:
        """The node name of the box a neuron is drawn in: its own (n3) or its layer's (l1)."""
        if self.level == "layer" and neuron.layer is not None:
            return f"l{self.layer_numbers[neuron.layer]}"
        return f"n{self.neuron_numbers[neuron.name]}"

    def _groups(self, g: graphviz.Digraph) -> None:
        """One box per neuron (in its layer's box) or per layer; the rest drawn as Values."""
        for v in self.order:
            if v not in self.neuron_of:
                self._value(g, v, "")
        boxes: dict[str, list[Neuron]] = {}
        for neuron in self.neurons:
            boxes.setdefault(self._box_of(neuron), []).append(neuron)
        by_layer: dict[str | None, list[str]] = {}
        for box, members in boxes.items():
            layer = members[0].layer if self.level == "neuron" else None
            by_layer.setdefault(layer, []).append(box)
        clusters: dict[str, tuple[str, list[str]]] = {}  # layer -> (its cluster, its boxes)
        for i, (layer, names) in enumerate(by_layer.items()):
            if layer is None:
                for box in names:
                    self._group_box(g, box, boxes[box], "")
                continue
            clusters[layer] = (f"cluster_layer{i}", names)
            with g.subgraph(name=f"cluster_layer{i}") as cluster:
                self._cluster_attrs(cluster, f"cluster_layer{i}", layer or "layer", "gray40", True)
                for box in names:
                    self._group_box(cluster, box, boxes[box], f"{layer}." if layer else "")
        self._group_edges(g, clusters)

    def _group_box(self, g: graphviz.Digraph, box: str, members: list[Neuron], prefix: str) -> None:
        parameters = [p for n in members for p in n.parameters]
        outputs = [out for n in members for out in n.outputs]
        grads = [self._grad(p) for p in parameters]
        norm = None if None in grads else math.sqrt(sum(x * x for x in grads))  # type: ignore[misc]
        dead = [
            n
            for n in members
            if n.outputs and all(o.op == "relu" and o.data == 0 for o in n.outputs)
        ]
        is_layer = box.startswith("l")
        whole = members[0].layer if is_layer else members[0].name
        title = whole or ("layer" if is_layer else "neuron")
        if prefix and title.startswith(prefix):
            title = title[len(prefix) :]  # inside its layer's box: neurons.3
        lines = [f"<B>{_html(_shortened(title))}</B>"]
        if is_layer:
            lines.append(f"{len(members)} neuron{'s' if len(members) > 1 else ''}")
        if len(outputs) == 1 and len(members) == 1:
            out = outputs[0]
            grad = self._grad(out)
            lines.append(f"out {_num(out.data)}, grad {'pending' if grad is None else _num(grad)}")
        shown_norm = "pending" if norm is None else _num(norm)
        lines.append(f"|grad| of {len(parameters)} params {shown_norm}")
        attrs = {"shape": "box", "style": "filled,rounded"}
        if dead:
            count = "dead" if len(members) == 1 else f"{len(dead)} dead (relu 0)"
            lines.append(f'<FONT COLOR="{MISMATCH_COLOUR}">{count}</FONT>')
        if self.sweep is None:
            attrs["fillcolor"] = "#f7fbff"
        else:
            attrs["fillcolor"] = PENDING_COLOUR if norm is None else _colour(norm)
        tooltip = f"{whole}: norm of the parameters' gradients {norm!r}"
        self._node(g, box, "<" + "<BR/>".join(lines) + ">", tooltip, attrs)

    def _grad(self, v: Value) -> float | None:
        """The gradient a drawing shows for v: .grad forward, the sweep's (None: pending)."""
        if self.sweep is None:
            return v.grad
        return self.sweep.grads.get(v) if self.sweep.complete(v) else None

    def _group_edges(self, g: graphviz.Digraph, clusters: dict[str, tuple[str, list[str]]]) -> None:
        """The Values' edges, each box standing for its members; one edge per pair of boxes.

        Between the neurons of two layers (every neuron feeds every neuron of the next layer)
        one edge joins the two layers' boxes instead: a drawing of 16 x 16 edges says no more.
        """
        drawn: set[tuple[str, str]] = set()
        layer_of = {box: layer for layer, (_, boxes) in clusters.items() for box in boxes}
        for i, v in enumerate(self.order):
            if v.is_leaf:
                continue
            if v not in self.neuron_of:
                self._edges_of(g, v, i)
                continue
            box = self._box_of(self.neuron_of[v])
            for inp in v.inputs:
                other = self._end(inp)
                pair = (other, box) if self.sweep is None else (box, other)
                if other == box or pair in drawn:
                    continue
                drawn.add(pair)
                if pair[0] in layer_of and pair[1] in layer_of:
                    layers = (layer_of[pair[0]], layer_of[pair[1]])
                    if layers not in drawn:
                        drawn.add(layers)
                        self._layer_edge(g, *(clusters[layer] for layer in layers))
                    continue
                self._edge(g, *pair)

    def _layer_edge(
        self, g: graphviz.Digraph, tail: tuple[str, list[str]], head: tuple[str, list[str]]
    ) -> None:
        """One edge from a layer's box to another's, drawn between their middle neurons."""
        g.attr(compound="true")
        (tail_cluster, tail_boxes), (head_cluster, head_boxes) = tail, head
        self._edge(
            g,
            tail_boxes[len(tail_boxes) // 2],
            head_boxes[len(head_boxes) // 2],
            ltail=tail_cluster,
            lhead=head_cluster,
            penwidth="2",
            tooltip="every neuron of one layer feeds every neuron of the next",
        )

    # -- the legend -----------------------------------------------------------------------

    def _legend(self) -> str:
        """An HTML-like table: what the colours, numbers, borders and edges say."""
        sweep = self.sweep
        assert sweep is not None
        swatches = [(ZERO_COLOUR, "0", "")]
        swatches += [(colour, text, "") for _, colour, text in GRAD_CLASSES]
        swatches.append((NOT_FINITE_COLOUR, "nan, inf", ""))
        if sweep.partial or self.pins is not None:  # an animation's frames share one legend
            swatches += [(PENDING_COLOUR, "pending", "dashed"), ("#ffffff", "complete", "dotted")]
            swatches.append(("#ffffff", "visited", ""))
        cells = "".join(
            f'<TD BGCOLOR="{colour}"{f" STYLE={chr(34)}{style}{chr(34)}" if style else ""}>'
            f"{_html(text)}</TD>"
            for colour, text, style in swatches
        )
        what = "|grad|" if self.level == "value" else "|grad|, boxes: norm of params' grads"
        notes = ["#n: visiting order; double border: the output (grad 1)"]
        notes.append("edge: local derivative, and the grad it carries = local \u00d7 grad above")
        if self.mismatches is not None:
            count = len(self.mismatches)
            notes.append(
                f"check: {count} leaf gradient{'s' if count != 1 else ''} disagree with the "
                "central finite difference (red border)"
                if count
                else "check: every leaf gradient agrees with its central finite difference"
            )
        note = "<BR/>".join(_html(n) for n in notes)
        return (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">'
            f"<TR><TD><B>{_html(what)}</B></TD>{cells}</TR>"
            f'<TR><TD COLSPAN="{len(swatches) + 1}" BORDER="0" BALIGN="LEFT">{note}</TD></TR>'
            "</TABLE>>"
        )


def _op_lines(v: Value) -> list[str]:
    """The operation as written, with the plain numbers folded into it: ``· * 3``, ``· - 1``."""
    args = v.args
    shown = ["·" if isinstance(a, Value) else _num(a) for a in args]
    if v.op == "*" and not isinstance(args[1], Value) and args[1] == -1.0:
        return ["\u2212·"]  # -x is recorded as x * -1; U+2212, a minus sign wider than "-"
    if v.op == "+" and not isinstance(args[1], Value) and args[1] < 0:
        return [f"· \u2212 {_num(-args[1])}"]  # x - 1 is recorded as x + -1
    if all(isinstance(a, Value) for a in args):
        return [v.op]
    if v.op in _INFIX:
        return [f" {v.op} ".join(shown)]
    if v.op == "linear":
        names = _linear_roles(len(args))
        folded = [(n, a) for n, a in zip(names, args, strict=True) if not isinstance(a, Value)]
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


# -- text ------------------------------------------------------------------------------------


def _shortened(text: str) -> str:
    """A label cut to ``LABEL_LIMIT`` characters, its start and end kept, the cut visible.

    >>> _shortened("layers.0.neurons.12.w.3"), _shortened("x" * 50)
    ('layers.0.neurons.12.w.3', 'xxxxxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxxx')
    """
    if len(text) <= LABEL_LIMIT:
        return text
    return f"{text[: LABEL_LIMIT - 13]}…{text[-12:]}"


def _tooltip(label: str, numbers: str) -> str:
    """A box's tooltip: its whole label (when the box shows it cut) and its numbers.

    Characters Python would not print (NUL, control characters) appear as their escapes, as
    in labels: dot cannot read some of them.
    """
    if len(label) <= LABEL_LIMIT:
        return numbers
    shown = "".join(
        ch if ch.isprintable() or ch == "\n" else ch.encode("unicode_escape").decode("ascii")
        for ch in label
    )
    return f"{shown}\n{numbers}"


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
