"""gradcheck: backward's gradients against central differences, and its failure table."""

from __future__ import annotations

import math
import re

import pytest

from autograd import GradcheckError, Value, gradcheck, is_grad_enabled, no_grad


def test_gradcheck_accepts_correct_functions():
    assert gradcheck(lambda x: x * x, [3.0]) is True
    assert gradcheck(lambda x, y: (x * y).tanh() + y.exp() / x, [0.5, -1.5]) is True
    assert gradcheck(lambda x, y, z: (x**y).log() * z.sin() - z.sigmoid(), [2.0, 1.5, 0.3])


def test_gradcheck_accepts_a_correct_function_even_inside_no_grad():
    # The analytic pass needs a graph whatever the caller's mode; a correct fn must pass.
    with no_grad():
        assert gradcheck(lambda x: x * x, [3.0])
        assert not is_grad_enabled()


def test_gradcheck_accepts_numbers_and_values_as_inputs():
    assert gradcheck(lambda x, y: x * y, [2, Value(3.0)])


def test_gradcheck_accepts_an_input_the_function_ignores():
    assert gradcheck(lambda x, y: x * 2, [1.0, 5.0])


def test_gradcheck_rejects_a_function_whose_backward_misses_a_path():
    # backward cannot see through detach(): analytic d(x * x)/dx is x, numeric is 2x.
    def wrong(x, y):
        return x * x.detach() + y

    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong, [3.0, 1.0])
    lines = str(caught.value).splitlines()
    header = next(line for line in lines if line.split()[0] == "input")
    assert re.search(r"input.*analytic.*numeric.*error", header)
    rows = [line.split() for line in lines[lines.index(header) + 1 :]]
    # input index, its value, analytic, numeric, error (and a mark on the bad row)
    assert [float(x) for x in rows[0][1:5]] == pytest.approx([3.0, 3.0, 6.0, 3.0], rel=1e-6)
    assert "mismatch" in lines[lines.index(header) + 1]
    assert [float(x) for x in rows[1][1:4]] == pytest.approx([1.0, 1.0, 1.0], rel=1e-6)


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_gradcheck_rejects_a_nan_gradient():
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(lambda x: x.sqrt(), [-1.0])


def test_gradcheck_leaves_the_values_passed_in_untouched():
    x, y = Value(2.0), Value(-1.0)
    x.grad = 5.0
    assert gradcheck(lambda a, b: a * b + a.exp(), [x, y])
    assert (x.grad, y.grad) == (5.0, 0.0)
    assert (x.data, y.data) == (2.0, -1.0)
    assert x.is_leaf


def off_by(c):
    """A function whose analytic derivative is 1 while the numeric one is 1 + c."""
    return lambda x: x + c * x.detach()


@pytest.mark.parametrize(
    ("c", "atol", "rtol", "passes"),
    [
        (0.01, 0.02, 0.0, True),  # error 0.01 <= 0.02
        (0.01, 0.005, 0.0, False),
        (0.01, 0.0, 0.02, True),  # 0.01 <= 0.02 * 1.01
        (0.01, 0.0, 0.005, False),
        (0.01, 0.005, 0.005, True),  # the sum: 0.01 <= 0.005 + 0.005 * 1.01, neither alone
        (1.0, 0.0, 0.6, True),  # relative to |numeric| = 2, not |analytic| = 1
        (1.0, 0.0, 0.4, False),
    ],
)
def test_gradcheck_accepts_when_the_error_is_within_atol_plus_rtol_times_numeric(
    c, atol, rtol, passes
):
    if passes:
        assert gradcheck(off_by(c), [1.5], atol=atol, rtol=rtol)
    else:
        with pytest.raises(GradcheckError):
            gradcheck(off_by(c), [1.5], atol=atol, rtol=rtol)


def test_gradcheck_uses_the_given_eps():
    # (f(x + eps) - f(x - eps)) / 2 eps of x**3 at 1 is 3 + eps**2: eps = 0.1 errs by 0.01.
    assert gradcheck(lambda x: x**3, [1.0], eps=0.1, atol=0.0101, rtol=0.0)
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x**3, [1.0], eps=0.1, atol=0.0099, rtol=0.0)


@pytest.mark.parametrize("bad", [None, 3.0, "x * x"])
def test_gradcheck_rejects_a_fn_that_is_not_callable(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        gradcheck(bad, [1.0])


def test_gradcheck_rejects_a_fn_that_does_not_return_a_value():
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda x: x.data, [1.0])


@pytest.mark.parametrize("bad", ["1.0", None, 1j, [1.0]])
def test_gradcheck_rejects_inputs_that_are_not_numbers_or_values(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        gradcheck(lambda x, y: x * y, [1.0, bad])


def test_gradcheck_rejects_no_inputs():
    with pytest.raises(ValueError):
        gradcheck(lambda: Value(1.0), [])


@pytest.mark.parametrize("eps", [0.0, -1e-6, math.nan])
def test_gradcheck_rejects_an_eps_that_is_not_positive(eps):
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda x: x, [1.0], eps=eps)


@pytest.mark.parametrize("name", ["atol", "rtol"])
@pytest.mark.parametrize("bad", [-1.0, math.nan])
def test_gradcheck_rejects_negative_tolerances(name, bad):
    with pytest.raises(ValueError, match=name):
        gradcheck(lambda x: x, [1.0], **{name: bad})


@pytest.mark.parametrize("name", ["eps", "atol", "rtol"])
def test_gradcheck_rejects_a_tolerance_or_eps_that_is_not_a_number_with_a_type_error(name):
    # A wrong type is a TypeError naming the type, as everywhere else in the package.
    with pytest.raises(TypeError, match="str"):
        gradcheck(lambda x: x, [1.0], **{name: "1e-6"})
