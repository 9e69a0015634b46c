"""no_grad, enable_grad and detect_anomaly: blocks, decorators, nesting, exceptions, threads."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import pytest

from autograd import (
    Value,
    detect_anomaly,
    enable_grad,
    grad,
    is_anomaly_enabled,
    is_grad_enabled,
    modes,
    no_grad,
)


def in_thread(fn: Callable[[], Any]) -> Any:
    """Run fn in a new thread and return its result (or raise its exception) here."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as error:  # handed back to the test's thread
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the thread never finished"
    if "error" in result:
        raise result["error"]
    return result["value"]


# -- no_grad and enable_grad ----------------------------------------------------------------


def test_values_made_under_no_grad_are_leaves_with_the_right_data():
    x = Value(3.0)
    with no_grad():
        y = x * x + 1
        z = y.tanh()
    assert (y.data, y.is_leaf, y.inputs, y.op) == (10.0, True, (), "")
    assert z.is_leaf
    z.backward()
    assert (y.grad, x.grad) == (0.0, 0.0)


def test_no_grad_works_as_a_decorator():
    @no_grad()
    def square(v: Value) -> Value:
        """Square v."""
        assert not is_grad_enabled()
        return v * v

    y = square(Value(3.0))
    assert (y.data, y.is_leaf) == (9.0, True)
    assert is_grad_enabled()
    assert square.__name__ == "square"
    assert square.__doc__ == "Square v."


def test_no_grad_decorates_a_generator_function_for_every_step_as_pytorch_does():
    @no_grad()
    def squares(xs: list[Value]):
        for x in xs:
            yield x * x

    ys = list(squares([Value(1.0), Value(2.0)]))
    assert [y.data for y in ys] == [1.0, 4.0]
    assert all(y.is_leaf for y in ys)
    assert is_grad_enabled()


def test_between_the_steps_of_a_no_grad_generator_the_caller_keeps_its_mode():
    @no_grad()
    def doubler():
        received = yield is_grad_enabled()
        while True:
            received = yield received * 2

    steps = doubler()
    assert next(steps) is False  # the body runs under no_grad
    assert is_grad_enabled()  # the caller's code, between steps, records
    y = steps.send(Value(3.0))
    assert (y.data, y.is_leaf) == (6.0, True)
    assert is_grad_enabled()
    steps.close()


def test_recording_is_on_by_default_and_off_inside_no_grad():
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_nested_no_grad_blocks_restore_the_outer_mode():
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
        assert (Value(1.0) + 1).is_leaf
    assert is_grad_enabled()


def test_one_no_grad_object_can_be_entered_again_and_nested():
    block = no_grad()
    with block:
        with block:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with block:
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_restores_recording_after_an_exception():
    with pytest.raises(KeyError), no_grad():
        raise KeyError("boom")
    assert is_grad_enabled()

    @no_grad()
    def fail() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fail()
    assert is_grad_enabled()


def test_enable_grad_records_again_inside_no_grad():
    x = Value(3.0)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = x * x
        assert not is_grad_enabled()
        z = x * x
    assert y.inputs == (x, x)
    assert z.is_leaf
    y.backward()
    assert x.grad == 6.0


def test_enable_grad_works_as_a_decorator_inside_no_grad():
    @enable_grad()
    def square(v: Value) -> Value:
        return v * v

    x = Value(2.0)
    with no_grad():
        y = square(x)
        assert not is_grad_enabled()
    assert y.inputs == (x, x)


def test_no_grad_in_one_thread_leaves_other_threads_recording():
    with no_grad():
        assert in_thread(is_grad_enabled) is True
        assert in_thread(lambda: (Value(1.0) * 2).is_leaf) is False
        assert not is_grad_enabled()


def test_no_grad_in_another_thread_leaves_this_thread_recording():
    inside = threading.Event()
    release = threading.Event()

    def hold_no_grad() -> bool:
        with no_grad():
            inside.set()
            release.wait(timeout=10)
            return is_grad_enabled()

    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(hold_no_grad()))
    thread.start()
    assert inside.wait(timeout=10)
    try:
        assert is_grad_enabled()
        assert not (Value(1.0) * 2).is_leaf
    finally:
        release.set()
        thread.join(timeout=60)
    assert result == [False]


def test_the_hot_path_skips_the_thread_state_only_while_every_thread_is_plain():
    assert modes.all_plain
    with no_grad(), detect_anomaly(), enable_grad():
        assert not modes.all_plain
        in_thread(no_grad()(lambda: None))
        assert not modes.all_plain
    with pytest.raises(RuntimeError), detect_anomaly():
        raise RuntimeError("an error leaves the block")
    assert modes.all_plain


def test_a_no_grad_decorated_function_is_per_thread():
    @no_grad()
    def mode_in_worker() -> bool:
        return in_thread(is_grad_enabled)

    assert mode_in_worker() is True


# -- detect_anomaly -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "op", "shown"),
    [
        (lambda: Value(-1.0).log(), "log", "-1.0"),
        (lambda: Value(0.0).log(), "log", "0.0"),
        (lambda: Value(1.0) / 0, "/", "1.0, 0.0"),
        (lambda: Value(1000.0).exp(), "exp", "1000.0"),
        (lambda: Value(-8.0) ** (1 / 3), "**", "-8.0"),
        (lambda: Value(-1.0).sqrt(), "sqrt", "-1.0"),
        (lambda: Value(1e308) * Value(10.0), "*", "1e+308, 10.0"),
    ],
)
def test_detect_anomaly_raises_at_a_bad_forward_result_naming_op_and_inputs(build, op, shown):
    with pytest.raises(FloatingPointError) as caught, detect_anomaly():
        build()
    message = str(caught.value)
    assert op in message
    assert shown in message


def test_detect_anomaly_raises_at_a_bad_gradient_in_backward_naming_op_and_inputs():
    x = Value(0.0)
    y = x.sqrt() + 1  # forward is finite everywhere; d sqrt/dx at 0 is inf
    with pytest.raises(FloatingPointError) as caught, detect_anomaly():
        y.backward()
    message = str(caught.value)
    assert "sqrt" in message
    assert "0.0" in message


def test_detect_anomaly_checks_the_gradients_of_grad_too():
    x = Value(0.0)
    y = x.sqrt() * 3  # d sqrt/dx at 0 is inf
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match="sqrt"):
            grad(y, [x])
        with pytest.raises(FloatingPointError):
            grad(y, [x], create_graph=True)


def test_nothing_raises_outside_detect_anomaly():
    x = Value(0.0)
    y = x.sqrt() + x.log() + (-x).sqrt() + 1 / x
    y.backward()
    grad(y, [x])
    assert math.isnan(y.data) or math.isinf(y.data)
    assert not math.isfinite(x.grad)


def test_detect_anomaly_lets_finite_computations_through():
    x = Value(2.0)
    with detect_anomaly():
        y = (x * x).log() + x.sqrt()
        y.backward()
        (d,) = grad(y, [x], create_graph=True)
    assert math.isfinite(y.data) and math.isfinite(d.data)
    assert x.grad == pytest.approx(1.0 + 0.5 / math.sqrt(2.0), rel=1e-15)


def test_detect_anomaly_is_off_by_default_and_restored_after_an_error():
    assert not is_anomaly_enabled()
    with pytest.raises(FloatingPointError), detect_anomaly():
        assert is_anomaly_enabled()
        Value(-1.0).log()
    assert not is_anomaly_enabled()
    assert math.isnan(Value(-1.0).log().data)


def test_detect_anomaly_is_per_thread():
    with detect_anomaly():
        assert in_thread(is_anomaly_enabled) is False
        assert math.isnan(in_thread(lambda: Value(-1.0).log().data))
        assert is_anomaly_enabled()

    def anomaly_in_worker() -> bool:
        with detect_anomaly():
            return is_anomaly_enabled()

    assert in_thread(anomaly_in_worker) is True
    assert not is_anomaly_enabled()


def test_no_grad_and_detect_anomaly_combine_in_either_order():
    x = Value(-1.0)
    with no_grad(), detect_anomaly():
        assert (x * 2).is_leaf
        with pytest.raises(FloatingPointError, match="log"):
            x.log()
    with detect_anomaly():
        with no_grad():
            assert (x * 2).is_leaf
            with pytest.raises(FloatingPointError, match="sqrt"):
                x.sqrt()
        assert not (x * 2).is_leaf  # recording again, still checking
        with pytest.raises(FloatingPointError, match="log"):
            x.log()
    y = x * 2
    assert not y.is_leaf
    assert math.isnan(x.log().data)  # neither mode is left behind


def test_anomaly_in_one_thread_and_no_grad_in_another_stay_apart():
    def checked_and_recorded() -> tuple[bool, bool]:
        return is_anomaly_enabled(), not (Value(1.0) * 2).is_leaf

    with detect_anomaly():
        assert in_thread(checked_and_recorded) == (False, True)
    with no_grad():
        assert in_thread(checked_and_recorded) == (False, True)
    assert checked_and_recorded() == (False, True)


@pytest.mark.parametrize(
    ("build", "x", "first", "second"),
    [
        (lambda x: x**2, -1.0, -2.0, 2.0),  # d/d(exponent 2) would be 1 * log(-1): nan
        (lambda x: (x - 3) ** 2, 1.0, -4.0, 2.0),
        (lambda x: 0**x, 0.5, 0.0, 0.0),  # d/d(base 0) would be 0.5 * 0 ** -0.5: inf
    ],
    ids=["(-1) ** 2", "(x - 3) ** 2", "0 ** x"],
)
def test_detect_anomaly_with_create_graph_ignores_derivatives_for_plain_numbers(
    build, x, first, second
):
    # A folded plain number needs no derivative; one that is not finite is no anomaly.
    v = Value(x)
    with detect_anomaly():
        y = build(v)
        (d,) = grad(y, [v], create_graph=True)
        (d2,) = grad(d, [v])
    assert (d.data, d2.data) == (first, second)
