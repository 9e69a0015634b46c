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
def test_bad_arguments_exit_2_with_one_line_saying_what_was_wrong(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: " in err and "usage" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epochs", "abc"], "argument --epochs: expected a whole number, got 'abc'"),
        (["--epochs", "2.5"], "argument --epochs: expected a whole number, got '2.5'"),
        (["--lr", "abc"], "argument --lr: expected a number, got 'abc'"),
        (["--lr", "nan"], "argument --lr: expected a positive number, got 'nan'"),
        (["--seed", "x"], "argument --seed: expected a whole number, got 'x'"),
    ],
)
def test_number_options_say_what_number_they_expected(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *args])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"python -m nn train: error: {message} (see python -m nn train --help)\n"
    )


@pytest.mark.parametrize("command", [[], ["train"]])
def test_help_is_plain_text_without_restructuredtext_markup(command):
    result = subprocess.run(
        [sys.executable, "-m", "nn", *command, "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "`" not in result.stdout
    assert ("--epochs N" if command else "train") in result.stdout


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("afile", "--out 'afile' is a file, not a folder"),
        ("afile/sub", "--out 'afile/sub': cannot make the folder"),
        ("/proc/nope", "--out '/proc/nope': cannot make the folder (No such file or directory)"),
        ("taken", "cannot write 'taken/model.json': it is a folder"),
    ],
)
def test_an_out_that_cannot_be_written_is_refused_in_one_line_before_training(
    tmp_path, monkeypatch, capsys, out, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("keep")
    (tmp_path / "taken" / "model.json").mkdir(parents=True)
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--out", out, "--epochs", "1", "--samples", "5", "--no-progress"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before the data, the model or the training
    assert message in captured.err and captured.err.count("\n") == 1
    assert (tmp_path / "afile").read_text() == "keep"


def test_too_few_samples_for_a_data_set_is_refused_in_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--dataset", "spirals", "--samples", "2", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "python -m nn train: error: --samples 2: n_samples must be at least 3, got 2\n"
    )


def test_defaults_are_micrograds_demo():
    args = build_parser().parse_args(["train"])
    assert (args.dataset, args.hidden, args.activation, args.optimizer) == (
        "moons", [16, 16], "relu", "sgd"
    )  # fmt: skip
    assert (args.epochs, args.samples, args.batch_size, str(args.out)) == (100, 100, None, "out")


def test_the_model_and_the_plots_are_written_atomically(tmp_path, monkeypatch):
    import autograd.files
    import nn.__main__
    import nn.io

    written = []

    def recording(path, content):
        written.append(path.name)
        return autograd.files.write_atomically(path, content)

    monkeypatch.setattr(nn.__main__, "write_atomically", recording)
    monkeypatch.setattr(nn.io, "write_atomically", recording)
    argv = ["train", "--epochs", "1", "--samples", "5", "--hidden", "2", "--no-progress"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    expected = ["model.json", "loss.png", "decision_boundary.png", "gradient_flow.png"]
    assert written == expected
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("dataset", ["xor", "moons", "circles"])
def test_a_sample_too_few_to_show_every_class_still_trains_the_data_sets_model(tmp_path, dataset):
    argv = ["train", "--dataset", dataset, "--samples", "1", "--epochs", "1", "--hidden", "2"]
    assert main([*argv, "--no-progress", "--out", str(tmp_path)]) == 0
    assert load(tmp_path / "model.json").nouts == [2, 1]
