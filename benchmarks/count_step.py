"""Run N training steps of one variant of ``mlp_step.py``, for counting instructions.

Wall-clock ratios drift by 2x on a busy shared machine; instruction counts do not. Count a run
of N steps and one of 0 steps (same start-up, imports and warm-up) and divide the difference:

    OPENBLAS_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/count_step.py fused 10

``variant`` is ``engine``, ``floats``, ``torch`` or a backend of ``autograd.trace``;
``--workload spirals`` counts the larger step.
"""

from __future__ import annotations

import argparse

import mlp_step  # beside this script

WARM_UP_STEPS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "variant", choices=["engine", "floats", "torch", "python", "numpy", "fused"]
    )
    parser.add_argument("steps", type=int)
    parser.add_argument("--workload", choices=["demo", "spirals"], default="demo")
    args = parser.parse_args()
    work = mlp_step.demo() if args.workload == "demo" else mlp_step.spirals()
    variants = {"engine": mlp_step.EngineStep, "floats": mlp_step.FloatStep,
                "torch": mlp_step.TorchStep}  # fmt: skip
    if args.variant in variants:
        step = variants[args.variant](work).step
    else:
        step = mlp_step.CompiledStep(work, args.variant).step
    for _ in range(WARM_UP_STEPS + args.steps):
        step()


if __name__ == "__main__":
    main()
