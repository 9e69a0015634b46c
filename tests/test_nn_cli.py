"""Tests for ``python -m nn train``: end to end in a subprocess, and its argument checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nn import load
from nn.__main__ import build_parser, main


def run_train(*args, cwd=None):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "nn", "train", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
    )  # fmt: skip


def test_train_command_end_to_end_writes_the_model_and_plots(tmp_path):
    out = tmp_path / "results"
    result = run_train("--epochs", "5", "--samples", "30", "--hidden", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "train accuracy" in result.stdout and "validation accuracy" in result.stdout
    for name in ("model.json", "loss.png", "decision_boundary.png", "gradient_flow.png"):
        assert (out / name).stat().st_size > 0, name
    for name in ("loss.png", "decision_boundary.png", "gradient_flow.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    model = load(out / "model.json")
    assert model.nouts == [4, 1]
    assert json.loads((out / "model.json").read_text())["architecture"]["activation"] == "relu"


def test_train_command_draws_one_neuron_when_drawing_is_available(tmp_path):
    pytest.importorskip("autograd.draw")
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    result = run_train("--epochs", "1", "--samples", "10", "--hidden", "2", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in ("neuron_forward.svg", "neuron_backward.svg"):
        text = (tmp_path / name).read_text()
        assert "<svg" in text
        assert "layers.0.neurons." in text and ".w.0" in text


@pytest.mark.parametrize("dataset", ["circles", "spirals", "xor"])
def test_train_command_runs_on_every_dataset(tmp_path, dataset):
    code = main(["train", "--dataset", dataset, "--epochs", "2", "--samples", "12", "--hidden",
                 "3", "--optimizer", "adam", "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    assert code == 0
    model = load(tmp_path / "model.json")
    assert model.nouts[-1] == (3 if dataset == "spirals" else 1)


def test_train_command_reports_divergence_and_exits_with_one(tmp_path, capsys):
    code = main(["train", "--epochs", "3", "--samples", "10", "--lr", "1e300",
                 "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    assert code == 1
    assert "learning rate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--dataset", "mnist"],
        ["train", "--hidden", "16,x"],
        ["train", "--hidden", "16,0"],
        ["train", "--lr", "-1"],
        ["train", "--epochs", "0"],
        ["train", "--activation", "swish"],
        [],
    ],
)
def test_bad_arguments_exit_with_usage_error(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(args)
    assert exit_info.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_defaults_are_micrograds_demo():
    args = build_parser().parse_args(["train"])
    assert (args.dataset, args.hidden, args.activation, args.optimizer) == (
        "moons", [16, 16], "relu", "sgd"
    )  # fmt: skip
    assert (args.epochs, args.samples, args.batch_size, str(args.out)) == (100, 100, None, "out")
