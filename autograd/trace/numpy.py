"""The NumPy backend: a tape lowered to one NumPy operation per instruction, over a batch.

Every input is an array with one number per sample, the parameters are 0-d arrays, and
the program is the Python backend's, statement for statement, in the NumPy dialect: the
choices of the table's helpers become ``np.where``, ``/`` and ``**`` are NumPy's own (which
follow IEEE 754), and the backward pass is seeded with an array of ones, so every gradient
holds one number per sample. A parameter's gradients are summed over the samples at the
end. It runs with every floating point warning off: inf and nan are results here, as they
are in the engine, not accidents to warn about.

>>> from autograd.trace import trace
>>> print(trace(lambda x: x.relu() * 2, 1.0, backend="numpy").source, end="")
def program(x, seed):
    t1 = np.where(x < 0, 0.0, x)
    out = t1 * 2.0
    g_t1 = 2.0 * seed
    g_x = np.where(x <= 0, 0.0, g_t1)
    return out, (g_x,), ()
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.trace.memory import keep_freed_memory
from autograd.trace.python import (
    compile_source,
    return_statement,
    write_backward,
    write_forward,
)
from autograd.trace.symbolic import ATOM, NUMPY, Evaluator, Expr
from autograd.trace.tape import Tape, Variable


class NumpyProgram:
    """The tape as ``program(*inputs, *params, seed)`` over arrays with a batch axis."""

    backend = "numpy"

    def __init__(self, tape: Tape) -> None:
        keep_freed_memory()  # a batch of 16,384 samples makes arrays of 128 KiB
        evaluator = Evaluator(NUMPY)
        grad_of: dict[Variable, Any] = {}
        body = write_forward(tape, evaluator)
        body += write_backward(tape, evaluator, Expr("seed", NUMPY, ATOM), grad_of, in_place=False)
        body.append(return_statement(tape, grad_of))
        arguments = ", ".join(v.name for v in (*tape.inputs, *tape.params))
        arguments = f"{arguments}, seed" if arguments else "seed"
        self.source = f"def program({arguments}):\n" + "".join(f"    {s}\n" for s in body)
        namespace = {"np": np, "inf": math.inf, "nan": math.nan, "STRONG_ZERO": 0.0}
        self.function = compile_source(self.source, namespace, self.backend)

    def run_batch(
        self, columns: list[Any], params: list[float], n: int
    ) -> tuple[Any, list[Any], Any, list[Any]]:
        """Per-sample values and input gradients, each parameter's gradient summed, and the
        per-sample aux numbers."""
        seed = np.ones(n)
        params = np.asarray(params, dtype=float)
        # Each parameter as a 0-d array, not a NumPy scalar: NumPy converts a scalar operand
        # on every operation, and an array times a 0-d array takes about half the time.
        weights = [params[k, ...] for k in range(len(params))]
        with np.errstate(all="ignore"):
            value, input_grads, param_grads, *aux = self.function(*columns, *weights, seed)
            # A gradient that is the same for every sample (a number, or a 0-d array) counts
            # once per sample, as the engine adds it once per sample.
            rows = [g if np.shape(g) == (n,) else np.broadcast_to(g, (n,)) for g in param_grads]
            totals = np.array(rows).sum(axis=1) if rows else np.zeros(0)
        values = np.broadcast_to(value, (n,))
        input_grads = [np.broadcast_to(g, (n,)) for g in input_grads]
        aux = [np.broadcast_to(a, (n,)) for a in (aux[0] if aux else ())]
        return values, input_grads, totals, aux

    def run(self, inputs: list[float], params: list[float]) -> tuple[float, tuple, tuple, tuple]:
        """Value, input gradients, parameter gradients and aux numbers for one sample."""
        columns = [np.array([x]) for x in inputs]
        values, input_grads, totals, aux = self.run_batch(columns, params, 1)
        return (
            float(values[0]),
            tuple(float(g[0]) for g in input_grads),
            tuple(totals.tolist()),
            tuple(float(a[0]) for a in aux),
        )
