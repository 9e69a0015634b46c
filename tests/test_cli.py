"""``python -m autograd draw``, end to end in a subprocess."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd.__main__
from autograd import Value, draw

NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # an animation renders a frame per step
    )


def test_draw_prints_each_variables_value_and_grad_and_writes_graph_svg(tmp_path):
    done = run("draw", NEURON, "--set", *NEURON_VALUES, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    x1, x2, w1, w2, b = (Value(float(s.split("=")[1])) for s in NEURON_VALUES)
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    assert lines[0] == f"{NEURON} = {out.data!r}"
    assert lines[1].split() == ["variable", "value", "grad"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:7]}
    assert rows["x1"] == [repr(2.0), repr(x1.grad)]
    assert rows["w1"] == [repr(-3.0), repr(w1.grad)]
    assert rows["b"] == [repr(b.data), repr(b.grad)]
    assert lines[7] == "wrote graph.svg (forward graph)"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]
    ET.parse(tmp_path / "graph.svg")


def test_draw_backward_to_png_with_set_repeated(tmp_path):
    done = run(
        "draw",
        "x*y + x",
        "--set",
        "x=3",
        "--set",
        "y=-2",
        "--backward",
        "-o",
        "g.png",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "x         3.0    -1.0" in done.stdout  # d/dx (x*y + x) = y + 1
    assert done.stdout.endswith("wrote g.png (backward graph)\n")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_dot_output_is_the_drawing_of_the_expression_and_the_same_in_every_run(tmp_path):
    args = ["draw", NEURON, "--set", *NEURON_VALUES, "--backward", "--rankdir", "TB"]
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        assert run(*args, "-o", f"run{seed}.dot", cwd=tmp_path, env=env).returncode == 0
    first = (tmp_path / "run1.dot").read_text(encoding="utf-8")
    assert first == (tmp_path / "run2.dot").read_text(encoding="utf-8")
    v = {
        s.split("=")[0]: Value(float(s.split("=")[1]), label=s.split("=")[0]) for s in NEURON_VALUES
    }
    expected = (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()
    expected.label = NEURON  # the command line names the output after the expression
    assert first == draw(expected, "backward", rankdir="TB").source


def test_step_draws_the_sweep_part_way_and_implies_backward(tmp_path):
    done = run("draw", "x*x", "--set", "x=3", "--step", "1", "-o", "s.gv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    x = Value(3.0, label="x")
    square = x * x
    square.label = "x*x"  # the command line names the output after the expression
    assert (tmp_path / "s.gv").read_text(encoding="utf-8") == draw(
        square, "backward", step=1
    ).source


def test_an_expression_starting_with_minus_goes_after_double_dash(tmp_path):
    done = run("draw", "--set", "x=2", "-o", "m.dot", "--", "-x*x", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "x         2.0    -4.0" in done.stdout


@pytest.mark.parametrize(
    ("argv", "expr"),
    [
        (["draw", "-x*x", "--set", "x=2", "-o", "m.dot"], "-x*x"),
        (["draw", "--set", "x=2", "-o", "m.dot", "-x*x"], "-x*x"),
        (["draw", "-og.dot", "-x", "--set", "x=2"], "-x"),
        (["draw", "-(x*x)", "--set", "x=2", "-o", "m.dot"], "-(x*x)"),
    ],
)
def test_an_expression_starting_with_minus_needs_no_double_dash(
    argv, expr, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert autograd.__main__.main(argv) == 0
    assert capsys.readouterr().out.startswith(f"{expr} = ")
    assert len(list(tmp_path.iterdir())) == 1


def test_a_name_is_read_as_python_reads_it_in_the_expression_and_in_set(capsys, tmp_path):
    decomposed = "e\u0301"  # e and a combining accent: Python reads it as the one letter é
    argv = ["draw", f"{decomposed} * 2", "--set", f"{decomposed}=3", "-o", str(tmp_path / "e.gv")]
    assert autograd.__main__.main(argv) == 0
    assert "\u00e9         3.0    2.0" in capsys.readouterr().out


def test_a_variable_set_twice_is_refused_naming_both_values(tmp_path):
    done = run("draw", "x*y", "--set", "x=1", "y=2", "--set", "x=3", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "python -m autograd draw: error: --set gives x more than one value (x=1 and x=3); "
        "give each one\n"
    )


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("nope/g.svg", "cannot write 'nope/g.svg': there is no folder 'nope'"),
        ("folder.svg", "cannot write 'folder.svg': it is a folder"),
        ("file/g.svg", "cannot write 'file/g.svg': 'file' is a file, not a folder"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_anything_is_printed(
    tmp_path, output, message
):
    (tmp_path / "folder.svg").mkdir()
    (tmp_path / "file").write_text("keep")
    done = run("draw", "x", "--set", "x=1", "-o", output, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"python -m autograd draw: error: {message}\n" or (
        message in done.stderr and done.stderr.count("\n") == 1
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder.svg"]


@pytest.mark.parametrize(
    "expr",
    [
        "(" + "+".join(["x"] * 400) + ")()",
        "(" + "-" * 2000 + "x)()",
        "+".join(["x"] * 5000) + "[0]",
        "(" * 3000 + "x" + ")" * 2999,
    ],
)
def test_hostile_expressions_are_refused_in_one_short_line(tmp_path, expr):
    done = run("draw", "-o", "g.dot", "--set", "x=1", "--", expr, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and len(done.stderr) < 600
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


def test_a_flat_sum_of_5000_terms_is_accepted_and_the_node_limit_says_so(tmp_path):
    expr = "+".join(["x"] * 5000)
    done = run("draw", expr, "--set", "x=1", "-o", "g.dot", cwd=tmp_path)
    assert done.returncode == 2 and "the graph has 9999 nodes" in done.stderr
    done = run("draw", expr, "--set", "x=1", "-o", "g.dot", "--max-nodes", "9999", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "x         1.0    5000.0" in done.stdout


@pytest.mark.parametrize(
    ("expr", "named"),
    [
        ("x.real", "attribute access '.real'"),
        ("__import__('os').system('touch pwned')", "a call to \"__import__('os').system\""),
        ("open('f')", "a call to 'open'"),
        ("x[0]", "a subscript"),
        ("(lambda: x)()", "a call to 'lambda: x'"),
        ("'x' * 2", "the string 'x'"),
    ],
)
def test_refused_expressions_exit_2_naming_what_was_found_and_write_nothing(tmp_path, expr, named):
    done = run("draw", expr, "--set", "x=1", cwd=tmp_path)
    assert done.returncode == 2
    assert named in done.stderr and "is not accepted" in done.stderr
    assert done.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*w", "--set", "x=1"], "no value given for variable w; give it with --set NAME=NUMBER"),
        (["x*y", "--set", "y=1"], "no value given for variable x"),
        (["x", "--set", "x=1", "z=2"], "the expression has no such variable (its variables: x)"),
        (["x", "--set", "x"], "expected NAME=NUMBER, such as x=2.5; got 'x'"),
        (["x", "--set", "x=one"], "the value of x must be a number"),
        (["x +", "--set", "x=1"], "is not a valid expression"),
        (["x", "--set", "x=1", "-o", "g.jpg"], "use one of .dot, .gv, .pdf, .png, .svg"),
        (["x", "--set", "x=1", "--step", "-1"], "expected 0 or more"),
        (["x", "--set", "x=1", "--rankdir", "up"], "invalid choice: 'up'"),
    ],
)
def test_bad_input_exits_2_with_a_message_saying_what_was_wrong(tmp_path, args, message):
    done = run("draw", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_graph_over_max_nodes_is_refused_first_saying_how_to_raise_the_limit(tmp_path):
    done = run("draw", "x*x*x", "--set", "x=2", "--max-nodes", "3", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "python -m autograd draw: error: the graph has 5 nodes (Values and operations), "
        "more than --max-nodes 3; pass --max-nodes 5 to draw it anyway\n"
    )


def test_without_dot_images_fail_with_install_advice_but_dot_files_work(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "nowhere")}
    done = run("draw", "x*2", "--set", "x=1", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "Graphviz's `dot`" in done.stderr and "apt-get install graphviz" in done.stderr
    assert list(tmp_path.iterdir()) == []
    assert run("draw", "x*2", "--set", "x=1", "-o", "g.dot", cwd=tmp_path, env=env).returncode == 0


def test_help_documents_every_option_and_the_accepted_expressions(tmp_path):
    done = run("draw", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for text in ["EXPR", "--set NAME=NUMBER", "-o FILE", "--backward", "--step K", "--rankdir",
                 "--max-nodes", "--cluster", "graph.svg", "leaky_relu", "never",
                 ".png"]:  # fmt: skip
        assert text in done.stdout
    top = run("--help", cwd=tmp_path)
    assert top.returncode == 0 and "draw" in top.stdout
    assert run(cwd=tmp_path).returncode == 2  # a command is required


def test_the_examples_in_the_command_lines_docstrings_hold():
    # pytest's --doctest-modules never collects a __main__.py, so they are run here.
    results = doctest.testmod(autograd.__main__)
    assert results.attempted > 0 and results.failed == 0
