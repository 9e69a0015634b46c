"""The command line: ``python -m nn train`` trains an MLP on a toy data set and writes its plots.

With no options it reproduces micrograd's demo: 100 noisy moons, a 2-16-16-1 relu MLP, the
max-margin (hinge) loss plus 1e-4 times the L2 penalty, and 100 full-batch SGD steps with the
learning rate falling linearly from 1.0 to 0.1. It also scores the model on 100 more samples
drawn with another seed, and writes to ``out/``: ``model.json``, ``loss.png``,
``decision_boundary.png``, ``gradient_flow.png`` and, where ``autograd.draw`` is available,
``neuron_forward.svg`` and ``neuron_backward.svg`` (one neuron on one sample).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autograd import TraceError, Value, linear
from nn import datasets
from nn.compiled import COMPILE_CHOICES
from nn.functional import cross_entropy, hinge_loss
from nn.io import save
from nn.layers import ACTIVATIONS, MLP
from nn.optim import SGD, Adam, Optimizer
from nn.schedulers import LinearLR
from nn.train import History, TrainingDivergedError, fit

DATASETS: dict[str, Callable[..., tuple[list[list[float]], list[int]]]] = {
    "moons": lambda n, seed: datasets.make_moons(n, noise=0.1, seed=seed),
    "circles": lambda n, seed: datasets.make_circles(n, noise=0.05, factor=0.5, seed=seed),
    "spirals": lambda n, seed: datasets.make_spirals(n, n_classes=3, noise=0.2, seed=seed),
    "xor": lambda n, seed: datasets.make_xor(n, noise=0.05, seed=seed),
}
# micrograd's demo: SGD from 1.0, decaying linearly to 0.1 over the run. Adam needs less.
DEFAULT_LR = {"sgd": 1.0, "adam": 0.05}
L2 = 1e-4


def _hidden_sizes(text: str) -> list[int]:
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes separated by commas, such as 16,16; got {text!r}"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be at least 1, got {text!r}")
    return sizes


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            x = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not x > 0 or x == float("inf"):
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return x

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m nn`` argument parser."""
    parser = argparse.ArgumentParser(prog="python -m nn", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train",
        help="train an MLP on a toy data set and write the model and its plots",
        description="Train an MLP on a 2-D toy data set; the defaults are micrograd's demo.",
    )
    train.add_argument("--dataset", choices=sorted(DATASETS), default="moons")
    train.add_argument("--hidden", type=_hidden_sizes, default=[16, 16], metavar="SIZES",
                       help="hidden layer sizes, comma separated (default: 16,16)")  # fmt: skip
    activations = [name for name in ACTIVATIONS if name not in (None, "linear")]
    train.add_argument("--activation", choices=activations, default="relu")
    train.add_argument("--optimizer", choices=sorted(DEFAULT_LR), default="sgd")
    train.add_argument("--lr", type=_positive(float), default=None,
                       help="starting learning rate (default: 1.0 for sgd, 0.05 for adam); "
                            "it decays linearly to a tenth over the run")  # fmt: skip
    train.add_argument("--epochs", type=_positive(int), default=100)
    train.add_argument("--samples", type=_positive(int), default=100,
                       help="training samples; as many again are drawn for validation")  # fmt: skip
    train.add_argument("--batch-size", type=_positive(int), default=None,
                       help="samples per step (default: all, as micrograd does)")  # fmt: skip
    train.add_argument("--seed", type=int, default=1337)
    train.add_argument("--out", type=Path, default=Path("out"), metavar="DIR")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.add_argument("--compile", choices=COMPILE_CHOICES, default="auto",
                       help="train with the loss compiled by autograd.trace on this backend; "
                            "auto picks the fastest and falls back to the dynamic engine "
                            "(off) with a warning where it cannot (default: auto)")  # fmt: skip
    return parser


def train(args: argparse.Namespace) -> int:
    """Run the ``train`` command; returns the exit status."""
    started = time.perf_counter()
    X, y = DATASETS[args.dataset](args.samples, args.seed)
    X_val, y_val = DATASETS[args.dataset](args.samples, args.seed + 1)
    n_classes = max(y) + 1
    if n_classes == 2:
        # The max-margin loss wants targets -1 and +1 and one score per sample.
        loss, outputs = hinge_loss, 1
        y, y_val = [2 * t - 1 for t in y], [2 * t - 1 for t in y_val]
    else:
        loss, outputs = cross_entropy, n_classes
    model = MLP(2, [*args.hidden, outputs], args.activation, seed=args.seed)
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    optimizer: Optimizer = (SGD if args.optimizer == "sgd" else Adam)(model.parameters(), lr=lr)
    scheduler = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=args.epochs)
    print(f"data: {args.dataset}, {len(X)} training and {len(X_val)} validation samples")
    print(
        f"model: {model}, {len(model.parameters())} parameters; {args.optimizer} lr {lr:g} "
        f"decaying to {lr / 10:g}, {loss.__name__} + {L2:g} * l2_penalty, {args.epochs} epochs, "
        f"compile {args.compile}"
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            history = fit(
                model, X, y, loss=loss, optimizer=optimizer, epochs=args.epochs,
                batch_size=args.batch_size, validation=(X_val, y_val), l2=L2,
                scheduler=scheduler, seed=args.seed, progress=not args.no_progress,
                compile=args.compile,
            )  # fmt: skip
    except (TrainingDivergedError, TraceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for warning in caught:  # fit's fallback to the dynamic engine, said in one line
        print(f"note: {warning.message}", file=sys.stderr)
    trained = time.perf_counter() - started
    print(
        f"final: loss {history.loss[-1]:.4f}, train accuracy {history.accuracy[-1]:.1%}, "
        f"validation accuracy {history.val_accuracy[-1]:.1%} ({trained:.1f} s)"
    )
    written = write_outputs(model, history, X, y, args.out)
    print("wrote " + ", ".join(str(path) for path in written))
    return 0


def write_outputs(
    model: MLP, history: History, X: Sequence[Sequence[float]], y: Sequence[int], out: Path
) -> list[Path]:
    """Save the model, the three plots and, if drawing is available, one neuron's graphs."""
    from nn import plot

    out.mkdir(parents=True, exist_ok=True)
    written = [save(model, out / "model.json")]
    figures = {
        "loss.png": plot.plot_history(history),
        "decision_boundary.png": plot.plot_decision_boundary(model, X, y),
        "gradient_flow.png": plot.plot_grad_norms(history),
    }
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=110)
        written.append(out / name)
    written.extend(draw_neuron(model, X, out))
    return written


def draw_neuron(model: MLP, X: Sequence[Sequence[float]], out: Path) -> list[Path]:
    """Draw one first-layer neuron on one sample, forward and backward, as SVG.

    The pair is the first (in data order, then neuron order) whose weighted sum is positive,
    so that a relu passes the gradient on and the backward drawing has something to show.
    Returns the paths written: none when ``autograd.draw`` (or Graphviz's ``dot``) is missing.
    """
    try:
        from autograd.draw import render
    except ImportError:
        return []
    neurons = model.layers[0].neurons
    pairs = [(n, x) for x in X for n in neurons]
    neuron, sample = next(
        ((n, x) for n, x in pairs if linear(n.w, x, n.b).data > 0), (neurons[0], X[0])
    )
    inputs = [Value(x, label=f"x.{i}") for i, x in enumerate(sample)]
    weighted = linear(neuron.w, inputs, neuron.b)
    weighted.label = "w.x + b"
    output = weighted if neuron._act is None else neuron._act(weighted)
    output.label = "out"
    model.zero_grad()
    output.backward()
    try:
        paths = [
            Path(render(output, out / "neuron_forward.svg", mode="forward")),
            Path(render(output, out / "neuron_backward.svg", mode="backward")),
        ]
    except Exception as error:  # a missing `dot` program must not lose the training results
        print(f"note: could not draw the neuron's graph: {error}", file=sys.stderr)
        paths = []
    model.zero_grad()
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command."""
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return train(args)
    return 2  # argparse has already rejected any other command


if __name__ == "__main__":
    sys.exit(main())
