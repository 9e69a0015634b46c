"""How long Graphviz takes to render drawings near the node limit, and how large they come out.

Run with ``.venv/bin/python benchmarks/draw_sizes.py``. For each graph (a long flat sum, the
worst case for width; a 2-16-16-1 MLP's loss) and each format, it renders the backward drawing
once and prints the wall time, the file size and the image's size in pixels (PNG) or points
(SVG, PDF). The numbers chose ``draw``'s default ``max_nodes`` and ``size``; they are noisy on
a shared machine, so compare rows of one run.
"""

from __future__ import annotations

import argparse
import re
import struct
import tempfile
import time
from pathlib import Path

import nn
from autograd import Value, render, topological_order


def flat_sum(terms: int, reused: bool) -> Value:
    """x0 + x1 + ... (a long chain), or x + x + ... + x (one Value with ``terms`` uses)."""
    xs = [Value(1.0, label="x" if reused else f"x{i}") for i in range(1 if reused else terms)]
    total = xs[0]
    for i in range(1, terms):
        total = total + xs[0 if reused else i]
    return total


def mlp_loss() -> Value:
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    return (model([0.5, -1.0]) - 1.0) ** 2


def nodes(root: Value) -> int:
    order = topological_order(root)
    return len(order) + sum(not v.is_leaf for v in order)


def dimensions(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".png":
        width, height = struct.unpack(">II", data[16:24])
        return f"{width} x {height} px"
    if path.suffix == ".svg":
        match = re.search(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"', data)
        return f"{float(match[1]):.0f} x {float(match[2]):.0f} pt"
    match = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    return f"{float(match[1]):.0f} x {float(match[2]):.0f} pt" if match else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terms", type=int, nargs="+", default=[125, 250])
    parser.add_argument("--formats", nargs="+", default=["svg", "png", "pdf"])
    args = parser.parse_args()
    graphs = [(f"x0 + ... + x{n - 1}", flat_sum(n, False)) for n in args.terms]
    graphs += [(f"x + ... + x, {n} terms", flat_sum(n, True)) for n in args.terms]
    graphs.append(("2-16-16-1 MLP loss", mlp_loss()))
    print(f"{'graph':<22} {'nodes':>5}  {'format':<6} {'seconds':>7}  {'bytes':>9}  size")
    with tempfile.TemporaryDirectory() as folder:
        for name, root in graphs:
            count = nodes(root)
            for fmt in args.formats:
                path = Path(folder) / f"g.{fmt}"
                start = time.perf_counter()
                render(root, path, "backward", max_nodes=max(count, 1))
                seconds = time.perf_counter() - start
                size = path.stat().st_size
                print(
                    f"{name:<22} {count:>5}  {fmt:<6} {seconds:>7.2f}  {size:>9}  "
                    f"{dimensions(path)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
