"""Both command lines, fed random argument lists: they succeed, or refuse in one line; no traceback.

The arguments are drawn from pieces a user might type (options, values right and wrong,
expressions right and wrong, file names) and from arbitrary text. Most examples run in-process
through ``main(argv)``, so that hundreds stay fast; a few run the real ``python -m``. File names
never hold a ``/`` at their start or a ``..``: every run writes inside its own temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd.__main__
import nn.__main__


def _safe(text: str) -> bool:
    """A piece that cannot name a file outside the run's own folder."""
    return not text.startswith("/") and ".." not in text


# -- python -m autograd draw -------------------------------------------------------------------

_EXPRESSION_PIECES = ["x", "y", "2", "0.5", "1e400", "+", "-", "*", "/", "**", "(", ")", ",",
                      "tanh(", "leaky_relu(", "exp", "[0]", "<", "'a'", ".real", "lambda", " ",
                      "--", "=", "é", "\x00", "\n"]  # fmt: skip
_expressions = st.lists(st.sampled_from(_EXPRESSION_PIECES), max_size=12).map("".join)
_DRAW_PIECES = ["draw", "--set", "x=1", "y=-2.5", "x=nan", "y=1e999", "x=2", "z=1", "x", "=",
                "-o", "g.dot", "g.gv", "g.txt", "sub/g.dot", "no/such/g.dot", "afile/g.dot",
                "afolder", "--output=h.dot", "--backward", "--step", "0", "2", "-1", "k",
                "--rankdir", "TB", "up", "--max-nodes", "1", "3", "0", "--cluster", "--",
                "-h", "--sett", "-x", "-x*y"]  # fmt: skip
_draw_arguments = st.lists(
    st.sampled_from(_DRAW_PIECES) | _expressions | st.text(max_size=8).filter(_safe), max_size=9
)


def _in_a_folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("run")
    (folder / "afile").write_text("keep")
    (folder / "afolder").mkdir()
    (folder / "sub").mkdir()
    return str(folder)


def _run_in_process(main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse and our refusals end the program this way
        status = stop.code
    return status, capsys.readouterr().err


def _assert_clean_ending(status: object, err: str, argv: list[str]) -> None:
    """Success; or bad input (2), or a run that failed (1: training diverged), in one line."""
    assert status in (0, 1, 2), (argv, status, err)
    if status == 2:
        assert err.count("\n") == 1 and err.startswith("python -m "), (argv, err)
    if status == 1:
        assert err.count("\n") == 1 and "training diverged" in err, (argv, err)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(arguments=_draw_arguments, draw_first=st.booleans())
def test_draw_with_any_arguments_succeeds_or_refuses_in_one_line(
    arguments, draw_first, tmp_path_factory, capsys, monkeypatch
):
    monkeypatch.chdir(_in_a_folder(tmp_path_factory))
    argv = ["draw", *arguments] if draw_first else arguments
    status, err = _run_in_process(autograd.__main__.main, argv, capsys)
    _assert_clean_ending(status, err, argv)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_expressions | st.text(max_size=40))
def test_any_expression_text_is_refused_in_one_line_or_gets_to_the_file_name(text, capsys):
    # The file name's suffix is refused after the expression and the variables are checked, so
    # every text is read and built but nothing is ever written.
    argv = ["draw", "--set", "x=1", "y=2", "-o", "unused.txt", "--", text]
    status, err = _run_in_process(autograd.__main__.main, argv, capsys)
    _assert_clean_ending(status, err, argv)
    assert status == 2


# -- python -m nn train ------------------------------------------------------------------------

_TRAIN_PIECES = ["train", "--dataset", "moons", "spirals", "xor", "mnist", "--hidden", "3",
                 "2,2", "16,,16", "0", "", "--activation", "tanh", "swish", "--optimizer",
                 "adam", "--lr", "0.1", "abc", "nan", "-1", "1e999", "--epochs", "1", "2", "x",
                 "--samples", "4", "2", "--batch-size", "3", "--seed", "7", "-3", "--out",
                 "out", "afile", "afolder", "sub/deeper", "--no-progress", "--", "-h"]  # fmt: skip
_train_arguments = st.lists(
    st.sampled_from(_TRAIN_PIECES) | st.text(max_size=6).filter(_safe), max_size=8
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(arguments=_train_arguments)
def test_train_with_any_arguments_succeeds_or_refuses_in_one_line(
    arguments, tmp_path_factory, capsys, monkeypatch
):
    monkeypatch.chdir(_in_a_folder(tmp_path_factory))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # Every run is small: the pieces hold no large number, and each run trains one epoch.
    argv = ["train", "--epochs", "1", "--samples", "6", "--hidden", "2", *arguments]
    status, err = _run_in_process(nn.__main__.main, argv, capsys)
    _assert_clean_ending(status, err, argv)


# -- the real programs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "autograd", "draw", "-o", "g.svg", "--set", "x=1", "--", "(" + "x+" * 399 + "x)()"],
        ["-m", "autograd", "draw", "(" + "-" * 2000 + "x)()", "--set", "x=1"],
        ["-m", "autograd", "draw", "x" * 5000, "--set", "x=1", "-o", "afolder"],
        ["-m", "autograd", "draw", "x", "--set", "x=1", "x=2"],
        ["-m", "autograd", "draw", "x", "--set", "x=1", "-o", "afolder/g.svg", "--step", "9"],
        ["-m", "autograd", "frobnicate"],
        ["-m", "nn", "train", "--out", "afile", "--epochs", "1", "--samples", "5"],
        ["-m", "nn", "train", "--epochs", "abc"],
        ["-m", "nn", "train", "--dataset", "spirals", "--samples", "1"],
        ["-m", "nn"],
    ],
    ids=lambda argv: " ".join(argv)[:50],
)
def test_the_real_programs_end_cleanly(argv, tmp_path_factory):
    folder = _in_a_folder(tmp_path_factory)
    done = subprocess.run(
        [sys.executable, *argv], cwd=folder, capture_output=True, text=True, timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip
    _assert_clean_ending(done.returncode, done.stderr, argv)
    assert "Traceback" not in done.stderr


# -- ending early --------------------------------------------------------------------------------

_PROGRAM = """
from autograd.cli import run
def main():
    {body}
    return 0
run(main)
"""


def test_output_piped_into_a_reader_that_stops_ends_quietly_with_status_1():
    program = _PROGRAM.format(body="print('many lines\\n' * 100_000)")
    child = subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    child.stdout.close()  # the reader is gone, like `head -1` after its line
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1 and err == ""


def test_ctrl_c_ends_with_one_line_and_status_130():
    program = _PROGRAM.format(body="raise KeyboardInterrupt")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 130 and done.stderr == "interrupted\n"
