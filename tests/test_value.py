"""Value: construction, conversions, identity, operators, graph access, detach and linear."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, linear, no_grad

# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [(2, 2.0), (2.5, 2.5), (-3, -3.0), (True, 1.0), (Fraction(1, 4), 0.25), (math.inf, math.inf)],
)
def test_value_stores_any_real_number_as_a_float(data, expected):
    v = Value(data)
    assert type(v.data) is float
    assert v.data == expected


def test_value_starts_with_zero_grad_and_an_empty_label_and_op():
    v = Value(1.5)
    assert v.grad == 0.0
    assert type(v.grad) is float
    assert v.label == ""
    assert v.op == ""
    assert v.is_leaf


def test_grad_and_label_may_be_assigned():
    v = Value(1.0, label="w")
    v.grad = 3.0
    v.label = "weight"
    assert (v.grad, v.label) == (3.0, "weight")


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [("2.0", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"), (Value(1), "Value")],
)
def test_value_rejects_non_real_data_with_a_type_error_naming_the_type(bad, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


@pytest.mark.parametrize(("bad", "type_name"), [(1, "int"), (None, "NoneType"), (b"x", "bytes")])
def test_value_rejects_a_label_that_is_not_a_str(bad, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(1.0, label=bad)
    node = Value(1.0, label="x") * 2
    with pytest.raises(TypeError, match=type_name):
        node.label = bad
    assert node.label == ""


def test_numpy_scalars_are_accepted_as_data_and_as_operands():
    np = pytest.importorskip("numpy")
    assert Value(np.float64(2.5)).data == 2.5
    assert type(Value(np.float32(0.5)).data) is float
    assert Value(np.int64(3)).data == 3.0
    x = Value(3.0)
    for y, expected_data, expected_grad in [
        (np.float64(2.0) * x, 6.0, 2.0),
        (x * np.float32(0.5), 1.5, 0.5),
        (np.int64(1) - x, -2.0, -1.0),
        (x / np.float64(4.0), 0.75, 0.25),
        (x ** np.int64(2), 9.0, 6.0),
        (np.float64(2.0) ** x, 8.0, 8.0 * math.log(2.0)),
        (np.float64(6.0) / x, 2.0, -6.0 / 9.0),
        (x + np.float64(1.0), 4.0, 1.0),
    ]:
        x.grad = 0.0
        assert isinstance(y, Value)
        y.backward()
        assert (y.data, x.grad) == (expected_data, expected_grad)


# -- conversions and identity ---------------------------------------------------------------


def test_repr_shows_data_grad_and_label_when_there_is_one():
    assert repr(Value(2.0, label="x")) == "Value(data=2.0, grad=0.0, label='x')"
    v = Value(-1.5)
    v.grad = 0.25
    assert repr(v) == "Value(data=-1.5, grad=0.25)"


def test_float_of_a_value_is_its_data():
    assert float(Value(2.5)) == 2.5
    assert float(Value(3) * 2) == 6.0


def test_values_compare_equal_only_to_themselves():
    x, y = Value(1.0), Value(1.0)
    assert x == x
    assert x != y
    assert x != 1.0


def test_values_live_in_sets_and_dicts_by_identity():
    x, y = Value(1.0), Value(1.0)
    assert len({x, y, x}) == 2
    table = {x: "x", y: "y"}
    assert table[x] == "x"
    assert table[y] == "y"


def test_value_has_slots_and_no_instance_dict():
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.colour = "red"


# -- operators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "data", "grad"),
    [
        (lambda x: x + 2, 5.0, 1.0),
        (lambda x: 2 + x, 5.0, 1.0),
        (lambda x: x - 2, 1.0, 1.0),
        (lambda x: 1 - x, -2.0, -1.0),
        (lambda x: x * 2, 6.0, 2.0),
        (lambda x: 2 * x, 6.0, 2.0),
        (lambda x: x / 2, 1.5, 0.5),
        (lambda x: 1 / x, 1 / 3, -1 / 9),
        (lambda x: x**2, 9.0, 6.0),
        (lambda x: 2**x, 8.0, 8.0 * math.log(2.0)),
        (lambda x: -x, -3.0, -1.0),
        (lambda x: +x, 3.0, 1.0),
        (lambda x: abs(-x), 3.0, 1.0),
    ],
    ids=["x+2", "2+x", "x-2", "1-x", "x*2", "2*x", "x/2", "1/x", "x**2", "2**x", "-x", "+x", "abs"],
)
def test_operators_with_a_plain_number_on_either_side(build, data, grad):
    x = Value(3.0)
    y = build(x)
    y.backward()
    assert y.data == pytest.approx(data, rel=1e-15)
    assert x.grad == pytest.approx(grad, rel=1e-15)


def test_value_to_the_power_of_a_value_differentiates_base_and_exponent():
    x, y = Value(2.0), Value(3.0)
    z = x**y
    z.backward()
    assert z.data == 8.0
    assert x.grad == 12.0  # y * x ** (y - 1)
    assert y.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)  # x ** y * log(x)


def test_integer_powers_of_a_negative_base_are_real():
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)
    assert (Value(-2.0) ** 2).data == 4.0


def test_subtraction_and_negation_of_values():
    x, y = Value(5.0), Value(3.0)
    z = x - y
    z.backward()
    assert (z.data, x.grad, y.grad) == (2.0, 1.0, -1.0)
    w = x - x
    x.grad = 0.0
    w.backward()
    assert (w.data, x.grad) == (0.0, 0.0)


def test_division_prints_the_same_number_as_python():
    assert (Value(0.3) / 0.1).data == 0.3 / 0.1
    assert (Value(0.3) / Value(0.1)).data == 0.3 / 0.1
    assert (0.3 / Value(0.1)).data == 0.3 / 0.1


def test_sum_of_values_is_a_value_with_every_gradient_one():
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    total = sum(xs)
    assert isinstance(total, Value)
    total.backward()
    assert total.data == 6.0
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("method", "data", "expected"),
    [
        ("exp", 0.0, 1.0),
        ("log", 1.0, 0.0),
        ("sqrt", 9.0, 3.0),
        ("tanh", 0.0, 0.0),
        ("sigmoid", 0.0, 0.5),
        ("relu", -2.0, 0.0),
        ("relu", 2.0, 2.0),
        ("leaky_relu", -2.0, -0.02),
        ("sin", 0.0, 0.0),
        ("cos", 0.0, 1.0),
    ],
)
def test_function_methods_compute_the_function(method, data, expected):
    assert getattr(Value(data), method)().data == expected


def test_leaky_relu_takes_a_slope():
    x = Value(-2.0)
    y = x.leaky_relu(0.5)
    y.backward()
    assert (y.data, x.grad) == (-1.0, 0.5)
    assert x.leaky_relu(slope=0.25).data == -0.5


@pytest.mark.parametrize("bad", ["0.1", None, Value(0.1), 1j])
def test_leaky_relu_rejects_a_slope_that_is_not_a_real_number(bad):
    with pytest.raises(TypeError):
        Value(1.0).leaky_relu(bad)


BAD_OPERANDS = ["2", None, [1.0], 1j, {}, object()]


@pytest.mark.parametrize("bad", BAD_OPERANDS, ids=lambda b: type(b).__name__)
@pytest.mark.parametrize(
    "operation",
    [
        lambda x, b: x + b,
        lambda x, b: b + x,
        lambda x, b: x - b,
        lambda x, b: b - x,
        lambda x, b: x * b,
        lambda x, b: b * x,
        lambda x, b: x / b,
        lambda x, b: b / x,
        lambda x, b: x**b,
        lambda x, b: b**x,
    ],
    ids=["x+b", "b+x", "x-b", "b-x", "x*b", "b*x", "x/b", "b/x", "x**b", "b**x"],
)
def test_operators_reject_unsupported_types_with_a_type_error(operation, bad):
    # Python writes the message (e.g. "can't multiply sequence by non-int of type 'Value'").
    with pytest.raises(TypeError):
        operation(Value(2.0), bad)


# -- op names and graph access --------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "op"),
    [
        (lambda x, y: x + y, "+"),
        (lambda x, y: x - y, "+"),
        (lambda x, y: x * y, "*"),
        (lambda x, y: -x, "*"),
        (lambda x, y: x / y, "/"),
        (lambda x, y: x**y, "**"),
        (lambda x, y: x.exp(), "exp"),
        (lambda x, y: x.log(), "log"),
        (lambda x, y: x.sqrt(), "sqrt"),
        (lambda x, y: x.tanh(), "tanh"),
        (lambda x, y: x.sigmoid(), "sigmoid"),
        (lambda x, y: x.relu(), "relu"),
        (lambda x, y: x.leaky_relu(), "leaky_relu"),
        (lambda x, y: abs(x), "abs"),
        (lambda x, y: x.sin(), "sin"),
        (lambda x, y: x.cos(), "cos"),
        (lambda x, y: linear([x], [y]), "linear"),
    ],
)
def test_op_names_the_operation_that_made_the_value(build, op):
    assert build(Value(2.0), Value(3.0)).op == op


def test_a_node_lists_each_use_of_an_input_with_its_local_derivative():
    x, y = Value(2.0), Value(5.0)
    assert (x * y).inputs == (x, y)
    assert (x * y).local_grads == (5.0, 2.0)
    square = x * x
    assert square.inputs == (x, x)
    assert square.local_grads == (2.0, 2.0)
    assert not square.is_leaf


def test_a_plain_number_operand_is_folded_into_the_node_but_kept_in_args():
    x = Value(2.0)
    y = 3 * x
    assert y.inputs == (x,)
    assert y.local_grads == (3.0,)
    assert y.args == (3.0, x)
    z = x**2
    assert z.inputs == (x,)
    assert z.local_grads == (4.0,)
    assert z.args == (x, 2.0)


def test_a_leaf_has_no_inputs_local_grads_or_args():
    x = Value(1.0)
    assert (x.inputs, x.local_grads, x.args) == ((), (), ())
    assert x.is_leaf


def test_graph_access_is_read_only():
    x = Value(2.0)
    y = x * x
    with pytest.raises(AttributeError):
        y.inputs = ()
    with pytest.raises(AttributeError):
        y.local_grads = (0.0, 0.0)
    assert y.inputs == (x, x)


# -- detach ---------------------------------------------------------------------------------


def test_detach_makes_a_new_leaf_with_the_same_data():
    x = Value(2.0)
    y = x * 3
    d = y.detach()
    assert d is not y
    assert (d.data, d.is_leaf, d.inputs, d.op, d.grad) == (6.0, True, (), "", 0.0)


def test_gradient_does_not_flow_through_a_detached_value():
    x = Value(2.0)
    y = x * x.detach()
    y.backward()
    assert x.grad == 2.0  # only the undetached factor's path


# -- linear ---------------------------------------------------------------------------------


def test_linear_is_bias_plus_the_weighted_sum_with_every_gradient():
    w = [Value(2.0), Value(-1.0)]
    x = [Value(3.0), Value(4.0)]
    b = Value(0.5)
    y = linear(w, x, b)
    y.backward()
    assert y.data == 2.5
    assert [wi.grad for wi in w] == [3.0, 4.0]
    assert [xi.grad for xi in x] == [2.0, -1.0]
    assert b.grad == 1.0
    assert y.op == "linear"


def test_linear_matches_the_same_sum_written_with_operators():
    w = [Value(0.5), Value(-2.0), Value(3.0)]
    x = [Value(1.5), Value(0.25), Value(-1.0)]
    b = Value(0.125)
    y = linear(w, x, b)
    y.backward()
    grads = [v.grad for v in (*w, *x, b)]
    for v in (*w, *x, b):
        v.grad = 0.0
    z = b + w[0] * x[0] + w[1] * x[1] + w[2] * x[2]
    z.backward()
    assert y.data == z.data
    assert grads == [v.grad for v in (*w, *x, b)]


def test_linear_folds_plain_numbers_and_keeps_values_as_inputs():
    w = [Value(2.0), Value(3.0)]
    y = linear(w, [10.0, 100], 1)
    y.backward()
    assert y.data == 321.0
    assert y.inputs == tuple(w)
    assert y.local_grads == (10.0, 100.0)
    assert [wi.grad for wi in w] == [10.0, 100.0]


def test_linear_bias_defaults_to_zero():
    assert linear([Value(2.0)], [Value(3.0)]).data == 6.0


def test_linear_rejects_different_numbers_of_weights_and_inputs():
    with pytest.raises(ValueError, match="2 and 1"):
        linear([Value(1.0), Value(2.0)], [Value(1.0)])


@pytest.mark.parametrize(
    ("weights", "inputs", "bias", "type_name"),
    [
        ([Value(1.0)], ["2"], 0.0, "str"),
        ([None], [Value(1.0)], 0.0, "NoneType"),
        ([Value(1.0)], [Value(1.0)], 1j, "complex"),
        ([Value(1.0)], [[1.0]], 0.0, "list"),
    ],
)
def test_linear_rejects_elements_that_are_not_values_or_real_numbers(
    weights, inputs, bias, type_name
):
    with pytest.raises(TypeError, match=type_name):
        linear(weights, inputs, bias)


small = st.integers(-50, 50)
# One argument of linear: a Value, a float or an int (ints take the general path).
argument = st.one_of(
    small.map(lambda k: Value(k / 4)), small.map(lambda k: k / 4), small.map(lambda k: k)
)


@given(
    st.integers(0, 4).flatmap(
        lambda n: st.tuples(
            # Each side all Values, all floats, or any mix of Values and numbers.
            st.one_of(
                st.lists(argument, min_size=n, max_size=n),
                st.lists(small.map(lambda k: Value(k / 4)), min_size=n, max_size=n),
                st.lists(small.map(lambda k: k / 4), min_size=n, max_size=n),
            ),
            st.one_of(
                st.lists(argument, min_size=n, max_size=n),
                st.lists(small.map(lambda k: Value(k / 4)), min_size=n, max_size=n),
                st.lists(small.map(lambda k: k / 4), min_size=n, max_size=n),
            ),
            argument,
        )
    )
)
def test_linear_records_the_values_among_its_arguments_whatever_the_mix(case):
    weights, inputs, bias = case
    y = linear(weights, inputs, bias)
    args = (*weights, *inputs, bias)
    number = [a.data if isinstance(a, Value) else float(a) for a in args]
    n = len(weights)
    assert y.data == sum(number[i] * number[n + i] for i in range(n)) + number[-1]
    assert y.args == tuple(a if isinstance(a, Value) else float(a) for a in args)
    assert all(type(a) is float for a in y.args if not isinstance(a, Value))
    derivatives = [*number[n : 2 * n], *number[:n], 1.0]
    kept = [i for i, a in enumerate(args) if isinstance(a, Value)]
    assert y.inputs == tuple(args[i] for i in kept)
    assert y.local_grads == tuple(derivatives[i] for i in kept)
    for i in kept:
        args[i].grad = 0.0
    y.backward()
    for i in kept:
        uses = [j for j in kept if args[j] is args[i]]
        assert args[i].grad == sum(derivatives[j] for j in uses)


def test_linear_under_no_grad_is_a_leaf_with_the_same_data():
    w, x = [Value(2.0)], [Value(3.0)]
    with no_grad():
        y = linear(w, x, 1.0)
    assert (y.data, y.is_leaf, y.inputs) == (7.0, True, ())


# -- properties -----------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.one_of(st.integers(-(10**300), 10**300), st.floats(allow_nan=False)))
def test_any_int_or_float_round_trips_through_a_value(x):
    assert Value(x).data == float(x)


@given(finite, finite)
def test_arithmetic_on_values_matches_python_floats_exactly(a, b):
    for got, expected in [
        (Value(a) + Value(b), a + b),
        (Value(a) + b, a + b),
        (Value(a) * Value(b), a * b),
        (a * Value(b), a * b),
    ]:
        assert got.data == expected or (math.isnan(got.data) and math.isnan(expected))


@given(finite, finite)
def test_subtraction_is_exact(a, b):
    # a - b is recorded as a + (-1 * b), which IEEE 754 computes exactly as a - b.
    for got in (Value(a) - Value(b), Value(a) - b, a - Value(b)):
        assert got.data == a - b or (math.isnan(got.data) and math.isnan(a - b))


@given(finite, finite.filter(lambda b: b != 0))
def test_division_matches_python_floats_exactly(a, b):
    for got in (Value(a) / Value(b), Value(a) / b, a / Value(b)):
        assert got.data == a / b


@given(st.one_of(st.text(), st.none(), st.complex_numbers(), st.lists(st.integers()), st.binary()))
def test_value_rejects_every_non_real_input(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


# -- what a Value refuses, and conversions that read its data --


@pytest.mark.parametrize(
    "compare",
    [
        lambda a, b: a < b,
        lambda a, b: a >= b,
        lambda a, b: a > 1,
        lambda a, b: 1 <= a,  # noqa: SIM300 (the reflected comparison)
        lambda a, b: max(a, b),
        lambda a, b: min([a, b]),
        lambda a, b: sorted([b, a]),
    ],
)
def test_values_are_not_ordered_and_the_error_says_to_compare_data(compare):
    with pytest.raises(TypeError, match=r"Values are not ordered .* compare their \.data"):
        compare(Value(1.0), Value(2.0))


def test_comparing_data_or_sorting_by_data_works():
    a, b = Value(1.0), Value(2.0)
    assert max(a, b, key=lambda v: v.data) is b and sorted([b, a], key=lambda v: v.data) == [a, b]


def test_a_value_refuses_truth_testing_saying_why():
    for v in (Value(0.0), Value(1.0)):
        with pytest.raises(TypeError, match=r"no truth value: an `if` on it would be a branch"):
            bool(v)
    with pytest.raises(TypeError, match=r"test its \.data instead"):
        if Value(2.0) * 3:  # the mistake the message is for
            pass


def test_equality_stays_identity_so_values_live_in_sets_and_dicts():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and len({a, b, a}) == 2 and {a: 1, b: 2}[b] == 2
    assert (a == 1.0) is False


def test_round_and_format_specs_work_on_the_data():
    v = Value(2.71828, label="e")
    assert round(v) == 3 and round(v, 2) == 2.72 and isinstance(round(v), int)
    assert f"{v:.2f}" == "2.72" and f"{v:+.1e}" == "+2.7e+00" and f"{v:>6.1f}" == "   2.7"
    assert f"{v}" == repr(v) == str(v)
