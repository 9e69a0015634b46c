"""The command line: ``python -m autograd draw EXPR``, an expression's graph drawn to a file.

Run ``python -m autograd draw --help`` for the whole story.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import textwrap
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from autograd.animation import SUFFIXES, animate
from autograd.backward import topological_order
from autograd.cli import ArgumentParser, refuse, run, whole_number_from
from autograd.draw import FORMATS, LEVELS, RANKDIRS, render
from autograd.explain import explain
from autograd.expression import ACCEPTED, Expression, parse
from autograd.files import check_writable
from autograd.value import Value

DRAW_DESCRIPTION = "\n\n".join(
    textwrap.fill(paragraph, width=88)
    for paragraph in (
        "Build EXPR from Values, run backward from its result, print each variable's value "
        "and gradient, and draw the graph to a file.",
        'EXPR is an arithmetic expression over named variables, such as "tanh(x1*w1 + x2*w2 '
        f'+ b)". Accepted: {ACCEPTED}. It is read by a parser that knows only this syntax and '
        "is never run as Python code: anything else (attribute access, subscripts, strings, "
        "lambdas, calls to other names, ...) is refused. Each variable becomes one Value "
        "labelled with its name; give each a value with --set.",
    )
)

DRAW_EPILOG = f"""\
The file's format comes from its suffix: {", ".join(FORMATS)}. .svg, .png and .pdf need
Graphviz's dot program; .dot and .gv are the DOT source and need nothing.

The forward drawing shows each Value's data and gradient; the backward drawing (--backward)
draws edges from each result to its inputs, labelled with the local derivative and the
gradient they carry, numbers the Values in the order the backward sweep visits them and
colours them by |grad| on a log scale.

Put EXPR before the options: --set takes every NAME=NUMBER that follows it. An EXPR may
start with a minus sign ("-x*y"); one that reads exactly as an option (-o) goes after --.

examples:
  python -m autograd draw "tanh(x1*w1 + x2*w2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88
  python -m autograd draw "x*x + 3*x" --set x=2 --backward -o x.png
  python -m autograd draw "leaky_relu(a*b, 0.2)" --set a=-1 --set b=3 --backward --step 2
  python -m autograd draw "x*y + x" --set x=3 y=-2 --explain
  python -m autograd draw "tanh(x1*w1 + x2*w2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88 \\
      --animate -o sweep.gif
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

ANIMATION_SUFFIXES = (*SUFFIXES, "")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    Bad input of any kind ends with one line on stderr and the exit status 2.

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
    parser, commands = _parsers()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in commands:
        argv = _expression_as_operand(argv, commands[argv[0]])
    args = parser.parse_args(argv)
    command = {"draw": _draw, "code": _code}[args.command]
    return command(args, commands[args.command])


def _built(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> tuple[Expression, Value, dict[str, Value]]:
    """EXPR parsed and built at the --set values, or a one-line refusal of what was wrong."""
    try:
        expression = parse(args.expr)
    except ValueError as err:
        refuse(parser, str(err))
    names = [name for name, _ in args.set]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        given = " and ".join(f"{name}={number:g}" for name, number in args.set if name == twice[0])
        refuse(parser, f"--set gives {twice[0]} more than one value ({given}); give each one")
    try:
        root, variables = expression.build(dict(args.set))
    except ValueError as err:
        message = str(err)
        if message.startswith("no value given"):
            message += "; give it with --set NAME=NUMBER"
        refuse(parser, message)
    return expression, root, variables


def _draw(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The draw command: everything is checked before anything is printed or written."""
    _, root, variables = _built(args, parser)
    suffixes = ANIMATION_SUFFIXES if args.animate else tuple(FORMATS)
    if args.output is not None and Path(args.output).suffix.lower() not in suffixes:
        refuse(
            parser,
            f"cannot tell the format of {args.output!r} from its suffix; "
            f"use one of {', '.join(s for s in suffixes if s)}"
            + (", or no suffix for a folder of .svg frames" if args.animate else ""),
        )
    if args.animate and args.step is not None:
        refuse(parser, "--animate shows every step; leave out --step")
    output = args.output
    if output is None and not args.explain:
        output = "sweep.html" if args.animate else "graph.svg"
    if output is not None:
        try:
            check_writable(output)
        except OSError as err:
            refuse(parser, str(err))
    order = topological_order(root)
    nodes = len(order) + sum(1 for v in order if not v.is_leaf)  # Values and operations
    if output is not None and args.level == "value" and nodes > args.max_nodes:
        refuse(
            parser,
            f"the graph has {nodes} nodes (Values and operations), more than --max-nodes "
            f"{args.max_nodes}; pass --max-nodes {nodes} to draw it anyway",
        )
    root.backward()
    _print_table(args.expr.strip(), root.data, variables)
    if not root.is_leaf and not root.label:
        root.label = args.expr.strip()  # the output's box says what it is (cut when long)
    if args.explain:
        print(explain(root))
        if output is None:
            return 0
    options = {
        "rankdir": args.rankdir,
        "max_nodes": args.max_nodes,
        "cluster": args.cluster,
        "level": args.level,
    }
    mode = "backward" if args.backward or args.step is not None or args.check else "forward"
    try:
        if args.animate:
            path = animate(root, check=args.check, **options).save(output)
            print(f"wrote {path} (backward sweep, {len(order) + 1} steps)")
            return 0
        if args.check:
            options["check"] = True
        path = render(root, output, mode, step=args.step, **options)
    except (ValueError, RuntimeError, OSError) as err:
        refuse(parser, " ".join(str(err).splitlines()))
    print(f"wrote {path} ({mode} graph)")
    return 0


def _code(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The code command: trace EXPR at the --set values and print the program its backend runs."""
    from autograd.trace import trace

    expression, _, variables = _built(args, parser)
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
        refuse(parser, " ".join(str(err).splitlines()))
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
    name = unicodedata.normalize("NFKC", name.strip())  # as Python, and the parser, read names
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, such as x=2.5; got {text!r}")
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the value of {name} must be a number, such as {name}=2.5; got {number!r}"
        ) from None
    return name, value


_positive = whole_number_from(1)
_step = whole_number_from(0)


def _expression_as_operand(argv: list[str], command: argparse.ArgumentParser) -> list[str]:
    """``argv`` with an expression such as ``-x*y`` moved after ``--``, where argparse takes it.

    argparse reads every argument that starts with ``-`` as an option; one that is no option
    of the command (not even with a value attached: ``-og.svg``) is the user's expression.
    """
    if "--" in argv:
        return argv
    options = set(command._option_string_actions)
    for i, arg in enumerate(argv[1:], start=1):
        is_option = arg[:2] in options or _LONG_OPTION.fullmatch(arg)  # --typo: argparse says
        if arg.startswith("-") and not is_option and not _NEGATIVE_NUMBER.fullmatch(arg):
            return [*argv[:i], *argv[i + 1 :], "--", arg]
    return argv


_LONG_OPTION = re.compile(r"--[A-Za-z][\w-]*(=.*)?", re.DOTALL)
_NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d*)?|-\.\d+")  # argparse's test: these are operands


def _add_expression(command: argparse.ArgumentParser, set_help: str) -> None:
    """The arguments every command takes: EXPR and its variables' values (--set)."""
    command.add_argument("expr", metavar="EXPR", help='the expression, e.g. "x*y + tanh(x)"')
    command.add_argument(
        "--set",
        metavar="NAME=NUMBER",
        type=_assignment,
        nargs="+",
        action="extend",
        default=[],
        help=set_help,
    )


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser of the whole command line, and that of each command by name."""
    parser = ArgumentParser(
        prog="python -m autograd",
        description="Command line tools of the autograd engine.",
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    draw = commands.add_parser(
        "draw",
        help="draw the forward or backward graph of an expression to a file",
        description=DRAW_DESCRIPTION,
        epilog=DRAW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    _add_expression(draw, "give variables their values; takes one or more and may be repeated")
    draw.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the file to write, its format taken from its suffix (default: graph.svg, "
        "or no file with --explain)",
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
        "--explain",
        action="store_true",
        help="print the backward sweep step by step: each rule and its numbers (writes a "
        "drawing too when -o is given)",
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
    draw.add_argument(
        "--level",
        choices=LEVELS,
        default="value",
        help="draw every Value, or each nn neuron or layer as one box (default: value)",
    )
    draw.add_argument(
        "--check",
        action="store_true",
        help="mark each variable whose gradient disagrees with a central finite difference "
        "(implies --backward)",
    )
    draw.add_argument(
        "--animate",
        action="store_true",
        help="write the backward sweep step by step: an HTML player (.html), a .gif, or a "
        "folder of .svg frames (no suffix); default -o sweep.html",
    )

    code = commands.add_parser(
        "code",
        help="print the straight-line program that trace() generates for an expression",
        description=CODE_DESCRIPTION,
        epilog=CODE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    _add_expression(code, "give variables their values (the example the trace runs on)")
    code.add_argument(
        "--backend",
        choices=("python", "numpy", "fused", "torch"),
        default="python",
        help="python: straight-line code over floats, one statement per node, forward then "
        "backward (default); numpy: one NumPy operation per node over a batch; fused: "
        "layers grouped into matrix products; torch: the fused program for PyTorch "
        "(needs torch installed)",
    )
    return parser, {"draw": draw, "code": code}


if __name__ == "__main__":
    run(main)
