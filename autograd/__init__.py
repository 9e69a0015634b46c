"""A scalar autograd engine: Values that record their graph, and backpropagation through it."""

from autograd.backward import topological_order
from autograd.draw import draw, render
from autograd.functional import grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.modes import detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from autograd.trace import Traced, TraceError, trace
from autograd.value import Value, linear

__all__ = [
    "GradcheckError",
    "TraceError",
    "Traced",
    "Value",
    "detect_anomaly",
    "draw",
    "enable_grad",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "linear",
    "no_grad",
    "render",
    "topological_order",
    "trace",
]
