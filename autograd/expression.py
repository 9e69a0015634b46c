"""Arithmetic expressions over named variables, read safely from text and built from Values.

The text is read by a small parser of our own that knows only what is accepted: numbers
(Python's literals), variable names, ``+ - * / **``, unary ``-`` and ``+``, parentheses and calls
to the functions in ``FUNCTIONS``, with Python's precedence. It works with explicit stacks, so a
sum of 100,000 terms or 10,000 nested parentheses is read as easily as ``x + 1`` (Python's own
parser gives up on both), and it builds the tree that ``ast.parse`` builds. Any whitespace,
line breaks included, separates tokens.

Anything else (attribute access, subscripts, strings, lambdas, calls to other names,
comparisons, ...) is refused with a ``ValueError`` naming what was found: to name it, the text
is handed to ``ast.parse``, which only reads it. Nothing is ever passed to ``eval`` or ``exec``:
the checked tree is walked, and each node becomes the matching operation on Values (or on plain
numbers, where no variable is involved, so that ``2 * 3 * x`` folds to one operation ``6 * x``
as ``Value`` folds numbers).
"""

from __future__ import annotations

import ast
import keyword
import numbers
import operator
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import ops
from autograd.value import Value

# name -> (fewest, most) arguments; leaky_relu's optional second argument is its slope.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "exp": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
    "tanh": (1, 1),
    "sigmoid": (1, 1),
    "relu": (1, 1),
    "leaky_relu": (1, 2),
    "abs": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
}
DEFAULT_SLOPE = 0.01  # Value.leaky_relu's default
ACCEPTED = (
    "numbers, variable names, + - * / **, unary - and +, parentheses and the functions "
    + ", ".join(FUNCTIONS)
    + " (leaky_relu(x, slope) takes a number as its slope)"
)

_ACCEPTED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Call,
    ast.Name,
    ast.Constant,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.UAdd,
    ast.USub,
)
_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
    ast.Not: "not",
}

_SYNTAX_NAMES = {
    ast.IfExp: "a conditional expression (if/else)",
    ast.NamedExpr: "an assignment expression :=",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.JoinedStr: "an f-string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}


def _div(a: Any, b: Any) -> Any:
    return ops.div(a, b) if type(a) is type(b) is float else a / b


def _pow(a: Any, b: Any) -> Any:
    return ops.power(a, b) if type(a) is type(b) is float else a**b


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: _div,
    ast.Pow: _pow,
}


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its ``ast`` tree and its variable names in order."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]

    def build(self, values: Mapping[str, numbers.Real]) -> tuple[Value, dict[str, Value]]:
        """The expression made of Values: its result and the Value of each variable, by name.

        Each variable is one Value labelled with its name, however often it appears. Every
        variable needs a value, and every value a variable: either mistake is a ``ValueError``
        naming the culprits.

        >>> out, variables = parse("x * y + x").build({"x": 2.0, "y": 5.0})
        >>> out.data, variables["x"].label, out.inputs[1] is variables["x"]
        (12.0, 'x', True)
        """
        if not isinstance(values, Mapping):
            raise TypeError(f"values must be a mapping of names to numbers, got {values!r}")
        missing = [name for name in self.names if name not in values]
        if missing:
            raise ValueError(f"no value given for {_plural('variable', missing)}")
        unknown = [str(name) for name in values if name not in self.names]
        if unknown:
            its = f"its variables: {', '.join(self.names)}" if self.names else "it has none"
            raise ValueError(
                f"a value is given for {_plural('variable', unknown)}, but the expression has "
                f"no such variable ({its})"
            )
        variables = {name: Value(values[name], label=name) for name in self.names}
        return _apply_to(self, tuple(variables.values())), variables

    def __call__(self, *values: Value | numbers.Real) -> Value:
        """The expression of the given Values, one for each of ``names``, in that order.

        >>> parse("x * y + x")(Value(2.0), Value(5.0)).data
        12.0
        """
        if len(values) != len(self.names):
            raise TypeError(f"{self.text!r} takes {len(self.names)} values, got {len(values)}")
        return _apply_to(self, values)


def _apply_to(expression: Expression, values: tuple) -> Value:
    result = _evaluate(expression.tree.body, dict(zip(expression.names, values, strict=True)))
    return result if isinstance(result, Value) else Value(result)


def parse(text: str) -> Expression:
    """Parse and check ``text``; refuse, with a ``ValueError`` saying why, what is not accepted.

    >>> parse("tanh(x1*w1 + x2*w2 + b)").names
    ('x1', 'w1', 'x2', 'w2', 'b')
    >>> parse("x.real")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: attribute access '.real' is not accepted (at column 1); use numbers, ...
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression must be a str, got {type(text).__name__}")
    try:
        body, names = _Parser(text).parse()
    except _NotAccepted as refusal:
        # Our parser knows only the accepted syntax; Python's knows all of it, and so can
        # name what was written instead (a subscript, a comparison, ...).
        raise ValueError(_explain(text) or str(refusal)) from None
    for node in ast.walk(body):  # breadth first: the outermost offence is the one reported
        _check(node, source=lambda name: name.id, column=lambda node: node.col_offset)
    return Expression(text, ast.Expression(body), names)


class _NotAccepted(Exception):
    """Raised by _Parser at the first token that the accepted syntax does not allow."""


# The tokens of the accepted syntax, spelled as in Python. A number may not run straight into
# a name or a dot (2x, 2j, 1.real): the lookahead sends such text to the refusal path.
_DIGITS = r"\d(?:_?\d)*"
_NUMBER = re.compile(
    rf"""(?:
        0[xX](?:_?[0-9a-fA-F])+ | 0[oO](?:_?[0-7])+ | 0[bB](?:_?[01])+
      | (?P<float>(?:{_DIGITS})?\.{_DIGITS}(?:[eE][+-]?{_DIGITS})?
      | {_DIGITS}\.(?:[eE][+-]?{_DIGITS})? | {_DIGITS}[eE][+-]?{_DIGITS})
      | [1-9](?:_?\d)* | 0(?:_?0)*
    )(?![\w.])""",
    re.VERBOSE,
)
_OPERATOR = re.compile(r"\*\*|[-+*/(),]")
_SPACE = re.compile(r"\s+")
_CALL_OPEN = re.compile(r"\s*\(")
# Binary operators by precedence; ** groups to the right (2**3**2 is 2**9).
_BINARY_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_UNARY_PRECEDENCE = 3  # between: -x**2 is -(x**2), while -x*y is (-x)*y
_AST_OPERATORS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow}


class _Parser:
    """Operator precedence parsing (Dijkstra's shunting yard) into ``ast`` nodes, no recursion.

    Operands go on ``output``; operators, open parentheses and open calls wait on ``pending``
    until an operator that binds less tightly, a closing parenthesis or the end of the text
    settles their operands.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.output: list[ast.expr] = []
        self.pending: list[tuple[str, Any, int]] = []  # (kind, token or call, column)
        self.names: dict[str, None] = {}  # the variables, in the order they first appear

    def parse(self) -> tuple[ast.expr, tuple[str, ...]]:
        expect_operand, previous = True, ""
        for kind, token, column in self._tokens():
            if expect_operand:
                if kind == "number":
                    self.output.append(_at(ast.Constant(value=token), column))
                    expect_operand = False
                elif kind == "name":
                    self.names.setdefault(token)
                    self.output.append(_at(ast.Name(id=token, ctx=ast.Load()), column))
                    expect_operand = False
                elif kind == "call":
                    self.pending.append(("call", (token, len(self.output)), column))
                elif token in ("+", "-"):
                    self.pending.append(("unary", token, column))
                elif token == "(":
                    self.pending.append(("(", token, column))
                elif token == ")" and self._ends_call_without_operand(previous):
                    self._close(column)  # exp() (refused later for its count) or f(x,)
                    expect_operand = False
                else:
                    self._unexpected(token, column, "a number, a name or '('")
            elif token in _BINARY_PRECEDENCE:
                self._apply_pending(_BINARY_PRECEDENCE[token], groups_right=token == "**")
                self.pending.append(("binary", token, column))
                expect_operand = True
            elif token == ")":
                self._close(column)
            elif token == "," and self._inside_call():
                expect_operand = True
            else:
                self._unexpected(token, column, "an operator, ')' or the end")
            previous = token if kind == "operator" else kind
        if expect_operand:
            self._unexpected("", len(self.text), "a number, a name or '('")
        self._apply_pending(0)
        if self.pending:
            column = self.pending[-1][2]
            raise _NotAccepted(self._invalid(f"'(' at column {column + 1} is never closed"))
        return self.output[0], tuple(self.names)

    def _tokens(self) -> Iterator[tuple[str, Any, int]]:
        """(kind, token, column) for each token: a number, name, call (``name(``) or operator."""
        text, position = self.text, 0
        while position < len(text):
            if space := _SPACE.match(text, position):
                position = space.end()
            elif number := _NUMBER.match(text, position):
                yield "number", _number(number), position
                position = number.end()
            elif text[position].isidentifier():
                end = position + 1
                while end < len(text) and ("_" + text[end]).isidentifier():
                    end += 1
                name = unicodedata.normalize("NFKC", text[position:end])  # as Python reads it
                if keyword.iskeyword(name):
                    raise _NotAccepted(_refusal(f"the keyword {name!r}", position))
                if name in FUNCTIONS and not _CALL_OPEN.match(text, end):
                    raise _NotAccepted(
                        _refusal(f"the function name {name!r} used as a variable", position)
                    )
                if call := _CALL_OPEN.match(text, end):
                    yield "call", name, position
                    position = call.end()
                else:
                    yield "name", name, position
                    position = end
            elif operator_ := _OPERATOR.match(text, position):
                yield "operator", operator_.group(), position
                position = operator_.end()
            else:
                raise _NotAccepted(_refusal(_shorten(repr(text[position])), position))

    def _ends_call_without_operand(self, previous: str) -> bool:
        return bool(self.pending) and self.pending[-1][0] == "call" and previous in ("call", ",")

    def _inside_call(self) -> bool:
        """At a comma: settle the argument before it; whether a call is open to take it."""
        self._apply_pending(0)
        return bool(self.pending) and self.pending[-1][0] == "call"

    def _apply_pending(self, precedence: int, groups_right: bool = False) -> None:
        """Apply the waiting operators that bind more tightly than one of ``precedence``."""
        while self.pending and self.pending[-1][0] in ("binary", "unary"):
            kind, token, column = self.pending[-1]
            waiting = _BINARY_PRECEDENCE[token] if kind == "binary" else _UNARY_PRECEDENCE
            if waiting < precedence or (waiting == precedence and groups_right):
                return
            self.pending.pop()
            if kind == "unary":
                op = ast.USub() if token == "-" else ast.UAdd()
                self.output.append(_at(ast.UnaryOp(op=op, operand=self.output.pop()), column))
            else:
                right, left = self.output.pop(), self.output.pop()
                node = ast.BinOp(left=left, op=_AST_OPERATORS[token](), right=right)
                self.output.append(_at(node, left.col_offset))

    def _close(self, column: int) -> None:
        """A ``)``: finish the innermost parenthesis or call."""
        self._apply_pending(0)
        if not self.pending:
            raise _NotAccepted(self._invalid(f"unmatched ')' (at column {column + 1})"))
        kind, call, start = self.pending.pop()
        if kind == "call":
            name, first = call
            args = self.output[first:]
            del self.output[first:]
            func = _at(ast.Name(id=name, ctx=ast.Load()), start)
            self.output.append(_at(ast.Call(func=func, args=args, keywords=[]), start))

    def _unexpected(self, token: str, column: int, expected: str) -> None:
        found = repr(token) if token else "the end"
        raise _NotAccepted(
            self._invalid(f"expected {expected}, found {found} (at column {column + 1})")
        )

    def _invalid(self, why: str) -> str:
        return f"{_shorten(repr(self.text))} is not a valid expression: {why}"


def _at(node: ast.expr, column: int) -> Any:
    """``node`` placed at ``column`` of the text's one line, as ``ast`` places its nodes."""
    node.lineno = node.end_lineno = 1
    node.col_offset = node.end_col_offset = column
    return node


def _number(match: re.Match[str]) -> float | int:
    """A number token's value; an integer too large for a float is refused here."""
    text = match.group()
    if match.group("float"):
        return float(text)
    digits = text.replace("_", "")
    too_large = ValueError(f"the number {_shorten(text)} is too large for a float")
    if len(digits) > 400:  # far beyond the largest float (1.8e308), and cheap to tell
        raise too_large
    value = int(digits, 0) if digits[:2].lower() in ("0x", "0o", "0b") else int(digits)
    try:
        float(value)
    except OverflowError:
        raise too_large from None
    return value


def _explain(text: str) -> str | None:
    """What Python's parser makes of text we refused, in our words; None if it cannot tell."""
    stripped = text.strip()  # ast would take leading spaces for an indent
    lead = len(text) - len(text.lstrip())
    if not stripped:
        return "the expression is empty; write one, such as x*y + tanh(x)"
    try:
        with warnings.catch_warnings():  # such as "invalid decimal literal" for 1if: not ours
            warnings.simplefilter("ignore")
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as err:
        if err.msg == "invalid syntax" or err.msg.startswith("too many"):
            return None  # ours says more, or Python's own nesting limit was hit
        where = f" (at column {err.offset + lead})" if err.offset and err.lineno == 1 else ""
        return f"{_shorten(repr(text))} is not a valid expression: {err.msg}{where}"
    except (RecursionError, MemoryError, ValueError):  # too deep for Python, or a null byte
        return None

    def source(node: ast.AST) -> str:
        return ast.get_source_segment(stripped, node) or type(node).__name__

    def column(node: ast.AST) -> int | None:
        # ast counts UTF-8 bytes along the node's line; the user counts characters
        if getattr(node, "lineno", None) != 1:
            return None
        return lead + len(stripped.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore"))

    try:
        for node in ast.walk(tree):
            _check(node, source, column)
    except ValueError as err:
        return str(err)
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and id(node) not in callees:
            return _refusal(f"the function name {node.id!r} used as a variable", column(node))
    return None


def _check(
    node: ast.AST, source: Callable[[Any], str], column: Callable[[Any], int | None]
) -> None:
    """Raise ValueError unless node is one of the accepted kinds, used as accepted.

    ``source(node)`` is the text of a node, ``column(node)`` its column counted from 0 (or None).
    """

    def refuse(at: ast.AST, what: str) -> None:
        raise ValueError(_refusal(what, column(at)))

    # An operator node has no position of its own: refuse it through the node it belongs to.
    if isinstance(node, ast.BinOp | ast.UnaryOp) and not isinstance(node.op, _ACCEPTED_NODES):
        refuse(node, _describe(node.op))
    if not isinstance(node, _ACCEPTED_NODES):
        refuse(node, _describe(node))
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, bool) or not isinstance(node.value, int | float)
    ):
        refuse(node, _describe(node))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            refuse(node, f"a call to {_shorten(source(node.func))!r}")
        name = node.func.id
        if node.keywords:
            keyword_ = node.keywords[0].arg
            refuse(node, f"the keyword argument {keyword_ or '**'!r} of {name}")
        fewest, most = FUNCTIONS[name]
        if not fewest <= len(node.args) <= most:
            expected = f"{fewest}" if fewest == most else f"{fewest} or {most}"
            refuse(node, f"{name} with {len(node.args)} arguments (it takes {expected})")
        if len(node.args) == 2 and any(isinstance(n, ast.Name) for n in ast.walk(node.args[1])):
            refuse(node.args[1], f"a variable in the slope of {name} (give it a number)")


def _refusal(what: str, column: int | None) -> str:
    where = f" (at column {column + 1})" if column is not None else ""
    return f"{what} is not accepted{where}; use {ACCEPTED}"


def _describe(node: ast.AST) -> str:
    """How a refused node is named in the error message."""
    if isinstance(node, ast.Attribute):
        return f"attribute access '.{node.attr}'"
    if isinstance(node, ast.Subscript):
        return "a subscript [...]"
    if isinstance(node, ast.Lambda):
        return "a lambda"
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str | bytes):
            return f"the string {_shorten(repr(node.value))}"
        if isinstance(node.value, complex):
            return f"the imaginary number {node.value!r}"
        return repr(node.value)  # True, None, ...
    if isinstance(node, ast.Starred):
        return "an unpacking *"
    if isinstance(node, ast.Compare):
        return "a comparison"
    if isinstance(node, ast.BoolOp):
        return "the operator 'and'" if isinstance(node.op, ast.And) else "the operator 'or'"
    if type(node) in _OPERATOR_SYMBOLS:
        return f"the operator {_OPERATOR_SYMBOLS[type(node)]!r}"
    return _SYNTAX_NAMES.get(type(node), f"{type(node).__name__} syntax")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(noun: str, names: list[str]) -> str:
    shown = ", ".join(names)
    return f"{noun} {shown}" if len(names) == 1 else f"{noun}s {shown}"


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _evaluate(body: ast.expr, variables: dict[str, Value]) -> Value | float:
    """Walk a checked tree in post-order with an explicit stack, so no nesting is too deep."""
    results: list[Any] = []
    stack: list[tuple[ast.expr, bool]] = [(body, False)]
    while stack:
        node, operands_done = stack.pop()
        operands = _operands(node)
        if not operands_done:
            stack.append((node, True))
            stack.extend((operand, False) for operand in reversed(operands))
            continue
        args = results[len(results) - len(operands) :]
        del results[len(results) - len(operands) :]
        results.append(_apply(node, args, variables))
    return results[0]


def _apply(node: ast.expr, args: list[Any], variables: dict[str, Value]) -> Any:
    """One checked node applied to its already evaluated operands."""
    if isinstance(node, ast.Constant):
        try:
            return float(node.value)
        except OverflowError:
            shown = _shorten(str(node.value))
            raise ValueError(f"the number {shown} is too large for a float") from None
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](*args)
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    if name == "leaky_relu" and len(args) == 1:
        args.append(DEFAULT_SLOPE)
    x, *rest = args
    if isinstance(x, Value):
        return abs(x) if name == "abs" else getattr(x, name)(*rest)
    return ops.OPS[name].forward(x, *rest)
