"""Arithmetic expressions over named variables, read safely from text and built from Values.

The text is parsed by the standard library's ``ast`` and then checked node by node: only
numbers, variable names, ``+ - * / **``, unary ``-`` and ``+``, parentheses and calls to the
functions in ``FUNCTIONS`` are accepted. Anything else (attribute access, subscripts, strings,
lambdas, calls to other names, comparisons, ...) is refused with a ``ValueError`` naming what
was found. Nothing is ever passed to ``eval`` or ``exec``: the checked tree is walked, and each
node becomes the matching operation on Values (or on plain numbers, where no variable is
involved, so that ``2 * 3 * x`` folds to one operation ``6 * x`` as ``Value`` folds numbers).
"""

from __future__ import annotations

import ast
import numbers
import operator
from collections.abc import Callable, Mapping
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
        unknown = [name for name in values if name not in self.names]
        if unknown:
            used = ", ".join(self.names) or "no variables"
            raise ValueError(
                f"{_plural('value', unknown)} given for no variable of the expression "
                f"(it uses {used})"
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
    shown = _shorten(repr(text))
    try:
        # Surrounding spaces are harmless, but ast would take leading ones for an indent.
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        where = f" (at column {err.offset})" if err.offset else ""
        raise ValueError(f"{shown} is not a valid expression: {err.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"{shown} is nested too deeply to parse") from None
    except ValueError as err:  # e.g. a null character, or an integer of over 4300 digits
        raise ValueError(f"{shown} cannot be parsed: {_shorten(str(err))}") from None
    # ast.walk is breadth first, so the outermost offending node is the one reported.
    for node in ast.walk(tree):
        _check(node)
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    variables = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in functions]
    for name in variables:
        if name.id in FUNCTIONS:
            _refuse(name, f"the function name {name.id!r} used as a variable")
    # ast.walk visits names level by level; the text's order is that of their positions.
    variables.sort(key=lambda n: (n.lineno, n.col_offset))
    return Expression(text, tree, tuple(dict.fromkeys(n.id for n in variables)))


def _check(node: ast.AST) -> None:
    """Raise ValueError unless node is one of the accepted kinds, used as accepted."""
    # An operator node has no position of its own: refuse it through the node it belongs to.
    if isinstance(node, ast.BinOp | ast.UnaryOp) and not isinstance(node.op, _ACCEPTED_NODES):
        _refuse(node, _describe(node.op))
    if not isinstance(node, _ACCEPTED_NODES):
        _refuse(node, _describe(node))
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, bool) or not isinstance(node.value, int | float)
    ):
        _refuse(node, _describe(node))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            _refuse(node, f"a call to {ast.unparse(node.func)!r}")
        name = node.func.id
        if node.keywords:
            keyword = node.keywords[0].arg
            _refuse(node, f"keyword argument {keyword or '**'!r} of {name}")
        fewest, most = FUNCTIONS[name]
        if not fewest <= len(node.args) <= most:
            expected = f"{fewest}" if fewest == most else f"{fewest} or {most}"
            _refuse(node, f"{name} with {len(node.args)} arguments (it takes {expected})")
        if len(node.args) == 2 and any(isinstance(n, ast.Name) for n in ast.walk(node.args[1])):
            _refuse(node.args[1], f"a variable in the slope of {name} (give it a number)")


def _describe(node: ast.AST) -> str:
    """How a refused node is named in the error message."""
    if isinstance(node, ast.Attribute):
        return f"attribute access '.{node.attr}'"
    if isinstance(node, ast.Subscript):
        return "a subscript [...]"
    if isinstance(node, ast.Lambda):
        return "a lambda"
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return f"the string {_shorten(repr(node.value))}"
        return f"the constant {node.value!r} (only real numbers are accepted)"
    if isinstance(node, ast.Starred):
        return "an unpacking *"
    if isinstance(node, ast.Compare):
        return "a comparison"
    if isinstance(node, ast.BoolOp):
        return "the operator 'and'" if isinstance(node.op, ast.And) else "the operator 'or'"
    if type(node) in _OPERATOR_SYMBOLS:
        return f"the operator {_OPERATOR_SYMBOLS[type(node)]!r}"
    return _SYNTAX_NAMES.get(type(node), f"{type(node).__name__} syntax")


def _refuse(node: ast.AST, what: str) -> None:
    column = getattr(node, "col_offset", None)
    where = f" (at column {column + 1})" if column is not None else ""
    raise ValueError(f"{what} is not accepted{where}; use {ACCEPTED}")


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
