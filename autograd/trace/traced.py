"""``trace()`` and ``Traced``: record a scalar function once, then run it as generated code.

>>> from autograd import Value, trace
>>> w = Value(2.0, label="w")
>>> neuron = trace(lambda x: (x * w).tanh(), 0.5, params=[w])
>>> value, grad_x = neuron(0.0)
>>> value, grad_x, w.grad
(0.0, 2.0, 0.0)
"""

from __future__ import annotations

import inspect
import itertools
import math
import numbers
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from autograd.backward import gradients
from autograd.gradcheck import GradcheckError
from autograd.trace.python import PythonProgram
from autograd.trace.symbolic import LoweringError
from autograd.trace.tape import Tape
from autograd.trace.tracer import Recording, TraceError, run_traced
from autograd.value import Value

BACKENDS = ("fused", "numpy", "python")  # what "auto" tries, fastest first
OPTIONAL_BACKENDS = ("torch",)  # only when asked for by name: PyTorch is optional
RTOL = 1e-12


def _programs() -> dict[str, Callable[[Tape], Any]]:
    """The backends by name; NumPy is imported only when a NumPy backend is wanted."""
    from autograd.trace.fused import FusedProgram
    from autograd.trace.numpy import NumpyProgram

    return {"python": PythonProgram, "numpy": NumpyProgram, "fused": FusedProgram}


def _torch_program(device: Any) -> Callable[[Tape], Any]:
    """The torch backend on ``device``; PyTorch is imported here, and only here."""
    from autograd.trace.torch import TorchProgram, torch_device

    chosen = torch_device(device)  # a bad device is the user's error, not a reason to fall back
    return lambda tape: TorchProgram(tape, chosen)


# -- the structure of arguments: numbers, or lists and tuples of them nested to any depth -----


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool | Value)


def _flatten(arg: Any, name: str, numbers_: list[float], names: list[str]) -> Any:
    """Append arg's numbers and their names; return its shape (None for a number)."""
    if _is_number(arg):
        numbers_.append(float(arg))
        names.append(name)
        return None
    if isinstance(arg, list | tuple):
        shape = [_flatten(a, f"{name}_{i}", numbers_, names) for i, a in enumerate(arg)]
        return tuple(shape) if isinstance(arg, tuple) else shape
    if hasattr(arg, "tolist") and hasattr(arg, "shape"):  # a NumPy array or scalar
        return _flatten(arg.tolist(), name, numbers_, names)
    raise TypeError(
        f"trace arguments must be numbers, or lists or tuples of them; {name} is "
        f"{type(arg).__name__}"
    )


def _unflatten(shape: Any, items: Iterator[Any]) -> Any:
    if shape is None:
        return next(items)
    rebuilt = [_unflatten(s, items) for s in shape]
    return tuple(rebuilt) if isinstance(shape, tuple) else rebuilt


def _size(shape: Any) -> int:
    return 1 if shape is None else sum(_size(s) for s in shape)


def _same_shape(shape: Any, arg: Any) -> bool:
    if hasattr(arg, "tolist") and hasattr(arg, "shape"):  # an array or tensor, 0-d ones too
        arg = arg.tolist()
    if shape is None:
        return _is_number(arg)
    if not isinstance(arg, list | tuple) or len(arg) != len(shape):
        return False
    return all(_same_shape(s, a) for s, a in zip(shape, arg, strict=True))


def _describe_shape(shape: Any) -> str:
    if shape is None:
        return "a number"
    return f"a sequence of {len(shape)}"


def _argument_names(fn: Callable[..., Any], n: int) -> list[str]:
    """Names for fn's first n arguments: its parameter names where it has them."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = []
    for i in range(n):
        if i < len(parameters) and parameters[i].kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            names.append(parameters[i].name)
        else:
            names.append(f"x{i + 1}" if n > 1 else "x")
    return names


class Traced:
    """A function recorded once by ``trace`` and compiled: call it on new numbers.

    ``backend`` is the backend in use, ``source`` its generated code, ``tape`` the recorded
    program, and ``fallbacks`` the backends that were tried before it, each with the reason
    it was passed over. With the torch backend, ``batch`` and ``batch_arrays`` take tensors
    (or anything else) and return float64 tensors on the traced device.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        shapes: list[Any],
        recording: Recording,
        program: Any,
        fallbacks: list[tuple[str, str]],
        argnums: tuple[int, ...] | int | None = None,
        has_aux: bool = False,
        aux_shape: Any = None,
    ) -> None:
        self.fn = fn
        self.tape = recording.tape
        self.params = recording.params
        self._shapes = shapes
        self._array_shapes = [_array_shape(shape) for shape in shapes]  # what batch accepts
        self.argnums = argnums
        self.has_aux = has_aux
        self._aux_shape = aux_shape  # the structure of what fn returned beside its output
        wanted = range(len(shapes)) if argnums is None else _as_tuple(argnums)
        self._grad_shapes = [shapes[i] for i in wanted]  # the arguments that get gradients
        self._program = program
        self.fallbacks = fallbacks

    @property
    def backend(self) -> str:
        """``"python"``, ``"numpy"``, ``"fused"`` or ``"torch"``."""
        return self._program.backend

    @property
    def source(self) -> str:
        """The generated program, as Python source a reader can follow line by line."""
        return self._program.source

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", "fn")
        return (
            f"<Traced {name}: {len(self.tape.instructions)} instructions, backend {self.backend!r}>"
        )

    # -- one sample -------------------------------------------------------------------------

    def _flat_inputs(self, args: Sequence[Any], where: str) -> list[float]:
        if len(args) != len(self._shapes):
            raise TypeError(
                f"{where} takes {len(self._shapes)} arguments, as the traced example did; "
                f"got {len(args)}"
            )
        flat: list[float] = []
        for i, (shape, arg) in enumerate(zip(self._shapes, args, strict=True)):
            if not _same_shape(shape, arg):
                raise ValueError(
                    f"{where} argument {i} must have the traced example's structure "
                    f"({_describe_shape(shape)}), got {arg!r}"
                )
            _flatten(arg, "", flat, [])
        return flat

    def _run_one(self, args: Sequence[Any]) -> tuple[float, tuple, tuple, tuple]:
        flat = self._flat_inputs(args, "a traced function")
        return self._program.run(flat, [p.data for p in self.params])

    def __call__(self, *args: Any) -> tuple[float, Any]:
        """``(value, grads)`` for new arguments; adds d value / d p to ``p.grad`` of params.

        ``grads`` has the arguments' structure: a float for a number, a list for a list,
        and a tuple of them when the function takes several arguments. With ``has_aux``,
        ``value`` is ``(value, aux)``, aux with the structure fn returned it in.
        """
        value, input_grads, param_grads, aux = self._run_one(args)
        for p, g in zip(self.params, param_grads, strict=True):
            p.grad += g
        if self.has_aux:
            value = (value, _unflatten(self._aux_shape, iter(aux)))
        return value, self._structured(input_grads)

    def run_arrays(self, *args: Any, params: Any = None) -> tuple[float, list[float], Any]:
        """One call on flat numbers, leaving every ``.grad`` alone (for training loops).

        ``params`` is an array of the parameters' numbers in the order of ``self.params``
        (default: their ``.data``). Returns the value (``(value, aux)`` with ``has_aux``, aux
        a flat list), the gradients of the flattened arguments (a list) and the parameters'
        gradients (a NumPy array).

        >>> from autograd import Value
        >>> w = Value(2.0)
        >>> traced = trace(lambda: w * w, params=[w])
        >>> value, grads, param_grads = traced.run_arrays(params=[3.0])
        >>> value, grads, param_grads.tolist(), w.grad
        (9.0, [], [6.0], 0.0)
        """
        import numpy as np

        flat = self._flat_inputs(args, "run_arrays")
        if params is None:
            params = [p.data for p in self.params]
        elif len(params) != len(self.params):
            raise ValueError(f"params must hold {len(self.params)} numbers, got {len(params)}")
        elif self.backend == "python":  # it computes on Python floats, not NumPy's
            params = np.asarray(params, dtype=float).reshape(len(self.params)).tolist()
        value, input_grads, param_grads, aux = self._program.run(flat, params)
        grads = [0.0 + g for g in input_grads]
        if self.has_aux:
            value = (value, list(aux))
        return value, grads, np.array(param_grads, dtype=float).reshape(len(self.params))

    def _structured(self, flat: Sequence[Any]) -> Any:
        # 0.0 + g: backward's sums start at 0.0, so a gradient of -0.0 reads as 0.0
        items = iter([0.0 + g for g in flat])
        grads = [_unflatten(shape, items) for shape in self._grad_shapes]
        return self._one_or_tuple(grads)

    def _one_or_tuple(self, grads: list[Any]) -> Any:
        """An argument's gradient alone where one was asked for (``argnums=k`` or a function
        of one argument), else a tuple of them, as ``jax.grad`` returns them."""
        single = isinstance(self.argnums, int) or (self.argnums is None and len(grads) == 1)
        return grads[0] if single else tuple(grads)

    # -- a batch ----------------------------------------------------------------------------

    def batch(self, *args: Any, reduce: str = "mean") -> tuple[Any, Any]:
        """Every sample at once: each argument has a leading batch axis.

        Returns ``(values, grads)``, a NumPy array of per-sample values and, per argument,
        an array of per-sample gradients shaped like the argument (float64 tensors on the
        traced device, for the torch backend). Adds the mean
        (``reduce="mean"``) or the sum (``"sum"``) over the samples of d value / d p to
        ``p.grad`` of every parameter. With ``has_aux``, ``values`` is ``(values, aux)``, aux
        an array of each sample's aux numbers (shaped like them, after the batch axis).
        """
        values, input_grads, param_grads = self.batch_arrays(*args, reduce=reduce)
        for p, g in zip(self.params, param_grads.tolist(), strict=True):
            p.grad += g
        if self.has_aux:
            values, aux = values
            values = (values, aux.reshape((len(values), *_array_shape(self._aux_shape))))
        n = len(input_grads)
        grads = []
        start = 0
        for shape in self._grad_shapes:
            size = _size(shape)
            grads.append(input_grads[:, start : start + size].reshape((n, *_array_shape(shape))))
            start += size
        return values, self._one_or_tuple(grads)

    def batch_arrays(
        self, *args: Any, params: Any = None, reduce: str = "mean"
    ) -> tuple[Any, Any, Any]:
        """``batch`` on flat arrays, leaving every ``.grad`` alone (for training loops).

        ``params`` is an array of the parameters' numbers in the order of ``self.params``
        (default: their ``.data``). Returns the per-sample values (n,) (with ``has_aux``,
        ``(values, aux)``, aux (n, aux numbers)), the gradients of the flattened arguments
        that ``argnums`` chose (n, their numbers), and the mean or sum over the samples of each
        parameter's gradient (len(params),). The torch backend takes and returns tensors on
        its device, so a training loop there never leaves it.

        >>> from autograd import Value
        >>> w = Value(2.0)
        >>> traced = trace(lambda x: w * x * x, 1.0, params=[w])
        >>> values, grads, param_grads = traced.batch_arrays([1.0, 3.0], reduce="sum")
        >>> values.tolist(), grads.tolist(), param_grads.tolist(), w.grad
        ([2.0, 18.0], [[4.0], [12.0]], [10.0], 0.0)
        """
        if reduce not in ("mean", "sum"):
            raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
        columns, n = self._columns(args)
        return self._run_batch(columns, n, params, reduce)

    def batch_matrix(
        self, inputs: Any, *, params: Any = None, reduce: str = "mean"
    ) -> tuple[Any, Any, Any]:
        """``batch_arrays`` on the arguments already flattened into one array: row i holds
        sample i's numbers, argument after argument, as ``Traced`` flattens them. A training
        loop that keeps its data so takes a batch as ``inputs[rows]``: one copy, no checks.

        >>> from autograd import Value
        >>> w = Value(2.0)
        >>> traced = trace(lambda x, t: (w * x - t) ** 2, 1.0, 0.0, params=[w], argnums=())
        >>> values, grads, param_grads = traced.batch_matrix([[1.0, 0.0], [3.0, 5.0]])
        >>> values.tolist(), grads.shape, param_grads.tolist()
        ([4.0, 1.0], (2, 0), [5.0])
        """
        if reduce not in ("mean", "sum"):
            raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
        as_array = self._program.tensor if self.backend == "torch" else _numpy_array
        inputs = as_array(inputs)
        width = len(self.tape.inputs)
        if not width:
            raise ValueError(
                "batch_matrix needs arguments with a batch axis; a function of no "
                "arguments has no batch: call it instead"
            )
        if inputs.ndim != 2 or inputs.shape[1] != width or not inputs.shape[0]:
            raise ValueError(
                f"batch_matrix inputs must be an array of shape (batch, {width}) with at "
                f"least one sample, got shape {tuple(inputs.shape)}"
            )
        return self._run_batch(list(inputs.T), inputs.shape[0], params, reduce)

    def _run_batch(
        self, columns: list[Any], n: int, params: Any, reduce: str
    ) -> tuple[Any, Any, Any]:
        import numpy as np

        if params is None:
            params = [p.data for p in self.params]
        elif len(params) != len(self.params):
            raise ValueError(f"params must hold {len(self.params)} numbers, got {len(params)}")
        if self.backend == "torch":  # tensors in and out, on the device
            values, grads, totals, aux = self._program.run_batch(columns, params, n)
            values = (values, aux) if self.has_aux else values
            return values, grads, totals / n if reduce == "mean" else totals
        # One array, not a list of floats: a training loop passes thousands every step. (No
        # program writes into it, so an array of floats is used as it is.)
        params = np.asarray(params, dtype=float).reshape(len(self.params))
        values, input_grads, param_totals, aux = self._program.run_batch(columns, params, n)
        totals = np.asarray(param_totals, dtype=float).reshape(len(self.params))
        if reduce == "mean":
            totals = totals / n
        grads = _side_by_side(input_grads, n)
        grads += 0.0  # -0.0 becomes 0.0, as the engine's sums of contributions start at 0.0
        # a copy: a program whose output is an input or a parameter returns a view of it
        values = np.array(np.broadcast_to(values, (n,)), dtype=float)
        if self.has_aux:
            values = (values, _side_by_side(aux, n))
        return values, grads, totals

    def _columns(self, args: Sequence[Any]) -> tuple[list[Any], int]:
        """One array of per-sample numbers for each of the tape's inputs, and the batch size."""
        import numpy as np

        if len(args) != len(self._shapes):
            raise TypeError(
                f"batch takes {len(self._shapes)} arguments, each with a leading batch "
                f"axis; got {len(args)}"
            )
        # the torch backend keeps a tensor where it is (a GPU's data never visits NumPy)
        as_array = self._program.tensor if self.backend == "torch" else _numpy_array
        columns: list[Any] = []
        n = None
        for i, (shape, expected, arg) in enumerate(
            zip(self._shapes, self._array_shapes, args, strict=True)
        ):
            try:
                array = as_array(arg)
            except (TypeError, ValueError, RuntimeError):
                array = None
            if array is not None and array.ndim >= 1 and tuple(array.shape[1:]) == expected:
                samples = array if array.ndim == 2 else array.reshape(array.shape[0], -1)
            elif isinstance(arg, list | tuple):
                rows = [self._flat_sample(shape, sample, i) for sample in arg]
                samples = as_array(np.array(rows, dtype=float).reshape(len(rows), _size(shape)))
            else:
                raise ValueError(
                    f"batch argument {i} must be a list of samples or an array of shape "
                    f"(batch, {', '.join(map(str, expected))}), got {type(arg).__name__}"
                )
            if n is not None and samples.shape[0] != n:
                raise ValueError(
                    f"batch arguments disagree on the batch size: {n} and {samples.shape[0]}"
                )
            n = samples.shape[0]
            columns.extend(samples.T)  # one array per input: the columns of its samples
        if n is None:
            raise ValueError(
                "batch needs arguments with a batch axis; a function of no "
                "arguments has no batch: call it instead"
            )
        if not n:
            raise ValueError("batch needs at least one sample")
        return columns, n

    def _flat_sample(self, shape: Any, sample: Any, i: int) -> list[float]:
        if not _same_shape(shape, sample):
            raise ValueError(
                f"batch argument {i}: each sample must have the traced example's structure "
                f"({_describe_shape(shape)}), got {sample!r}"
            )
        flat: list[float] = []
        _flatten(sample, "", flat, [])
        return flat

    # -- checking ---------------------------------------------------------------------------

    def check(self, *args: Any) -> bool:
        """Compare value, aux numbers and every gradient with the dynamic engine's on the
        same arguments.

        Returns True, or raises ``GradcheckError`` with a table of the values that differ by
        more than 1e-12 relative (a gradient: relative to the largest gradient, if larger;
        see ``gradient_scale``; an aux number likewise relative to the largest of them).
        ``.grad`` of the parameters is left as it was.
        """
        flat = self._flat_inputs(args, "check")
        params = [p.data for p in self.params]
        value, input_grads, param_grads, aux = self._program.run(flat, params)
        leaves = [Value(x) for x in flat]
        items = iter(leaves)
        fn_args = [_unflatten(shape, items) for shape in self._shapes]
        output, expected_aux = self.fn(*fn_args), []
        if self.has_aux:
            output, returned = output
            _flatten_aux(returned, expected_aux)
        expected = gradients(output, 1.0)
        aux_rows = [
            (f"aux {k}", e.data if isinstance(e, Value) else e, a)
            for k, (e, a) in enumerate(zip(expected_aux, aux, strict=True))
        ]
        grad_rows = [
            (f"d/d {v.name}", expected.get(leaves[v.index], 0.0), g)
            for v, g in zip(self.tape.grad_inputs, input_grads, strict=True)
        ]
        grad_rows += [
            (f"d/d {var.name}", expected.get(p, 0.0), g)
            for var, p, g in zip(self.tape.params, self.params, param_grads, strict=True)
        ]
        bad = _disagreements([("value", output.data, value)], aux_rows, grad_rows, RTOL)
        if bad:
            raise GradcheckError(_mismatch_table(self.backend, bad))
        return True


def _side_by_side(columns: Sequence[Any], n: int) -> Any:
    """Arrays of n numbers (or one number for all) as the columns of one (n, k) array."""
    import numpy as np

    matrix = np.empty((n, len(columns)))
    for k, column in enumerate(columns):
        matrix[:, k] = column
    return matrix


def _flatten_aux(aux: Any, items: list[Any]) -> Any:
    """Append aux's Values and numbers to items; return its structure (None for one)."""
    if isinstance(aux, Value) or _is_number(aux):
        items.append(aux if isinstance(aux, Value) else float(aux))
        return None
    if isinstance(aux, list | tuple):
        shape = [_flatten_aux(a, items) for a in aux]
        return tuple(shape) if isinstance(aux, tuple) else shape
    raise TypeError(
        f"a traced function's aux must be Values or numbers, or lists or tuples of them; "
        f"got {type(aux).__name__}"
    )


def _as_tuple(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else argnums


def _check_argnums(argnums: Any, n: int) -> int | tuple[int, ...]:
    """``argnums`` if it names arguments of a function of ``n``, else a clear error."""
    single = not isinstance(argnums, tuple)
    items = []
    for k in (argnums,) if single else argnums:
        if isinstance(k, bool):
            raise TypeError(f"trace argnums must be an int or a tuple of ints, got {argnums!r}")
        try:
            k = operator.index(k)  # an int, or anything that is one (a NumPy integer)
        except TypeError:
            raise TypeError(
                f"trace argnums must be an int or a tuple of ints, got {argnums!r}"
            ) from None
        items.append(k)
        if not 0 <= k < n:
            raise ValueError(
                f"trace argnums {k} is not an argument of the traced call (it has {n}: "
                f"0 to {n - 1})"
                if n
                else "trace argnums needs arguments; the call has none"
            )
    if len(set(items)) != len(items):
        raise ValueError(f"trace argnums names an argument twice: {argnums!r}")
    return items[0] if single else tuple(items)


def _numpy_array(x: Any) -> Any:
    import numpy as np

    return np.asarray(x, dtype=float)


def _array_shape(shape: Any) -> tuple[int, ...]:
    """The NumPy shape of an argument of this structure (a ragged one counts as flat)."""
    if shape is None:
        return ()
    inner = {_array_shape(s) for s in shape}
    if len(inner) == 1:
        return (len(shape), *inner.pop())
    return (_size(shape),)


def agree(expected: float, got: float, rtol: float = RTOL, scale: float = 0.0) -> bool:
    """Equal to ``rtol`` relative to the larger of the two (or ``scale``, if larger still);
    infinities equal, nan only with nan."""
    expected, got = float(expected), float(got)
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    if math.isinf(expected) or math.isinf(got):
        return expected == got
    return abs(expected - got) <= rtol * max(abs(expected), abs(got), scale)


def gradient_scale(grads: Sequence[float]) -> float:
    """The largest finite gradient: the scale of the rounding in a reordered sum of them.

    NumPy sums a parameter's contributions in another order than the engine (a matrix
    product), and where they cancel to a gradient far smaller than the rest, that gradient
    keeps fewer digits; so gradients are compared relative to this scale as well.
    """
    return max((abs(g) for g in map(float, grads) if math.isfinite(g)), default=0.0)


def _mismatch_table(backend: str, rows: list[tuple[str, float, float]]) -> str:
    lines = [
        f"the {backend} backend disagrees with the dynamic engine (accepted: 1e-12 relative)",
        f"{'':16}  {'engine':>24}  {backend:>24}",
    ]
    lines += [f"{name:16}  {e!r:>24}  {g!r:>24}" for name, e, g in rows]
    return "\n".join(lines)


def _agrees_on_example(program: Any, recording: Recording) -> str | None:
    """None if the program reproduces the example's value and gradients, else why not.

    The Python backend must match bit for bit. The NumPy backends use NumPy's exp, tanh,
    ... (an ulp from the C library's) and sum in another order, and a graph can magnify such
    rounding, so they are held to 1e-9 relative here: a wrong program misses by far more.
    """
    inputs = [_data(leaf) for leaf in recording.inputs]
    params = [_data(p) for p in recording.params]
    value, input_grads, param_grads, aux = program.run(inputs, params)
    expected = gradients(recording.output, 1.0)
    returned = [_data(a) if isinstance(a, Value) else a for a in recording.aux]
    wanted = [recording.inputs[v.index] for v in recording.tape.grad_inputs]
    grads = [("", expected.get(v, 0.0), g) for v, g in zip(wanted, input_grads, strict=True)]
    grads += [
        ("", expected.get(p, 0.0), g) for p, g in zip(recording.params, param_grads, strict=True)
    ]
    aux_rows = [("", e, g) for e, g in zip(returned, aux, strict=True)]
    rtol = 0.0 if program.backend == "python" else 1e-9
    bad = _disagreements([("", _data(recording.output), value)], aux_rows, grads, rtol)
    if bad:
        _, e, g = bad[0]
        return f"on the traced example it gave {g!r} where the engine gives {e!r}"
    return None


def _disagreements(
    value: list[tuple[str, float, float]],
    aux: list[tuple[str, float, float]],
    grads: list[tuple[str, float, float]],
    rtol: float,
) -> list[tuple[str, float, float]]:
    """The rows ``(name, engine's, program's)`` that differ by more than ``rtol``: the value
    relative to itself, aux numbers and gradients relative to the largest of their kind too
    (a sum that cancels keeps the rounding of its terms; see ``gradient_scale``)."""
    bad = []
    for k, rows in enumerate((value, aux, grads)):
        scale = gradient_scale([e for _, e, _ in rows]) if k else 0.0
        bad += [row for row in rows if not agree(row[1], row[2], rtol, scale)]
    return bad


def _data(value: Value) -> float:
    return Value.__dict__["data"].__get__(value)


def trace(
    fn: Callable[..., Value],
    *example_args: Any,
    params: Sequence[Value] = (),
    backend: str = "auto",
    device: Any = "cpu",
    argnums: int | tuple[int, ...] | None = None,
    has_aux: bool = False,
) -> Traced:
    """Record ``fn`` once on ``example_args`` and compile its graph; returns a ``Traced``.

    Each example argument is a number or a list or tuple of them, nested to any depth; ``fn``
    receives Values in the same structure and returns one Value. ``params`` are the Values
    ``fn`` uses without receiving them (a model's parameters): the compiled code reads their
    ``.data`` on every call and adds to their ``.grad``. ``backend`` is ``"python"``,
    ``"numpy"``, ``"fused"`` or ``"auto"`` (the fastest that handles the graph). A backend
    that cannot handle the graph, or that disagrees with the engine on the example, passes
    it on to the next one: fused, then numpy, then python.

    ``argnums`` (an argument's position, or a tuple of them) differentiates with respect to
    those arguments only, as ``jax.grad`` and ``torch.func.grad`` do: the program computes no
    gradient for the others (say, a sample's data and target), and calls return the chosen
    ones' gradients (one, for an int). The parameters' gradients are always computed.

    ``has_aux=True`` (as in ``jax.grad``): ``fn`` returns ``(value, aux)``, aux Values (or
    numbers, in lists or tuples) computed on the way to ``value``, such as a model's outputs
    beside its loss; calls return ``(value, aux)`` in place of the value, aux not
    differentiated.

    ``backend="torch"`` writes the fused program for PyTorch (optional, imported only then)
    and runs it on float64 tensors on ``device`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, a
    ``torch.device``); it never falls back (a NumPy program would leave the device), and
    ``"auto"`` never picks it. The other backends run on the CPU only.

    >>> traced = trace(lambda x: x * x + 3 * x, 2.0, backend="python")
    >>> traced(5.0)
    (40.0, 13.0)
    """
    if not callable(fn):
        raise TypeError(f"trace fn must be callable, got {type(fn).__name__}")
    known = (*BACKENDS, *OPTIONAL_BACKENDS)
    if backend != "auto" and backend not in known:
        raise ValueError(
            f"unknown backend {backend!r}; accepted: 'auto', {', '.join(map(repr, known))}"
        )
    if backend != "torch" and str(device) != "cpu":
        raise ValueError(
            f"device {device!r} needs backend='torch'; the {backend} backend runs on the CPU"
        )
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Value) or not p.is_leaf:
            raise TypeError(f"trace params must be leaf Values; params[{i}] is {p!r}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError("trace params must not hold the same Value twice")
    if argnums is not None:
        argnums = _check_argnums(argnums, len(example_args))
    if not isinstance(has_aux, bool):
        raise TypeError(f"trace has_aux must be True or False, got {has_aux!r}")
    names = _argument_names(fn, len(example_args))
    numbers_: list[float] = []
    flat_names: list[str] = []
    shapes = [
        _flatten(arg, name, numbers_, flat_names)
        for arg, name in zip(example_args, names, strict=True)
    ]

    aux_items: list[Any] = []
    aux_shape: list[Any] = []

    def call(leaves: list[Value]) -> Any:
        items = iter(leaves)
        result = fn(*[_unflatten(shape, items) for shape in shapes])
        if not has_aux:
            return result
        if not isinstance(result, tuple) or len(result) != 2:
            got = "a Value" if isinstance(result, Value) else type(result).__name__
            if isinstance(result, tuple):
                got = f"a tuple of {len(result)}"
            raise TypeError(
                f"with has_aux=True a traced function must return (value, aux), got {got}"
            )
        output, aux = result
        aux_shape.append(_flatten_aux(aux, aux_items))
        return output

    recording = run_traced(call, flat_names, numbers_, params, lambda: aux_items)
    if argnums is not None:
        starts = list(itertools.accumulate((_size(s) for s in shapes), initial=0))
        wanted = [k for i in _as_tuple(argnums) for k in range(starts[i], starts[i + 1])]
        tape = recording.tape
        recording.tape = replace(tape, grad_inputs=tuple(tape.inputs[k] for k in wanted))
    if backend == "torch":
        chain: tuple[str, ...] = ("torch",)
        programs = {"torch": _torch_program(device)}
    else:
        chain = BACKENDS if backend == "auto" else BACKENDS[BACKENDS.index(backend) :]
        programs = _programs() if chain != ("python",) else {"python": PythonProgram}
    fallbacks: list[tuple[str, str]] = []
    for name in chain:
        try:
            program = programs[name](recording.tape)
            reason = _agrees_on_example(program, recording)
        except LoweringError as err:
            fallbacks.append((name, str(err)))
            continue
        except Exception as err:  # a bug of a backend must cost speed, never a wrong answer
            fallbacks.append((name, f"{type(err).__name__}: {err}"))
            continue
        if reason is None:
            aux = aux_shape[0] if has_aux else None
            return Traced(fn, shapes, recording, program, fallbacks, argnums, has_aux, aux)
        fallbacks.append((name, reason))
    raise TraceError(
        "no backend reproduces the engine on the traced example: "
        + "; ".join(f"{name}: {why}" for name, why in fallbacks)
    )
