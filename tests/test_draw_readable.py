"""Drawings stay readable: they fit a notebook page, and their legend and edges say one thing."""

from __future__ import annotations

import struct

import pytest
from test_draw import Drawing

from autograd import Value, draw, linear, render
from autograd.draw import EDGE_COLOURS, GRAD_CLASSES, PAGE, PENDING_COLOUR, ZERO_COLOUR


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
