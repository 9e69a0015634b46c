"""Tracing: record a scalar function's graph once, then run it as generated code."""

from autograd.trace.traced import Traced, trace
from autograd.trace.tracer import TraceError, is_tracing

__all__ = ["TraceError", "Traced", "is_tracing", "trace"]
