"""The fused backend: scalar instructions grouped into matrix operations, over a batch.

A layer of neurons is, in the scalar graph, one ``linear`` instruction per neuron, all on the
same inputs, each with its own weights and bias (parameters). The fused backend finds such
groups and writes each as one matrix product, then finds the elementwise instructions applied
to every column of a matrix (a layer's activations) and writes each group as one NumPy call.
What it finds are the layer equations of backpropagation, with samples as rows:

    Z = X @ W.T + b             the layer's pre-activations, one row per sample
    A = relu(Z)                 its activations (the op's row of the table, on a matrix)
    G_Z = step(Z) * G_A         delta = f'(z) * dLoss/da
    G_X = G_Z @ W               dLoss/da of the layer below: W^T delta, a row per sample
    dW = G_Z.T @ X              dLoss/dW = delta a^T, summed over the samples

Everything it does not group (a loss, a penalty) is lowered as the NumPy backend lowers it,
one operation per instruction, reading and writing columns of the matrices. Parameters come
in as one flat array ``P`` and their gradients, summed over the samples, go out as one flat
array ``GP``. Sums run in NumPy's order, so results agree with the engine to rounding.

>>> from autograd import Value, linear, trace
>>> w = [[Value(0.5), Value(-1.0)], [Value(2.0), Value(1.0)]]
>>> b = [Value(0.0), Value(0.1)]
>>> def layer(x):
...     h = [linear(wi, x, bi).relu() for wi, bi in zip(w, b)]
...     return h[0] + h[1]
>>> traced = trace(layer, [1.0, 2.0], params=[*w[0], *w[1], *b], backend="fused")
>>> print(traced.source, end="")  # doctest: +ELLIPSIS
def program(x_0, x_1, P, seed):
    W1 = P[W1_index]
    b1 = P[b1_index]
    X1 = np.stack((x_0, x_1), axis=1)
    Z1 = X1 @ W1.T + b1
    A1 = np.where(Z1 < 0, 0.0, Z1)
    out = A1[:, 0] + A1[:, 1]
    ...
    G_Z1 = np.where(Z1 <= 0, 0.0, G_A1)
    G_X1 = G_Z1 @ W1
    GP[W1_index] += G_Z1.T @ X1
    GP[b1_index] += G_Z1.sum(axis=0)
    ...
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import ops
from autograd.trace.memory import keep_freed_memory
from autograd.trace.python import compile_source
from autograd.trace.symbolic import (
    ADD,
    ATOM,
    CONDITIONAL,
    NUMPY,
    Evaluator,
    Expr,
    LoweringError,
    NumpyDialect,
    Spill,
    code,
)
from autograd.trace.tape import Instruction, Operand, Tape, Variable, split_variadic


@dataclass(eq=False)
class Matrix:
    """A (batch, columns) array of the program; ``columns`` are the Variables it holds."""

    name: str
    columns: list[Variable]


@dataclass(eq=False)
class Block:
    """One step of the fused program: several instructions, or one, and what they need."""

    kind: str  # "dense", "elementwise", "dot", "single" or "stack"
    instructions: list[Instruction]
    out: Matrix | None = None  # the matrix a dense, elementwise or stack block makes
    source: Matrix | None = None  # the X of a dense block, the input of an elementwise one
    columns: list[int] = field(default_factory=list)  # which columns of source, in order
    first: int = 0  # position of its first instruction on the tape: keeps the order readable

    def consumes(self) -> set[Variable]:
        if self.kind == "stack" and self.out is not None:
            return set(self.out.columns)
        used = {a for i in self.instructions for a in i.args if isinstance(a, Variable)}
        return used - {i.out for i in self.instructions}

    def produces(self) -> list[Variable]:
        if self.out is not None:
            return list(self.out.columns)
        return [i.out for i in self.instructions]


def _dense_key(instruction: Instruction) -> tuple | None:
    """For a neuron (``linear`` of parameter weights and bias on node inputs): its inputs."""
    if not instruction.op.variadic:
        return None
    weights, inputs, bias = split_variadic(instruction.args)
    if not all(isinstance(w, Variable) and w.kind == "param" for w in weights):
        return None
    if not (isinstance(bias, Variable) and bias.kind == "param"):
        return None
    if not all(isinstance(x, Variable) and x.kind != "param" for x in inputs):
        return None
    return tuple(inputs)


def _is_parameter_dot(instruction: Instruction) -> bool:
    """A ``linear`` of parameters only, such as an L2 penalty: the same for every sample."""
    if not instruction.op.variadic or len(instruction.args) < 5:
        return False
    weights, inputs, bias = split_variadic(instruction.args)
    params = [*weights, *inputs]
    return all(isinstance(a, Variable) and a.kind == "param" for a in params) and (
        not isinstance(bias, Variable) or bias.kind == "param"
    )


class _Grouping:
    """The blocks of a tape: dense layers, elementwise groups, dots, single instructions."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self.position = {ins.out: k for k, ins in enumerate(tape.instructions)}
        self.location: dict[Variable, tuple[Matrix, int]] = {}
        self.blocks: list[Block] = []
        grouped: set[int] = set()
        self.counter = 0

        layers: dict[tuple, list[Instruction]] = {}
        for ins in tape.instructions:
            key = _dense_key(ins)
            if key is not None:
                layers.setdefault(key, []).append(ins)
        for inputs, members in layers.items():
            self.counter += 1
            source = self._matrix_of(list(inputs), f"X{self.counter}")
            out = Matrix(f"Z{self.counter}", [ins.out for ins in members])
            self._add(Block("dense", members, out, source), grouped)

        changed = True
        while changed:  # an activation's matrix can feed another elementwise group
            changed = False
            groups: dict[tuple, list[tuple[Instruction, int]]] = {}
            for ins in tape.instructions:
                if id(ins) in grouped or ins.op.variadic:
                    continue
                variables = [a for a in ins.args if isinstance(a, Variable)]
                if len(variables) != 1 or variables[0] not in self.location:
                    continue
                matrix, column = self.location[variables[0]]
                constants = tuple(None if isinstance(a, Variable) else repr(a) for a in ins.args)
                key = (ins.op.name, constants, id(matrix))
                groups.setdefault(key, []).append((ins, column))
            for members in groups.values():
                if len(members) < 2:
                    continue
                changed = True
                first = next(a for a in members[0][0].args if isinstance(a, Variable))
                source = self.location[first][0]
                out = Matrix(self._name("A" + source.name[1:]), [ins.out for ins, _ in members])
                block = Block(
                    "elementwise", [ins for ins, _ in members], out, source, [c for _, c in members]
                )
                self._add(block, grouped)

        for block in [b for b in self.blocks if b.kind == "stack"]:
            self._replace_stack(block)

        for ins in tape.instructions:
            if id(ins) not in grouped:
                kind = "dot" if _is_parameter_dot(ins) else "single"
                self.blocks.append(Block(kind, [ins], first=self.position[ins.out]))
        self.blocks = self._schedule()

    def _add(self, block: Block, grouped: set[int]) -> None:
        block.first = min(self.position[i.out] for i in block.instructions)
        for column, variable in enumerate(block.out.columns):
            self.location[variable] = (block.out, column)
        grouped.update(id(i) for i in block.instructions)
        self.blocks.append(block)

    def _replace_stack(self, stack: Block) -> None:
        """A layer's input stacked from columns that an elementwise group has since put
        together in one matrix (the activations of the layer below) reads that matrix."""
        located = [self.location.get(v) for v in stack.out.columns]
        if not all(loc is not None for loc in located):
            return
        matrix = located[0][0]
        if any(loc[0] is not matrix for loc in located) or matrix.columns != stack.out.columns:
            return
        for block in self.blocks:
            if block.source is stack.out:
                block.source = matrix
        self.blocks.remove(stack)

    def _name(self, wanted: str) -> str:
        """A fresh matrix name: ``A1`` for the activations of ``Z1``, then ``A1_2``, ..."""
        taken = {b.out.name for b in self.blocks if b.out is not None}
        name, k = wanted, 1
        while name in taken:
            k += 1
            name = f"{wanted}_{k}"
        return name

    def _matrix_of(self, variables: list[Variable], name: str) -> Matrix:
        """The matrix whose columns are exactly ``variables``, made by a stack if need be."""
        for block in self.blocks:
            if block.out is not None and block.out.columns == variables:
                return block.out
        located = [self.location.get(v) for v in variables]
        if located and all(loc is not None for loc in located):
            matrix = located[0][0]
            if matrix.columns == variables:
                return matrix
        stack = Matrix(name, list(variables))
        self.blocks.append(Block("stack", [], stack))
        return stack

    def _schedule(self) -> list[Block]:
        """The blocks in an order where each comes after the blocks that make what it uses."""
        maker: dict[Variable, Block] = {}
        for block in self.blocks:
            if block.kind != "stack":
                for v in block.produces():
                    maker[v] = block
        for block in self.blocks:  # a stack goes right before its first user
            if block.kind == "stack":
                users = [b for b in self.blocks if b.source is block.out]
                block.first = min(b.first for b in users) if users else 0
        waiting = {id(b): {id(maker[v]) for v in b.consumes() if v in maker} for b in self.blocks}
        done: set[int] = set()
        order = []
        pending = sorted(self.blocks, key=lambda b: (b.first, b.kind != "stack"))
        while pending:
            for k, block in enumerate(pending):
                if waiting[id(block)] <= done:
                    order.append(block)
                    done.add(id(block))
                    del pending[k]
                    break
            else:
                raise LoweringError("the groups found depend on each other in a cycle")
        return order


def without_repeats(tape: Tape) -> Tape:
    """The tape without the repeats of instructions that no gradient flows through: such an
    instruction that does what an earlier one did (the same operation on the same arguments)
    is removed, and its uses read the earlier one's result.

    Log-sum-exp's shift (``max_shift``, whose derivatives are strong zeros) and its negation
    are recomputed for every ``v - m``, and a loss written out for each class of a one-hot
    target computes them once per class: over a batch each is a pass over the data. Every row
    of the table is a function of its arguments alone, so the result is the same, and since
    no gradient flows through these, every gradient is the same too, bit for bit. (Merging
    repeats that carry gradients would add their gradients in another order, which loses the
    digits of a sum that cancels, such as the gradient of a confident logit.)
    """
    evaluator = Evaluator(NUMPY)
    carries: set[Variable] = {*tape.grad_inputs, *tape.params}  # gradients flow back to these
    same: dict[Variable, Variable] = {}
    seen: dict[tuple, Variable] = {}
    instructions = []
    for ins in tape.instructions:
        args = tuple(same.get(a, a) if isinstance(a, Variable) else a for a in ins.args)
        if _passes_gradient(evaluator, ins.op, args, carries):
            carries.add(ins.out)
        else:
            # Constants by their text: 0.0 and -0.0 (and each nan) are different arguments.
            key = (ins.op.name, *(a if isinstance(a, Variable) else repr(a) for a in args))
            if key in seen:
                same[ins.out] = seen[key]
                continue
            seen[key] = ins.out
        instructions.append(ins if args == ins.args else Instruction(ins.out, ins.op, args))
    output = tape.output
    output = same.get(output, output)
    aux = tuple(same.get(a, a) if isinstance(a, Variable) else a for a in tape.aux)
    return Tape(tape.inputs, tape.params, tuple(instructions), output, tape.grad_inputs, aux)


def _passes_gradient(evaluator: Evaluator, op: Any, args: tuple, carries: set[Variable]) -> bool:
    """Whether a gradient reaches an input or parameter through this instruction: some
    argument carries one, and its local derivative is not a strong zero (from the row)."""
    carrying = [isinstance(a, Variable) and a in carries for a in args]
    if not any(carrying):
        return False
    if op.variadic:
        return True
    symbols = tuple(Expr(f"a{k}", NUMPY, ATOM) for k in range(len(args)))
    try:
        local = evaluator.local_grads(op, symbols, Expr("out", NUMPY, ATOM))
    except LoweringError:
        return True
    return any(
        c and not isinstance(g, ops.StrongZero) for c, g in zip(carrying, local, strict=True)
    )


class FusedProgram:
    """The tape as ``program(*inputs, P, seed)`` with layers written as matrix products.

    The grouping is the same for every array library; ``dialect`` spells the program in one
    of them (NumPy here, PyTorch in ``autograd.trace.torch``), and a subclass for another
    library gives the names the program reads (``_runtime``, ``_index_array``) and runs it.
    """

    backend = "fused"

    def __init__(self, tape: Tape, dialect: NumpyDialect = NUMPY) -> None:
        keep_freed_memory()  # a layer over a batch is a large array, made again every call
        self.tape = tape = without_repeats(tape)
        self.dialect = dialect
        grouping = _Grouping(tape)
        self._evaluator = Evaluator(dialect)
        self._location = grouping.location
        self._namespace: dict[str, Any] = self._runtime()
        self._indices: dict[str, list] = {}
        self._param_names: dict[Variable, str] = {}
        self._grad: dict[Variable, Any] = {}  # the gradient Expr of each standalone Variable
        self._constant_grads: set[Variable] = set()  # still a plain number (a strong zero's 0.0)
        self._matrix_grads: set[str] = set()  # the matrices whose G_ exists by now
        prologue: list[str] = []
        forward: list[str] = []
        for block in grouping.blocks:
            forward += self._forward(block, prologue)
        backward = self._seed()
        for block in reversed(grouping.blocks):
            backward += self._backward(block)
        backward += self._parameter_gradients()
        inputs = ", ".join(self._input_grad(v) for v in tape.grad_inputs)
        if len(tape.grad_inputs) == 1:
            inputs += ","
        output = (
            self._code(tape.output)
            if isinstance(tape.output, Variable)
            else code(tape.output, CONDITIONAL)
        )
        body = [*prologue, *forward, f"GP = {dialect.zeros_like('P')}", *backward]
        aux = "".join(f", {self._aux_code(a)}" for a in tape.aux)
        if aux:
            aux = f", ({aux[2:]}{',' if len(tape.aux) == 1 else ''})"
        body.append(f"return {output}, ({inputs}), GP{aux}")
        arguments = ", ".join([*(v.name for v in tape.inputs), "P", "seed"])
        self.source = f"def program({arguments}):\n" + "".join(f"    {s}\n" for s in body)
        self.function = compile_source(self.source, self._namespace, self.backend)

    def _runtime(self) -> dict[str, Any]:
        """The names the generated program reads besides its arguments."""
        return {"np": np, "inf": math.inf, "nan": math.nan, "STRONG_ZERO": 0.0}

    def _index_array(self, indices: list) -> Any:
        """Positions in ``P`` (or columns of a matrix) as the array library indexes with."""
        return np.array(indices, dtype=np.intp)

    # -- operands -----------------------------------------------------------------------------

    def _code(self, v: Variable) -> str:
        if v.kind == "param":
            return self._param_name(v)
        if v in self._location:
            matrix, column = self._location[v]
            return f"{matrix.name}[:, {column}]"
        return v.name

    def _param_name(self, v: Variable) -> str:
        if v not in self._param_names:
            self._param_names[v] = v.name
        return v.name

    def _operand(self, a: Operand) -> Any:
        return Expr(self._code(a), self.dialect, ATOM) if isinstance(a, Variable) else a

    def _index(self, name: str, indices: list) -> str:
        self._indices[name] = indices
        self._namespace[name] = self._index_array(indices)
        return name

    def _gather(self, name: str, indices: list[int]) -> str:
        """The code of the parameters at ``indices``, in order: ``P`` itself when that is all
        of them in their own order (an L2 penalty's), else ``P[name]``."""
        if indices == list(range(len(self.tape.params))):
            return "P"
        return f"P[{self._index(name, indices)}]"

    def _add_to_parameters(self, name: str, indices: list[int], values: str) -> str:
        """``GP[indices] += values``, written as the cheapest statement that adds every value."""
        if indices == list(range(len(self.tape.params))):
            return f"GP += {values}"
        self._index(name, indices)
        if len(set(indices)) == len(indices):
            return f"GP[{name}] += {values}"
        # an index that repeats: += on a fancy index would keep one of its values
        return self.dialect.add_at("GP", name, values)

    # -- forward --------------------------------------------------------------------------------

    def _forward(self, block: Block, prologue: list[str]) -> list[str]:
        if block.kind == "stack":
            columns = [self._code(v) for v in block.out.columns]
            return [f"{block.out.name} = {self.dialect.stack(columns, axis=1)}"]
        if block.kind == "dense":
            n = block.out.name[1:]
            weights = [split_variadic(i.args)[0] for i in block.instructions]
            biases = [split_variadic(i.args)[2] for i in block.instructions]
            w_index = [[w.index for w in row] for row in weights]
            self._index(f"W{n}_index", w_index)
            self._index(f"b{n}_index", [b.index for b in biases])
            prologue += [f"W{n} = P[W{n}_index]", f"b{n} = P[b{n}_index]"]
            return [f"{block.out.name} = {block.source.name} @ W{n}.T + b{n}"]
        if block.kind == "elementwise":
            source = self._source_expr(block)
            ins = block.instructions[0]
            args = tuple(source if isinstance(a, Variable) else a for a in ins.args)
            result = self._evaluator.forward(ins.op, args)
            return [f"{block.out.name} = {code(result, CONDITIONAL)}"]
        ins = block.instructions[0]
        if block.kind == "dot":
            weights, inputs, bias = split_variadic(ins.args)
            w = self._gather(f"{ins.out.name}_w", [a.index for a in weights])
            x = self._gather(f"{ins.out.name}_x", [a.index for a in inputs])
            bias_code = f"P[{bias.index}]" if isinstance(bias, Variable) else code(bias, ATOM)
            return [f"{ins.out.name} = {bias_code} + {w} @ {x}"]
        self._unpack_params(ins, prologue)
        args = tuple(self._operand(a) for a in ins.args)
        with Spill(ins.out.name) as spill:
            result = self._evaluator.forward(ins.op, args)
        return [*spill.lines, f"{ins.out.name} = {code(result, CONDITIONAL)}"]

    def _unpack_params(self, ins: Instruction, prologue: list[str]) -> None:
        for a in ins.args:
            if isinstance(a, Variable) and a.kind == "param" and a not in self._param_names:
                prologue.append(f"{self._param_name(a)} = P[{a.index}]")

    def _source_expr(self, block: Block) -> Expr:
        source = block.source
        if block.columns == list(range(len(source.columns))):
            return Expr(source.name, self.dialect, ATOM)
        index = self._index(f"{block.out.name}_from", block.columns)
        return Expr(f"{source.name}[:, {index}]", self.dialect, ATOM)

    # -- backward -------------------------------------------------------------------------------

    def _seed(self) -> list[str]:
        output = self.tape.output
        if not isinstance(output, Variable):
            return []
        return self._contribute(output, Expr("seed", self.dialect, ATOM))

    def _grad_of(self, v: Variable) -> Any:
        if v in self._location:
            matrix, column = self._location[v]
            if matrix.name not in self._matrix_grads:
                return None
            return Expr(f"G_{matrix.name}[:, {column}]", self.dialect, ATOM)
        return self._grad.get(v)

    def _add_to_matrix(self, name: str, columns: str | None, text: str) -> list[str]:
        """``G_name += text`` (or ``G_name[:, columns] += text``), making G_name at first."""
        if columns is None:
            if name in self._matrix_grads:
                return [f"G_{name} += {text}"]
            self._matrix_grads.add(name)
            if re.fullmatch(r"[A-Za-z_]\w*(\[[^]]*\])?", text):  # a name or a view of one:
                text = self.dialect.copy(text)  # G_name is added to in place: it needs its own
            return [f"G_{name} = {text}"]
        lines = []
        if name not in self._matrix_grads:
            self._matrix_grads.add(name)
            lines.append(f"G_{name} = {self.dialect.zeros_like(name)}")
        return [*lines, f"G_{name}[:, {columns}] += {text}"]

    def _contribute(self, v: Variable, contribution: Any) -> list[str]:
        """Add a per-sample contribution to v's gradient, wherever v lives."""
        if v not in self.tape.requires_grad:  # computed from data only: no gradient wanted
            return []
        text = code(contribution, CONDITIONAL)
        # Adding a plain 0.0 (a max_shift's strong zero) changes no gradient but the sign of a
        # -0.0, and gradients' zeros count without their sign: it is a pass over the data saved.
        nothing = text == "0.0"
        if v in self._location:
            matrix, column = self._location[v]
            if nothing and matrix.name in self._matrix_grads:
                return []
            return self._add_to_matrix(matrix.name, str(column), text)
        if nothing and v in self._grad:
            return []
        if v in self._grad:  # not +=: g_v may share its array with another name
            if isinstance(contribution, Expr):
                self._constant_grads.discard(v)
            return [f"g_{v.name} = g_{v.name} + {code(contribution, ADD + 1)}"]
        self._grad[v] = Expr(f"g_{v.name}", self.dialect, ATOM)
        if not isinstance(contribution, Expr):
            self._constant_grads.add(v)
        return [f"g_{v.name} = {text}"]

    def _backward(self, block: Block) -> list[str]:
        if block.kind == "stack":
            lines: list[str] = []
            if block.out.name in self._matrix_grads:
                for column, v in enumerate(block.out.columns):
                    grad = Expr(f"G_{block.out.name}[:, {column}]", self.dialect, ATOM)
                    lines += self._contribute(v, grad)
            return lines
        if block.kind == "dense":
            if block.out.name not in self._matrix_grads:
                return []
            n = block.out.name[1:]
            z, x = block.out.name, block.source.name
            lines = [
                *(
                    self._add_to_matrix(x, None, f"G_{z} @ W{n}")
                    if self._wants(block.source)
                    else []
                ),
                f"GP[W{n}_index] += G_{z}.T @ {x}",
                f"GP[b{n}_index] += {self.dialect.sum(f'G_{z}', axis=0)}",
            ]
            for index in (f"W{n}_index", f"b{n}_index"):
                positions = np.ravel(self._indices[index]).tolist()
                if len(set(positions)) < len(positions):
                    # a parameter used twice in one layer: += on a fancy index would keep one
                    k = next(i for i, line in enumerate(lines) if line.startswith(f"GP[{index}]"))
                    added = lines[k].partition(" += ")[2]
                    lines[k] = self.dialect.add_at("GP", index, added)
            return lines
        if block.kind == "elementwise":
            if block.out.name not in self._matrix_grads or not self._wants(block.source):
                return []
            ins = block.instructions[0]
            source = self._source_expr(block)
            args = tuple(source if isinstance(a, Variable) else a for a in ins.args)
            out = Expr(block.out.name, self.dialect, ATOM)
            (local,) = [g for g in self._evaluator.local_grads(ins.op, args, out) if g is not None]
            g_out = Expr(f"G_{block.out.name}", self.dialect, ATOM)
            contribution = code(local * g_out, CONDITIONAL)
            if source.code == block.source.name:
                return self._add_to_matrix(block.source.name, None, contribution)
            index = f"{block.out.name}_from"
            if len(set(block.columns)) == len(block.columns):
                return self._add_to_matrix(block.source.name, index, contribution)
            lines = self._add_to_matrix(block.source.name, index, "0.0")[:-1]
            added = self.dialect.add_at_columns(f"G_{block.source.name}", index, contribution)
            return [*lines, added]
        ins = block.instructions[0]
        g = self._grad_of(ins.out)
        if g is None:
            return []
        if block.kind == "dot":
            weights, inputs, bias = split_variadic(ins.args)
            name = ins.out.name
            w_index, x_index = [a.index for a in weights], [a.index for a in inputs]
            w, x = self._gather(f"{name}_w", w_index), self._gather(f"{name}_x", x_index)
            total = f"G_{name}"  # the same for every parameter: summed over samples once
            lines = [
                f"{total} = {code(g, ATOM)}.sum()",
                self._add_to_parameters(f"{name}_w", w_index, f"{x} * {total}"),
                self._add_to_parameters(f"{name}_x", x_index, f"{w} * {total}"),
            ]
            if isinstance(bias, Variable):
                lines.append(f"GP[{bias.index}] += {total}")
            return lines
        args = tuple(self._operand(a) for a in ins.args)
        out = Expr(self._code(ins.out), self.dialect, ATOM)
        lines = []
        for arg, local in zip(
            ins.args, self._evaluator.local_grads(ins.op, args, out), strict=True
        ):
            if isinstance(arg, Variable):
                lines += self._contribute(arg, local * g)
        return lines

    def _parameter_gradients(self) -> list[str]:
        """Per-sample gradients of single instructions' parameters, summed into GP."""
        params = [v for v in self._grad if v.kind == "param"]
        if not params:
            return []
        # a gradient that is a plain number is the same for every sample: as many as there are
        grads = [
            f"g_{v.name} * seed" if v in self._constant_grads else f"g_{v.name}" for v in params
        ]
        per_sample = self.dialect.stack(grads, axis=0)
        indices = [v.index for v in params]
        return [
            self._add_to_parameters("single_params", indices, self.dialect.sum(per_sample, axis=1))
        ]

    def _wants(self, matrix: Matrix) -> bool:
        """Whether any column of ``matrix`` needs its gradient (see ``Tape.requires_grad``)."""
        return any(v in self.tape.requires_grad for v in matrix.columns)

    def _aux_code(self, a: Operand) -> str:
        if isinstance(a, Variable) and a.kind == "param":
            return f"P[{a.index}]"
        return self._code(a) if isinstance(a, Variable) else code(a, CONDITIONAL)

    def _input_grad(self, v: Variable) -> str:
        g = self._grad.get(v)
        return "0.0" if g is None else g.code

    # -- running ----------------------------------------------------------------------------------

    def run_batch(
        self, columns: list[Any], params: list[float], n: int
    ) -> tuple[Any, Any, Any, list[Any]]:
        """Per-sample values and input gradients, each parameter's gradient summed, and the
        aux numbers (an array of n, or one number for all, each)."""
        seed = np.ones(n)
        with np.errstate(all="ignore"):
            value, input_grads, totals, *aux = self.function(
                *columns, np.asarray(params, float), seed
            )
        # arrays of n numbers, or one number for all
        return value, input_grads, totals, list(aux[0]) if aux else []

    def run(self, inputs: list[float], params: list[float]) -> tuple[float, tuple, tuple, tuple]:
        """Value, input gradients, parameter gradients and aux numbers for one sample."""
        columns = [np.array([x]) for x in inputs]
        value, input_grads, totals, aux = self.run_batch(columns, params, 1)
        first = [float(np.ravel(a)[0]) for a in (value, *input_grads, *aux)]
        k = 1 + len(input_grads)
        return first[0], tuple(first[1:k]), tuple(totals.tolist()), tuple(first[k:])
