"""The Python backend: a tape lowered to straight-line Python over floats.

One statement per instruction for the forward pass, then the backward pass written out, one
statement per edge, in the order ``backward()`` walks the graph: the first contribution to a
gradient assigns it (``g_t1 = w1 * g_t2``), the next ones add to it (``g_t1 += ...``). Each
operation's code comes from its row of ``ops.OPS`` (see ``symbolic``), and every float
operation is the one the engine does, in the same order, so the result is the engine's bit
for bit. Gradients are named after what they belong to: ``g_w1`` is d out / d w1.

>>> from autograd.trace import trace
>>> print(trace(lambda x, y: (x * y).tanh(), 2.0, 0.5, backend="python").source, end="")
def program(x, y):
    t1 = x * y
    out = tanh(t1)
    g_t1 = 1.0 - out * out
    g_x = y * g_t1
    g_y = x * g_t1
    return out, (g_x, g_y), ()
"""

from __future__ import annotations

import linecache
import math
from collections.abc import Callable
from itertools import count
from typing import Any

from autograd import ops
from autograd.trace.symbolic import ADD, ATOM, CONDITIONAL, PYTHON, Dialect, Evaluator, Expr, code
from autograd.trace.tape import Operand, Tape, Variable

_programs = count(1)


def write_backward(
    tape: Tape, evaluator: Evaluator, seed: Any, grad_of: dict[Variable, Any], in_place: bool = True
) -> list[str]:
    """The backward pass as statements, one per edge; fills ``grad_of`` for every Variable.

    ``seed`` is the gradient of the output (the number 1.0, or a name). Shared by the
    Python and NumPy backends: only their dialects differ, and NumPy adds with ``g = g + c``
    rather than ``g += c``, which would change in place an array that ``g`` may share
    (``g_a = g_t2`` makes two names of one array).
    """
    dialect = evaluator.dialect
    lines = []
    if isinstance(tape.output, Variable):
        grad_of[tape.output] = seed
    for instruction in reversed(tape.instructions):
        g = grad_of.get(instruction.out)
        if g is None:  # cannot happen: every instruction leads to the output
            continue
        args = tuple(_operand(a, dialect) for a in instruction.args)
        out = _operand(instruction.out, dialect)
        local_grads = evaluator.local_grads(instruction.op, args, out)
        for arg, local in zip(instruction.args, local_grads, strict=True):
            if not isinstance(arg, Variable):
                continue
            contribution = local * g  # the chain rule, as the engine computes it
            if arg in grad_of and in_place:
                lines.append(f"g_{arg.name} += {code(contribution, CONDITIONAL)}")
            elif arg in grad_of:
                lines.append(f"g_{arg.name} = g_{arg.name} + {code(contribution, ADD + 1)}")
            else:
                lines.append(f"g_{arg.name} = {code(contribution, CONDITIONAL)}")
                grad_of[arg] = Expr(f"g_{arg.name}", dialect, ATOM)
    return lines


def write_forward(tape: Tape, evaluator: Evaluator) -> list[str]:
    """The forward pass as statements, one per instruction."""
    lines = []
    for instruction in tape.instructions:
        args = tuple(_operand(a, evaluator.dialect) for a in instruction.args)
        result = evaluator.forward(instruction.op, args)
        lines.append(f"{instruction.out.name} = {code(result, CONDITIONAL)}")
    return lines


def _operand(x: Operand, dialect: Dialect) -> Any:
    return Expr(x.name, dialect, ATOM) if isinstance(x, Variable) else x


def operand_code(x: Operand) -> str:
    """A Variable's name or a constant's code."""
    return x.name if isinstance(x, Variable) else code(x, CONDITIONAL)


def gradient_code(grad: Any) -> str:
    """The code of a Variable's gradient, ``0.0`` when nothing flows into it."""
    return "0.0" if grad is None else code(grad, CONDITIONAL)


def compile_source(source: str, namespace: dict[str, Any], backend: str) -> Callable:
    """Compile generated source into ``namespace``; its lines show up in tracebacks."""
    filename = f"<trace {backend} program {next(_programs)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # our own generated code, never input
    return namespace["program"]


class PythonProgram:
    """The tape as one Python function ``program(*inputs, *params)`` over floats.

    It returns ``(value, input_grads, param_grads)``, two tuples in the tape's order.
    """

    backend = "python"

    def __init__(self, tape: Tape) -> None:
        evaluator = Evaluator(PYTHON)
        grad_of: dict[Variable, Any] = {}
        body = write_forward(tape, evaluator)
        body += write_backward(tape, evaluator, 1.0, grad_of)
        input_grads = ", ".join(gradient_code(grad_of.get(v)) for v in tape.inputs)
        param_grads = ", ".join(gradient_code(grad_of.get(v)) for v in tape.params)
        body.append(
            f"return {operand_code(tape.output)}, ({_tuple(input_grads, tape.inputs)}), "
            f"({_tuple(param_grads, tape.params)})"
        )
        arguments = ", ".join(v.name for v in (*tape.inputs, *tape.params))
        self.source = f"def program({arguments}):\n" + "".join(f"    {s}\n" for s in body)
        namespace = dict(vars(ops), math=math, inf=math.inf, nan=math.nan)
        self.function = compile_source(self.source, namespace, self.backend)

    def run(self, inputs: list[float], params: list[float]) -> tuple[float, tuple, tuple]:
        """Value, input gradients and parameter gradients for one sample."""
        return self.function(*inputs, *params)

    def run_batch(self, columns: list[Any], params: list[float], n: int) -> tuple[Any, Any, Any]:
        """Per-sample values and input gradients, and each parameter's gradient summed."""
        import numpy as np

        rows = np.stack(columns, axis=1).tolist() if columns else [[]] * n
        values, input_grads, totals = [], [], [0.0] * len(params)
        for row in rows:
            value, grads, param_grads = self.function(*row, *params)
            values.append(value)
            input_grads.append(grads)
            totals = [t + g for t, g in zip(totals, param_grads, strict=True)]
        columns_of_grads = [np.array(g, dtype=float) for g in zip(*input_grads, strict=True)]
        if not columns_of_grads:
            columns_of_grads = [np.zeros(n) for _ in columns]
        return np.array(values, dtype=float), columns_of_grads, totals


def _tuple(items: str, variables: tuple) -> str:
    """A tuple's contents: a lone item needs its trailing comma."""
    return f"{items}," if len(variables) == 1 else items
