"""The tape: a traced function as a flat, ordered list of instructions ``out = op(args)``.

A tape is the whole program of one sample: its inputs (the traced function's arguments,
flattened), its parameters (Values whose current ``.data`` is read on every call), and one
instruction per node of the recorded graph, inputs before the nodes made from them. An
argument of an instruction is a ``Variable`` or a plain float (a folded constant). Backends
lower a tape to code; none of them ever sees a Value.

The order of the instructions is the reverse of the order in which ``backward()`` visits the
nodes, so a backend that walks the tape backwards adds each gradient's contributions in
exactly the engine's order, and its sums round exactly as the engine's do.

>>> from autograd.trace import trace
>>> print(trace(lambda x, y: (x * y).tanh(), 2.0, 0.5, backend="python").tape)
{ lambda x y .
    t1 = * x y
    out = tanh t1
  in out }
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from autograd.ops import Op


@dataclass(frozen=True, eq=False)
class Variable:
    """A named number of the program: an input, a parameter, or the result of an instruction.

    ``index`` is the position among the tape's inputs, its parameters, or its instructions.
    Variables compare by identity, so they serve as dict keys in the backends.
    """

    name: str
    kind: str  # "input", "param" or "node"
    index: int

    def __repr__(self) -> str:
        return self.name


Operand = Variable | float


@dataclass(frozen=True)
class Instruction:
    """``out = op(args)``: one node of the graph, its arguments Variables or folded floats."""

    out: Variable
    op: Op
    args: tuple[Operand, ...]

    def __str__(self) -> str:
        shown = " ".join(repr(a) for a in self.args)
        return f"{self.out.name} = {self.op.name} {shown}"


@dataclass(frozen=True)
class Tape:
    """One sample's program: inputs, parameters, instructions in order, and the output.

    ``grad_inputs`` are the inputs whose gradients the program computes (all of them unless
    ``trace`` was given ``argnums``); the parameters' gradients are always computed. ``aux``
    are numbers the program returns beside the output, not differentiated (``has_aux``).
    """

    inputs: tuple[Variable, ...]
    params: tuple[Variable, ...]
    instructions: tuple[Instruction, ...]
    output: Operand
    grad_inputs: tuple[Variable, ...] | None = None
    aux: tuple[Operand, ...] = ()

    def __post_init__(self) -> None:
        if self.grad_inputs is None:
            object.__setattr__(self, "grad_inputs", self.inputs)

    @cached_property
    def requires_grad(self) -> frozenset[Variable]:
        """The Variables whose gradients the backward pass needs: the gradient inputs, the
        parameters, and every result computed from them (PyTorch's ``requires_grad``).
        The others (what depends only on data, such as a target) get no gradient code."""
        needed = {*self.grad_inputs, *self.params}
        for instruction in self.instructions:
            if any(isinstance(a, Variable) and a in needed for a in instruction.args):
                needed.add(instruction.out)
        return frozenset(needed)

    def __str__(self) -> str:
        """The program in the style of a JAX jaxpr: arguments ; parameters . instructions."""
        arguments = " ".join(v.name for v in self.inputs)
        if self.params:
            arguments += " ; " + " ".join(v.name for v in self.params)
        lines = [f"{{ lambda {arguments} ."]
        lines += [f"    {instruction}" for instruction in self.instructions]
        returned = ", ".join(repr(a) for a in (self.output, *self.aux))
        lines.append(f"  in {returned if not self.aux else f'({returned})'} }}")
        return "\n".join(lines)


def split_variadic(args: tuple) -> tuple[list, list, object]:
    """The weights, inputs and bias of a variadic (``linear``) instruction's arguments."""
    n = (len(args) - 1) // 2
    return list(args[:n]), list(args[n:-1]), args[-1]
