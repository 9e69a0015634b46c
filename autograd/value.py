"""Value: one real number and the record of the operations that produced it.

Every operation on Values makes a new Value that remembers its ``inputs`` and, for each input,
the local derivative d(result)/d(input), computed right away from the rule in ``ops.OPS``.
``backward()`` then needs nothing but those numbers: it multiplies them along every path from
the output back to each input and adds the paths up (the chain rule).

A plain number in an operation (the ``2`` in ``2 * x``) needs no gradient, so it is folded into
the operation instead of becoming a node: ``(2 * x).inputs`` is ``(x,)``. The full argument
list, numbers included, stays available to drawings and to ``grad(..., create_graph=True)``.

Names of operations (``Value.op``): ``""`` for a leaf, then ``"+"``, ``"*"``, ``"/"``,
``"**"``, ``"exp"``, ``"log"``, ``"log1p"``, ``"sqrt"``, ``"square"``, ``"tanh"``, ``"sigmoid"``,
``"relu"``, ``"leaky_relu"``, ``"abs"``, ``"sin"``, ``"cos"``, ``"linear"`` (see ``linear``),
``"binary_cross_entropy"`` (see ``binary_cross_entropy``), and the shifts that make
log-sum-exp and softmax stable, ``"max_shift"`` and ``"softmax_shift"`` (see ``max_shift``
and ``softmax_shift``).
``a - b`` is recorded as ``a + (b * -1)`` and ``-a`` as ``a * -1``.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd import modes, ops
from autograd.backward import backward as _backward
from autograd.modes import state
from autograd.ops import Op

Number = int | float


# -- recording operations -------------------------------------------------------------------
# Value's operators and functions are made here from their rows of ops.OPS: each computes the
# result with the row's forward and a local derivative with the row's rule for each input,
# then hands them to _node, the one place that makes non-leaf Values. A plain number is folded
# into the node: it is kept in ``args`` (for drawings and create_graph) but is not an input and
# gets no local derivative.

_new_value = object.__new__


def _node(
    data: float, op: Op, inputs: Value | tuple, local_grads: Any, args: float | tuple | None
) -> Value:
    """A new Value: a graph node when recording, a leaf under ``no_grad``.

    A node with one input (``x.tanh()``, ``x * 2``: most nodes) keeps that input and its local
    derivative bare, not in tuples. Each tuple that holds a Value is one more object for
    Python's cyclic garbage collector to track and walk, and with graphs of 100,000 nodes the
    collector's walks cost more than making the nodes. ``args`` is None when the arguments
    are just the inputs, the number itself when one plain number comes last (``x * 2``,
    ``x ** 2``, ``x.leaky_relu(0.2)``), and otherwise every argument in order.
    """
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out._op = op
    out._inputs = inputs
    out._local_grads = local_grads
    out._args = args
    out._uses = 0
    if not modes.all_plain and not state.plain:  # no_grad, detect_anomaly, trace: off the fast path
        _apply_mode(out)
    return out


def _apply_mode(out: Value) -> None:
    """Check a new node for anomalies, cut it off when not recording, show it to a tracer."""
    if state.anomaly and not math.isfinite(out.data):
        operands = out.args
        shown = ", ".join(repr(float(a)) for a in operands)
        noun = "input" if len(operands) == 1 else "inputs"
        raise FloatingPointError(f"{out.op} returned {out.data!r} for {noun} {shown}")
    if not state.recording:
        out._op = None
        out._inputs = out._local_grads = ()
        out._args = None
    if state.tracer is not None:
        state.tracer(out, True)


def _constant(x: Any) -> float | Any:
    """A plain number as a float, or NotImplemented for anything else (Python then raises)."""
    if type(x) is float:
        return x
    if type(x) is int:  # before the slow abstract check below: x ** 2 is common
        return float(x)
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return float(x)
    return NotImplemented


def _operator(name: str) -> Callable[[Value, Value | Number], Value]:
    """``self <op> other`` for the operation ``name``, other a Value or a plain number."""
    op = ops.OPS[name]
    forward, (d_first, d_second) = op.forward, op.derivatives

    def operator(self: Value, other: Value | Number) -> Value:
        a = self.data
        if isinstance(other, Value):
            b = other.data
            data = forward(a, b)
            local_grads = (d_first(a, b, data), d_second(a, b, data))
            return _node(data, op, (self, other), local_grads, None)
        b = other if type(other) is float else _constant(other)
        if b is NotImplemented:
            return NotImplemented
        data = forward(a, b)
        return _node(data, op, self, d_first(a, b, data), b)

    return operator


def _reflected(name: str) -> Callable[[Value, Number], Value]:
    """``other <op> self`` for a plain number other (Python calls it for ``2 * x``)."""
    op = ops.OPS[name]
    forward, (_, d_second) = op.forward, op.derivatives

    def reflected_operator(self: Value, other: Number) -> Value:
        a = other if type(other) is float else _constant(other)
        if a is NotImplemented:
            return NotImplemented
        b = self.data
        data = forward(a, b)
        return _node(data, op, self, d_second(a, b, data), (a, self))

    return reflected_operator


def _function(name: str, doc: str) -> Callable[[Value], Value]:
    """The method ``self.name()`` for a one-input operation."""
    op = ops.OPS[name]
    forward, (derivative,) = op.forward, op.derivatives

    def function(self: Value) -> Value:
        a = self.data
        data = forward(a)
        return _node(data, op, self, derivative(a, data), None)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


class Value:
    """A real number that records how it was computed, so that it can be differentiated.

    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> y.data, x.grad
    (15.0, 8.0)
    """

    # _sweep_grad and _uses are the backward sweep's scratch space (see backward.py).
    __slots__ = (
        "_args",
        "_inputs",
        "_label",
        "_local_grads",
        "_op",
        "_sweep_grad",
        "_uses",
        "data",
        "grad",
    )

    # Make NumPy scalars hand arithmetic with a Value over to the Value's reflected operators.
    __array_ufunc__ = None

    data: float
    grad: float

    def __init__(self, data: numbers.Real, label: str = "") -> None:
        if not isinstance(data, numbers.Real):
            raise TypeError(
                f"Value data must be a real number (int, float or a NumPy scalar), "
                f"got {type(data).__name__}"
            )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._inputs: Value | tuple[Value, ...] = ()  # one input is kept bare, see _node
        self._local_grads: Any = ()
        self._args: float | tuple[Any, ...] | None = None
        self._uses = 0
        if not modes.all_plain and state.tracer is not None:  # a leaf made inside a trace
            state.tracer(self, False)

    @property
    def label(self) -> str:
        """A name for repr and drawings; ``""`` for none. Only a str can be assigned.

        >>> x = Value(2.0)
        >>> x.label = "x"
        >>> x, (x * 2).label
        (Value(data=2.0, grad=0.0, label='x'), '')
        """
        # Most nodes never get a label, so none is stored for them: one store less per node.
        return getattr(self, "_label", "")

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self._label = label

    # -- the graph, read-only -------------------------------------------------------------

    @property
    def op(self) -> str:
        """The name of the operation that made this Value; ``""`` for a leaf.

        >>> x = Value(2.0)
        >>> x.op, (x + 1).op, x.tanh().op
        ('', '+', 'tanh')
        """
        return "" if self._op is None else self._op.name

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was computed from, one entry per use (``x * x`` has two).

        >>> x = Value(2.0)
        >>> (x * x).inputs == (x, x), (3 * x).inputs == (x,), x.inputs
        (True, True, ())
        """
        inputs = self._inputs
        return inputs if type(inputs) is tuple else (inputs,)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(input) for each of ``inputs``, in the same order, fixed when self was made.

        >>> x, y = Value(2.0), Value(5.0)
        >>> (x * y).local_grads
        (5.0, 2.0)
        """
        local_grads = self._local_grads
        return local_grads if type(self._inputs) is tuple else (local_grads,)

    @property
    def args(self) -> tuple[Value | float, ...]:
        """All arguments of the operation in order, folded numbers included.

        >>> x = Value(2.0)
        >>> (2 ** x).args == (2.0, x), (x ** 2).args == (x, 2.0), (2 ** x).inputs == (x,)
        (True, True, True)
        """
        args = self._args
        if args is None:  # the arguments are the inputs
            return self.inputs
        if type(args) is float:  # one input and one trailing number, both kept bare
            return (self._inputs, args)
        return args

    @property
    def is_leaf(self) -> bool:
        """True for a Value made directly (or under ``no_grad``), not by a recorded operation.

        >>> x = Value(1.0)
        >>> x.is_leaf, (x + 1).is_leaf
        (True, False)
        """
        return self._op is None

    # -- arithmetic: each operator is made from its row of the table, see _operators below --

    __add__, __radd__ = _operator("+"), _reflected("+")
    __mul__, __rmul__ = _operator("*"), _reflected("*")
    __truediv__, __rtruediv__ = _operator("/"), _reflected("/")
    __pow__, __rpow__ = _operator("**"), _reflected("**")
    __abs__ = _function("abs", "The absolute value; its derivative at 0 is 0.")

    def __neg__(self) -> Value:
        return self * -1.0

    def __pos__(self) -> Value:
        return self

    def __sub__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return self + -other
        constant = other if type(other) is float else _constant(other)
        if constant is NotImplemented:
            return NotImplemented
        return self + -constant

    def __rsub__(self, other: Number) -> Value:
        return -self + other

    # -- functions ----------------------------------------------------------------------------

    exp = _function("exp", "``e ** self``; ``inf`` when it overflows.")
    log = _function(
        "log",
        """The natural logarithm; ``-inf`` at 0, ``nan`` below 0.

        >>> Value(0.0).log(), Value(-1.0).log()
        (Value(data=-inf, grad=0.0), Value(data=nan, grad=0.0))
        """,
    )
    log1p = _function(
        "log1p",
        """``log(1 + self)``, to the last digit even where ``self`` is tiny.

        >>> Value(1e-20).log1p().data, Value(-1.0).log1p().data
        (1e-20, -inf)
        """,
    )
    sqrt = _function("sqrt", "The square root; ``nan`` below 0.")
    square = _function(
        "square",
        """``self * self`` as one operation, with PyTorch's gradient ``2 * self`` times ``g``.

        ``x * x`` has two edges to ``x`` and adds ``x * g`` twice: below 2 ** -1022, where
        numbers have fewer digits, rounding ``x * g`` before doubling it can lose the last one
        (see ``autograd.ops``).

        >>> x = Value(3.0)
        >>> y = x.square()
        >>> y.backward()
        >>> y.data, x.grad, y.inputs == (x,)
        (9.0, 6.0, True)
        """,
    )
    tanh = _function("tanh", "The hyperbolic tangent.")
    sigmoid = _function(
        "sigmoid",
        """The logistic function ``1 / (1 + e ** -self)``, stable for inputs of any size.

        >>> Value(-1000.0).sigmoid().data, Value(1000.0).sigmoid().data
        (0.0, 1.0)
        """,
    )
    relu = _function("relu", "``max(self, 0)``; its derivative at 0 is 0.")
    sin = _function("sin", "The sine.")
    cos = _function("cos", "The cosine.")

    def leaky_relu(self, slope: Number = 0.01) -> Value:
        """``self`` when positive, else ``slope * self``; its derivative at 0 is ``slope``.

        >>> Value(-2.0).leaky_relu(0.1).data
        -0.2
        """
        if isinstance(slope, Value) or _constant(slope) is NotImplemented:
            raise TypeError(f"leaky_relu slope must be a real number, got {type(slope).__name__}")
        return _leaky_relu(self, slope)

    # -- differentiation --------------------------------------------------------------------

    def backward(self, gradient: Number = 1.0) -> None:
        """Add d(self)/d(node) times ``gradient`` to ``.grad`` of every node self depends on.

        Leaves and intermediate nodes alike receive their gradient. Each call adds only its own
        contribution, so calling it twice doubles every gradient; zero them in between to start
        afresh.

        >>> x = Value(2.0)
        >>> y = x * x
        >>> y.backward(); y.backward()
        >>> x.grad, y.grad
        (8.0, 2.0)
        """
        if isinstance(gradient, Value) or not isinstance(gradient, numbers.Real):
            raise TypeError(
                f"backward gradient must be a real number, got {type(gradient).__name__}"
            )
        _backward(self, float(gradient))

    def detach(self) -> Value:
        """A new leaf with the same data (and label), cut off from this graph.

        >>> x = Value(2.0)
        >>> y = (x * 3).detach()
        >>> y.data, y.is_leaf
        (6.0, True)
        """
        return Value(self.data, self.label)

    def draw(self, mode: str = "forward", **options: Any) -> Any:
        """The Graphviz drawing of the graph that produced this Value: ``draw(self, mode, ...)``.

        >>> from autograd import draw
        >>> y = Value(2.0, label="x") ** 2
        >>> y.draw("backward").source == draw(y, "backward").source
        True
        """
        from autograd.draw import draw

        return draw(self, mode, **options)

    # -- conversions ------------------------------------------------------------------------

    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        """The number itself, ``self.data``: PyTorch's ``tensor.item()`` for a 0-d tensor.

        >>> (Value(2.0) * 3).item()
        6.0
        """
        return self.data

    def __round__(self, ndigits: int | None = None) -> float:
        """``round(v)`` and ``round(v, 2)`` round the data, as for a float.

        >>> round(Value(2.71828), 2), round(Value(2.5))
        (2.72, 2)
        """
        return round(self.data, ndigits)

    def __format__(self, spec: str) -> str:
        """``f"{v:.2f}"`` formats the data as a float; a plain ``f"{v}"`` is the repr.

        >>> x = Value(2.71828)
        >>> f"{x:.2f}", f"{x:>8.3f}|"
        ('2.72', '   2.718|')
        """
        return format(self.data, spec) if spec else str(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- what a Value refuses -----------------------------------------------------------------
    # An ``if`` or a comparison on a Value decides with the number it holds now; the graph
    # records only arithmetic, so the branch would silently be lost. Both are refused, with a
    # pointer to .data, where the choice is explicit. ``==`` stays identity, so that Values can
    # be dict keys and set members (the backward sweep keys its bookkeeping by Value).

    def __bool__(self) -> bool:
        """Refused: ``if v:`` would be a branch the graph cannot record.

        >>> if Value(0.0): pass
        Traceback (most recent call last):
        ...
        TypeError: a Value has no truth value: an `if` on it would be a branch the graph cannot record; test its .data instead, such as `if v.data > 0:`
        """  # noqa: E501
        raise TypeError(
            "a Value has no truth value: an `if` on it would be a branch the graph cannot "
            "record; test its .data instead, such as `if v.data > 0:`"
        )

    def __lt__(self, other: object) -> bool:
        """Refused: Values are not ordered; compare their ``.data``.

        >>> max(Value(1.0), Value(2.0))
        Traceback (most recent call last):
        ...
        TypeError: Values are not ordered (a comparison is a branch the graph cannot record): compare their .data, such as a.data < b.data, or max(values, key=lambda v: v.data)
        """  # noqa: E501
        raise TypeError(_UNORDERED)

    __le__ = __gt__ = __ge__ = __lt__


_UNORDERED = (
    "Values are not ordered (a comparison is a branch the graph cannot record): compare "
    "their .data, such as a.data < b.data, or max(values, key=lambda v: v.data)"
)


def linear(
    weights: Sequence[Value | Number], inputs: Sequence[Value | Number], bias: Value | Number = 0.0
) -> Value:
    """``bias + sum(w * x for w, x in zip(weights, inputs))`` as one node of the graph.

    One node instead of 2n: a neuron's weighted sum costs a fraction of the time and memory,
    and every weight still gets its own edge, local derivative and gradient.

    >>> w, b = [Value(2.0), Value(-1.0)], Value(0.5)
    >>> y = linear(w, [3.0, 4.0], b)
    >>> y.backward()
    >>> y.data, [wi.grad for wi in w], b.grad, y.op
    (2.5, [3.0, 4.0], 1.0, 'linear')
    """
    if type(weights) is not list and type(weights) is not tuple:
        weights = list(weights)
    if type(inputs) is not list and type(inputs) is not tuple:
        inputs = list(inputs)
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"linear needs as many weights as inputs, got {n} and {len(inputs)}")
    # The fast path, for a neuron's weighted sum and for the sums of the losses: each of the
    # weights and the inputs is all Values or all floats, and the bias is one or the other.
    w, x = _numbers_of(weights), _numbers_of(inputs)
    bias_is_value = type(bias) is Value
    if w is None or x is None or not (bias_is_value or type(bias) is float):
        return _linear_of_anything(weights, inputs, bias)
    b = bias.data if bias_is_value else bias
    data = _linear_forward(w, x, b)
    local_grads = _linear_derivatives(w, x, b, data)
    args = (*weights, *inputs, bias)
    weights_are_values, inputs_are_values = w is not weights, x is not inputs
    if weights_are_values and inputs_are_values and bias_is_value:
        return _node(data, _LINEAR, args, local_grads, None)
    is_value = [weights_are_values] * n + [inputs_are_values] * n + [bias_is_value]
    inputs = tuple(itertools.compress(args, is_value))
    return _node(data, _LINEAR, inputs, tuple(itertools.compress(local_grads, is_value)), args)


def _numbers_of(side: list | tuple) -> list | tuple | None:
    """The data of a list of Values, the list itself if it holds only floats, else None."""
    types = list(map(type, side))
    if types.count(Value) == len(types):
        return [v.data for v in side]
    if types.count(float) == len(types):
        return side
    return None


def _linear_of_anything(weights: Sequence, inputs: Sequence, bias: Any) -> Value:
    """linear on any mix of Values and plain numbers (ints, NumPy scalars, ...)."""
    args = (*weights, *inputs, bias)
    n = len(weights)
    numbers_ = [
        arg.data if isinstance(arg, Value) else arg if type(arg) is float else _number(arg)
        for arg in args
    ]
    w, x, b = numbers_[:n], numbers_[n:-1], numbers_[-1]
    data = _linear_forward(w, x, b)
    all_local_grads = _linear_derivatives(w, x, b, data)
    is_value = [isinstance(arg, Value) for arg in args]
    if all(is_value):
        return _node(data, _LINEAR, args, all_local_grads, None)
    inputs = tuple(itertools.compress(args, is_value))
    local_grads = tuple(itertools.compress(all_local_grads, is_value))
    folded = tuple([arg if isinstance(arg, Value) else float(arg) for arg in args])
    return _node(data, _LINEAR, inputs, local_grads, folded)


def _number(x: Any) -> float:
    """A plain number argument of linear as a float; TypeError for anything else."""
    number = _constant(x)
    if number is NotImplemented:
        raise TypeError(f"linear arguments must be Values or real numbers, got {type(x).__name__}")
    return number


max_shift = _operator("max_shift")
max_shift.__name__ = max_shift.__qualname__ = "max_shift"
max_shift.__doc__ = """The larger finite Value: a shift with no gradient (``finite_max``).

>>> max_shift(Value(2.0), Value(5.0)).data, max_shift(Value(2.0), 7.0).local_grads
(5.0, (0.0,))
"""
softmax_shift = _operator("softmax_shift")
softmax_shift.__name__ = softmax_shift.__qualname__ = "softmax_shift"
softmax_shift.__doc__ = """The larger Value, nan if either is: a shift, no gradient (``maximum``).

>>> softmax_shift(Value(2.0), Value(5.0)).data, softmax_shift(Value(2.0), math.nan).local_grads
(5.0, (0.0,))
"""
_leaky_relu = _operator("leaky_relu")
_binary_cross_entropy = _operator("binary_cross_entropy")


def binary_cross_entropy(prob: Value, target: Value | Number) -> Value:
    """One node for PyTorch's ``binary_cross_entropy(prob, target)``, with PyTorch's gradient.

    Each log is clamped at -100 and the gradient is ``(p - t) / max(p (1 - p), 1e-12)``
    (see ``ops.py``); ``nn.binary_cross_entropy`` checks its inputs and averages these.

    >>> p = Value(1e-13)
    >>> loss = binary_cross_entropy(p, 1.0)
    >>> loss.backward()
    >>> round(loss.data, 6), p.grad
    (29.933606, -1000000003995.7028)
    """
    return _binary_cross_entropy(prob, target)


_LINEAR = ops.OPS["linear"]
_linear_forward, (_linear_derivatives,) = _LINEAR.forward, _LINEAR.derivatives
