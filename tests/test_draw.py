"""draw(): what the forward and backward drawings say, read back from their DOT source."""

from __future__ import annotations

import html
import math
import re

import graphviz
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, draw, grad, linear, topological_order
from autograd.backward import gradients
from autograd.draw import GRAD_CLASSES, NOT_FINITE_COLOUR, PENDING_COLOUR, ZERO_COLOUR
from autograd.stepwise import StepwiseSweep

# -- reading a drawing back ------------------------------------------------------------------

_STATEMENT = re.compile(r"\s+(?P<tail>\w+)(?: -> (?P<head>\w+))?(?: \[(?P<attrs>.*)\])?")


def _attributes(text: str) -> dict[str, str]:
    """``key=value`` pairs of one DOT statement; values quoted, HTML-like or bare."""
    found, i = {}, 0
    while i < len(text):
        equals = text.index("=", i)
        key, i = text[i:equals], equals + 1
        if text[i] == '"':
            end = i + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            found[key], i = text[i + 1 : end], end + 2
        elif text[i] == "<":
            depth, end = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[end], 0)
                end += 1
                if depth == 0:
                    break
            found[key], i = text[i + 1 : end - 1], end + 1
        else:
            end = text.find(" ", i)
            end = len(text) if end < 0 else end
            found[key], i = text[i:end], end + 1
    return found


def text_of(label: str) -> str:
    """The text an HTML-like label shows, one line per line break (dot shows ``\\\\`` as ``\\``)."""
    text = html.unescape(re.sub(r"<[^>]*>", "", label.replace("<BR/>", "\n")))
    return text.replace("\\\\", "\\")


class Drawing:
    """The nodes and edges of a drawing's DOT source, with their attributes."""

    def __init__(self, drawing: graphviz.Digraph) -> None:
        self.source = drawing.source
        self.nodes: dict[str, dict[str, str]] = {}
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        for line in self.source.splitlines():
            match = _STATEMENT.fullmatch(line)
            if match is None or match["tail"] in ("node", "edge", "graph"):
                continue
            attrs = _attributes(match["attrs"] or "")
            if match["head"] is None:
                self.nodes[match["tail"]] = attrs
            else:
                self.edges.append((match["tail"], match["head"], attrs))

    def text(self, name: str) -> str:
        return text_of(self.nodes[name]["label"])

    def edge_set(self) -> set[tuple[str, str]]:
        return {(tail, head) for tail, head, _ in self.edges}

    def tooltip_numbers(self, name: str) -> dict[str, float]:
        """``data`` and ``grad`` in full precision, from a Value's tooltip."""
        tooltip = self.nodes[name]["tooltip"]
        return {k: float(v) for k, v in re.findall(r"(data|grad) (\S+?)(?:,|$)", tooltip)}


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron: tanh(x1*w1 + x2*w2 + b), with numbers that are easy to follow."""
    names = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    v = {name: Value(data, label=name) for name, data in names.items()}
    out = (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()
    return out, v


# -- random graphs for properties ------------------------------------------------------------

_UNARY = [Value.tanh, Value.exp, Value.sigmoid, Value.relu, Value.sin, abs, lambda v: v * 3]
_BINARY = [Value.__add__, Value.__mul__, Value.__sub__, Value.__truediv__]


@st.composite
def graphs(draw_: st.DrawFn) -> list[tuple]:
    """A recipe for a random graph: leaves, then operations on earlier Values (reuse likely)."""
    leaves = draw_(st.lists(st.floats(-3, 3), min_size=1, max_size=4))
    steps = []
    for n in range(len(leaves), len(leaves) + draw_(st.integers(1, 10))):
        if draw_(st.booleans()):
            steps.append(
                ("unary", draw_(st.integers(0, len(_UNARY) - 1)), draw_(st.integers(0, n - 1)))
            )
        else:
            pick = st.integers(0, n - 1)
            steps.append(
                ("binary", draw_(st.integers(0, len(_BINARY) - 1)), draw_(pick), draw_(pick))
            )
    return [leaves, steps]


def build(recipe: list) -> Value:
    leaves, steps = recipe
    values = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for kind, op, *args in steps:
        table = _UNARY if kind == "unary" else _BINARY
        values.append(table[op](*(values[a] for a in args)))
    return values[-1]


# -- arguments -------------------------------------------------------------------------------


def test_draw_refuses_a_root_that_is_not_a_value():
    with pytest.raises(TypeError, match=r"draw needs a Value.*got float"):
        draw(1.0)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"mode": "sideways"}, ValueError, "mode must be 'forward' or 'backward'"),
        ({"rankdir": "up"}, ValueError, "rankdir must be one of LR, RL, TB, BT"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be at least 1"),
        ({"max_nodes": 2.5}, TypeError, "max_nodes must be an int"),
        ({"step": 1}, ValueError, "use it with 'backward'"),
        ({"mode": "backward", "step": -1}, ValueError, "step must be 0 or more"),
        ({"mode": "backward", "step": 1.0}, TypeError, "step must be an int or None"),
        ({"cluster": "yes"}, TypeError, "cluster must be True or False"),
    ],
)
def test_draw_refuses_bad_options_saying_what_is_accepted(options, error, message):
    with pytest.raises(error, match=message):
        draw(Value(1.0) * 2, **options)


def test_draw_refuses_a_graph_larger_than_max_nodes_and_says_how_to_raise_it():
    x = Value(1.0)
    y = x * 2 + 1  # 3 Values and 2 operations
    assert len(Drawing(draw(y, max_nodes=5)).nodes) == 5
    with pytest.raises(ValueError, match=r"has 5 nodes \(3 Values and 2 operations\).*max_nodes=5"):
        draw(y, max_nodes=4)


# -- the forward drawing ---------------------------------------------------------------------


def test_forward_drawing_shows_label_data_and_grad_of_every_value():
    out, _ = neuron()
    out.backward()
    drawing = Drawing(draw(out))
    texts = [drawing.text(f"v{i}") for i, _ in enumerate(topological_order(out))]
    assert "x1\ndata 2\ngrad -1.5" in texts
    assert "w2\ndata 1\ngrad 0" in texts
    assert "b\ndata 6.881\ngrad 0.5" in texts
    assert "data 0.7071\ngrad 1" in texts  # the output, unlabelled


def test_forward_drawing_has_one_oval_per_operation_and_edges_in_the_direction_of_data():
    x, y = Value(2.0, label="x"), Value(5.0, label="y")
    out = (x * y).tanh()  # order: x, y, x*y, tanh
    drawing = Drawing(draw(out))
    assert drawing.text("o2") == "*" and drawing.text("o3") == "tanh"
    assert drawing.edge_set() == {
        ("v0", "o2"),
        ("v1", "o2"),
        ("o2", "v2"),
        ("v2", "o3"),
        ("o3", "v3"),
    }
    assert drawing.nodes["v3"]["peripheries"] == "2"  # the output is marked


def test_forward_drawing_shows_grad_as_the_values_hold_it():
    x = Value(3.0, label="x")
    y = x * x
    assert "grad 0" in Drawing(draw(y)).text("v0")
    y.backward()
    assert "grad 6" in Drawing(draw(y)).text("v0")


def test_numbers_are_shown_to_4_significant_digits_with_full_precision_in_the_tooltip():
    x = Value(2.0**0.5, label="x")
    drawing = Drawing(draw(x * 1))
    assert "data 1.414\n" in drawing.text("v0")
    assert drawing.tooltip_numbers("v0")["data"] == 2.0**0.5


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        (lambda x: x * 3, "· * 3"),
        (lambda x: 2**x, "2 ** ·"),
        (lambda x: x - 1.5, "· \u2212 1.5"),  # recorded as x + -1.5, drawn as written
        (lambda x: -x, "\u2212·"),  # recorded as x * -1
        (lambda x: x * -2, "· * -2"),
        (lambda x: x.leaky_relu(0.2), "leaky_relu(·, 0.2)"),
        (lambda x: x * x, "*"),
        (lambda x: linear([x, x], [3.0, 4.0], 0.5), "linear\nx0 = 3\nx1 = 4\nb = 0.5"),
    ],
)
def test_an_operation_shows_the_plain_numbers_folded_into_it(make, shown):
    out = make(Value(2.0))
    drawing = Drawing(draw(out))
    (op,) = [name for name in drawing.nodes if name.startswith("o")]
    assert drawing.text(op) == shown


def test_edges_say_which_argument_they_are_where_the_order_matters():
    a, b, w, x = (Value(float(i), label=n) for i, n in enumerate("abwx", start=1))
    quotient = Drawing(draw(a / b))
    assert {e[2]["label"] for e in quotient.edges if e[1].startswith("o")} == {
        "dividend",
        "divisor",
    }
    neuron_sum = Drawing(draw(linear([w], [x], a)))
    assert sorted(e[2]["label"] for e in neuron_sum.edges if e[2].get("label")) == ["b", "w0", "x0"]


def test_labels_with_markup_characters_are_escaped_and_newlines_become_line_breaks():
    x = Value(1.0, label='a<b> & "c" {d} | e \\ f\ng\th')
    label = Drawing(draw(x)).nodes["v0"]["label"]
    assert "a&lt;b&gt; &amp; &quot;c&quot; {d} | e \\\\ f<BR/>g\\\\th" in label
    assert text_of(label).startswith('a<b> & "c" {d} | e \\ f\ng\\th')


# -- the backward drawing --------------------------------------------------------------------


def test_backward_drawing_points_edges_from_each_result_to_its_inputs():
    x, y = Value(2.0, label="x"), Value(5.0, label="y")
    out = (x * y).tanh()
    forward, backward = Drawing(draw(out)), Drawing(draw(out, "backward"))
    assert backward.edge_set() == {(head, tail) for tail, head in forward.edge_set()}


def test_backward_drawing_labels_each_edge_with_local_derivative_and_the_grad_it_carries():
    x, y = Value(2.0, label="x"), Value(5.0, label="y")
    drawing = Drawing(draw(x * y * 3, "backward"))  # order: x, y, x*y, (x*y)*3
    labels = {(tail, head): e["label"] for tail, head, e in drawing.edges if "label" in e}
    assert labels[("o3", "v2")] == "local 3\\ngrad 3"
    assert labels[("o2", "v0")] == "local 5\\ngrad 15"
    assert labels[("o2", "v1")] == "local 2\\ngrad 6"


def test_backward_drawing_marks_the_seed_and_numbers_values_in_visiting_order():
    out, _ = neuron()
    drawing = Drawing(draw(out, "backward"))
    order = topological_order(out)
    root = f"v{len(order) - 1}"
    assert drawing.text(root).startswith("#1 output\n") and "grad 1 (seed)" in drawing.text(root)
    assert drawing.nodes[root]["peripheries"] == "2"
    for visit, v in enumerate(reversed(order), start=1):
        assert drawing.text(f"v{order.index(v)}").startswith(f"#{visit}")


def test_backward_drawing_shows_a_reused_values_grad_as_the_sum_of_its_uses():
    x = Value(1.0, label="x")
    y = x * 3 + x * 5  # d y / d x = 3 + 5
    text = Drawing(draw(y, "backward")).text("v0")
    assert "grad 8 = 5 + 3" in text or "grad 8 = 3 + 5" in text
    z = Value(2.0, label="z")
    assert "grad 4 = 2 + 2" in Drawing(draw(z * z, "backward")).text("v0")


def test_backward_drawing_abbreviates_the_sum_of_many_uses():
    x = Value(1.0, label="x")
    y = sum((x * k for k in range(1, 7)), Value(0.0))
    text = Drawing(draw(y, "backward")).text(f"v{topological_order(y).index(x)}")
    assert re.search(r"grad 21 = (\d \+ ){4}… \(6 terms\)", text), text


def test_backward_drawing_ignores_grad_and_shows_fresh_gradients():
    out, v = neuron()
    before = draw(out, "backward").source
    v["x1"].grad = 123.0
    out.backward()
    assert draw(out, "backward").source == before


def test_backward_drawing_colours_values_by_the_magnitude_of_their_grad():
    tiny, huge, unused = Value(1.0, label="tiny"), Value(1.0, label="huge"), Value(3.0, label="u")
    out = tiny * 1e-8 + huge * 1e8 + unused * 0.0 + Value(1.0) * math.inf
    drawing = Drawing(draw(out, "backward"))
    values = [name for name in drawing.nodes if name.startswith("v")]
    colour = {drawing.text(n).split("\n")[0]: drawing.nodes[n]["fillcolor"] for n in values}
    assert colour[f"#{_visit(out, tiny)} tiny"] == GRAD_CLASSES[0][1]
    assert colour[f"#{_visit(out, huge)} huge"] == GRAD_CLASSES[-1][1]
    assert colour[f"#{_visit(out, unused)} u"] == ZERO_COLOUR
    assert NOT_FINITE_COLOUR in colour.values()
    assert 'BGCOLOR="' + GRAD_CLASSES[0][1] in drawing.source  # the legend explains them


def _visit(root: Value, v: Value) -> int:
    return list(reversed(topological_order(root))).index(v) + 1


def test_only_the_backward_drawing_has_a_legend():
    out, _ = neuron()
    assert "&lt;1e-6" in draw(out, "backward").source and "≥ 1e6" in draw(out, "backward").source
    assert "&lt;1e-6" not in draw(out).source
    assert "&lt;1e-6" not in draw(out, "backward", legend=False).source


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_every_backward_edge_carries_its_local_derivative_times_the_grad_it_leaves(recipe):
    out = build(recipe)
    order = topological_order(out)
    expected = gradients(out, 1.0)
    drawing = Drawing(draw(out, "backward"))
    for i, v in enumerate(order):
        assert same(drawing.tooltip_numbers(f"v{i}")["grad"], expected[v])
    carried = [e["tooltip"] for _, _, e in drawing.edges if "tooltip" in e]
    assert len(carried) == sum(len(v.inputs) for v in order)
    for tooltip in carried:
        local, leaving, value = map(
            float, re.fullmatch(r"local (\S+) x grad (\S+) = (\S+)", tooltip).groups()
        )
        # A local 0 that PyTorch masks (ops.StrongZero) carries 0 even from an inf or nan grad.
        assert same(local * leaving, value) or (local == 0 and value == 0)


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sampled_from(["forward", "backward"]))
def test_the_same_graph_built_twice_draws_byte_identical_source(recipe, mode):
    first, second = build(recipe), build(recipe)
    assert draw(first, mode).source == draw(second, mode).source
    order = topological_order(first)
    drawing = Drawing(draw(first, mode))
    assert len(drawing.nodes) == len(order) + sum(not v.is_leaf for v in order)


def test_a_graph_made_by_grad_with_create_graph_draws_like_any_other():
    x = Value(2.0, label="x")
    (dy,) = grad(x**3, [x], create_graph=True)  # 3 x^2, itself a graph of Values
    drawing = Drawing(draw(dy, "backward"))
    x_box = next(n for n in drawing.nodes if drawing.text(n).split("\n")[0].endswith(" x"))
    assert "data 2" in drawing.text(x_box)
    assert drawing.tooltip_numbers(x_box)["grad"] == 12.0  # d(3 x^2)/dx = 6 x


def test_value_draw_is_shorthand_for_draw():
    out, _ = neuron()
    assert (
        out.draw(mode="backward", rankdir="TB").source == draw(out, "backward", rankdir="TB").source
    )
    assert "rankdir=TB" in out.draw(rankdir="TB").source


# -- stepping through the sweep --------------------------------------------------------------


def _reused() -> tuple[Value, Value]:
    x = Value(2.0, label="x")
    return (x * x).tanh() + x, x  # x is used three times


def test_step_0_shows_only_the_seeded_output():
    out, _ = _reused()
    drawing = Drawing(draw(out, "backward", step=0))
    order = topological_order(out)
    for i, v in enumerate(order):
        if v is out:
            assert "grad 1 (seed)" in drawing.text(f"v{i}")
        else:
            assert "grad pending" in drawing.text(f"v{i}")
            assert "dashed" in drawing.nodes[f"v{i}"]["style"]
    assert not any("tooltip" in e for _, _, e in drawing.edges)  # no edge carries a grad yet


def test_each_step_visits_one_more_node_highlighting_it_and_leaving_the_rest_pending():
    out, x = _reused()
    order = topological_order(out)
    visits = order[::-1]
    for step in range(1, len(order)):
        drawing = Drawing(draw(out, "backward", step=step))
        sweep = StepwiseSweep.run(order, step)
        for number, v in enumerate(visits, start=1):
            attrs = drawing.nodes[f"v{order.index(v)}"]
            complete = sweep.complete(v)
            assert ("dashed" in attrs["style"]) == (number > step and not complete)
            assert ("dotted" in attrs["style"]) == (number > step and complete)
            assert (attrs["fillcolor"] == PENDING_COLOUR) == (not complete)
            assert (attrs.get("penwidth") == "3") == (number == step)
        fired = sum(1 for _, _, e in drawing.edges if "tooltip" in e)
        assert fired == sum(len(v.inputs) for v in visits[:step])
    # After the output (#1) sends its grad to x and tanh, x has 1 of its 3 contributions.
    x_text = Drawing(draw(out, "backward", step=1)).text(f"v{order.index(x)}")
    assert x_text.endswith("grad 1 + … (1 of 3 uses)")


def test_a_step_past_the_end_is_the_full_drawing():
    out, _ = _reused()
    n = len(topological_order(out))
    full = draw(out, "backward").source
    assert draw(out, "backward", step=n).source == full
    assert draw(out, "backward", step=n + 10).source == full
    assert draw(out, "backward", step=n - 1).source != full


# -- modules as clusters ---------------------------------------------------------------------


def _clusters(source: str) -> dict[str, tuple[str, set[str], list[str]]]:
    """cluster name -> (its label, the nodes declared directly in it, its sub-clusters)."""
    found: dict[str, tuple[str, set[str], list[str]]] = {}
    stack: list[str] = []
    for line in source.splitlines():
        opening = re.fullmatch(r"\s*subgraph (\w+) \{", line)
        if opening:
            if stack:
                found[stack[-1]][2].append(opening[1])
            stack.append(opening[1])
            found[opening[1]] = ("", set(), [])
        elif line.strip() == "}" and stack:
            stack.pop()
        elif stack:
            if "=" in line and "[" not in line:  # the cluster's own attributes
                label = text_of(_attributes(line.strip())["label"])
                found[stack[-1]] = (label, *found[stack[-1]][1:])
            node = _STATEMENT.fullmatch(line)
            if node and node["head"] is None and node["tail"] not in ("node", "edge", "graph"):
                found[stack[-1]][1].add(node["tail"])
    return found


def _mlp(prefix: str = "layers.") -> tuple[Value, list[list[Value]]]:
    """A 2-2-1 network labelled as nn labels its parameters, its loss outside any neuron."""
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    outputs = []
    for layer, size in enumerate([2, 1]):
        neurons = []
        for n in range(size):
            at = f"{prefix}{layer}.neurons.{n}"
            w = [Value(0.1 * (k + 1), label=f"{at}.w.{k}") for k in range(len(x))]
            neurons.append(linear(w, x, Value(0.0, label=f"{at}.b")).tanh())
        outputs.append(neurons)
        x = neurons
    return (x[0] - 1.0) ** 2, outputs


def test_cluster_puts_each_neuron_in_a_box_inside_its_layers_box():
    loss, outputs = _mlp()
    order = topological_order(loss)
    source = draw(loss, cluster=True).source
    clusters = _clusters(source)
    layers = {label: sub for label, _, sub in clusters.values() if sub}
    assert set(layers) == {"layers.0", "layers.1"}
    assert [len(layers["layers.0"]), len(layers["layers.1"])] == [2, 1]
    by_label = {label: nodes for label, nodes, _ in clusters.values()}
    activation = outputs[0][1]  # tanh of layer 0, neuron 1
    weighted_sum = activation.inputs[0]
    members = {f"v{order.index(v)}" for v in (activation, weighted_sum, *weighted_sum.inputs[:2])}
    members |= {f"v{order.index(weighted_sum.inputs[-1])}"}  # the bias
    members |= {f"o{order.index(activation)}", f"o{order.index(weighted_sum)}"}
    assert by_label["layers.0.neurons.1"] == members
    inside = set().union(*(nodes for _, nodes, _ in clusters.values()))
    x0 = next(v for v in order if v.label == "x0")
    assert f"v{order.index(loss)}" not in inside and f"v{order.index(x0)}" not in inside


@pytest.mark.parametrize(
    ("labels", "neuron", "layer"),
    [
        (["w.0", "w.1", "b"], "neuron", None),  # a lone Neuron
        (["neurons.3.w.0", "neurons.3.w.1", "neurons.3.b"], "neurons.3", "layer"),  # a Layer
        (["enc.layers.2.neurons.0.w.0", "enc.layers.2.neurons.0.w.1", "enc.layers.2.neurons.0.b"],
         "enc.layers.2.neurons.0", "enc.layers.2"),
    ],
)  # fmt: skip
def test_cluster_reads_the_neuron_and_layer_from_the_parameter_labels(labels, neuron, layer):
    *w, b = (Value(1.0, label=label) for label in labels)
    out = linear(w, [2.0, 3.0], b).relu()
    clusters = _clusters(draw(out, cluster=True).source)
    names = {label: name for name, (label, _, _) in clusters.items()}
    assert neuron in names and len(clusters[names[neuron]][1]) == 2 + 3 + 2  # values and ops
    if layer is None:
        assert len(clusters) == 1
    else:
        assert clusters[names[layer]][2] == [names[neuron]]


@pytest.mark.parametrize(
    "labels",
    [["a.w.0", "b.w.1", "a.b"], ["w.0", "", "b"], ["x", "y", "z"]],
    ids=["two prefixes", "an unlabelled weight", "no parameter names"],
)
def test_cluster_leaves_a_weighted_sum_alone_unless_its_parameters_agree(labels):
    *w, b = (Value(1.0, label=label) for label in labels)
    assert "subgraph" not in draw(linear(w, [2.0, 3.0], b).tanh(), cluster=True).source


def test_without_cluster_there_are_no_boxes():
    loss, _ = _mlp()
    assert "subgraph" not in draw(loss).source


def test_a_lone_leaf_draws_as_one_box_seeded_in_backward_mode():
    x = Value(4.0, label="x")
    assert Drawing(draw(x)).text("v0") == "x\ndata 4\ngrad 0"
    backward = Drawing(draw(x, "backward"))
    assert backward.text("v0") == "#1 x\ndata 4\ngrad 1 (seed)" and backward.edges == []


def test_mid_sweep_a_value_with_many_uses_shows_its_first_terms_and_how_many_have_arrived():
    x = Value(1.0, label="x")
    y = sum((x * k for k in range(1, 7)), Value(0.0))
    order = topological_order(y)
    shown = [
        Drawing(draw(y, "backward", step=step)).text(f"v{order.index(x)}").split("\n")[-1]
        for step in range(len(order))
    ]
    arrived = [s for s in shown if "uses)" in s]
    counts = [re.fullmatch(r"grad [\d +]+ \+ … \((\d) of 6 uses\)", s)[1] for s in arrived]
    assert list(dict.fromkeys(counts)) == ["1", "2", "3", "4", "5"]  # then it is complete
    assert all(s.count("+") <= 4 for s in arrived)
