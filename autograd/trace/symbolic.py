"""Symbolic operands: run a row of ``ops.OPS`` on names instead of numbers to get its code.

A backend never writes the code of an operation itself. It hands ``Expr`` operands (names
that print themselves) to the row's forward function and derivative rules, and reads back
the expression they built: ``tanh``'s rule ``1.0 - out * out`` run on the name ``out`` gives
the code ``1.0 - out * out``. A new row of the table therefore needs no edit here.

Two things in the table do not run on names as they stand, and are handled generically:

- ``float(x)``, ``math.exp(x)`` and the helpers of ``ops`` that call them. The rules run as
  copies whose global names point at symbolic stand-ins: ``float`` passes a name through,
  ``math.f`` prints a call of ``f``, and each helper of ``ops`` is itself run this way.
- Branches on a number (``1.0 if float(a) > 0 else 0.0``). A comparison of names is a
  condition; when code branches on one, the function is run again for each way the branch
  can go, and the results are joined with the dialect's ``where``: ``np.where(a > 0, 1.0,
  0.0)``, or in straight-line Python ``1.0 if a > 0 else 0.0``. Straight-line Python writes
  out only helpers that branch once (``relu``, ``step``); one that branches more
  (``finite_max``) it calls by its name, ``finite_max(a, b)``, as the engine does.

A ``Dialect`` says how a target language spells arithmetic, calls and choices: Python's own
``/`` and ``**`` raise where IEEE 754 gives ``inf`` or ``nan``, so the Python dialect spells
them with the table's safe helpers ``div`` and ``power``; NumPy already follows IEEE 754.
PyTorch's dialect is NumPy's with ``torch.`` for ``np.``, except for the few plain numbers for
which PyTorch computes something else than for a tensor (``TorchDialect`` lists them).
"""

from __future__ import annotations

import math
import re
import threading
import types
from collections.abc import Callable
from typing import Any

from autograd import ops
from autograd.ops import Op
from autograd.trace.tape import split_variadic

# Operator precedence, for printing no more parentheses than Python needs.
CONDITIONAL, COMPARE, BITWISE, ADD, MUL, UNARY, ATOM = 10, 40, 50, 60, 70, 80, 100


class LoweringError(Exception):
    """A backend cannot produce code for some part of a tape (a trace falls back)."""


class Expr:
    """A number in generated code: the code that computes it, and how tightly it binds."""

    __slots__ = (
        "choice",
        "code",
        "depth",
        "dialect",
        "masked",
        "negation_of",
        "precedence",
        "reciprocal_of",
    )

    def __init__(
        self,
        code: str,
        dialect: Dialect,
        precedence: int = ATOM,
        negation_of: Any = None,
        depth: int = 0,
    ) -> None:
        self.code = code
        self.dialect = dialect
        self.precedence = precedence
        self.negation_of = negation_of
        self.depth = depth  # how deeply its operations nest: CPython's compiler has a limit
        self.choice: tuple[Any, Any, Any] | None = None  # NumPy's where(c, x, y): (c, x, y)
        # A NumPy value that is a strong zero (ops.StrongZero) where a condition holds:
        # (condition, the value elsewhere). Its product with g is 0 there, whatever g is.
        self.masked: tuple[Expr, Any] | None = None
        # 1 / b from ops.reciprocal: where it overflows, its product with g is g / b.
        self.reciprocal_of: Any = None

    def __repr__(self) -> str:
        return self.code

    # -- arithmetic ------------------------------------------------------------------------

    def __add__(self, other: Any) -> Expr:
        return _add(self, other)

    def __radd__(self, other: Any) -> Expr:
        return _add(other, self)

    def __sub__(self, other: Any) -> Expr:
        return _binary(self, "-", other, ADD)

    def __rsub__(self, other: Any) -> Expr:
        return _binary(other, "-", self, ADD)

    def __mul__(self, other: Any) -> Any:
        return _multiply(self, other)

    def __rmul__(self, other: Any) -> Any:
        return _multiply(other, self)

    def __truediv__(self, other: Any) -> Expr:
        return self.dialect.divide(self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return self.dialect.divide(other, self)

    def __pow__(self, other: Any) -> Expr:
        return self.dialect.power(self, other)

    def __rpow__(self, other: Any) -> Expr:
        return self.dialect.power(other, self)

    def __neg__(self) -> Expr:
        if self.negation_of is not None:  # -(-x) is x, exactly
            return self.negation_of
        return Expr(f"-{code(self, UNARY)}", self.dialect, UNARY, negation_of=self)

    def __pos__(self) -> Expr:
        return self

    def __abs__(self) -> Expr:
        return self.dialect.call("abs", self)

    # -- the methods the helpers of ops call on anything that is not a float --------------

    def exp(self) -> Expr:
        return self.dialect.call("exp", self)

    def log(self) -> Expr:
        return self.dialect.call("log", self)

    def log1p(self) -> Expr:
        return self.dialect.call("log1p", self)

    def sqrt(self) -> Expr:
        return self.dialect.call("sqrt", self)

    def sin(self) -> Expr:
        return self.dialect.call("sin", self)

    def cos(self) -> Expr:
        return self.dialect.call("cos", self)

    # -- conditions ------------------------------------------------------------------------

    def __lt__(self, other: Any) -> Expr:
        return _binary(self, "<", other, COMPARE)

    def __le__(self, other: Any) -> Expr:
        return _binary(self, "<=", other, COMPARE)

    def __gt__(self, other: Any) -> Expr:
        return _binary(self, ">", other, COMPARE)

    def __ge__(self, other: Any) -> Expr:
        return _binary(self, ">=", other, COMPARE)

    def __eq__(self, other: Any) -> Expr:  # type: ignore[override]
        return _binary(self, "==", other, COMPARE)

    def __ne__(self, other: Any) -> Expr:  # type: ignore[override]
        return _binary(self, "!=", other, COMPARE)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return _decide(self)

    def __float__(self) -> float:
        raise LoweringError(f"{self.code} is a name, not a number: float() cannot run on it")


def constant(x: Any) -> str:
    """A plain number as code: ``2.0``, ``-1.0``, ``inf``, ``nan``, ``STRONG_ZERO``."""
    if isinstance(x, ops.StrongZero):
        return "STRONG_ZERO"
    if isinstance(x, bool):
        return repr(x)
    return repr(float(x)) if isinstance(x, float) else repr(x)


def code(x: Any, precedence: int) -> str:
    """The code of an operand, in parentheses when it binds less tightly than ``precedence``."""
    if isinstance(x, Expr):
        text, own = x.code, x.precedence
    else:
        text = constant(x)
        own = UNARY if text.startswith("-") else ATOM
    return text if own >= precedence else f"({text})"


def _dialect_of(*operands: Any) -> Dialect:
    return next(x.dialect for x in operands if isinstance(x, Expr))


def _depth(x: Any) -> int:
    return x.depth if isinstance(x, Expr) else 0


# CPython's compiler recurses once per nested operation and gives up near a thousand or so
# levels (a linear node of 20,000 terms is one chain of 40,000 operations).
SPILL_DEPTH = 200


class Spill:
    """Statements that name parts of a deep expression, to be written before its own.

    ``b + w1 * x1 + ... + wn * xn`` becomes ``t1_part1 = b + ... + w200 * x200`` and then
    ``t1 = t1_part1 + ...``: the same operations in the same order, so the same result.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lines: list[str] = []

    def __enter__(self) -> Spill:
        self._saved = getattr(_local, "spill", None)
        _local.spill = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        _local.spill = self._saved

    def name(self, x: Expr) -> Expr:
        name = f"{self.prefix}_part{len(self.lines) + 1}"
        self.lines.append(f"{name} = {code(x, CONDITIONAL)}")
        return Expr(name, x.dialect, ATOM)


def _binary(a: Any, symbol: str, b: Any, precedence: int) -> Expr:
    """``a symbol b`` for a left-associative operator: the right side needs tighter binding."""
    spill = getattr(_local, "spill", None)
    if spill is not None and max(_depth(a), _depth(b)) >= SPILL_DEPTH:
        if _depth(a) >= _depth(b):
            a = spill.name(a)
        else:
            b = spill.name(b)
    text = f"{code(a, precedence)} {symbol} {code(b, precedence + 1)}"
    return Expr(text, _dialect_of(a, b), precedence, depth=max(_depth(a), _depth(b)) + 1)


def _add(a: Any, b: Any) -> Expr:
    if isinstance(b, Expr) and b.negation_of is not None:  # a + (-b) is a - b, exactly
        return _binary(a, "-", b.negation_of, ADD)
    return _binary(a, "+", b, ADD)


def _multiply(a: Any, b: Any) -> Any:
    for special, other in ((a, b), (b, a)):  # products that ops defines otherwise (NumPy)
        if isinstance(special, Expr) and special.masked is not None:
            condition, elsewhere = special.masked
            return special.dialect.masked_product(condition, _multiply(elsewhere, other))
        if isinstance(special, Expr) and special.reciprocal_of is not None:
            divisor = special.reciprocal_of
            overflowed = _binary(special.dialect.call("isinf", special), "&", divisor != 0, BITWISE)
            product = _binary(special, "*", other, MUL)
            return special.dialect.call("where", overflowed, other / divisor, product)
    # 1.0 * x is x and -1.0 * x is -x in IEEE 754, bit for bit (nan and -0.0 included).
    for one, x in ((a, b), (b, a)):
        if not isinstance(one, Expr) and type(one) in (float, int):
            if one == 1:
                return x
            if one == -1:
                return -x
    return _binary(a, "*", b, MUL)


class Dialect:
    """How a target language spells division, powers, calls and choices between values."""

    name = ""

    def call(self, function: str, *args: Any) -> Expr:
        """A call of one of the engine's elementary functions (``exp``, ``abs``, ...)."""
        raise NotImplementedError

    def math_call(self, function: str, *args: Any) -> Expr:
        """A call of a function of the ``math`` module."""
        raise NotImplementedError

    def divide(self, a: Any, b: Any) -> Expr:
        raise NotImplementedError

    def power(self, a: Any, b: Any) -> Expr:
        raise NotImplementedError

    def where(self, condition: Expr, if_true: Any, if_false: Any) -> Any:
        """``if_true`` where ``condition`` holds, else ``if_false``."""
        raise NotImplementedError

    def masked_product(self, condition: Expr, product: Any) -> Any:
        """A strong zero's product: 0.0 where ``condition`` holds, else ``product``."""
        raise NotImplementedError

    def negate(self, condition: Expr) -> Expr:
        """The condition that holds where ``condition`` does not."""
        raise NotImplementedError

    # Whether a helper of ops that branches on a number more than once is called by its name
    # (Python, where the helper itself runs on floats) rather than written out with ``where``
    # (NumPy). A helper with one branch (relu, step) is written out in either.
    calls_branching_helpers = False


def _arguments(dialect: Dialect, args: tuple) -> str:
    return ", ".join(code(a, CONDITIONAL + 1) for a in args)


class PythonDialect(Dialect):
    """Straight-line Python over floats, with the helpers of ``ops`` in its namespace."""

    name = "python"
    calls_branching_helpers = True

    def call(self, function: str, *args: Any) -> Expr:
        depth = max(map(_depth, args), default=0) + 1
        return Expr(f"{function}({_arguments(self, args)})", self, depth=depth)

    def math_call(self, function: str, *args: Any) -> Expr:
        # ops.tanh is math.tanh, and ops.exp is math.exp with inf for an overflow: where
        # ops has a helper of the same name, it is the IEEE 754 version of the function.
        if isinstance(vars(ops).get(function), types.FunctionType):
            return self.call(function, *args)
        return Expr(f"math.{function}({_arguments(self, args)})", self)

    def divide(self, a: Any, b: Any) -> Expr:
        return self.call("div", a, b)

    def power(self, a: Any, b: Any) -> Expr:
        return self.call("power", a, b)

    def where(self, condition: Expr, if_true: Any, if_false: Any) -> Any:
        text = (
            f"{code(if_true, CONDITIONAL + 1)} if {code(condition, CONDITIONAL + 1)} "
            f"else {code(if_false, CONDITIONAL)}"
        )
        depth = max(_depth(condition), _depth(if_true), _depth(if_false)) + 1
        return _mark_strong_zero(
            Expr(text, self, CONDITIONAL, depth=depth), condition, if_true, if_false, self
        )

    def masked_product(self, condition: Expr, product: Any) -> Any:
        return self.where(condition, 0.0, product)

    def negate(self, condition: Expr) -> Expr:
        return Expr(f"not {code(condition, CONDITIONAL + 1)}", self, CONDITIONAL + 1)


# The functions of math that NumPy names differently.
_NUMPY_NAMES = {"pow": "power", "fabs": "abs"}


class NumpyDialect(Dialect):
    """NumPy over arrays with a leading batch axis (``np`` in the namespace)."""

    name = "numpy"

    def call(self, function: str, *args: Any) -> Expr:
        depth = max(map(_depth, args), default=0) + 1
        return Expr(f"np.{function}({_arguments(self, args)})", self, depth=depth)

    def math_call(self, function: str, *args: Any) -> Expr:
        return self.call(_NUMPY_NAMES.get(function, function), *args)

    def divide(self, a: Any, b: Any) -> Expr:
        return _binary(a, "/", b, MUL)

    def power(self, a: Any, b: Any) -> Expr:
        return self.call("power", a, b)

    def where(self, condition: Expr, if_true: Any, if_false: Any) -> Any:
        inner = getattr(if_false, "choice", None)
        if inner is not None and code(inner[1], ATOM) == code(if_true, ATOM):
            # where(c1, x, where(c2, x, y)) is where(c1 | c2, x, y): one pass over the data
            condition = _binary(condition, "|", inner[0], BITWISE)
            if_false = inner[2]
        result = self.call("where", condition, if_true, if_false)
        result.choice = (condition, if_true, if_false)
        return _mark_strong_zero(result, condition, if_true, if_false, self)

    def masked_product(self, condition: Expr, product: Any) -> Any:
        return self.call("where", condition, 0.0, product)

    def negate(self, condition: Expr) -> Expr:
        return self.call("logical_not", condition)

    def reciprocal(self, b: Any) -> Expr:
        """ops.reciprocal: 1 / b, whose product with g is g / b where 1 / b overflows."""
        result = self.divide(1.0, b)
        result.reciprocal_of = b
        return result

    # -- whole arrays: the statements of the fused program that are not an op's code ---------

    def stack(self, items: list[str], axis: int) -> str:
        """Arrays (or columns) side by side along a new ``axis``."""
        return f"np.stack(({_items(items)}), axis={axis})"

    def sum(self, array: str, axis: int) -> str:
        return f"{array}.sum(axis={axis})"

    def zeros_like(self, array: str) -> str:
        return f"np.zeros_like({array})"

    def copy(self, array: str) -> str:
        return f"{array}.copy()"

    def add_at(self, target: str, index: str, values: str) -> str:
        """``target[index] += values`` that adds every value, where an index repeats too."""
        return f"np.add.at({target}, {index}, {values})"

    def add_at_columns(self, target: str, index: str, values: str) -> str:
        """``target[:, index] += values`` that adds every column, where an index repeats too."""
        return f"np.add.at({target}.T, {index}, ({values}).T)"


def _items(items: list[str]) -> str:
    return ", ".join(items) + ("," if len(items) == 1 else "")


# The functions of math that PyTorch names differently.
_TORCH_NAMES = {"fabs": "abs"}


class TorchDialect(NumpyDialect):
    """PyTorch over float64 tensors with a leading batch axis (``torch`` in the namespace).

    Its operations are NumPy's with ``torch.`` for ``np.``, except where PyTorch computes
    something else for a plain number than for a tensor; there the number is written as a
    float64 tensor on the program's device, ``tensor(c)``, and the result is the engine's:

    - ``c / x`` is ``reciprocal(x) * c`` in PyTorch, which overflows where ``1 / x`` does
      (``1e-20 / 1e-310`` is ``inf``, not ``1e290``): written ``tensor(c) / x``; and ``x / c``
      is ``x * (1 / c)`` on a GPU: written ``x / tensor(c)``. (``1.0 / x`` is exact either way.)
    - ``x ** 0.5`` and ``x ** -0.5`` are ``sqrt`` and ``rsqrt``, which differ from ``pow`` at
      -0.0 and -inf (see ``ops``): written ``torch.pow(x, tensor(0.5))``.
    - ``torch.where`` of two plain numbers is float32, which has no 0.01: written
      ``torch.where(c, 1.0, tensor(0.01))``.
    """

    name = "torch"

    def call(self, function: str, *args: Any) -> Expr:
        if function == "where" and not any(isinstance(a, Expr) for a in args[1:]):
            args = (*args[:2], self.tensor(args[2]))
        depth = max(map(_depth, args), default=0) + 1
        return Expr(f"torch.{function}({_arguments(self, args)})", self, depth=depth)

    def math_call(self, function: str, *args: Any) -> Expr:
        return self.call(_TORCH_NAMES.get(function, function), *args)

    def divide(self, a: Any, b: Any) -> Expr:
        if not isinstance(a, Expr) and a != 1.0:
            a = self.tensor(a)
        return _binary(a, "/", b if isinstance(b, Expr) else self.tensor(b), MUL)

    def power(self, a: Any, b: Any) -> Expr:
        return self.call("pow", a, b if isinstance(b, Expr) else self.tensor(b))

    def tensor(self, x: Any) -> Expr:
        """A plain number as a float64 tensor on the program's device."""
        return Expr(f"tensor({code(x, CONDITIONAL + 1)})", self)

    def stack(self, items: list[str], axis: int) -> str:
        return f"torch.stack(({_items(items)}), dim={axis})"

    def sum(self, array: str, axis: int) -> str:
        return f"{array}.sum(dim={axis})"

    def zeros_like(self, array: str) -> str:
        return f"torch.zeros_like({array})"

    def copy(self, array: str) -> str:
        return f"{array}.clone()"

    def add_at(self, target: str, index: str, values: str) -> str:
        return f"{target}.index_put_(({index},), {values}, accumulate=True)"

    def add_at_columns(self, target: str, index: str, values: str) -> str:
        return f"{target}.index_add_(1, {index}, {values})"


def _mark_strong_zero(
    result: Expr, condition: Expr, if_true: Any, if_false: Any, dialect: Any
) -> Expr:
    """A choice with a strong zero on one side (relu's mask) stays one: see Expr.masked."""
    if isinstance(if_true, ops.StrongZero) and not _is_masked(if_false):
        result.masked = (condition, if_false)
    elif isinstance(if_false, ops.StrongZero) and not _is_masked(if_true):
        result.masked = (dialect.negate(condition), if_true)
    elif _is_masked(if_true) or _is_masked(if_false):
        raise LoweringError("a strong zero under more than one condition")
    return result


def _is_masked(x: Any) -> bool:
    return isinstance(x, ops.StrongZero) or (isinstance(x, Expr) and x.masked is not None)


PYTHON, NUMPY, TORCH = PythonDialect(), NumpyDialect(), TorchDialect()


# -- running the table's code on names ------------------------------------------------------


# Helpers whose result is a float subclass with its own product (ops.Reciprocal): running their
# code on names cannot see that, so a dialect that cannot call them by name writes them itself.
_SPECIAL_HELPERS = {"reciprocal"}


class _NewBranch(Exception):
    """Raised by a condition on which the current run has not yet decided."""

    def __init__(self, condition: Expr) -> None:
        self.condition = condition


class _CallByName(Exception):
    """Raised inside a helper that branches, in a dialect that calls such helpers by name."""


_local = threading.local()


def _decide(condition: Expr) -> bool:
    """Which way the current run goes at ``condition``, from the path it was told to take."""
    if getattr(_local, "by_name", 0):
        raise _CallByName
    path, taken = _local.path, _local.taken
    if taken < len(path):
        _local.taken = taken + 1
        return path[taken]
    raise _NewBranch(condition)


_CALL = re.compile(r"[A-Za-z_][\w.]*\(")  # a function call in generated code


class _TooManyBranches(Exception):
    """Raised where a run branches on more conditions than it was allowed."""


def _every_path(run: Callable[[], Any], dialect: Dialect, max_conditions: int | None = None) -> Any:
    """``run()``'s result, its branches on conditions joined with ``dialect.where``;
    ``_TooManyBranches`` where a path meets more than ``max_conditions`` conditions."""

    def along(path: list[bool]) -> Any:
        saved = getattr(_local, "path", None), getattr(_local, "taken", 0)
        _local.path, _local.taken = path, 0
        try:
            return run()
        except _NewBranch as branch:
            if max_conditions is not None and len(path) >= max_conditions:
                raise _TooManyBranches from None
            if_true, if_false = along([*path, True]), along([*path, False])
            if isinstance(if_true, tuple):
                return tuple(
                    dialect.where(branch.condition, t, f)
                    for t, f in zip(if_true, if_false, strict=True)
                )
            return dialect.where(branch.condition, if_true, if_false)
        finally:
            _local.path, _local.taken = saved

    return along([])


class _SymbolicMath:
    """``math`` as the table's code sees it: functions of names print themselves."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect

    def __getattr__(self, name: str) -> Any:
        real = getattr(math, name)
        if not callable(real):
            return real
        dialect = self._dialect

        def function(*args: Any) -> Any:
            if any(isinstance(a, Expr) for a in args):
                return dialect.math_call(name, *args)
            return real(*args)

        return function


def _symbolic_float(x: Any) -> Any:
    return x if isinstance(x, Expr) else float(x)


class Evaluator:
    """Runs the forward function and derivative rules of rows of the table on Exprs."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        helpers = {
            name: obj
            for name, obj in vars(ops).items()
            if isinstance(obj, types.FunctionType) and obj.__module__ == ops.__name__
        }
        self._helpers = helpers
        self._globals = dict(vars(ops))
        self._globals.update(float=_symbolic_float, math=_SymbolicMath(dialect))
        for name, helper in helpers.items():
            self._globals[name] = self._helper(name, helper)

    def _copy(self, function: types.FunctionType) -> types.FunctionType:
        """``function`` with its global names looked up among the symbolic stand-ins."""
        return types.FunctionType(
            function.__code__,
            self._globals,
            function.__name__,
            function.__defaults__,
            function.__closure__,
        )

    def _helper(self, name: str, helper: types.FunctionType) -> Callable[..., Any]:
        """A helper of ops as the copies call it: on names it runs as a copy itself."""
        copy = self._copy(helper)
        dialect = self.dialect

        def run(*args: Any) -> Any:
            if not any(isinstance(a, Expr) for a in _flat(args)):
                return helper(*args)  # numbers only: the real helper, a constant
            special = getattr(dialect, name, None)
            if special is not None and name in _SPECIAL_HELPERS:
                return special(*args)
            if not dialect.calls_branching_helpers:
                return copy(*args)
            if helper.__code__.co_exceptiontable:  # it catches what names cannot raise
                return dialect.call(name, *args)
            depth = getattr(_local, "by_name", 0)
            _local.by_name = depth + 1
            try:
                return copy(*args)
            except _CallByName:
                pass
            finally:
                _local.by_name = depth
            # It branches. Once, on plain arithmetic (relu, step): written out as a choice,
            # which runs as fast as the arithmetic around it, where a call costs more than the
            # work. A helper that branches more, or calls functions in its branches (which a
            # choice could write twice, as sigmoid's exp), is called by its name.
            _local.by_name = 0
            try:
                choice = _every_path(lambda: copy(*args), dialect, max_conditions=1)
            except (_TooManyBranches, LoweringError, TypeError, ValueError, ArithmeticError):
                choice = None
            finally:
                _local.by_name = depth
            if isinstance(choice, Expr) and not _CALL.search(choice.code):
                return choice
            return dialect.call(name, *args)  # a name runs the helper itself on floats

        return run

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` on Exprs: the Expr (or number, or tuple) it computes."""
        if isinstance(function, types.FunctionType) and function.__module__ == ops.__name__:
            if self._helpers.get(function.__name__) is function:
                target: Callable[..., Any] = self._globals[function.__name__]
            else:
                target = self._copy(function)
        else:
            target = function  # a builtin such as operator.add or abs: it calls our dunders
        try:
            return _every_path(lambda: target(*args), self.dialect)
        except (TypeError, ValueError, ArithmeticError) as err:
            raise LoweringError(
                f"cannot write {getattr(function, '__name__', function)} as "
                f"{self.dialect.name} code: {err}"
            ) from err

    def forward(self, op: Op, args: tuple) -> Any:
        """The code of ``op``'s result for the given operands."""
        if op.variadic:
            return self.run(op.forward, *split_variadic(args))
        return self.run(op.forward, *args)

    def local_grads(self, op: Op, args: tuple, out: Any) -> list[Any]:
        """d out / d argument for each argument that is an Expr (None for constants)."""
        if op.variadic:
            weights, inputs, bias = split_variadic(args)
            every = self.run(op.derivatives[0], weights, inputs, bias, out)
            return [g if isinstance(a, Expr) else None for a, g in zip(args, every, strict=True)]
        return [
            self.run(rule, *args, out) if isinstance(a, Expr) else None
            for a, rule in zip(args, op.derivatives, strict=True)
        ]


def _flat(args: tuple) -> list[Any]:
    flat: list[Any] = []
    for a in args:
        if isinstance(a, list | tuple):
            flat.extend(a)
        else:
            flat.append(a)
    return flat
