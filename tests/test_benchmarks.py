"""The benchmarks' own checks, without their timings: every variant they time computes the
engine's numbers (a benchmark that compares different work reports nothing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the benchmarks are scripts that import each other, not a package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import mlp_step
import run


def test_the_chain_gives_the_same_gradients_on_the_engine_the_floor_engine_and_floats():
    if run.micrograd is not None:
        run.give_micrograd_tanh_and_exp(run.micrograd.Value)
    run.check_same_gradients(1000)


@pytest.mark.parametrize("backend", mlp_step.compiled_backends())
def test_the_compiled_demo_step_gives_the_engines_loss_and_gradients(backend):
    work = mlp_step.demo()
    mlp_step.check_same_step(mlp_step.CompiledStep(work, backend), mlp_step.reference(work))


def test_the_float_and_pytorch_demo_steps_give_the_engines_loss_and_gradients():
    work = mlp_step.demo()
    want = mlp_step.reference(work)
    mlp_step.check_same_step(mlp_step.FloatStep(work), want)
    if mlp_step.torch_available():
        mlp_step.check_same_step(mlp_step.TorchStep(work), want)
