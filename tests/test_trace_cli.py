"""python -m autograd code: the generated program of an expression, printed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograd import ops
from autograd.__main__ import main
from autograd.expression import parse

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--set", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88"]


def test_code_prints_the_straight_line_program_named_after_the_variables(capsys) -> None:
    assert main(["code", *NEURON]) == 0
    source = capsys.readouterr().out
    lines = source.splitlines()
    assert lines[0] == "def program(x1, w1, x2, w2, b):"
    assert "    out = tanh(t4)" in lines
    assert "    g_t4 = (1.0 - out) * (1.0 + out)" in lines
    assert lines[-1] == "    return out, (g_x1, g_w1, g_x2, g_w2, g_b), ()"
    # the printed program runs, and gives what backward() gives
    namespace = dict(vars(ops))
    exec(source, namespace)  # the program we just printed, not user input
    value, grads, _ = namespace["program"](2.0, -3.0, 0.0, 1.0, 6.88)
    out, variables = parse(NEURON[0]).build(
        {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.88}
    )
    out.backward()
    assert value == out.data
    assert list(grads) == [v.grad for v in variables.values()]


@pytest.mark.parametrize(("backend", "expected"), [("numpy", "np.tanh(t4)"), ("fused", "GP")])
def test_code_prints_the_numpy_and_fused_programs(capsys, backend, expected) -> None:
    assert main(["code", *NEURON, "--backend", backend]) == 0
    assert expected in capsys.readouterr().out


def test_code_exits_2_with_one_line_for_a_missing_value_or_a_bad_expression() -> None:
    for args in (
        ["code", "x*y", "--set", "x=1"],
        ["code", "x.real"],
        ["code", "x", "--backend", "gpu"],
    ):
        run = subprocess.run(
            [sys.executable, "-m", "autograd", *args], capture_output=True, text=True
        )
        assert run.returncode == 2
        assert "Traceback" not in run.stderr
        assert run.stderr.strip().splitlines()[-1].startswith("python -m autograd code: error:")
