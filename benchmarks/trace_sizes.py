"""What a trace costs: compile time and generated source size per backend, for two networks.

A trace is per sample, so neither grows with the batch. Run from the repository root:
``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/trace_sizes.py`` (one BLAS thread, as
PyTorch is timed; on a busy 2-core machine NumPy's default threads slow matrix products ~25x).
"""

from __future__ import annotations

import time

import nn
from autograd import Value, linear, trace
from autograd.value import max_shift


def demo_loss(model: nn.MLP) -> tuple:
    """micrograd's demo: one sample's hinge loss plus the 1e-4 L2 penalty."""

    def loss(x: list[Value], y: Value) -> Value:
        return (1 - y * model(x)).relu() + 1e-4 * nn.functional.l2_penalty(model.parameters())

    return loss, ([0.5, -1.0], 1.0)


def spirals_loss(model: nn.MLP) -> tuple:
    """Cross-entropy of one sample against a one-hot target (an argument, so it can change)."""

    def loss(x: list[Value], one_hot: list[Value]) -> Value:
        logits = model(x)
        m = max_shift(logits[0], logits[0])
        for v in logits[1:]:
            m = max_shift(m, v)
        log_sum_exp = linear([1.0] * len(logits), [(v - m).exp() for v in logits], 0.0).log()
        return log_sum_exp + m - linear(one_hot, logits, 0.0)

    return loss, ([0.5, -1.0], [0.0, 1.0, 0.0])


def main() -> None:
    for title, sizes, workload in (
        ("2-16-16-1, hinge + L2 (micrograd's demo)", [16, 16, 1], demo_loss),
        ("2-64-64-3, cross-entropy (spirals)", [64, 64, 3], spirals_loss),
    ):
        model = nn.MLP(2, sizes, seed=1337)
        loss, example = workload(model)
        print(title, f"({len(model.parameters())} parameters)")
        for backend in ("python", "numpy", "fused"):
            start = time.perf_counter()
            traced = trace(loss, *example, params=model.parameters(), backend=backend)
            seconds = time.perf_counter() - start
            lines = traced.source.count("\n")
            print(
                f"  {backend:7} {len(traced.tape.instructions):5} instructions  "
                f"compile {seconds * 1000:7.1f} ms  source {len(traced.source) / 1024:7.1f} KiB"
                f" in {lines:5} lines"
            )


if __name__ == "__main__":
    main()
