"""The command line: ``python -m autograd draw EXPR``, an expression's graph drawn to a file.

Run ``python -m autograd draw --help`` for the whole story.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from autograd.draw import FORMATS, RANKDIRS, render
from autograd.expression import ACCEPTED, parse
from autograd.value import Value

DRAW_DESCRIPTION = "\n\n".join(
    textwrap.fill(paragraph, width=88)
    for paragraph in (
        "Build EXPR from Values, run backward from its result, print each variable's value "
        "and gradient, and draw the graph to a file.",
        'EXPR is an arithmetic expression over named variables, such as "tanh(x1*w1 + x2*w2 '
        f"+ b)\". Accepted: {ACCEPTED}. It is parsed with Python's ast module and never run as "
        "Python code: anything else (attribute access, subscripts, strings, lambdas, calls to "
        "other names, ...) is refused. Each variable becomes one Value labelled with its name; "
        "give each a value with --set.",
    )
)

DRAW_EPILOG = f"""\
The file's format comes from its suffix: {", ".join(FORMATS)}. .svg, .png and .pdf need
Graphviz's dot program; .dot and .gv are the DOT source and need nothing.

The forward drawing shows each Value's data and gradient; the backward drawing (--backward)
draws edges from each result to its inputs, labelled with the local derivative and the
gradient they carry, numbers the Values in the order the backward sweep visits them and
colours them by |grad| on a log scale.

Put EXPR before the options: --set takes every NAME=NUMBER that follows it. An EXPR that
starts with a minus sign goes last, after --: draw --set x=1 y=2 -- "-x*y".

examples:
  python -m autograd draw "tanh(x1*w1 + x2*w2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88
  python -m autograd draw "x*x + 3*x" --set x=2 --backward -o x.png
  python -m autograd draw "leaky_relu(a*b, 0.2)" --set a=-1 --set b=3 --backward --step 2
"""


CODE_DESCRIPTION = "\n\n".join(
    textwrap.fill(paragraph, width=88)
    for paragraph in (
        "Trace EXPR at the --set values, as autograd.trace does, and print the program it "
        "generates: the forward pass one statement per operation, then the backward pass one "
        "statement per edge, gradients named g_ after their variables. Each argument of the "
        "program is a variable of EXPR, in the order they first appear.",
        f"EXPR is read as draw reads it. Accepted: {ACCEPTED}.",
    )
)

CODE_EPILOG = """\
examples:
  python -m autograd code "tanh(x1*w1 + x2*w2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88
  python -m autograd code "x*x + 3*x" --set x=2 --backend numpy
  python -m autograd code "tanh(x*w + b)" --set x=1 w=2 b=0 --backend torch
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     main(["draw", "x*y + x", "--set", "x=3", "y=-2", "-o", f"{folder}/g.dot"])
    ...     # doctest: +ELLIPSIS
    x*y + x = -3.0
    variable  value  grad
    x         3.0    -1.0
    y         -2.0   3.0
    wrote .../g.dot (forward graph)
    0
    """
    parser, draw_parser = _parsers()
    args = parser.parse_args(argv)
    if args.command == "code":
        return _print_code(args)
    try:
        expression = parse(args.expr)
        root, variables = expression.build(dict(args.set))
    except ValueError as err:
        message = str(err)
        if message.startswith("no value given"):
            message += "; give it with --set NAME=NUMBER"
        draw_parser.error(message)
    if Path(args.output).suffix.lower() not in FORMATS:
        draw_parser.error(
            f"cannot tell the format of {args.output!r} from its suffix; "
            f"use one of {', '.join(FORMATS)}"
        )
    root.backward()
    _print_table(args.expr.strip(), root.data, variables)
    mode = "backward" if args.backward or args.step is not None else "forward"
    try:
        path = render(
            root,
            args.output,
            mode,
            rankdir=args.rankdir,
            max_nodes=args.max_nodes,
            step=args.step,
            cluster=args.cluster,
        )
    except (ValueError, RuntimeError, OSError) as err:
        print(f"{draw_parser.prog}: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({mode} graph)")
    return 0


def _print_code(args: argparse.Namespace) -> int:
    """``code``: trace EXPR at the --set values and print the program its backend runs."""
    from autograd.trace import trace

    try:
        expression = parse(args.expr)
        _, variables = expression.build(dict(args.set))
    except ValueError as err:
        message = str(err)
        if message.startswith("no value given"):
            message += "; give it with --set NAME=NUMBER"
        args.command_parser.error(message)
    example = [v.data for v in variables.values()]

    def expression_of(*values: Value) -> Value:
        return expression(*values)

    # trace names the program's arguments after the function's parameters: the variables
    expression_of.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in variables]
    )
    try:
        program = trace(expression_of, *example, backend=args.backend)
    except ImportError as err:  # the torch backend without PyTorch installed
        args.command_parser.error(str(err))
    print(program.source, end="")
    return 0


def _print_table(text: str, result: float, variables: dict[str, Value]) -> None:
    """The result, then one line per variable: its name, value and gradient, in full precision."""
    print(f"{text} = {result!r}")
    if not variables:
        return
    rows = [("variable", "value", "grad")]
    rows += [(name, repr(v.data), repr(v.grad)) for name, v in variables.items()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _assignment(text: str) -> tuple[str, float]:
    """``NAME=NUMBER`` from the command line as ``(name, number)``."""
    name, equals, number = text.partition("=")
    name = name.strip()
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, such as x=2.5; got {text!r}")
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the value of {name} must be a number, such as {name}=2.5; got {number!r}"
        ) from None
    return name, value


def _whole_number_from(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {minimum} or more, got {value}")
        return value

    return parse


_positive = _whole_number_from(1)
_step = _whole_number_from(0)


def _parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The parser of the whole command line, and that of its ``draw`` command."""
    parser = argparse.ArgumentParser(
        prog="python -m autograd",
        description="Command line tools of the autograd engine.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    draw = commands.add_parser(
        "draw",
        help="draw the forward or backward graph of an expression to a file",
        description=DRAW_DESCRIPTION,
        epilog=DRAW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    draw.add_argument("expr", metavar="EXPR", help='the expression, e.g. "x*y + tanh(x)"')
    draw.add_argument(
        "--set",
        metavar="NAME=NUMBER",
        type=_assignment,
        nargs="+",
        action="extend",
        default=[],
        help="give variables their values; takes one or more and may be repeated",
    )
    draw.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="graph.svg",
        help="the file to write, its format taken from its suffix (default: graph.svg)",
    )
    draw.add_argument(
        "--backward",
        action="store_true",
        help="draw the backward pass: gradients flowing from the result to the variables",
    )
    draw.add_argument(
        "--step",
        metavar="K",
        type=_step,
        help="draw the backward sweep after its first K nodes (implies --backward; "
        "0 shows only the seeded result)",
    )
    draw.add_argument(
        "--rankdir",
        choices=RANKDIRS,
        default="LR",
        help="the direction edges point: left to right, right to left, top to bottom, "
        "bottom to top (default: LR)",
    )
    draw.add_argument(
        "--max-nodes",
        metavar="N",
        type=_positive,
        default=500,
        help="refuse to draw graphs of more than N nodes, Values and operations alike "
        "(default: 500)",
    )
    draw.add_argument(
        "--cluster",
        action="store_true",
        help="group nn neurons and layers into boxes, read from parameter labels",
    )
    code = commands.add_parser(
        "code",
        help="print the straight-line program that trace() generates for an expression",
        description=CODE_DESCRIPTION,
        epilog=CODE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    code.set_defaults(command_parser=code)
    code.add_argument("expr", metavar="EXPR", help='the expression, e.g. "x*y + tanh(x)"')
    code.add_argument(
        "--set",
        metavar="NAME=NUMBER",
        type=_assignment,
        nargs="+",
        action="extend",
        default=[],
        help="give variables their values (the example the trace runs on)",
    )
    code.add_argument(
        "--backend",
        choices=("python", "numpy", "fused", "torch"),
        default="python",
        help="python: straight-line code over floats, one statement per node, forward then "
        "backward (default); numpy: one NumPy operation per node over a batch; fused: "
        "layers grouped into matrix products; torch: the fused program for PyTorch "
        "(needs torch installed)",
    )
    return parser, draw


if __name__ == "__main__":
    sys.exit(main())
