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
    g_t1 = (1.0 - out) * (1.0 + out)
    g_x = y * g_t1
    g_y = x * g_t1
    return out, (g_x, g_y), ()
"""

from __future__ import annotations

import linecache
import math
from collections.abc import Callable, Sequence
from itertools import count
from typing import Any

from autograd import ops
from autograd.trace.symbolic import (
    ADD,
    ATOM,
    CONDITIONAL,
    PYTHON,
    Dialect,
    Evaluator,
    Expr,
    Spill,
    code,
)
from autograd.trace.tape import Instruction, Operand, Tape, Variable

_programs = count(1)


def write_backward(
    tape: Tape,
    evaluator: Evaluator,
    seed: Any,
    grad_of: dict[Variable, Any],
    in_place: bool = True,
    instructions: Sequence[Instruction] | None = None,
    totals: frozenset[Variable] = frozenset(),
    memo: dict[tuple[str, int], Any] | None = None,
) -> list[str]:
    """The backward pass as statements, one per edge; fills ``grad_of`` for every Variable.

    ``seed`` is the gradient of the output (the number 1.0, or a name). Shared by the
    Python and NumPy backends: only their dialects differ, and NumPy adds with ``g = g + c``
    rather than ``g += c``, which would change in place an array that ``g`` may share
    (``g_a = g_t2`` makes two names of one array). ``instructions`` walks only some of the
    tape (in reverse); contributions to the Variables in ``totals`` go to running totals
    ``G_name`` over a batch instead. ``memo`` keeps each instruction's local derivatives for
    the next pass written from the same tape (the Python backend writes two: the program and
    the loop of its batch function), since running the rules on names is most of the cost.
    """
    dialect = evaluator.dialect
    needed = tape.requires_grad
    lines = []
    if isinstance(tape.output, Variable) and tape.output not in grad_of:
        grad_of[tape.output] = seed
    for instruction in reversed(tape.instructions if instructions is None else instructions):
        g = grad_of.get(instruction.out)
        if g is None:  # no gradient flows through it: it computes with data, or an aux only
            continue
        key = ("local_grads", id(instruction))
        local_grads = None if memo is None else memo.get(key)
        if local_grads is None:
            args = tuple(_operand(a, dialect) for a in instruction.args)
            out = _operand(instruction.out, dialect)
            local_grads = evaluator.local_grads(instruction.op, args, out)
            if memo is not None:
                memo[key] = local_grads
        for arg, local in zip(instruction.args, local_grads, strict=True):
            if not isinstance(arg, Variable) or arg not in needed:
                continue
            contribution = local * g  # the chain rule, as the engine computes it
            if arg in totals:
                lines.append(f"G_{arg.name} += {code(contribution, CONDITIONAL)}")
                grad_of[arg] = Expr(f"G_{arg.name}", dialect, ATOM)
            elif arg in grad_of and in_place:
                lines.append(f"g_{arg.name} += {code(contribution, CONDITIONAL)}")
            elif arg in grad_of:
                lines.append(f"g_{arg.name} = g_{arg.name} + {code(contribution, ADD + 1)}")
            else:
                lines.append(f"g_{arg.name} = {code(contribution, CONDITIONAL)}")
                grad_of[arg] = Expr(f"g_{arg.name}", dialect, ATOM)
    return lines


def write_forward(
    tape: Tape,
    evaluator: Evaluator,
    instructions: Sequence[Instruction] | None = None,
    memo: dict[tuple[str, int], Any] | None = None,
) -> list[str]:
    """The forward pass as statements, one per instruction (of ``instructions`` if given);
    ``memo`` keeps each instruction's statements for another pass (see ``write_backward``)."""
    lines = []
    for instruction in tape.instructions if instructions is None else instructions:
        key = ("forward", id(instruction))
        statements = None if memo is None else memo.get(key)
        if statements is None:
            args = tuple(_operand(a, evaluator.dialect) for a in instruction.args)
            with Spill(instruction.out.name) as spill:
                result = evaluator.forward(instruction.op, args)
            statements = [*spill.lines, f"{instruction.out.name} = {code(result, CONDITIONAL)}"]
            if memo is not None:
                memo[key] = statements
        lines += statements
    return lines


def _operand(x: Operand, dialect: Dialect) -> Any:
    return Expr(x.name, dialect, ATOM) if isinstance(x, Variable) else x


def operand_code(x: Operand) -> str:
    """A Variable's name or a constant's code."""
    return x.name if isinstance(x, Variable) else code(x, CONDITIONAL)


def gradient_code(grad: Any) -> str:
    """The code of a Variable's gradient, ``0.0`` when nothing flows into it."""
    return "0.0" if grad is None else code(grad, CONDITIONAL)


def compile_source(
    source: str, namespace: dict[str, Any], backend: str, name: str = "program"
) -> Callable:
    """Compile generated source into ``namespace`` and return the function ``name`` it
    defines; its lines show up in tracebacks."""
    filename = f"<trace {backend} {name} {next(_programs)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # our own generated code, never input
    return namespace[name]


class PythonProgram:
    """The tape as one Python function ``program(*inputs, *params)`` over floats.

    It returns ``(value, input_grads, param_grads)``, two tuples in the tape's order, and a
    tuple of the aux numbers after them where the tape has some.
    """

    backend = "python"

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        evaluator = Evaluator(PYTHON)
        grad_of: dict[Variable, Any] = {}
        memo: dict[tuple[str, int], Any] = {}  # each instruction's code, for the batch function
        body = write_forward(tape, evaluator, memo=memo)
        body += write_backward(tape, evaluator, 1.0, grad_of, memo=memo)
        body.append(return_statement(tape, grad_of))
        arguments = ", ".join(v.name for v in (*tape.inputs, *tape.params))
        program = f"def program({arguments}):\n" + "".join(f"    {s}\n" for s in body)
        self._batch_text = _batch_source(tape, evaluator, memo)
        self.source = program if self._batch_text is None else f"{program}\n\n{self._batch_text}"
        self._namespace = dict(vars(ops), math=math, inf=math.inf, nan=math.nan)
        self.function = compile_source(program, self._namespace, self.backend)
        self._batch: Callable | None = None

    def _batch_function(self) -> Callable | None:
        """The ``batch`` function, compiled when first needed: CPython's compiler takes about
        a second per 2 MiB of source, and a trace that is only ever called per sample (or
        checked) never needs its batch loop."""
        if self._batch is None and self._batch_text is not None:
            compile_source(self._batch_text, self._namespace, self.backend, name="batch")
            self._batch = self._namespace["batch"]
        return self._batch

    def run(self, inputs: list[float], params: list[float]) -> tuple[float, tuple, tuple, tuple]:
        """Value, input gradients, parameter gradients and aux numbers for one sample."""
        result = self.function(*inputs, *params)
        return result if len(result) == 4 else (*result, ())

    def run_batch(
        self, columns: list[Any], params: list[float], n: int
    ) -> tuple[Any, list[Any], Any, list[Any]]:
        """Per-sample values and input gradients, each parameter's gradient summed, and the
        per-sample aux numbers."""
        import numpy as np

        rows = np.stack(columns, axis=1).tolist() if columns else [[]] * n
        params = params.tolist() if isinstance(params, np.ndarray) else params  # Python floats
        batch = self._batch_function()
        if batch is not None:
            values, input_grads, totals, *aux = batch(rows, *params)
            aux = aux[0] if aux else []
        else:
            values, input_grads, aux, totals = [], [], [], [0.0] * len(params)
            for row in rows:
                value, grads, param_grads, numbers = self.run(row, params)
                values.append(value)
                input_grads.append(grads)
                aux.append(numbers)
                totals = [t + g for t, g in zip(totals, param_grads, strict=True)]
        columns_of_grads = [np.array(g, dtype=float) for g in zip(*input_grads, strict=True)]
        if not columns_of_grads:
            columns_of_grads = [np.zeros(n) for _ in self.tape.grad_inputs]
        columns_of_aux = [np.array(a, dtype=float) for a in zip(*aux, strict=True)]
        return np.array(values, dtype=float), columns_of_grads, totals, columns_of_aux


def _batch_source(
    tape: Tape, evaluator: Evaluator, memo: dict[tuple[str, int], Any] | None = None
) -> str | None:
    """``batch(samples, *params)``: the program run over a batch, in one function.

    What depends only on the parameters (an L2 penalty, say) is the same for every sample, so
    it is computed once, before the loop over the samples; its gradient, being linear in the
    gradient from above, is passed back once, after the loop, from the sum over the samples.
    Contributions to a parameter go straight into its running total ``G_name``. None when
    the output does not depend on the samples, or nothing does, or there are no parameters
    (the loop of ``run_batch`` over ``program`` does as well then).
    """
    if not tape.params:
        return None
    shared: set[Variable] = set(tape.params)
    for instruction in tape.instructions:
        if all(a in shared for a in instruction.args if isinstance(a, Variable)):
            shared.add(instruction.out)
    per_sample = [i for i in tape.instructions if i.out not in shared]
    once = [i for i in tape.instructions if i.out in shared]
    if not isinstance(tape.output, Variable) or tape.output in shared or not tape.inputs:
        return None
    totals = frozenset(shared)
    grad_of: dict[Variable, Any] = {}
    loop = write_forward(tape, evaluator, per_sample, memo)
    loop += write_backward(tape, evaluator, 1.0, grad_of, True, per_sample, totals, memo)
    input_grads = ", ".join(gradient_code(grad_of.get(v)) for v in tape.grad_inputs)
    loop.append(f"values.append({tape.output.name})")
    if tape.grad_inputs:
        loop.append(f"input_grads.append(({_tuple(input_grads, tape.grad_inputs)}))")
    if tape.aux:
        loop.append(f"aux.append({aux_code(tape)[2:]})")
    # what the loop hands back: the totals of shared Variables that per-sample code reads
    fed = {a for i in per_sample for a in i.args if isinstance(a, Variable) and a in shared}
    for variable in fed:
        grad_of.setdefault(variable, Expr(f"G_{variable.name}", evaluator.dialect, ATOM))
    after = write_backward(tape, evaluator, 1.0, grad_of, True, once, totals, memo)
    samples = ", ".join(v.name for v in tape.inputs)
    param_totals = ", ".join(f"G_{v.name}" for v in tape.params)
    lines = [
        *write_forward(tape, evaluator, once, memo),
        *(f"G_{v.name} = 0.0" for v in (*tape.params, *(i.out for i in once))),
        "values, input_grads, aux = [], [], []" if tape.aux else "values, input_grads = [], []",
        f"for {samples}{',' if len(tape.inputs) == 1 else ''} in samples:",
        *(f"    {line}" for line in loop),
        *after,
        f"return values, input_grads, ({_tuple(param_totals, tape.params)})"
        + (", aux" if tape.aux else ""),
    ]
    arguments = ", ".join(["samples", *(v.name for v in tape.params)])
    return f"def batch({arguments}):\n" + "".join(f"    {line}\n" for line in lines)


def return_statement(tape: Tape, grad_of: dict[Variable, Any]) -> str:
    """``return out, (g_x, ...), (g_p, ...)``: the value, the inputs' and the params' grads."""
    input_grads = ", ".join(gradient_code(grad_of.get(v)) for v in tape.grad_inputs)
    param_grads = ", ".join(gradient_code(grad_of.get(v)) for v in tape.params)
    return (
        f"return {operand_code(tape.output)}, ({_tuple(input_grads, tape.grad_inputs)}), "
        f"({_tuple(param_grads, tape.params)}){aux_code(tape)}"
    )


def aux_code(tape: Tape) -> str:
    """``, (t7, t9)``: the numbers returned beside the output, where the tape has any."""
    if not tape.aux:
        return ""
    return f", ({_tuple(', '.join(operand_code(a) for a in tape.aux), tape.aux)})"


def _tuple(items: str, variables: tuple) -> str:
    """A tuple's contents: a lone item needs its trailing comma."""
    return f"{items}," if len(variables) == 1 else items
