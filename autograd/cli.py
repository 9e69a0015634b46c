"""What the command lines (``python -m autograd``, ``python -m nn``) share: one-line refusals.

Bad input ends a command with exit status 2 and one line on stderr that says what was wrong,
argparse's own errors included (argparse would print its usage block first), never a traceback.
Nor do the ordinary ways a program is cut short: output piped into ``head``, or Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, with each error on one line and a pointer to ``--help``.

    >>> parser = ArgumentParser(prog="demo")
    >>> _ = parser.add_argument("--n", type=int)
    >>> parser.parse_args(["--n", "x"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """

    def error(self, message: str) -> NoReturn:
        refuse(self, f"{message} (see {self.prog} --help)")


def refuse(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """End the program as argparse does for bad input: exit status 2, one line on stderr."""
    parser.exit(2, f"{parser.prog}: error: {' '.join(message.splitlines())}\n")


def whole_number_from(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``minimum``.

    >>> whole_number_from(1)("3")
    3
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {minimum} or more, got {value}")
        return value

    return parse


def run(main: Callable[[], int]) -> NoReturn:
    """Exit with ``main()``'s status; a closed pipe or Ctrl-C ends quietly, as Unix tools do."""
    try:
        status = main()
        sys.stdout.flush()  # a closed pipe shows here, not at exit where it could not be caught
    except BrokenPipeError:
        # Python would try to flush stdout again at exit: point it at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)  # 128 + SIGINT, what a shell reports
    sys.exit(status)
