"""draw(level="neuron" | "layer") on real nn models, and draw(check=True) marks."""

from __future__ import annotations

import math
import re

import pytest
from test_draw import Drawing

import nn
from autograd import Value, animate, draw, linear, topological_order
from autograd.backward import gradients
from autograd.draw import GRAD_CLASSES, MISMATCH_COLOUR, _colour


def model_and_loss(sizes: list[int], seed: int = 0, scale: float = 1.0, **kwargs) -> tuple:
    model = nn.MLP(2, sizes, seed=seed, **kwargs)
    for p in model.parameters():
        p.data *= scale
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    return model, loss


def boxes(drawing: Drawing, kind: str) -> dict[str, str]:
    """Full name ("layers.0.neurons.1") -> the box's text, for the neuron or layer boxes."""
    return {
        attrs["tooltip"].split(":")[0]: drawing.text(name)
        for name, attrs in drawing.nodes.items()
        if re.fullmatch(f"{kind[0]}\\d+", name)
    }


def fill_of(drawing: Drawing, whole: str) -> str:
    (attrs,) = [a for a in drawing.nodes.values() if a.get("tooltip", "").startswith(whole + ":")]
    return attrs["fillcolor"]


def norm(values: list[float]) -> float:
    return math.sqrt(sum(x * x for x in values))


def test_neuron_level_draws_each_neuron_of_an_mlp_as_one_box_with_its_numbers():
    model, loss = model_and_loss([4, 4, 1])
    grads = gradients(loss, 1.0)
    drawing = Drawing(draw(loss, "backward", level="neuron"))
    shown = boxes(drawing, "neuron")
    assert len(shown) == 4 + 4 + 1
    for layer_index, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            name = f"layers.{layer_index}.neurons.{j}"
            text = shown[name]
            assert text.startswith(f"neurons.{j}\n")  # short inside the layer's box
            expected = norm([grads[p] for p in neuron.parameters()])
            assert f"|grad| of {len(neuron.parameters())} params {expected:.4g}" in text
            fill = fill_of(drawing, name)
            assert fill == _colour(expected)
    assert "\nout " in shown["layers.2.neurons.0"]
    assert sum(1 for line in drawing.source.splitlines() if "subgraph cluster_layer" in line) == 3


def test_a_dead_relu_is_marked_and_a_live_one_is_not():
    _, loss = model_and_loss([6, 1], seed=3)
    order = topological_order(loss)
    shown = boxes(Drawing(draw(loss, "backward", level="neuron")), "neuron")
    outputs = {v.inputs[0].args[-1].label[: -len(".b")]: v for v in order if v.op == "relu"}
    assert 0 < sum(v.data == 0 for v in outputs.values()) < len(outputs)  # some of each
    for name, out in outputs.items():
        assert ("dead" in shown[name]) == (out.data == 0), name


def test_layer_level_draws_one_box_per_layer_with_the_norm_of_its_gradients():
    model, loss = model_and_loss([5, 3, 1], seed=2)
    grads = gradients(loss, 1.0)
    drawing = Drawing(draw(loss, "backward", level="layer"))
    shown = boxes(drawing, "layer")
    assert set(shown) == {"layers.0", "layers.1", "layers.2"}
    for i, layer in enumerate(model.layers):
        expected = norm([grads[p] for p in layer.parameters()])
        assert f"|grad| of {len(layer.parameters())} params {expected:.4g}" in shown[f"layers.{i}"]
    assert "5 neurons" in shown["layers.0"]
    # The loss's own nodes are drawn as Values: the square and the subtraction.
    assert any(drawing.text(n) == "· ** 2" for n in drawing.nodes if n.startswith("o"))


def test_layers_are_joined_by_one_edge_whatever_their_width():
    _, loss = model_and_loss([16, 16, 1])
    drawing = Drawing(draw(loss, "backward", level="neuron"))
    between = [e for e in drawing.edges if "lhead" in e[2]]
    assert len(between) == 2  # layer 2 -> layer 1 -> layer 0, not 16 + 256 edges


def test_vanishing_gradients_show_layer_by_layer_in_the_colours():
    _, loss = model_and_loss([8, 8, 8, 1], seed=1, scale=0.05, activation="tanh")
    drawing = Drawing(draw(loss, "backward", level="layer"))
    fills = [fill_of(drawing, f"layers.{i}") for i in range(4)]
    classes = [colour for _, colour, _ in GRAD_CLASSES]
    ranks = [classes.index(f) for f in fills]
    assert ranks[0] < ranks[3]  # the first layer's gradients are orders of magnitude smaller
    assert ranks == sorted(ranks)


def test_the_forward_drawing_at_neuron_level_reads_grad_from_the_values():
    model, loss = model_and_loss([3, 1])
    loss.backward()
    shown = boxes(Drawing(draw(loss, level="neuron")), "neuron")
    neuron = model.layers[0].neurons[1]
    expected = norm([p.grad for p in neuron.parameters()])
    assert f"{expected:.4g}" in shown["layers.0.neurons.1"]


def test_a_network_over_max_nodes_is_told_to_try_a_coarser_level():
    _, loss = model_and_loss([16, 16, 1])
    with pytest.raises(ValueError, match=r"draw it at level='neuron'"):
        draw(loss, max_nodes=100)
    with pytest.raises(ValueError, match=r"at level='neuron'.*draw it at level='layer'"):
        draw(loss, level="neuron", max_nodes=10)
    assert draw(loss, level="layer", max_nodes=10)


def test_a_neuron_used_on_several_samples_is_one_box():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = sum(((model(x) - y) ** 2 for x, y in [([1.0, 2.0], 1.0), ([0.5, -1.0], 0.0)]), 0.0)
    shown = boxes(Drawing(draw(loss, "backward", level="neuron")), "neuron")
    assert len(shown) == 4
    assert all("\nout " not in text for text in shown.values())  # two outputs: only the norm


def test_an_animation_at_neuron_level_keeps_the_steps_that_change_the_picture():
    _, loss = model_and_loss([3, 1])
    movie = animate(loss, level="neuron")
    steps = len(topological_order(loss))
    assert movie.steps[0] == 0 and movie.steps[-1] == steps
    assert movie.steps == sorted(set(movie.steps)) and len(movie) < steps + 1
    all_steps = [draw(loss, "backward", level="neuron", step=k).source for k in range(steps + 1)]
    for i, (k, frame) in enumerate(zip(movie.steps, movie.frames, strict=True)):
        assert frame.source == all_steps[k]
        following = movie.steps[i + 1] if i + 1 < len(movie) else steps + 1
        assert all(all_steps[j] == all_steps[k] for j in range(k, following))  # none skipped
    assert len(movie.svg_frames()) == len(movie)


# -- checks in the picture --------------------------------------------------------------------


def test_a_correct_graph_shows_no_mark_and_says_so():
    _, loss = model_and_loss([3, 1])
    source = draw(loss, "backward", check=True).source
    assert MISMATCH_COLOUR not in source
    assert "every leaf gradient agrees with its central finite difference" in source


def test_a_wrong_local_derivative_is_marked_on_the_leaf_with_both_numbers():
    x, w = Value(2.0, label="x"), Value(0.5, label="w")
    y = x * 3.0
    y._local_grads = 2.0  # a hand-made node whose local derivative is wrong: d(3x)/dx is 3
    out = (y * w).tanh()
    drawing = Drawing(draw(out, "backward", check=True))
    order = topological_order(out)
    marked = [n for n, attrs in drawing.nodes.items() if attrs.get("color") == MISMATCH_COLOUR]
    assert marked == [f"v{order.index(x)}"]
    numeric = 3.0 * 0.5 * (1 - math.tanh(3.0) ** 2)
    text = drawing.text(marked[0])
    assert f"finite diff {numeric:.4g}" in text
    assert f"grad {2 / 3 * numeric:.4g}" in text
    assert "1 leaf gradient disagree with the central finite difference" in drawing.source


def test_check_marks_a_leaf_at_a_kink_where_the_derivative_is_a_convention():
    x = Value(0.0, label="x")
    source = draw(x.relu(), "backward", check=True).source
    assert re.search(r"finite diff 0\.5", source)  # relu'(0) is taken as 0; the slopes average 0.5


def test_check_mid_sweep_looks_only_at_leaves_whose_gradient_is_complete():
    x = Value(2.0, label="x")
    y = x * 3.0
    y._local_grads = 2.0
    out = y + x * 0.0
    assert MISMATCH_COLOUR not in draw(out, "backward", step=1, check=True).source
    assert MISMATCH_COLOUR in draw(out, "backward", check=True).source


def test_check_belongs_to_backward_drawings():
    with pytest.raises(ValueError, match="use it with 'backward'"):
        draw(Value(1.0), check=True)
    with pytest.raises(TypeError, match="check must be True or False"):
        draw(Value(1.0), "backward", check=1)


def test_short_names_inside_a_neurons_box():
    w = [Value(0.5, label=f"layers.0.neurons.1.w.{i}") for i in range(2)]
    out = linear(w, [1.0, 2.0], Value(0.1, label="layers.0.neurons.1.b")).tanh()
    drawing = Drawing(draw(out, cluster=True))
    texts = [drawing.text(n).split("\n")[0] for n in drawing.nodes if n.startswith("v")]
    assert sorted(t for t in texts if not t.startswith("data")) == ["b", "w.0", "w.1"]
    assert "layers.0.neurons.1" in drawing.source  # the box says it once
