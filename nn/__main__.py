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
import io
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from autograd import TraceError, Value, linear
from autograd.cli import ArgumentParser, refuse, run, whole_number_from
from autograd.files import check_writable, write_atomically
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
CLASSES = {"moons": 2, "circles": 2, "spirals": 3, "xor": 2}
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


def _positive_number(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < x < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return x


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m nn`` argument parser."""
    parser = ArgumentParser(
        prog="python -m nn",
        description="Train small MLPs from the command line: python -m nn train --help.",
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train = commands.add_parser(
        "train",
        help="train an MLP on a toy data set and write the model and its plots",
        description="Train an MLP on a 2-D toy data set; the defaults are micrograd's demo.",
        allow_abbrev=False,
    )
    train.add_argument("--dataset", choices=sorted(DATASETS), default="moons",
                       help="the toy data set (default: moons)")  # fmt: skip
    train.add_argument("--hidden", type=_hidden_sizes, default=[16, 16], metavar="SIZES",
                       help="hidden layer sizes, comma separated (default: 16,16)")  # fmt: skip
    activations = [name for name in ACTIVATIONS if name not in (None, "linear")]
    train.add_argument("--activation", choices=activations, default="relu",
                       help="the hidden layers' activation (default: relu)")  # fmt: skip
    train.add_argument("--optimizer", choices=sorted(DEFAULT_LR), default="sgd",
                       help="the optimizer (default: sgd)")  # fmt: skip
    train.add_argument("--lr", type=_positive_number, default=None,
                       help="starting learning rate (default: 1.0 for sgd, 0.05 for adam); "
                            "it decays linearly to a tenth over the run")  # fmt: skip
    train.add_argument("--epochs", type=whole_number_from(1), default=100, metavar="N",
                       help="passes over the training data (default: 100)")  # fmt: skip
    train.add_argument("--samples", type=whole_number_from(1), default=100, metavar="N",
                       help="training samples; as many again are drawn for validation "
                            "(default: 100)")  # fmt: skip
    train.add_argument("--batch-size", type=whole_number_from(1), default=None, metavar="N",
                       help="samples per step (default: all, as micrograd does)")  # fmt: skip
    train.add_argument("--seed", type=_whole_number, default=1337,
                       help="seeds data, weights and order (default: 1337)")  # fmt: skip
    train.add_argument("--out", type=Path, default=Path("out"), metavar="DIR",
                       help="the folder to write the model and plots to, made if missing "
                            "(default: out)")  # fmt: skip
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.add_argument("--compile", choices=COMPILE_CHOICES, default="auto",
                       help="train with the loss compiled by autograd.trace on this backend; "
                            "auto picks the fastest and falls back to the dynamic engine "
                            "(off) with a warning where it cannot (default: auto)")  # fmt: skip
    train.set_defaults(command_parser=train)  # its errors begin "python -m nn train: error:"
    return parser


# What train writes into --out (the neuron drawings only where Graphviz is installed).
OUTPUTS = ("model.json", "loss.png", "decision_boundary.png", "gradient_flow.png",
           "neuron_forward.svg", "neuron_backward.svg")  # fmt: skip


def check_out(out: Path) -> None:
    """Make the ``--out`` folder if missing and check that every output can be written there.

    Raises ``OSError`` saying why not, before any training time is spent.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(f"--out {str(out)!r} is a file, not a folder") from None
    except OSError as error:
        raise OSError(f"--out {str(out)!r}: cannot make the folder ({error.strerror})") from None
    for name in OUTPUTS:
        check_writable(out / name)
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise OSError(f"--out {str(out)!r}: cannot write there ({error.strerror})") from None


def train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``train`` command; returns the exit status."""
    started = time.perf_counter()
    try:
        X, y = DATASETS[args.dataset](args.samples, args.seed)
        X_val, y_val = DATASETS[args.dataset](args.samples, args.seed + 1)
    except ValueError as error:  # too few samples for the data set
        refuse(parser, f"--samples {args.samples}: {error}")
    try:
        check_out(args.out)
    except OSError as error:
        refuse(parser, str(error))
    n_classes = CLASSES[args.dataset]  # not max(y) + 1: a few samples may miss a class
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
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    for warning in caught:  # fit's fallback to the dynamic engine, said in one line
        print(f"note: {warning.message}", file=sys.stderr)
    trained = time.perf_counter() - started
    print(
        f"final: loss {history.loss[-1]:.4f}, train accuracy {history.accuracy[-1]:.1%}, "
        f"validation accuracy {history.val_accuracy[-1]:.1%} ({trained:.1f} s)"
    )
    try:
        written = write_outputs(model, history, X, y, args.out)
    except OSError as error:  # the folder changed under us since it was checked
        print(f"{parser.prog}: error: could not write the results: {error}", file=sys.stderr)
        return 1
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
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=110)
        written.append(write_atomically(out / name, png.getvalue()))
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
    """Parse the command line and run the command; bad input exits 2 with one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return train(args, args.command_parser)


if __name__ == "__main__":
    run(main)
