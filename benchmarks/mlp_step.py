"""One training step of an MLP on every implementation we have and on the peers, same numbers.

Two workloads. **demo** is micrograd's demo step: a 2-16-16-1 ReLU MLP over 100 moons samples,
the max-margin loss plus 1e-4 times the L2 norm of every parameter, backward, and an SGD
update. **spirals** is a larger one: 1,000 samples of three interleaved spirals, a 2-64-64-3
ReLU MLP, cross-entropy and an Adam update.

The implementations (variants): this project's ``nn`` as a user writes it (the dynamic engine);
the same step compiled by ``nn``'s compiled training step on each backend of ``autograd.trace``,
exactly as ``fit(compile=...)`` runs it; the step written by hand on plain floats with no graph
(the floor of pure Python); micrograd 0.1.0 (the demo only, written as its demo notebook writes
it: it has no ``exp`` or ``log`` for cross-entropy); and PyTorch, float64, batched, on one
thread. Every variant starts from the same weights, and its loss and gradients after one step
are compared with the dynamic engine's before anything is timed.

``make bench`` runs this with ``OPENBLAS_NUM_THREADS=1``, so NumPy's matrix products run on one
thread as PyTorch's do. (Left to itself OpenBLAS starts a thread per core; on a busy shared
machine a 1000 x 64 by 64 x 64 product then waited for its second thread's turn, 20 to 90 ms
instead of under 1.)
"""

from __future__ import annotations

import gc
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nn
from autograd import Value

WARM_UP_STEPS = 3  # CPython specializes bytecode after a few calls; time the steady state
RUN_SECONDS = 0.2  # each timed run is at least this long (or one step)
# How closely a variant's loss and gradients must match the engine's (relative to the largest
# gradient): other variants sum the samples in another order.
TOLERANCE = 1e-12


# -- the workloads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """What one training step computes: data, network sizes, loss, L2 weight and optimizer."""

    name: str
    description: str
    sizes: tuple[int, ...]
    X: list[list[float]]
    y: list[Any]
    loss: str  # "hinge" (targets -1/+1, one output) or "cross_entropy" (class indices)
    l2: float
    optimizer: str  # "sgd" or "adam"
    lr: float
    seed: int = 1337

    def model(self) -> nn.MLP:
        return nn.MLP(self.sizes[0], list(self.sizes[1:]), seed=self.seed)

    def nn_loss(self) -> Callable[..., Value]:
        return nn.hinge_loss if self.loss == "hinge" else nn.cross_entropy

    def nn_optimizer(self, params: list[Value]) -> nn.Optimizer:
        kind = nn.SGD if self.optimizer == "sgd" else nn.Adam
        return kind(params, lr=self.lr)

    def initial_weights(self) -> list[float]:
        return [p.data for p in self.model().parameters()]


def demo() -> Workload:
    X, y = nn.datasets.make_moons(n_samples=100, noise=0.1, seed=1)
    return Workload(
        "demo",
        "micrograd's demo step: 2-16-16-1 MLP, 100 moons, hinge + 1e-4 L2, SGD",
        (2, 16, 16, 1),
        X,
        [2.0 * label - 1.0 for label in y],  # {0, 1} -> {-1, +1} for the hinge loss
        "hinge",
        1e-4,
        "sgd",
        0.05,
    )


def spirals() -> Workload:
    X, y = nn.datasets.make_spirals(1000, n_classes=3, noise=0.2, seed=1)
    return Workload(
        "spirals",
        "spirals: 2-64-64-3 MLP, 1,000 samples, cross-entropy, Adam",
        (2, 64, 64, 3),
        X,
        y,
        "cross_entropy",
        0.0,
        "adam",
        0.01,
    )


# -- the dynamic engine, as a user writes it ----------------------------------------------------


class EngineStep:
    """The step on ``nn`` and the dynamic engine: one graph per step, ``backward()``."""

    def __init__(self, work: Workload) -> None:
        self.work = work
        self.model = work.model()
        self.params = self.model.parameters()
        self.optimizer = work.nn_optimizer(self.params)
        self.loss_fn = work.nn_loss()

    def step(self) -> float:
        outputs = [self.model(x) for x in self.work.X]
        loss = self.loss_fn(outputs, self.work.y)
        if self.work.l2:
            loss = loss + self.work.l2 * nn.l2_penalty(self.params)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.data

    def gradients(self) -> list[float]:
        return [p.grad for p in self.params]


# -- the same step compiled, as fit(compile=...) runs it ---------------------------------------


class CompiledStep(EngineStep):
    """The step on ``nn``'s compiled training step for one backend of ``autograd.trace``."""

    def __init__(self, work: Workload, backend: str) -> None:
        from nn.compiled import CompiledLoss, CompiledTraining

        super().__init__(work)
        started = time.perf_counter()
        self.compiled = CompiledLoss(
            self.model, self.loss_fn, work.X, work.y, l2=work.l2, backend=backend
        )
        self.compile_seconds = time.perf_counter() - started
        self.data = self.compiled.arrays(work.X, work.y)
        # fit steps on one parameter array where the optimizer can
        self.training = CompiledTraining(backend, self.compiled, self.data)
        self.flat = self.training.flat_parameters(self.optimizer, {})
        self.batch = list(range(len(work.X)))

    def step(self) -> float:
        if self.flat is not None:
            loss, _ = self.training.train_flat(self.batch, self.flat)
            self.flat.step()
            return loss
        self.optimizer.zero_grad()
        loss, _ = self.compiled(self.data)
        self.optimizer.step()
        return loss

    def gradients(self) -> list[float]:
        return super().gradients() if self.flat is None else self.flat.grad.tolist()


def compiled_backends() -> list[str]:
    """The backends of ``autograd.trace`` this checkout has (none before the tracer landed)."""
    try:
        from nn.compiled import BACKENDS
    except ImportError:
        return []
    return list(BACKENDS)


# -- the floor: the same step by hand on floats ------------------------------------------------


class FloatStep:
    """The step written out on plain floats: no graph, no objects, the floor of pure Python."""

    def __init__(self, work: Workload) -> None:
        self.work = work
        self.params = work.initial_weights()
        self.grads = [0.0] * len(self.params)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> float:
        loss, self.grads = float_gradients(self.work, self.params)
        if self.work.optimizer == "sgd":
            lr = self.work.lr
            for k, g in enumerate(self.grads):
                self.params[k] -= lr * g
        else:
            self._adam()
        return loss

    def _adam(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        # torch.optim.Adam's update, as nn.Adam writes it
        self.t += 1
        step_size = self.work.lr / (1.0 - beta1**self.t)
        correction2 = math.sqrt(1.0 - beta2**self.t)
        m, v, params = self.m, self.v, self.params
        for k, g in enumerate(self.grads):
            m[k] += (1.0 - beta1) * (g - m[k])
            v[k] = v[k] * beta2 + (1.0 - beta2) * g * g
            params[k] -= step_size * (m[k] / (math.sqrt(v[k]) / correction2 + eps))

    def gradients(self) -> list[float]:
        return self.grads


def float_gradients(work: Workload, params: list[float]) -> tuple[float, list[float]]:
    """The loss and its gradient for a flat parameter list in micrograd's order (w..., b)."""
    layers = _unflatten(work.sizes, params)
    grads = [[([0.0] * len(w), [0.0]) for w, _ in layer] for layer in layers]
    n = len(work.X)
    last = len(layers) - 1
    loss = 0.0
    for x, t in zip(work.X, work.y, strict=True):
        activations = [x]
        pre_activations = []
        for i, layer in enumerate(layers):
            inp = activations[-1]
            pre = [b + sum(wi * xi for wi, xi in zip(w, inp, strict=True)) for w, b in layer]
            pre_activations.append(pre)
            activations.append(pre if i == last else [p if p > 0 else 0.0 for p in pre])
        out = activations[-1]
        if work.loss == "hinge":
            margin = 1.0 - t * out[0]
            loss += margin / n if margin > 0 else 0.0
            d_out = [-t / n if margin > 0 else 0.0]
        else:
            # d cross-entropy / d logits = softmax - one-hot
            top = max(out)
            exps = [math.exp(z - top) for z in out]
            total = sum(exps)
            loss += (math.log(total) + top - out[t]) / n
            d_out = [(e / total - (k == t)) / n for k, e in enumerate(exps)]
        for i in reversed(range(len(layers))):
            pre = pre_activations[i]
            d_pre = (
                d_out
                if i == last
                else [d if p > 0 else 0.0 for d, p in zip(d_out, pre, strict=True)]
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
    if work.l2:
        loss += work.l2 * sum(p * p for p in params)
        flat_grads = [g + 2 * work.l2 * p for g, p in zip(flat_grads, params, strict=True)]
    return loss, flat_grads


def _unflatten(
    sizes: tuple[int, ...], params: list[float]
) -> list[list[tuple[list[float], float]]]:
    layers, k = [], 0
    for nin, nout in itertools.pairwise(sizes):
        layer = []
        for _ in range(nout):
            layer.append((params[k : k + nin], params[k + nin]))
            k += nin + 1
        layers.append(layer)
    return layers


# -- micrograd, as its demo notebook writes the step --------------------------------------------


class MicrogradStep:
    """micrograd 0.1.0's demo step (hinge loss, L2, SGD), from the same starting weights."""

    def __init__(self, work: Workload) -> None:
        from micrograd.engine import Value as MicrogradValue
        from micrograd.nn import MLP

        self.work = work
        self.model = MLP(work.sizes[0], list(work.sizes[1:]))
        for p, w in zip(self.model.parameters(), work.initial_weights(), strict=True):
            p.data = w
        self.inputs = [list(map(MicrogradValue, row)) for row in work.X]

    def step(self) -> float:
        scores = list(map(self.model, self.inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.work.y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = self.work.l2 * sum(p * p for p in self.model.parameters())
        loss = data_loss + reg_loss
        self.model.zero_grad()
        loss.backward()
        for p in self.model.parameters():
            p.data -= self.work.lr * p.grad
        return loss.data

    def gradients(self) -> list[float]:
        return [p.grad for p in self.model.parameters()]


# -- PyTorch, float64, the whole batch at once, one thread --------------------------------------


class TorchStep:
    """The step on PyTorch tensors (float64, one thread), with torch's own SGD or Adam."""

    def __init__(self, work: Workload) -> None:
        import torch

        torch.set_num_threads(1)
        self.torch = torch
        self.work = work
        weights, k = work.initial_weights(), 0
        self.layers = []
        for nin, nout in itertools.pairwise(work.sizes):
            block = torch.tensor(weights[k : k + nout * (nin + 1)], dtype=torch.float64)
            block = block.reshape(nout, nin + 1)
            k += nout * (nin + 1)
            W = block[:, :nin].clone().requires_grad_()
            b = block[:, nin].clone().requires_grad_()
            self.layers.append((W, b))
        self.params = [p for layer in self.layers for p in layer]
        self.X = torch.tensor(work.X, dtype=torch.float64)
        dtype = torch.float64 if work.loss == "hinge" else torch.long
        self.y = torch.tensor(work.y, dtype=dtype)
        kind = torch.optim.SGD if work.optimizer == "sgd" else torch.optim.Adam
        self.optimizer = kind(self.params, lr=work.lr)

    def step(self) -> float:
        torch = self.torch
        h = self.X
        for i, (W, b) in enumerate(self.layers):
            h = torch.addmm(b, h, W.T)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        if self.work.loss == "hinge":
            loss = torch.relu(1.0 - self.y * h[:, 0]).mean()
        else:
            loss = torch.nn.functional.cross_entropy(h, self.y)
        if self.work.l2:
            loss = loss + self.work.l2 * sum((p * p).sum() for p in self.params)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def gradients(self) -> list[float]:
        torch = self.torch
        blocks = [torch.cat([W.grad, b.grad[:, None]], dim=1).flatten() for W, b in self.layers]
        return torch.cat(blocks).tolist()


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def micrograd_available() -> bool:
    try:
        import micrograd  # noqa: F401
    except ImportError:
        return False
    return True


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a training-step table."""

    name: str
    ms: float
    note: str = ""


def reference(work: Workload) -> tuple[float, list[float]]:
    """The dynamic engine's loss and gradients on the first step: what every variant must give."""
    engine = EngineStep(work)
    return engine.step(), engine.gradients()


def check_same_step(variant: Any, want: tuple[float, list[float]]) -> None:
    """One step of ``variant`` must give the engine's loss and gradients, or timing is moot."""
    want_loss, want_grads = want
    got_loss = variant.step()
    got = variant.gradients()
    name = type(variant).__name__
    assert abs(got_loss - want_loss) <= TOLERANCE * max(1.0, abs(want_loss)), (
        name,
        got_loss,
        want_loss,
    )
    assert len(got) == len(want_grads), (name, len(got), len(want_grads))
    worst = max(abs(a - b) for a, b in zip(got, want_grads, strict=True))
    assert worst <= TOLERANCE * max(1.0, max(map(abs, want_grads))), (name, worst)


def best_ms(step: Callable[[], Any], repeats: int, collect: bool = True) -> float:
    """Milliseconds per step of a training loop: the best of ``repeats`` runs of several steps.

    Each step's graph is dropped when the next step replaces it, as in a training loop, so each
    engine pays for freeing its graphs in its own way: ours by reference counting,
    micrograd's (reference cycles) by the collector, or never with the collector off.
    """
    started = time.perf_counter()
    step()
    once = time.perf_counter() - started
    if once < RUN_SECONDS:
        for _ in range(WARM_UP_STEPS):
            step()
        started = time.perf_counter()
        step()
        once = time.perf_counter() - started
    steps = max(1, round(RUN_SECONDS / max(once, 1e-9)))
    best = math.inf
    was = gc.isenabled()
    for _ in range(repeats):
        gc.collect()
        if not collect:
            gc.disable()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - start) / steps)
        if was:
            gc.enable()
    return best * 1e3


def measure_ours(work: Workload, repeats: int) -> list[Row]:
    """ms per step of the engine, each compiled backend and the float floor, checked first."""
    want = reference(work)
    rows = [Row("autograd + nn, dynamic engine", best_ms(EngineStep(work).step, repeats))]
    for backend in compiled_backends():
        check_same_step(CompiledStep(work, backend), want)
        variant = CompiledStep(work, backend)
        note = (
            f"compiled in {variant.compile_seconds * 1e3:,.0f} ms, "
            f"{variant.compiled.source_lines:,} lines"
        )
        rows.append(Row(f"compiled, backend={backend!r}", best_ms(variant.step, repeats), note))
    check_same_step(FloatStep(work), want)
    rows.append(Row("plain floats, by hand, no graph", best_ms(FloatStep(work).step, repeats)))
    return rows


def measure_peers(work: Workload, repeats: int) -> list[Row]:
    """ms per step of micrograd (demo only) and PyTorch, where installed, checked first."""
    want = reference(work)
    rows = []
    if work.loss == "hinge" and micrograd_available():
        check_same_step(MicrogradStep(work), want)
        rows.append(Row("micrograd 0.1.0", best_ms(MicrogradStep(work).step, repeats)))
        step = MicrogradStep(work).step
        rows.append(Row("micrograd 0.1.0, gc off", best_ms(step, repeats, collect=False)))
    if torch_available():
        check_same_step(TorchStep(work), want)
        name = "PyTorch, float64, batched, 1 thread"
        rows.append(Row(name, best_ms(TorchStep(work).step, repeats)))
    return rows


def print_table(work: Workload, rows: list[Row]) -> None:
    engine_ms = rows[0].ms
    torch_ms = next((row.ms for row in rows if row.name.startswith("PyTorch")), None)
    print(f"| training step, {work.description} | ms | speed-up vs engine | time vs PyTorch | |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        vs_torch = f"{row.ms / torch_ms:.2f}x" if torch_ms else ""
        print(
            f"| {row.name} | {row.ms:,.3f} | {engine_ms / row.ms:,.1f}x | {vs_torch} | {row.note} |"
        )


def main(repeats: int = 5) -> None:
    works = (demo(), spirals())
    # Ours first, then the peers: micrograd's freed graphs leave the heap scattered.
    ours = [measure_ours(work, repeats) for work in works]
    for work, rows in zip(works, ours, strict=True):
        print_table(work, rows + measure_peers(work, repeats))
        print()


if __name__ == "__main__":
    main()
