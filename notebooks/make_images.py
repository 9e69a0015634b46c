"""Write the README's "Learn" images, one from each notebook, into notebooks/images/.

Run it by hand from the repository's root: ``.venv/bin/python notebooks/make_images.py``.
Each image is remade the way its notebook makes it, with the same seeds.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure

import nn
from autograd import Value, render
from nn.plot import plot_decision_boundary

IMAGES = Path(__file__).resolve().parent / "images"


def neuron_backward(path: Path) -> None:
    """Notebook 1: the backward pass through tanh(x1*w1 + x2*w2 + b), local derivatives shown."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.881373587019543, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    render(o, path, "backward")


def decision_boundary(path: Path) -> None:
    """Notebook 2: the decision boundary of the MLP trained on the moons."""
    X, y = nn.datasets.make_moons(100, noise=0.1, seed=0)
    targets = [1 if c == 1 else -1 for c in y]
    model = nn.MLP(2, [8, 8, 1], seed=1)
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    nn.fit(model, X, targets, loss=nn.hinge_loss, optimizer=optimizer, epochs=100,
           progress=False)  # fmt: skip
    fig = plot_decision_boundary(model, X, y)
    fig.set_size_inches(5, 4)
    fig.savefig(path, dpi=80)


def validation_loss(path: Path) -> None:
    """Notebook 3: validation loss without regularisation, with L2 and with dropout."""
    X, y = nn.datasets.make_moons(30, noise=0.3, seed=0)
    validation = nn.datasets.make_moons(100, noise=0.3, seed=1)
    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.subplots()
    for name, l2, dropout in [("no regularisation", 0.0, 0.0), ("L2, 3e-3", 3e-3, 0.0),
                              ("dropout 0.3", 0.0, 0.3)]:  # fmt: skip
        model = nn.MLP(2, [16, 16, 1], seed=1, dropout=dropout)
        history = nn.fit(
            model, X, y, loss=nn.binary_cross_entropy_with_logits,
            optimizer=nn.Adam(model.parameters(), lr=0.02), epochs=150,
            validation=validation, l2=l2, progress=False,
        )  # fmt: skip
        ax.plot(range(1, history.epochs + 1), history.val_loss, label=name)
    ax.set(title="validation loss", xlabel="epoch", ylabel="cross-entropy")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=80)


def fitted_curve(path: Path) -> None:
    """Notebook 4: the curve a tanh MLP fits to a noisy sine, after 10, 50 and 300 epochs."""
    X, y = nn.datasets.make_sine(40, noise=0.1, seed=0)
    model = nn.MLP(1, [8, 8, 1], "tanh", seed=1)
    optimizer = nn.Adam(model.parameters(), lr=0.03)
    grid = [-math.pi + 2 * math.pi * i / 200 for i in range(201)]
    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter([x for (x,) in X], y, s=14, color="black", label="data")
    done = 0
    for epochs, colour in [(10, "#9ecae1"), (50, "#4292c6"), (300, "#08306b")]:
        nn.fit(model, X, y, loss=nn.mse_loss, optimizer=optimizer, epochs=epochs - done,
               progress=False)  # fmt: skip
        done = epochs
        ax.plot(grid, [model([x]).data for x in grid], color=colour, linewidth=2,
                label=f"epoch {epochs}")  # fmt: skip
    ax.set(title="fitting a noisy sine with MSE", xlabel="x", ylabel="y")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.savefig(path, dpi=80)


def spiral_regions(path: Path) -> None:
    """Notebook 5: the decision regions of three classes, trained with batches of 16."""
    X, y = nn.datasets.make_spirals(120, n_classes=3, noise=0.2, seed=0)
    model = nn.MLP(2, [16, 16, 3], seed=1)
    nn.fit(model, X, y, loss=nn.cross_entropy, optimizer=nn.Adam(model.parameters(), lr=0.01),
           epochs=40, batch_size=16, progress=False)  # fmt: skip
    fig = plot_decision_boundary(model, X, y)
    fig.set_size_inches(5, 4)
    fig.savefig(path, dpi=80)


def compiled_step_times(path: Path) -> None:
    """Notebook 6: one forward and backward pass over the demo's 100 samples, per program."""
    import time

    import numpy as np

    from autograd import trace

    X, y = nn.datasets.make_moons(100, noise=0.1, seed=1)
    T = [2.0 * c - 1.0 for c in y]
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()

    def sample_loss(x, t):
        return (1 - t * model(x)).relu()

    inputs, targets = np.array(X), np.array(T)
    runs = {"engine": lambda: nn.hinge_loss([model(x) for x in X], T).backward()}
    for backend in ("python", "numpy", "fused"):
        program = trace(sample_loss, X[0], T[0], params=params, backend=backend)
        runs[backend] = lambda program=program: program.batch(inputs, targets)
    milliseconds = {}
    for name, run in runs.items():
        times = []
        for _ in range(5):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        milliseconds[name] = 1000 * min(times)
    fig = Figure(figsize=(5, 3), layout="constrained")
    ax = fig.subplots()
    ax.barh(list(milliseconds)[::-1], list(milliseconds.values())[::-1], color="#4292c6")
    for row, ms in enumerate(list(milliseconds.values())[::-1]):
        ax.annotate(f"{ms:.2g} ms", (ms, row), xytext=(3, 0), textcoords="offset points",
                    va="center")  # fmt: skip
    ax.set_xscale("log")
    ax.set(title="one forward + backward pass, 100 samples", xlabel="milliseconds (log scale)")
    ax.margins(x=0.25)
    fig.savefig(path, dpi=80)


def pytorch_side_by_side(path: Path) -> None:
    """Notebook 7: the same model trained on Values and, exported, in PyTorch: equal losses."""
    import random

    import torch

    rng = random.Random(0)
    inputs = [[rng.gauss(0.0, 1.0) for _ in range(10)] for _ in range(32)]
    targets = [[x[0] - 2.0 * x[1] + 0.5 * x[2] + 0.1 * rng.gauss(0.0, 1.0)] for x in inputs]
    model = nn.Sequential(nn.Linear(10, 64, seed=0), nn.ReLU(), nn.Linear(64, 1, seed=1))
    twin = model.to_torch()
    X = torch.tensor(inputs, dtype=torch.float64)
    Y = torch.tensor(targets, dtype=torch.float64)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.001)
    optimizer_t = torch.optim.Adam(twin.parameters(), lr=0.001)
    ours, theirs = [], []
    for _ in range(100):
        loss = nn.MSELoss()(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        loss_t = torch.nn.MSELoss()(twin(X), Y)
        optimizer_t.zero_grad()
        loss_t.backward()
        ours.append(loss.item())
        theirs.append(loss_t.item())
        optimizer.step()
        optimizer_t.step()
    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.plot(ours, label="ours (Values)", linewidth=3)
    ax.plot(theirs, "--", label="PyTorch, exported with to_torch()", color="black")
    ax.set(title="the same loop on both", xlabel="epoch", ylabel="MSE")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=80)


def main() -> None:
    images = {
        "01_neuron_backward.svg": neuron_backward,
        "02_decision_boundary.png": decision_boundary,
        "03_validation_loss.png": validation_loss,
        "04_fitted_curve.png": fitted_curve,
        "05_spiral_regions.png": spiral_regions,
        "06_compiled_times.png": compiled_step_times,
        "07_side_by_side.png": pytorch_side_by_side,
    }
    for name, make in images.items():
        make(IMAGES / name)
        print(IMAGES / name, (IMAGES / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
