"""The torch backend: the fused program written for PyTorch, run on float64 tensors.

It is the fused backend's program (the same grouping of the tape into layers, matrix
products and elementwise groups) in the torch dialect of ``symbolic``: ``np.stack`` becomes
``torch.stack``, ``np.where`` ``torch.where``, and every op's code still comes from its row
of ``ops.OPS``. It runs with PyTorch tensors of float64 on a device of your choice
(``"cpu"`` by default, ``"cuda"`` where PyTorch has a GPU): the parameters go there once per
call as one flat tensor ``P``, the gradients come back as one flat tensor ``GP``. For a user
whose data outgrows NumPy on one machine, it is the same program on PyTorch.

PyTorch is optional: this module imports it only when a torch backend is made, and without it
raises an ImportError that says how to install it.

>>> import torch
>>> from autograd import Value, trace
>>> w = Value(2.0, label="w")
>>> neuron = trace(lambda x: (x * w).tanh(), 0.5, params=[w], backend="torch")
>>> print(neuron.source, end="")
def program(x, P, seed):
    w = P[0]
    t1 = x * w
    out = torch.tanh(t1)
    GP = torch.zeros_like(P)
    g_out = seed
    g_t1 = (1.0 - out) * (1.0 + out) * g_out
    g_x = w * g_t1
    g_w = x * g_t1
    GP += torch.stack((g_w,), dim=0).sum(dim=1)
    return out, (g_x,), GP
>>> values, grads = neuron.batch(torch.tensor([0.0, 0.5], dtype=torch.float64))
>>> values, grads
(tensor([0.0000, 0.7616], dtype=torch.float64), tensor([2.0000, 0.8399], dtype=torch.float64))
"""

from __future__ import annotations

import math
from typing import Any

from autograd.trace.fused import FusedProgram
from autograd.trace.symbolic import TORCH
from autograd.trace.tape import Tape

__doctest_requires__ = ("torch",)  # conftest skips the doctest, saying so, without PyTorch

INSTALL_HINT = (
    "PyTorch is optional and not installed; install it with 'pip install torch' "
    "(the CPU-only build: 'pip install torch --index-url https://download.pytorch.org/whl/cpu')"
)


def import_torch() -> Any:
    """PyTorch, or an ImportError that says the torch backend needs it and how to install it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"the torch backend of trace needs PyTorch. {INSTALL_HINT}") from error
    return torch


def torch_device(device: Any) -> Any:
    """``device`` as a ``torch.device`` that works here, or ValueError saying what is accepted."""
    torch = import_torch()
    try:
        chosen = torch.device(device)
        torch.zeros(1, dtype=torch.float64, device=chosen)
    except (RuntimeError, TypeError, ValueError, AssertionError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"device {device!r} is not usable by this PyTorch ({reason}); accepted: 'cpu', "
            "or a device that torch.device accepts and this machine has, such as 'cuda'"
        ) from None
    return chosen


class TorchProgram(FusedProgram):
    """The fused program over PyTorch float64 tensors on ``device``."""

    backend = "torch"

    def __init__(self, tape: Tape, device: Any = "cpu") -> None:
        self.torch = import_torch()
        self.device = torch_device(device)
        super().__init__(tape, TORCH)

    def _runtime(self) -> dict[str, Any]:
        torch, device = self.torch, self.device

        def tensor(x: float) -> Any:
            return torch.tensor(x, dtype=torch.float64, device=device)

        return {"torch": torch, "tensor": tensor, "inf": math.inf, "nan": math.nan}

    def _index_array(self, indices: list) -> Any:
        return self.torch.tensor(indices, dtype=self.torch.long, device=self.device)

    def tensor(self, x: Any) -> Any:
        """Numbers (a list, a NumPy array, a tensor on any device) as float64 on the device."""
        torch = self.torch
        if isinstance(x, torch.Tensor):
            return x.detach().to(device=self.device, dtype=torch.float64)
        return torch.as_tensor(x, dtype=torch.float64, device=self.device)

    def run_batch(self, columns: list[Any], params: Any, n: int) -> tuple[Any, Any, Any, Any]:
        """Per-sample values (n,), input gradients (n, inputs), summed parameter gradients and
        aux numbers (n, aux), all tensors on the device; ``columns`` are tensors there
        already (see ``tensor``)."""
        torch = self.torch
        seed = torch.ones(n, dtype=torch.float64, device=self.device)
        value, input_grads, totals, *aux = self.function(*columns, self.tensor(params), seed)
        grads = self._columns([self._per_sample(g, n) for g in input_grads], n) + 0.0
        aux = self._columns([self._per_sample(a, n) for a in (aux[0] if aux else ())], n)
        return self._per_sample(value, n), grads, totals, aux

    def _columns(self, arrays: list[Any], n: int) -> Any:
        """Arrays of n numbers side by side, as one (n, len(arrays)) tensor."""
        if arrays:
            return self.torch.stack(arrays, dim=1)
        return self.torch.zeros((n, 0), dtype=self.torch.float64, device=self.device)

    def _per_sample(self, x: Any, n: int) -> Any:
        """A result as one number per sample (a constant, or what only parameters decide)."""
        if isinstance(x, self.torch.Tensor) and x.shape == (n,):
            return x
        return self.tensor(x).broadcast_to((n,))

    def run(self, inputs: list[float], params: list[float]) -> tuple[float, tuple, tuple, tuple]:
        """Value, input gradients, parameter gradients and aux numbers for one sample, as
        floats."""
        columns = [self.tensor([x]) for x in inputs]
        values, grads, totals, aux = self.run_batch(columns, params, 1)
        return (
            float(values[0]),
            tuple(grads[0].tolist()),
            tuple(totals.tolist()),
            tuple(aux[0].tolist()),
        )
