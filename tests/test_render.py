"""render(): drawings written to files through Graphviz's real ``dot``, and bad input refused."""

from __future__ import annotations

import os
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, draw, linear, render, topological_order

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def neuron() -> Value:
    names = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    v = {name: Value(data, label=name) for name, data in names.items()}
    return (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()


def svg_text(path: Path) -> str:
    """All the text an SVG shows, without whitespace (dot may turn runs of spaces into NBSPs)."""
    root = ET.parse(path).getroot()
    return "".join("".join((t.text or "").split()) for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_svg_parses_as_xml_and_shows_every_label_and_value(tmp_path, mode):
    out = neuron()
    path = render(out, tmp_path / "neuron.svg", mode)
    shown = svg_text(path)
    for label in ["x1", "x2", "w1", "w2", "b"]:
        assert label in shown
    for data in ["data2", "data-3", "data0", "data1", "data6.881", "data0.8814", "data0.7071"]:
        assert data in shown
    assert ("grad1(seed)" in shown) == (mode == "backward")
    assert ("local0.5" in shown) == (mode == "backward")


def test_png_starts_with_the_png_signature_and_pdf_with_its_header(tmp_path):
    assert render(neuron(), tmp_path / "n.png").read_bytes().startswith(PNG_SIGNATURE)
    assert render(neuron(), tmp_path / "n.pdf", "backward").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("suffix", [".dot", ".gv"])
def test_dot_source_is_written_as_is_and_round_trips_through_dot(tmp_path, suffix):
    out = neuron()
    path = render(out, tmp_path / f"n{suffix}", "backward")
    assert path.read_text(encoding="utf-8") == draw(out, "backward").source
    # dot reads it back and writes it out canonically; reading that again changes nothing.
    canonical = subprocess.run(["dot", "-Tcanon", str(path)], capture_output=True, check=True)
    again = subprocess.run(
        ["dot", "-Tcanon"], input=canonical.stdout, capture_output=True, check=True
    )
    assert again.stdout == canonical.stdout
    assert canonical.stdout.count(b"shape=box") >= len(topological_order(out))


def test_render_returns_the_path_and_leaves_no_other_file(tmp_path):
    result = render(neuron(), str(tmp_path / "graph.SVG"))
    assert result == tmp_path / "graph.SVG" and isinstance(result, Path)
    assert [p.name for p in tmp_path.iterdir()] == ["graph.SVG"]
    ET.parse(result)  # the suffix is read without regard to case: it is SVG


def test_render_replaces_an_existing_file(tmp_path):
    path = tmp_path / "g.dot"
    path.write_text("old")
    render(neuron(), path)
    assert path.read_text(encoding="utf-8").startswith("// forward graph")
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


def test_the_file_gets_the_permissions_of_any_new_file_not_private_ones(tmp_path):
    saved = os.umask(0o022)
    try:
        path = render(neuron(), tmp_path / "g.svg")
    finally:
        os.umask(saved)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_render_passes_options_on_to_draw(tmp_path):
    path = render(neuron(), tmp_path / "g.gv", "backward", rankdir="TB", step=2)
    assert (
        path.read_text(encoding="utf-8") == draw(neuron(), "backward", rankdir="TB", step=2).source
    )


@pytest.mark.parametrize("name", ["graph.jpg", "graph", "graph.svg.txt"])
def test_an_unknown_suffix_raises_value_error_listing_the_accepted_ones(tmp_path, name):
    with pytest.raises(ValueError, match=r"accepted suffixes: \.dot, \.gv, \.pdf, \.png, \.svg"):
        render(neuron(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_render_refuses_a_path_that_is_not_a_path(tmp_path):
    with pytest.raises(TypeError, match="path must be a str or a path, got int"):
        render(neuron(), 3)


def test_render_into_a_missing_folder_says_which(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"there is no folder .*missing"):
        render(neuron(), tmp_path / "missing" / "g.svg")


def test_render_checks_the_drawing_before_writing_anything(tmp_path):
    with pytest.raises(ValueError, match="max_nodes"):
        render(neuron(), tmp_path / "g.svg", max_nodes=3)
    with pytest.raises(TypeError, match="draw needs a Value"):
        render(2.0, tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []


def test_without_dot_source_still_works_and_images_say_how_to_install_graphviz(
    tmp_path, monkeypatch
):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = neuron()
    assert "digraph" in draw(out, "backward").source
    assert render(out, tmp_path / "g.gv").exists()
    (tmp_path / "g.svg").write_text("kept")
    with pytest.raises(
        RuntimeError, match=r"Graphviz's `dot`.*not found.*apt-get install graphviz"
    ):
        render(out, tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "g.gv", "g.svg"]


def shown_as(label: str) -> str:
    """What a label should look like on its box: characters Python would not print escaped."""
    return "".join(
        c if c.isprintable() or c == "\n" else c.encode("unicode_escape").decode() for c in label
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=40))
def test_any_text_label_renders_through_dot_showing_its_text(tmp_path, label):
    x = Value(1.5, label=label)
    out = x * Value(2.0, label=label)
    out.label = label
    path = render(out, tmp_path / "label.svg", "backward")
    shown = svg_text(path)
    for line in shown_as(label).split("\n"):
        assert "".join(line.split()) in shown


def test_a_2_16_16_1_network_of_over_1000_nodes_renders_with_max_nodes_raised(tmp_path):
    """A 2-16-16-1 network on one sample written as separate products and sums."""
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    for layer, size in enumerate([16, 16, 1]):
        neurons = []
        for n in range(size):
            at = f"layers.{layer}.neurons.{n}"
            ws = [Value(0.1, label=f"{at}.w.{i}") for i in range(len(x))]
            total = Value(0.0, label=f"{at}.b")
            for w, xi in zip(ws, x, strict=True):
                total = total + w * xi
            neurons.append(total.tanh())
        x = neurons
    loss = (x[0] - 1.0) ** 2
    order = topological_order(loss)
    count = len(order) + sum(not v.is_leaf for v in order)
    assert count > 1000
    with pytest.raises(ValueError, match=f"has {count} nodes"):
        draw(loss)
    path = render(loss, tmp_path / "mlp.svg", "backward", max_nodes=count)
    assert "layers.1.neurons.15.w.15" in svg_text(path)


def test_linear_nodes_of_a_network_render_in_clusters(tmp_path):
    w = [Value(0.5, label=f"layers.0.neurons.0.w.{i}") for i in range(2)]
    out = linear(w, [1.0, 2.0], Value(0.1, label="layers.0.neurons.0.b")).tanh()
    path = render(out, tmp_path / "c.svg", "backward", cluster=True)
    groups = ET.parse(path).getroot().iter(f"{SVG}g")
    assert sum(1 for g in groups if g.get("class") == "cluster") == 2  # the neuron, its layer
