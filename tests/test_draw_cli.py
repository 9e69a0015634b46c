"""The drawing flags of ``python -m autograd draw``: --explain, --animate; dot failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograd import Value, explain


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


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
