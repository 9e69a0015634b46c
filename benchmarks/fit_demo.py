"""The whole training of ``make demo`` (``python -m nn train``) with each ``--compile`` choice.

The same ``fit`` call as the command's defaults: 100 moons, a 2-16-16-1 relu MLP, hinge loss
plus 1e-4 L2, 100 full-batch SGD epochs with the learning rate falling from 1.0 to 0.1, and
validation on 100 more samples after every epoch. Tracing, compiling and the first batch's
check against the engine are inside the time. Every History is compared with the dynamic
engine's (to 1e-9) before anything is reported.
"""

from __future__ import annotations

import math
import time
import warnings

from nn import MLP, SGD, History, LinearLR, fit
from nn.__main__ import DATASETS, DEFAULT_LR, L2
from nn.compiled import COMPILE_CHOICES
from nn.functional import hinge_loss

EPOCHS, SAMPLES, SEED = 100, 100, 1337  # python -m nn train's defaults


def run(compile: str) -> tuple[float, History]:
    """Seconds for the demo's fit with ``compile``, and its History."""
    X, y = DATASETS["moons"](SAMPLES, SEED)
    X_val, y_val = DATASETS["moons"](SAMPLES, SEED + 1)
    y, y_val = [2 * t - 1 for t in y], [2 * t - 1 for t in y_val]
    model = MLP(2, [16, 16, 1], seed=SEED)
    optimizer = SGD(model.parameters(), lr=DEFAULT_LR["sgd"])
    scheduler = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=EPOCHS)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # a fallback to the dynamic engine would time the wrong thing
        history = fit(
            model, X, y, loss=hinge_loss, optimizer=optimizer, epochs=EPOCHS,
            validation=(X_val, y_val), l2=L2, scheduler=scheduler, seed=SEED, progress=False,
            compile=compile,
        )  # fmt: skip
    return time.perf_counter() - started, history


def same_history(a: History, b: History) -> bool:
    def close(xs: list, ys: list) -> bool:
        return len(xs) == len(ys) and all(
            math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(xs, ys, strict=True)
        )

    return (
        close(a.loss, b.loss)
        and close(a.val_loss, b.val_loss)
        and a.accuracy == b.accuracy
        and a.val_accuracy == b.val_accuracy
        and all(close(a.grad_norm[k], b.grad_norm[k]) for k in b.grad_norm)
    )


def measure(repeats: int = 3) -> list[tuple[str, float]]:
    """(compile choice, best seconds of ``repeats`` fits) for each choice, "off" first."""
    off_seconds, want = run("off")
    rows = [("off", off_seconds)]
    for choice in COMPILE_CHOICES:
        if choice == "off":
            continue
        runs = [run(choice) for _ in range(repeats)]
        assert all(same_history(history, want) for _, history in runs), choice
        rows.append((choice, min(seconds for seconds, _ in runs)))
    return rows


def print_table(rows: list[tuple[str, float]]) -> None:
    off = rows[0][1]
    print("| make demo's fit (100 epochs, validation each epoch) | seconds | speed-up vs off |")
    print("|---|---:|---:|")
    for choice, seconds in rows:
        print(f"| --compile {choice} | {seconds:.3f} | {off / seconds:.1f}x |")


if __name__ == "__main__":
    print_table(measure())
