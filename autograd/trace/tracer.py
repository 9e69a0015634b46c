"""Recording: run a function once on Values and turn the graph it builds into a tape.

The function runs on ordinary Values, so every operation and every ``nn`` layer works as it
always does; the engine records the graph as it always does. Two things are added while it
runs (``modes._tracing``): each Value made is shown to the recorder, which tells the
constants the function makes apart from numbers it captured from outside, and each Value
made by an operation, each argument and each parameter becomes a ``TracedValue``, which
refuses to hand its number to the function's own code. A program that branched on one
sample's number would replay that branch for every other sample: JAX refuses such reads for
the same reason, and so do we, naming the file and line that tried.
"""

from __future__ import annotations

import builtins
import keyword
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from autograd import ops
from autograd.backward import sweep
from autograd.modes import _tracing, enable_grad, state
from autograd.trace.tape import Instruction, Operand, Tape, Variable
from autograd.value import Value

_DATA = Value.__dict__["data"]  # the slot that holds a Value's number


class TraceError(TypeError):
    """A traced function read a number out of a Value, or used a Value it did not get.

    ``filename`` and ``lineno`` name the line of the user's code that did it, when there is
    one. It is a TypeError, as is ``bool()`` of a Value outside a trace.
    """

    def __init__(self, message: str, filename: str | None = None, lineno: int | None = None):
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno

    @classmethod
    def here(cls, message: str) -> TraceError:
        """The error for ``message``, naming the user's line that led to the caller."""
        filename, lineno, where = _user_frame(sys._getframe(1))
        return cls(f"{message} (at {where})", filename, lineno)


def is_tracing() -> bool:
    """Whether this thread is recording a trace: random layers refuse to be traced.

    >>> is_tracing()
    False
    """
    return state.tracer is not None


def _inside_autograd(frame: FrameType) -> bool:
    name = frame.f_globals.get("__name__", "")
    return name == "autograd" or name.startswith("autograd.")


def _user_frame(frame: FrameType | None) -> tuple[str | None, int | None, str]:
    """The user's file and line that led to ``frame``, and where to say it happened.

    The user's frame is the first outside the ``autograd`` and ``nn`` packages; when a
    library function of ``nn`` did the reading, the message names its line too.
    """
    while frame is not None and _inside_autograd(frame):
        frame = frame.f_back
    if frame is None:
        return None, None, ""
    where = ""
    user = frame
    while user is not None and _package(user) in ("nn", "autograd"):
        user = user.f_back
    if user is not frame:
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}, called from "
    if user is None:
        return None, None, where.removesuffix(", called from ")
    return (
        user.f_code.co_filename,
        user.f_lineno,
        f"{where}{user.f_code.co_filename}:{user.f_lineno}",
    )


def _package(frame: FrameType) -> str:
    return frame.f_globals.get("__name__", "").partition(".")[0]


def describe(value: Value) -> str:
    """A Value as an error message names it: its label, or the operation that made it."""
    if value.label:
        return f"the Value {value.label!r}"
    if value.is_leaf:
        return f"a Value holding {_DATA.__get__(value)!r}"
    return f"the result of {value.op}"


def _refuse(value: Value, what: str) -> TraceError:
    """The error for reading the number of ``value`` with ``what`` inside a traced function."""
    filename, lineno, where = _user_frame(sys._getframe(2))
    return TraceError(
        f"a traced function read the number of {describe(value)} ({what}) at {where}: a "
        "trace records operations, not numbers, and a branch taken on this sample's number "
        "would be replayed for every other sample. Compute with Value operations instead "
        "(relu, abs, ...), or call the function without trace()",
        filename,
        lineno,
    )


def _reading(value: Value, what: str) -> None:
    """Raise TraceError if code outside autograd reads ``value``'s number during a trace."""
    if state.tracer is not None and not _inside_autograd(sys._getframe(2)):
        raise _refuse(value, what)


class TracedValue(Value):
    """A Value recorded by a trace: its number is kept from the traced function's own code.

    Operations on it work as on any Value (the engine reads the number to record them); its
    ``.data``, ``float()``, ``bool()`` and ordering comparisons raise ``TraceError`` while the
    trace runs. Outside a trace it behaves exactly like a Value.
    """

    __slots__ = ()

    @property  # type: ignore[override]
    def data(self) -> float:
        if state.tracer is not None and not _inside_autograd(sys._getframe(1)):
            raise _refuse(self, ".data")
        return _DATA.__get__(self)

    @data.setter
    def data(self, number: float) -> None:
        if state.tracer is not None and not _inside_autograd(sys._getframe(1)):
            raise _refuse(self, "an assignment to .data")
        _DATA.__set__(self, number)

    def __float__(self) -> float:
        _reading(self, "float()")
        return _DATA.__get__(self)

    def __bool__(self) -> bool:
        _reading(self, "bool(), as in an if or a while")
        method = getattr(super(), "__bool__", None)
        return True if method is None else method()

    def __lt__(self, other: object) -> Any:
        _reading(self, "a comparison <")
        return super().__lt__(other)

    def __le__(self, other: object) -> Any:
        _reading(self, "a comparison <=")
        return super().__le__(other)

    def __gt__(self, other: object) -> Any:
        _reading(self, "a comparison >")
        return super().__gt__(other)

    def __ge__(self, other: object) -> Any:
        _reading(self, "a comparison >=")
        return super().__ge__(other)

    __hash__ = Value.__hash__

    def detach(self) -> Value:
        _reading(self, "detach()")
        return super().detach()


@dataclass
class Recording:
    """What a trace recorded: the tape, and the example's graph to check backends against."""

    tape: Tape
    output: Value
    inputs: list[Value]
    params: list[Value]
    aux: list[Value | float] = field(default_factory=list)  # what fn returned beside its output


class _Recorder:
    """Sees every Value made while the traced function runs (see ``modes._tracing``)."""

    def __init__(self) -> None:
        self.constants: list[Value] = []  # leaves the function made from plain numbers
        self.detached: list[Value] = []  # results of operations made under no_grad

    def __call__(self, value: Value, made_by_op: bool) -> None:
        if not made_by_op:
            self.constants.append(value)
        elif value.is_leaf:
            self.detached.append(value)
            value.__class__ = TracedValue
        else:
            value.__class__ = TracedValue


def run_traced(
    call: Callable[[list[Value]], Any],
    input_names: Sequence[str],
    input_numbers: Sequence[float],
    params: Sequence[Value],
    aux_of: Callable[[], list[Value | float]] | None = None,
) -> Recording:
    """Run ``call`` on one TracedValue per input number, with ``params`` guarded too.

    ``call`` gets the flat list of input Values and must return the output Value;
    ``aux_of()``, called after it, gives the Values it returned beside the output.
    """
    leaves = [
        TracedValue(x, label=name) for x, name in zip(input_numbers, input_names, strict=True)
    ]
    recorder = _Recorder()
    for p in params:
        p.__class__ = TracedValue
    try:
        with enable_grad(), _tracing(recorder):  # a trace records, even inside no_grad
            output = call(leaves)
    finally:
        for p in params:
            p.__class__ = Value
    if not isinstance(output, Value):
        raise TypeError(f"a traced function must return one Value, got {type(output).__name__}")
    aux = aux_of() if aux_of is not None else []
    tape, order = _tape(output, leaves, list(params), recorder, input_names, aux)
    for value in order:  # outside the trace they are Values again, on the fast paths
        if type(value) is TracedValue:
            value.__class__ = Value
    return Recording(tape, output, leaves, list(params), aux)


def _identifier(text: str, fallback: str) -> str:
    """``text`` made a Python identifier, short: ``layers.0.neurons.3.w.1`` -> ``w_0_3_1``.

    A dotted label (a module's parameter name) keeps its last word and its indices: in a
    2-64-64-3 network every name appears a dozen times, and the short ones halve the source.
    """
    parts = text.split(".")
    words = [part for part in parts if not part.isdigit()]
    if len(parts) > 1 and words:
        text = "_".join([words[-1], *(part for part in parts if part.isdigit())])
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_")
    if not name:
        return fallback
    if name[0].isdigit():
        name = f"v{name}"
    return name


# Names the generated code needs for itself: helpers of ops, builtins, the modules.
_RESERVED = (
    set(vars(ops))
    | set(dir(builtins))
    | set(keyword.kwlist)
    | {"np", "math", "inf", "nan", "seed", "zeros", "step"}
)


class _Namer:
    """Unique names for the program's variables, with free ``g_`` and ``G_`` names beside."""

    def __init__(self) -> None:
        self.taken = set(_RESERVED)

    def __call__(self, wanted: str) -> str:
        name, k = wanted, 1
        while name in self.taken or f"g_{name}" in self.taken or f"G_{name}" in self.taken:
            k += 1
            name = f"{wanted}_{k}"
        self.taken.update((name, f"g_{name}", f"G_{name}"))
        return name


def _tape(
    output: Value,
    leaves: list[Value],
    params: list[Value],
    recorder: _Recorder,
    input_names: Sequence[str],
    aux: Sequence[Value | float] = (),
) -> tuple[Tape, list[Value]]:
    """The instructions of ``output``'s graph, in the reverse of backward's order, then those
    that only ``aux`` needs."""
    name = _Namer()
    operands: dict[Value, Operand] = {}
    inputs = []
    for i, (leaf, wanted) in enumerate(zip(leaves, input_names, strict=True)):
        inputs.append(Variable(name(_identifier(wanted, f"x{i}")), "input", i))
        operands[leaf] = inputs[-1]
    param_vars = []
    for i, p in enumerate(params):
        param_vars.append(Variable(name(_identifier(p.label, f"p{i}")), "param", i))
        operands[p] = param_vars[-1]
    constants = set(recorder.constants)
    detached = set(recorder.detached)

    order = [node for node, _ in sweep(output, 0.0, check=False)]
    order.reverse()
    # Aux Values that the output is not computed from come last, each after what it needs:
    # they are computed and returned, and no gradient flows through them.
    seen = set(order)
    for value in aux:
        if isinstance(value, Value) and value not in seen:
            extra = [node for node, _ in sweep(value, 0.0, check=False) if node not in seen]
            order += reversed(extra)
            seen.update(extra)
    instructions: list[Instruction] = []
    for node in order:
        if node in operands:
            continue
        if node.is_leaf:
            operands[node] = _leaf_constant(node, constants, detached)
            continue
        args = tuple(operands[a] if isinstance(a, Value) else a for a in node.args)
        if not any(isinstance(a, Variable) for a in args):  # made of constants only
            operands[node] = _DATA.__get__(node)
            continue
        wanted = "out" if node is output and not node.label else _identifier(node.label, "")
        out = Variable(name(wanted or f"t{len(instructions) + 1}"), "node", len(instructions))
        instructions.append(Instruction(out, ops.OPS[node.op], args))
        operands[node] = out
    aux_operands = [operands[v] if isinstance(v, Value) else v for v in aux]
    tape = Tape(tuple(inputs), tuple(param_vars), tuple(instructions), operands[output],
                aux=tuple(aux_operands))  # fmt: skip
    return tape, order


def _leaf_constant(leaf: Value, constants: set[Value], detached: set[Value]) -> float:
    """A leaf that is neither an argument nor a parameter: a constant, or refused."""
    if leaf in constants:
        return _DATA.__get__(leaf)
    if leaf in detached:
        raise TraceError(
            f"a traced function used {describe(leaf)}, computed under no_grad inside the "
            "function: its number would be baked into the trace as a constant. Compute it "
            "with gradients on, or outside the function and pass it in as an argument"
        )
    raise TraceError(
        f"a traced function used {describe(leaf)}, which it neither received as an argument "
        "nor made from plain numbers: baked in as a constant it would go stale when it "
        "changes. Pass it as an argument, or list it in params=... (a model's parameters: "
        "params=model.parameters())"
    )
