"""One training step of micrograd's demo, on three implementations that compute the same numbers.

The step: forward a 2-16-16-1 ReLU MLP over 100 moons samples, the max-margin loss plus
1e-4 times the L2 norm of every parameter, backward, and an SGD update. It runs on this
project's ``nn`` (as a user writes it), on micrograd 0.1.0 (as its demo notebook writes it,
from the same starting weights) and by hand on plain floats with no graph (the floor). The
gradients of all three are compared before anything is timed.
"""

from __future__ import annotations

import gc
import itertools
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import nn
from autograd import Value

SIZES = [2, 16, 16, 1]
ALPHA = 1e-4  # weight of the L2 penalty, as in micrograd's demo
LR = 0.05
STEPS = 4  # steps per timed run of the training loop


def moons() -> tuple[list[list[float]], list[float]]:
    X, y = nn.datasets.make_moons(n_samples=100, noise=0.1, seed=1)
    return X, [2.0 * label - 1.0 for label in y]  # {0, 1} -> {-1, +1} for the hinge loss


# -- ours ---------------------------------------------------------------------------------------


def ours_model() -> nn.MLP:
    return nn.MLP(SIZES[0], SIZES[1:], seed=1337)


def ours_step(model: nn.MLP, optimizer: nn.SGD, X: list, y: list) -> Value:
    scores = [model(x) for x in X]
    loss = nn.hinge_loss(scores, y) + ALPHA * nn.l2_penalty(model.parameters())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


# -- micrograd ----------------------------------------------------------------------------------


def micrograd_model(weights: list[float]) -> Any:
    from micrograd.nn import MLP

    model = MLP(SIZES[0], SIZES[1:])
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data = w
    return model


def micrograd_step(model: Any, X: list, y: list) -> Any:
    from micrograd.engine import Value as MicrogradValue

    inputs = [list(map(MicrogradValue, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return loss


# -- the floor: the same step by hand on floats ------------------------------------------------


def float_step(params: list[float], X: list, y: list) -> tuple[float, list[float]]:
    """One step on a flat parameter list (micrograd's order); returns (loss, gradients)."""
    layers = _unflatten(params)
    grads = [[([0.0] * len(w), [0.0]) for w, _ in layer] for layer in layers]
    n = len(X)
    loss = 0.0
    for x, t in zip(X, y, strict=True):
        activations = [x]
        pre_activations = []
        for i, layer in enumerate(layers):
            inp = activations[-1]
            pre = [b + sum(wi * xi for wi, xi in zip(w, inp, strict=True)) for w, b in layer]
            pre_activations.append(pre)
            last = i == len(layers) - 1
            activations.append(pre if last else [p if p > 0 else 0.0 for p in pre])
        margin = 1.0 - t * activations[-1][0]
        if margin > 0:
            loss += margin / n
            d_out = [-t / n]
        else:
            d_out = [0.0]
        for i in reversed(range(len(layers))):
            last = i == len(layers) - 1
            pre = pre_activations[i]
            d_pre = (
                d_out if last else [d if p > 0 else 0.0 for d, p in zip(d_out, pre, strict=True)]
            )
            inp = activations[i]
            d_inp = [0.0] * len(inp)
            for (w, _), (gw, gb), d in zip(layers[i], grads[i], d_pre, strict=True):
                gb[0] += d
                for k, xk in enumerate(inp):
                    gw[k] += d * xk
                    d_inp[k] += d * w[k]
            d_out = d_inp
    flat_grads = [g for layer in grads for gw, gb in layer for g in (*gw, *gb)]
    loss += ALPHA * sum(p * p for p in params)
    flat_grads = [g + 2 * ALPHA * p for g, p in zip(flat_grads, params, strict=True)]
    for k, g in enumerate(flat_grads):
        params[k] -= LR * g
    return loss, flat_grads


def _unflatten(params: list[float]) -> list[list[tuple[list[float], float]]]:
    layers, k = [], 0
    for nin, nout in itertools.pairwise(SIZES):
        layer = []
        for _ in range(nout):
            layer.append((params[k : k + nin], params[k + nin]))
            k += nin + 1
        layers.append(layer)
    return layers


# -- measuring ----------------------------------------------------------------------------------


def check_same_gradients() -> None:
    """All three implementations must compute the same loss and gradients."""
    X, y = moons()
    model = ours_model()
    weights = [p.data for p in model.parameters()]
    loss = ours_step(model, nn.SGD(model.parameters(), lr=LR), X, y)
    ours = [p.grad for p in model.parameters()]
    floor_loss, floor = float_step(list(weights), X, y)
    assert abs(loss.data - floor_loss) < 1e-12, (loss.data, floor_loss)
    assert max(abs(a - b) for a, b in zip(ours, floor, strict=True)) < 1e-12
    try:
        mg = micrograd_model(weights)
    except ImportError:
        return
    mg_loss = micrograd_step(mg, X, y)
    assert abs(mg_loss.data - loss.data) < 1e-12, (mg_loss.data, loss.data)
    theirs = [p.grad for p in mg.parameters()]
    assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) < 1e-12


def best_ms(step: Callable[[], Any], repeats: int, collect: bool = True) -> float:
    """Milliseconds per step of a training loop: the best of ``repeats`` runs of STEPS steps.

    Each step's graph is dropped when the next step's loss replaces it, as in a training loop,
    so each engine pays for freeing its graphs in its own way: ours by reference counting,
    micrograd's (reference cycles) by the collector, or never with the collector off.
    """
    best = float("inf")
    was = gc.isenabled()
    for _ in range(repeats):
        gc.collect()
        if not collect:
            gc.disable()
        start = time.perf_counter()
        for _ in range(STEPS):
            loss = step()
        best = min(best, (time.perf_counter() - start) / STEPS)
        del loss
        if was:
            gc.enable()
    return best * 1e3


def graph_bytes(step: Callable[[], Any]) -> float:
    """Memory held by one step's graph at its largest: the loss keeps it alive until dropped."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        loss = step()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del loss
    return held


Row = tuple[str, float, float | None]


def measure_ours(repeats: int) -> list[Row]:
    """Our step and the float floor: (name, ms per step, graph bytes or None)."""
    X, y = moons()
    model = ours_model()
    optimizer = nn.SGD(model.parameters(), lr=LR)
    ms = best_ms(lambda: ours_step(model, optimizer, X, y), repeats)
    memory = graph_bytes(lambda: ours_step(model, optimizer, X, y))
    params = [p.data for p in ours_model().parameters()]
    floor = best_ms(lambda: float_step(params, X, y), repeats)
    return [("autograd + nn (ours)", ms, memory), ("plain floats, no graph", floor, None)]


def measure_micrograd(repeats: int) -> list[Row]:
    """micrograd's step, as shipped and with the collector off; none if it is not installed."""
    try:
        model = micrograd_model([p.data for p in ours_model().parameters()])
    except ImportError:
        return []
    X, y = moons()
    return [
        (
            "micrograd 0.1.0",
            best_ms(lambda: micrograd_step(model, X, y), repeats),
            graph_bytes(lambda: micrograd_step(model, X, y)),
        ),
        (
            "micrograd 0.1.0, gc off",
            best_ms(lambda: micrograd_step(model, X, y), repeats, False),
            None,
        ),
    ]


def print_table(rows: list[Row]) -> None:
    ours_ms = rows[0][1]
    print("| training step: 2-16-16-1 MLP, 100 moons samples | ms | vs ours | graph memory |")
    print("|---|---:|---:|---:|")
    for name, ms, memory in rows:
        shown = f"{memory / 1e6:.1f} MB" if memory is not None else ""
        print(f"| {name} | {ms:,.1f} | {ms / ours_ms:.2f}x | {shown} |")


def main(repeats: int = 5) -> None:
    check_same_gradients()
    print_table(measure_ours(repeats) + measure_micrograd(repeats))


if __name__ == "__main__":
    main()
