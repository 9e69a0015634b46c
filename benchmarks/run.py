"""The engine against micrograd 0.1.0, side by side in one run: speed, memory, depth, scaling.

Run with ``make bench`` (installs micrograd from the package index, in the ``bench`` extra).
Each timing is the best of several repeats. micrograd is measured twice: as shipped, and
with Python's cyclic garbage collector switched off, because every micrograd node holds a
closure that refers back to the node (a reference cycle), and much of its time goes to the
collector finding those cycles. micrograd's recursive topological sort needs a recursion limit
above the chain's depth to finish a 100,000-node chain at all, so it runs in a thread with a
large stack and a raised limit; ``deepest chain`` shows what it manages without that help.
Beside them, two floors: the chain on plain floats with no graph, and on ``floor_engine.py``,
the least an engine can do whose nodes are Python objects (as ours and micrograd's are).
Then the training-step tables of ``mlp_step.py`` (the dynamic engine, each compiled backend,
hand-written floats, micrograd and PyTorch on two workloads) and ``fit_demo.py`` (the whole fit
of ``make demo`` with each ``--compile`` choice).
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import fit_demo  # beside this script
import mlp_step  # beside this script
from floor_engine import FloorValue  # beside this script

import autograd

try:
    import micrograd.engine as micrograd
except ImportError:  # pragma: no cover - reported in the table
    micrograd = None

CHAIN = 100_000
WARM_UP_CALLS = 20


# -- the workloads ------------------------------------------------------------------------------
# The chain cycles through ten operations, one of each kind a user writes: with another Value
# (x * w, x + b), with a plain number (* + - / **), and the functions relu, tanh and exp.
# micrograd 0.1.0 has no tanh or exp; they are added to it below in its own style.


def build_chain(value_type: type, n: int) -> tuple[Any, list[Any]]:
    """A chain of ``n`` operations on one running value; returns (output, leaves)."""
    x = value_type(0.5)
    w, b = value_type(0.8), value_type(0.1)
    for i in range(n):
        step = i % 10
        if step == 0:
            x = x * w
        elif step == 1:
            x = x + b
        elif step == 2:
            x = x.tanh()
        elif step == 3:
            x = x * 2.0
        elif step == 4:
            x = x - 0.5
        elif step == 5:
            x = x / 1.5
        elif step == 6:
            x = x**2
        elif step == 7:
            x = x + 0.1
        elif step == 8:
            x = x.relu()
        else:
            x = x.exp()
    return x, [w, b]


def float_chain(n: int) -> tuple[float, float, float]:
    """The same chain by hand on floats, gradients included: the floor with no graph at all."""
    x, w, b = 0.5, 0.8, 0.1
    trace = []  # what backward needs from the forward pass: one float per step
    for i in range(n):
        step = i % 10
        trace.append(x)
        if step == 0:
            x = x * w
        elif step == 1:
            x = x + b
        elif step == 2:
            x = math.tanh(x)
        elif step == 3:
            x = x * 2.0
        elif step == 4:
            x = x - 0.5
        elif step == 5:
            x = x / 1.5
        elif step == 6:
            x = x**2
        elif step == 7:
            x = x + 0.1
        elif step == 8:
            x = x if x > 0 else 0.0
        else:
            x = math.exp(x)
    dx, dw, db = 1.0, 0.0, 0.0
    for i in reversed(range(n)):
        step, before = i % 10, trace[i]
        if step == 0:
            dw += before * dx
            dx *= w
        elif step == 1:
            db += dx
        elif step == 2:
            t = math.tanh(before)
            dx *= 1 - t * t
        elif step == 3:
            dx *= 2.0
        elif step == 5:
            dx /= 1.5
        elif step == 6:
            dx *= 2 * before
        elif step == 8:
            dx *= 1.0 if before > 0 else 0.0
        elif step == 9:
            dx *= math.exp(before)
    return dw, db, dx


def give_micrograd_tanh_and_exp(value_type: type) -> None:
    """Add tanh and exp to micrograd's Value, written the way its other operations are."""

    def tanh(self):
        t = math.tanh(self.data)
        out = value_type(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = value_type(e, (self,), "exp")

        def _backward():
            self.grad += e * out.grad

        out._backward = _backward
        return out

    value_type.tanh, value_type.exp = tanh, exp


# -- measuring ----------------------------------------------------------------------------------


@contextmanager
def collector(enabled: bool):
    was = gc.isenabled()
    gc.enable() if enabled else gc.disable()
    try:
        yield
    finally:
        gc.enable() if was else gc.disable()


def best_ns(func: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        func()
        best = min(best, time.perf_counter_ns() - start)
    return best


def in_big_stack(func: Callable[[], Any]) -> Any:
    """Run func in a thread with a 512 MiB stack and a high recursion limit (for micrograd)."""
    result: list[Any] = []
    errors: list[BaseException] = []
    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size(512 * 1024 * 1024)

    def target() -> None:
        try:
            result.append(func())
        except BaseException as e:  # reported, not swallowed
            errors.append(e)

    sys.setrecursionlimit(10 * CHAIN + 10_000)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
        threading.stack_size(old_size)
    if errors:
        raise errors[0]
    return result[0]


def chain_times(value_type: type, n: int, repeats: int) -> tuple[float, float, float]:
    """Best forward, backward and freeing times, in ns per operation, for a chain of n ops.

    Freeing is dropping the graph and running the collector: our graphs are freed by reference
    counting as soon as they are dropped, micrograd's (reference cycles) only by the collector.
    It is reported apart, so that neither engine's forward time includes freeing.
    """
    # Untimed warm-up. CPython 3.11 specializes a function's bytecode only after it has been
    # called a few times (about 8): until then a backward called once per graph can run its
    # loop more than twice as slowly (seen here on a hand-written chain walk). Small graphs
    # first, so that every engine is timed in the steady state of a training loop; then one
    # full graph for fresh memory.
    for _ in range(WARM_UP_CALLS):
        build_and_backward(value_type, 100)
    build_and_backward(value_type, n)
    forward = backward = free = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        out, leaves = build_chain(value_type, n)
        forward = min(forward, time.perf_counter_ns() - start)
        gc.collect()
        start = time.perf_counter_ns()
        out.backward()
        backward = min(backward, time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        del out, leaves
        gc.collect()
        free = min(free, time.perf_counter_ns() - start)
    return forward / n, backward / n, free / n


def bytes_per_op(value_type: type, n: int) -> float:
    """Memory the graph holds after forward and backward, per operation (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out, leaves = build_chain(value_type, n)
        out.backward()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del out, leaves
    return (after - before) / n


def backward_works(value_type: type, depth: int) -> bool:
    try:
        out, _ = build_chain(value_type, depth)
        out.backward()
        return True
    except RecursionError:
        return False


def deepest_chain(value_type: type, limit: int) -> int:
    """The longest chain (up to ``limit``) whose backward succeeds, with default settings."""
    if backward_works(value_type, limit):
        return limit
    low, high = 1, limit  # works at low, fails at high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if backward_works(value_type, mid) else (low, mid)
    return low


def check_same_gradients(n: int) -> None:
    """The engines and the float floor must agree, or the timings compare different work."""
    out, (w, b) = build_chain(autograd.Value, n)
    out.backward()
    dw, db, _ = float_chain(n)
    assert abs(w.grad - dw) <= 1e-9 * max(1.0, abs(dw)), (w.grad, dw)
    assert abs(b.grad - db) <= 1e-9 * max(1.0, abs(db)), (b.grad, db)
    _, (fw, fb) = build_and_backward(FloorValue, n)
    assert (fw.grad, fb.grad) == (w.grad, b.grad), ((fw.grad, fb.grad), (w.grad, b.grad))
    if micrograd is not None:
        _, (mw, _) = in_big_stack(lambda: build_and_backward(micrograd.Value, n))
        assert abs(mw.grad - w.grad) <= 1e-9 * max(1.0, abs(dw)), (mw.grad, w.grad)


def build_and_backward(value_type: type, n: int) -> tuple[Any, list[Any]]:
    out, leaves = build_chain(value_type, n)
    out.backward()
    return out, leaves


# -- the report ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="repeats per timing (best kept)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    args = parser.parse_args()
    n = 10_000 if args.quick else CHAIN
    repeats = args.repeats
    sizes = [1_000, 10_000] if args.quick else [10**3, 10**4, 10**5, 10**6]
    if micrograd is not None:
        give_micrograd_tanh_and_exp(micrograd.Value)

    # Everything of ours is measured first, then the peers. Measured after micrograd's
    # 100,000-node graphs have come and gone, the same code runs up to 1.7x slower here (its
    # freed graphs leave the heap scattered), so this order keeps the peers' leftovers out.
    ours_f, ours_b, ours_free = chain_times(autograd.Value, n, repeats)
    ours_mem = bytes_per_op(autograd.Value, n)
    ours_depth = deepest_chain(autograd.Value, 10 * n if not args.quick else n)
    rows: list[tuple[str, float, float, float, float, str]] = [
        ("autograd (ours)", ours_f, ours_b, ours_free, ours_mem, f"{ours_depth:,}+")
    ]
    with collector(False):
        f, b, free = chain_times(autograd.Value, n, repeats)
    rows.append(("autograd (ours), gc off", f, b, free, ours_mem, ""))
    # The reference point of floor_engine.py: the least a one-object-per-node engine can do.
    for gc_on in (True, False):
        with collector(gc_on):
            f, b, free = chain_times(FloorValue, n, repeats)
        name = "floor engine (floor_engine.py)" + ("" if gc_on else ", gc off")
        rows.append((name, f, b, free, bytes_per_op(FloorValue, n), ""))
    # About a million nodes of backward per size (2 runs at 1e6, 1,000 at 1e3), so that the
    # best of a small size is not one hiccup of a half-millisecond measurement.
    scaling = [
        (size, chain_times(autograd.Value, size, max(2, 10**6 // size))[1]) for size in sizes
    ]
    fit_rows = fit_demo.measure()
    step_works = (mlp_step.demo(), mlp_step.spirals())
    step_ours = [mlp_step.measure_ours(work, repeats) for work in step_works]
    for _ in range(WARM_UP_CALLS):  # as in chain_times: timed once specialized
        float_chain(100)
    floor = best_ns(lambda: float_chain(n), repeats) / n
    floor_row = ("plain floats, no graph", floor, 0.0, 0.0, 0.0, "")

    if micrograd is not None:
        mg = micrograd.Value
        depth = deepest_chain(mg, n)
        mem = in_big_stack(lambda: bytes_per_op(mg, n))
        f, b, free = in_big_stack(lambda: chain_times(mg, n, repeats))
        rows.append(("micrograd 0.1.0", f, b, free, mem, f"{depth:,}"))
        with collector(False):
            f, b, free = in_big_stack(lambda: chain_times(mg, n, repeats))
        rows.append(("micrograd 0.1.0, gc off", f, b, free, mem, ""))
    rows.append(floor_row)
    # Checked last, since they run micrograd too, but before anything is reported.
    check_same_gradients(n)
    # The training-step peers (micrograd and PyTorch) check their own gradients as they go.
    step_rows = [
        ours + mlp_step.measure_peers(work, repeats)
        for work, ours in zip(step_works, step_ours, strict=True)
    ]

    print(f"Python {sys.version.split()[0]}, chain of {n:,} operations, best of {repeats}\n")
    print_chain_table(rows, ours_f + ours_b)
    print()
    print_scaling(scaling)
    for work, rows in zip(step_works, step_rows, strict=True):
        print()
        mlp_step.print_table(work, rows)
    print()
    fit_demo.print_table(fit_rows)


def print_chain_table(rows: list, ours_total: float) -> None:
    print(
        "| engine | forward ns/op | backward ns/op | total ns/op | time vs ours "
        "| freeing ns/op | bytes/op |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, f, b, free, mem, _ in rows:
        total = f + b
        print(
            f"| {name} | {f:,.0f} | {b:,.0f} | {total:,.0f} | {total / ours_total:.1f}x "
            f"| {free:,.0f} | {mem:,.0f} |"
        )
    print()
    print("| engine | deepest chain that backward handles (default settings) |")
    print("|---|---:|")
    for name, *_, depth in rows:
        if depth:
            print(f"| {name} | {depth} |")


def print_scaling(scaling: list[tuple[int, float]]) -> None:
    print("| nodes | backward ns/node (ours) |")
    print("|---:|---:|")
    for size, per_node in scaling:
        print(f"| {size:,} | {per_node:,.0f} |")
    per_node = [b for _, b in scaling]
    print(f"\nlargest / smallest backward ns per node: {max(per_node) / min(per_node):.2f}")


if __name__ == "__main__":
    main()
