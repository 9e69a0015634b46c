"""Drawings stay readable: they fit a notebook page, and their legend and edges say one thing."""

from __future__ import annotations

import struct

import pytest
from test_draw import Drawing

from autograd import Value, draw, linear, render, topological_order
from autograd.draw import (
    EDGE_COLOURS,
    GRAD_CLASSES,
    MANY_USES,
    PAGE,
    PENDING_COLOUR,
    ZERO_COLOUR,
)


def chain(terms: int) -> Value:
    xs = [Value(1.0, label=f"x{i}") for i in range(terms)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


def test_a_wide_drawing_is_scaled_down_to_fit_a_1200_pixel_page(tmp_path):
    path = render(chain(60), tmp_path / "wide.png", "backward")
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    assert width <= PAGE[0] * 96 < 1200 and height <= PAGE[1] * 96
    natural = render(chain(60), tmp_path / "natural.png", "backward", size=None)
    assert struct.unpack(">II", natural.read_bytes()[16:24])[0] > 10 * width


def test_size_is_graphvizs_size_and_none_leaves_it_out():
    x = Value(1.0, label="x")
    assert f'size="{PAGE[0]:g},{PAGE[1]:g}"' in draw(x).source
    assert 'size="4,3.5"' in draw(x, size=(4, 3.5)).source
    assert " size=" not in draw(x, size=None).source


@pytest.mark.parametrize("size", [(0, 3), (1,), "12,36", (float("inf"), 2), (True, 2)])
def test_size_refuses_what_is_not_two_positive_inches(size):
    with pytest.raises(ValueError, match=r"size must be None or \(width, height\)"):
        draw(Value(1.0), size=size)


def test_the_pending_colour_is_no_colour_of_the_gradient_scale():
    assert PENDING_COLOUR not in {colour for _, colour, _ in GRAD_CLASSES} | {ZERO_COLOUR}


def test_legend_false_leaves_the_legend_out():
    x = Value(2.0, label="x")
    assert "TABLE" in draw(x * x, "backward").source
    assert "TABLE" not in draw(x * x, "backward", legend=False).source
    with pytest.raises(TypeError, match="legend must be True or False"):
        draw(x, "backward", legend="no")


def test_a_weighted_sums_edges_each_share_a_colour_with_their_label():
    w = [Value(0.1 * k, label=f"w{k}") for k in range(4)]
    drawing = Drawing(draw(linear(w, [1.0, 2.0, 3.0, 4.0], Value(0.0, label="b")), "backward"))
    coloured = [e for _, _, e in drawing.edges if "fontcolor" in e]
    assert len(coloured) == 5
    assert all(e["color"] == e["fontcolor"] for e in coloured)
    assert len({e["color"] for e in coloured}) == 5
    assert {e["color"] for e in coloured} <= set(EDGE_COLOURS)


def test_an_unlabelled_output_is_called_output_and_a_labelled_one_keeps_its_label():
    x = Value(2.0, label="x")
    assert Drawing(draw(x * 3, "backward")).text("v1").startswith("#1 output\n")
    y = x * 3
    y.label = "y"
    assert Drawing(draw(y, "backward")).text("v1").startswith("#1 y\n")


def test_a_value_used_many_times_gets_a_copy_beside_each_use_instead_of_a_web_of_edges():
    x = Value(1.0, label="x")
    total = x
    for _ in range(MANY_USES + 1):
        total = total + x  # x has MANY_USES + 2 uses
    order = topological_order(total)
    for mode in ("forward", "backward"):
        drawing = Drawing(draw(total, mode))
        box = f"v{order.index(x)}"
        assert all(box not in (tail, head) for tail, head, _ in drawing.edges)
        copies = [n for n in drawing.nodes if n.startswith("c")]
        assert len(copies) == MANY_USES + 2
        assert all(drawing.text(c).startswith(("x\n", "#")) for c in copies)
        assert all("used 10 times" in drawing.text(c) for c in copies)
    # The sum of its uses is still on its own box, and each use's edge carries its share.
    backward = Drawing(draw(total, "backward"))
    assert "(10 terms)" in backward.text(f"v{order.index(x)}")
    assert (
        sum(1 for _, head, e in backward.edges if head.startswith("c") and "grad 1" in e["label"])
        == 10
    )


def test_a_value_used_a_few_times_keeps_one_box_with_all_its_edges():
    x = Value(1.0, label="x")
    total = x
    for _ in range(MANY_USES - 1):
        total = total + x
    drawing = Drawing(draw(total, "backward"))
    box = f"v{topological_order(total).index(x)}"
    assert sum(1 for _, head, _ in drawing.edges if head == box) == MANY_USES
    assert not any(n.startswith("c") for n in drawing.nodes)
