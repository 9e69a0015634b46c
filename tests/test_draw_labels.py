"""Labels of any length render (cut visibly, whole in the tooltip); a dot failure is one message."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_draw import Drawing
from test_draw_cli import run

from autograd import Value, animate, draw, render
from autograd.draw import LABEL_LIMIT

SVG = "{http://www.w3.org/2000/svg}"

HOSTILE = {
    "16 KB": "a" * 16_500,
    "6,000 CJK characters": "漢" * 6_000,
    "<&> 3,000 times": "<&>" * 3_000,
    "quotes and backslashes": 'a"b\\' * 5_000,
    "newlines": "line\n" * 4_000,
}


def graph_labelled(label: str) -> Value:
    x = Value(1.5, label=label)
    out = x * Value(2.0, label=label)
    out.label = label
    return out


def tooltips(svg_path) -> list[str]:
    root = ET.parse(svg_path).getroot()
    return [a.get("{http://www.w3.org/1999/xlink}title") for a in root.iter(f"{SVG}a")]


@pytest.mark.parametrize("label", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_a_label_of_any_length_renders_cut_in_the_box_and_whole_in_the_tooltip(
    tmp_path, label, suffix
):
    out = graph_labelled(label)
    path = render(out, tmp_path / f"g{suffix}", "backward")
    assert path.stat().st_size > 0
    if suffix == ".svg":
        assert sum(t is not None and label in t for t in tooltips(path)) == 3
        shown = "".join(t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text"))
        assert "…" in shown and label[:10].replace("\n", "") in shown.replace("\\", "\\")


def test_a_cut_label_keeps_its_start_and_end_and_says_it_was_cut():
    label = "layers.0.neurons.12." + "x" * 100 + ".w.3"
    heading = Drawing(draw(Value(1.0, label=label))).text("v0").split("\n")[0]
    assert len(heading) == LABEL_LIMIT
    assert heading.startswith("layers.0.neurons.12.") and heading.endswith("x.w.3")
    assert "…" in heading


def test_a_label_up_to_the_limit_is_shown_whole():
    label = "y" * LABEL_LIMIT
    assert Drawing(draw(Value(1.0, label=label))).text("v0").split("\n")[0] == label


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=LABEL_LIMIT + 1, max_size=3_000))
def test_any_long_text_label_renders_through_dot(tmp_path, label):
    path = render(graph_labelled(label), tmp_path / "label.svg", "backward")
    ET.parse(path)


def test_an_animation_of_long_labels_plays(tmp_path):
    movie = animate(graph_labelled("漢" * 6_000))
    movie.save(tmp_path / "sweep.html")
    assert any("漢" * 6_000 in html.unescape(svg) for svg in movie.svg_frames())


def _fake_graphviz(tmp_path, script: str, monkeypatch) -> None:
    """Put a dot and a neato that run ``script`` first on PATH."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("dot", "neato"):
        program = folder / name
        program.write_text(f"#!/bin/sh\n{script}\n")
        program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")


def test_dot_killed_by_a_signal_is_one_clear_runtime_error(tmp_path, monkeypatch):
    _fake_graphviz(tmp_path, "kill -SEGV $$", monkeypatch)
    (tmp_path / "g.svg").write_text("kept")
    with pytest.raises(RuntimeError) as caught:
        render(Value(1.0) * 2, tmp_path / "g.svg")
    message = str(caught.value)
    assert message.startswith("Graphviz's dot crashed (SIGSEGV) while drawing the graph as svg")
    assert "max_nodes" in message and "\n" not in message
    assert (tmp_path / "g.svg").read_text() == "kept"
    with pytest.raises(RuntimeError, match=r"crashed \(SIGSEGV\)"):
        animate(Value(1.0) * 2).save(tmp_path / "sweep.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "g.svg"]


def test_dot_failing_says_its_first_line_of_complaint(tmp_path, monkeypatch):
    _fake_graphviz(tmp_path, "echo 'Error: out of memory' >&2\necho more >&2\nexit 3", monkeypatch)
    with pytest.raises(RuntimeError, match=r"dot failed \(exit status 3: Error: out of memory\)"):
        render(Value(1.0) * 2, tmp_path / "g.png")


def test_dot_complaining_in_broken_utf8_still_gives_one_message(tmp_path, monkeypatch):
    _fake_graphviz(tmp_path, "printf 'bad \\346\\274' >&2\nexit 1", monkeypatch)
    with pytest.raises(RuntimeError, match=r"dot failed \(exit status 1: bad"):
        render(Value(1.0) * 2, tmp_path / "g.svg")


def test_the_command_line_draws_a_20000_character_variable_name(tmp_path):
    name = "v" * 20_000
    done = run("draw", f"{name} * 2", "--set", f"{name}=3", "--backward", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-500:]
    assert re.search(r"wrote graph\.svg", done.stdout)
    assert any(name in (t or "") for t in tooltips(tmp_path / "graph.svg"))


def test_the_command_line_turns_a_dot_crash_into_one_line_and_exit_2(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "dot").write_text("#!/bin/sh\nkill -SEGV $$\n")
    (folder / "dot").chmod(0o755)
    env = {"PATH": f"{folder}:/usr/bin:/bin"}
    done = run("draw", "x*2", "--set", "x=1", "-o", "g.png", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "dot crashed (SIGSEGV)" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]
