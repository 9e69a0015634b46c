"""The drawing flags of ``python -m autograd draw``: --explain, --animate; dot failures."""

from __future__ import annotations

import pytest

from autograd import Value, draw, explain
from tests.test_cli import run


def test_explain_prints_the_sweep_after_the_table_and_writes_no_file(tmp_path):
    done = run("draw", "x*y + x", "--set", "x=3", "y=-2", "--explain", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    root = x * y + x
    root.label = "x*y + x"  # the command line names the output after the expression
    expected = explain(root)
    assert done.stdout.endswith(expected + "\n")
    assert "(x.grad = 1 + (-2) = -1)" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_explain_with_an_output_file_writes_the_drawing_too(tmp_path):
    done = run("draw", "x*y", "--set", "x=3", "y=-2", "--explain", "-o", "g.gv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "step 1:" in done.stdout
    assert (tmp_path / "g.gv").exists()


NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88"]


def test_animate_writes_the_html_player_by_default(tmp_path):
    done = run("draw", NEURON, "--set", *NEURON_VALUES, "--animate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "wrote sweep.html (backward sweep, 11 steps)"
    page = (tmp_path / "sweep.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "vg-data" in page
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.html"]


def test_animate_to_a_gif_and_to_a_folder_of_frames(tmp_path):
    from PIL import Image

    done = run("draw", "x*x", "--set", "x=3", "--animate", "-o", "s.gif", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Image.open(tmp_path / "s.gif").n_frames == 3
    done = run("draw", "x*x", "--set", "x=3", "--animate", "-o", "frames", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "frames").glob("frame-*.svg"))) == 3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "s.png"], "use one of .html, .htm, .gif, or no suffix for a folder"),
        (["--step", "2"], "--animate shows every step; leave out --step"),
    ],
)
def test_animate_refuses_what_it_cannot_do_in_one_line(tmp_path, extra, message):
    done = run("draw", "x*x", "--set", "x=3", "--animate", *extra, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_check_draws_the_backward_graph_with_the_finite_difference_verdict(tmp_path):
    done = run("draw", "x*x + 3*x", "--set", "x=2", "--check", "-o", "c.gv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote c.gv (backward graph)" in done.stdout
    source = (tmp_path / "c.gv").read_text(encoding="utf-8")
    assert "every leaf gradient agrees with its central finite difference" in source


def test_level_is_passed_on_to_the_drawing(tmp_path):
    done = run("draw", "x*2", "--set", "x=1", "--level", "layer", "-o", "l.gv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    x = Value(1.0, label="x")
    root = x * 2
    root.label = "x*2"
    root.backward()  # the command line runs backward before drawing
    # An expression has no nn neurons: every Value is drawn as at level "value".
    assert (tmp_path / "l.gv").read_text(encoding="utf-8") == draw(root, level="layer").source
    bad = run("draw", "x*2", "--set", "x=1", "--level", "cell", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice: 'cell'" in bad.stderr
