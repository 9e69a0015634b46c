"""Per-thread switches of the engine: whether operations record a graph, and anomaly checks.

Both are context managers and decorators, as in PyTorch: ``with no_grad(): ...`` and
``@no_grad()``. Each thread has its own switches, so a ``no_grad`` block in one thread leaves
graph recording in the others alone.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _ThreadState(threading.local):
    # Class attributes give every new thread the defaults.
    recording = True
    anomaly = False
    # While autograd.trace records a function: called with every Value made and whether an
    # operation made it (see value.py).
    tracer: Any = None
    plain = True  # recording, no anomaly checks, no tracer: the one flag the hot path reads


state = _ThreadState()

# Reading the thread's state costs about 30 ns, a tenth of making a node, so the hot path reads
# this module global first: True while every thread is plain (recording, no anomaly checks).
all_plain = True
_threads_not_plain = 0
_count_lock = threading.Lock()


class _Switch:
    """Set one attribute of the thread's state for the length of a block or a function call."""

    _attribute: str
    _value: bool

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(getattr(state, self._attribute))
        self._set(self._value)

    def __exit__(self, *exc_info: object) -> None:
        self._set(self._saved.pop())

    def _set(self, value: bool) -> None:
        global all_plain, _threads_not_plain
        was_plain = state.plain
        setattr(state, self._attribute, value)
        state.plain = state.recording and not state.anomaly and state.tracer is None
        if state.plain != was_plain:
            with _count_lock:
                _threads_not_plain += -1 if state.plain else 1
                all_plain = _threads_not_plain == 0

    def __call__(self, func: F) -> F:
        switch = self.__class__
        if inspect.isgeneratorfunction(func):
            return _each_step_under(switch, func)  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with switch():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _each_step_under(switch: type[_Switch], func: Callable[..., Generator]) -> Callable:
    """Wrap a generator function so that every step of its body runs under ``switch``.

    A plain wrapper would only cover making the generator, not running it (PyTorch covers
    every step too). Values sent and exceptions thrown in are passed on to the generator.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Generator:
        generator = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                with switch():
                    step = generator.send if thrown is None else generator.throw
                    response = step(sent if thrown is None else thrown)
            except StopIteration as stop:
                return stop.value
            sent, thrown = None, None
            try:
                sent = yield response
            except GeneratorExit:
                generator.close()
                raise
            except BaseException as error:
                thrown = error

    return wrapper


class no_grad(_Switch):
    """Make Values without recording a graph: results are leaves. A block or a decorator.

    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.inputs, y.data
    ((), 9.0)
    """

    _attribute, _value = "recording", False


class enable_grad(_Switch):
    """Record the graph again inside a ``no_grad`` block. A block or a decorator.

    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> with no_grad(), enable_grad():
    ...     y = x * x
    >>> y.inputs == (x, x)
    True
    """

    _attribute, _value = "recording", True


class detect_anomaly(_Switch):
    """Raise ``FloatingPointError`` at the first operation or gradient that is NaN or infinite.

    The message names the operation and its input values. Outside this mode, NaN and infinity
    flow through silently, as IEEE 754 says.

    >>> from autograd import Value
    >>> with detect_anomaly():
    ...     Value(-1.0).log()
    Traceback (most recent call last):
    ...
    FloatingPointError: log returned nan for input -1.0
    """

    _attribute, _value = "anomaly", True


class _without_anomaly_checks(_Switch):
    """Switch anomaly checks off, for work whose non-finite results are thrown away."""

    _attribute, _value = "anomaly", False


class _tracing(_Switch):
    """Hand every Value made in this thread to ``tracer`` for the length of a block."""

    _attribute = "tracer"

    def __init__(self, tracer: Callable[[Any, bool], None]) -> None:
        super().__init__()
        self._value = tracer  # type: ignore[assignment]

    def __call__(self, func: F) -> F:
        raise TypeError("_tracing is a block, not a decorator")


def is_grad_enabled() -> bool:
    """Whether operations in this thread record a graph right now.

    >>> is_grad_enabled()
    True
    >>> with no_grad():
    ...     is_grad_enabled()
    False
    """
    return state.recording


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on in this thread right now.

    >>> with detect_anomaly():
    ...     is_anomaly_enabled()
    True
    """
    return state.anomaly
