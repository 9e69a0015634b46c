"""Tests for the PyTorch-named modules on Values: Linear, Sequential, activations, loss modules.

Everything here runs without torch; tests/test_nn_pytorch_parity.py compares with PyTorch.
"""

from __future__ import annotations

import math
import random
import re
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value


def values(xs):
    return [Value(x) for x in xs]


def data(nested):
    return nn.shapes.map_elements(lambda v: v.data, nested)


# -- Linear -----------------------------------------------------------------------------------


def test_linear_computes_x_times_w_transposed_plus_b():
    layer = nn.Linear(2, 3, seed=0)
    layer.load_state_dict({
        "weight.0.0": 1.0, "weight.0.1": 2.0,
        "weight.1.0": -1.0, "weight.1.1": 0.5,
        "weight.2.0": 0.0, "weight.2.1": 3.0,
        "bias.0": 0.5, "bias.1": 0.0, "bias.2": -1.0,
    })  # fmt: skip
    assert data(layer([10.0, 100.0])) == [210.5, 40.0, 299.0]
    assert data(layer([[10.0, 100.0], [1.0, 1.0]])) == [[210.5, 40.0, 299.0], [3.5, -0.5, 2.0]]


def test_linear_keeps_its_output_dimension_of_one():
    layer = nn.Linear(3, 1, seed=0)
    out = layer([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)
    assert [len(y) for y in layer([[1.0, 2.0, 3.0]] * 5)] == [1] * 5


def test_linear_parameters_are_named_like_pytorchs_weight_and_bias():
    layer = nn.Linear(2, 3, seed=0)
    names = [name for name, _ in layer.named_parameters()]
    assert names == [f"weight.{j}.{i}" for j in range(3) for i in range(2)] + [
        f"bias.{j}" for j in range(3)
    ]
    assert layer.weight[2][1].label == "weight.2.1"
    assert layer.parameters() == [*layer.weight[0], *layer.weight[1], *layer.weight[2], *layer.bias]


def test_linear_without_bias_has_only_weights():
    layer = nn.Linear(2, 2, bias=False, seed=0)
    assert layer.bias is None
    assert len(layer.parameters()) == 4
    layer.load_state_dict(
        {"weight.0.0": 1.0, "weight.0.1": 1.0, "weight.1.0": 2.0, "weight.1.1": 0.0}
    )
    assert data(layer([3.0, 4.0])) == [7.0, 6.0]


@pytest.mark.parametrize("n_in", [1, 3, 64, 1000])
def test_linear_starts_uniform_within_one_over_sqrt_in_features(n_in):
    layer = nn.Linear(n_in, 50, seed=1)
    bound = 1 / math.sqrt(n_in)
    weights = [p.data for p in layer.parameters()]
    assert all(-bound <= w <= bound for w in weights)
    # Not squeezed into a smaller range: the extremes come close to the bound.
    assert max(weights) > 0.9 * bound and min(weights) < -0.9 * bound


def test_linear_draws_the_pytorch_order_weights_row_by_row_then_biases():
    rng = random.Random(7)
    bound = 1 / math.sqrt(3)
    expected = [rng.uniform(-bound, bound) for _ in range(3 * 2 + 2)]
    assert [p.data for p in nn.Linear(3, 2, seed=7).parameters()] == expected


def test_linear_seeds_alike_give_the_same_weights_and_leave_global_random_alone():
    state = random.getstate()
    a, b = nn.Linear(4, 3, seed=5), nn.Linear(4, 3, seed=5)
    assert a.state_dict() == b.state_dict()
    assert nn.Linear(4, 3).state_dict() != nn.Linear(4, 3).state_dict()
    assert random.getstate() == state


def test_linear_names_both_sizes_when_a_sample_has_the_wrong_size():
    layer = nn.Linear(4, 2, seed=0)
    message = "Linear(in_features=4, out_features=2, bias=True) expects samples of 4 numbers, got a sample of 3"  # noqa: E501
    with pytest.raises(ValueError, match=re.escape(message)):
        layer([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="got a sample of 5"):
        layer([[1.0] * 4, [1.0] * 5])
    with pytest.raises(ValueError, match="got a single number"):
        layer(1.0)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, 2), ValueError, "in_features must be at least 1, got 0"),
        ((2, -1), ValueError, "out_features must be at least 1"),
        ((2.0, 2), TypeError, "in_features must be an int, got float"),
        ((2, 2, "yes"), TypeError, "Linear bias must be a bool, got str"),
    ],
)
def test_linear_refuses_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        nn.Linear(*args)


def test_linear_refuses_inputs_that_are_not_numbers():
    with pytest.raises(TypeError, match="got str"):
        nn.Linear(2, 1, seed=0)("ab")


def test_linear_takes_values_and_passes_gradients_to_its_inputs():
    layer = nn.Linear(2, 1, seed=0)
    layer.load_state_dict({"weight.0.0": 3.0, "weight.0.1": -2.0, "bias.0": 1.0})
    x = values([1.0, 1.0])
    (y,) = layer(x)
    y.backward()
    assert [v.grad for v in x] == [3.0, -2.0]
    assert [w.grad for w in layer.weight[0]] == [1.0, 1.0]
    assert layer.bias[0].grad == 1.0


# -- activations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "function"),
    [
        (nn.ReLU(), lambda x: max(x, 0.0)),
        (nn.Tanh(), math.tanh),
        (nn.Sigmoid(), lambda x: 1 / (1 + math.exp(-x))),
        (nn.LeakyReLU(), lambda x: x if x > 0 else 0.01 * x),
        (nn.LeakyReLU(0.2), lambda x: x if x > 0 else 0.2 * x),
        (nn.Identity(), lambda x: x),
    ],
    ids=repr,
)
def test_activations_apply_to_a_value_a_sample_and_a_batch(module, function):
    xs = [-2.0, -0.5, 0.0, 0.5, 3.0]
    expected = [function(x) for x in xs]
    assert data(module(values(xs))) == pytest.approx(expected, rel=1e-15)
    assert data(module([values(xs), values(xs)])) == [pytest.approx(expected, rel=1e-15)] * 2
    assert data(module(Value(-2.0))) == pytest.approx(function(-2.0))


def test_activations_turn_plain_numbers_into_values():
    out = nn.ReLU()([1.0, -1.0])
    assert all(isinstance(v, Value) for v in out)


def test_activation_derivatives_at_zero_are_pytorchs():
    x = Value(0.0)
    nn.ReLU()(x).backward()
    assert x.grad == 0.0
    y = Value(0.0)
    nn.LeakyReLU(0.3)(y).backward()
    assert y.grad == 0.3


def test_activation_reprs_are_pytorchs():
    assert [repr(m) for m in (nn.ReLU(), nn.ReLU(inplace=True), nn.Tanh(), nn.Sigmoid())] == [
        "ReLU()", "ReLU(inplace=True)", "Tanh()", "Sigmoid()",
    ]  # fmt: skip
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.Identity()) == "Identity()"


def test_activations_refuse_bad_arguments_and_inputs():
    with pytest.raises(TypeError, match="negative_slope must be a real number, got str"):
        nn.LeakyReLU("0.1")
    with pytest.raises(TypeError, match="ReLU inplace must be a bool"):
        nn.ReLU(1)
    with pytest.raises(TypeError, match="Tanh input must be a number"):
        nn.Tanh()("x")


# -- Sequential -------------------------------------------------------------------------------


def small_sequential():
    return nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))


def test_sequential_feeds_each_module_the_previous_output():
    model = small_sequential()
    x = [[0.5, -1.0], [2.0, 1.0]]
    expected = model[2](model[1](model[0](x)))
    assert data(model(x)) == data(expected)


def test_sequential_names_parameters_by_position_like_pytorch():
    model = small_sequential()
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["0.weight.0.0", "0.weight.0.1", "0.weight.1.0"]
    assert names[6:9] == ["0.bias.0", "0.bias.1", "0.bias.2"]
    assert names[9:] == ["2.weight.0.0", "2.weight.0.1", "2.weight.0.2", "2.bias.0"]
    assert model[0].weight[1][0].label == "0.weight.1.0"
    assert model.parameters() == [*model[0].parameters(), *model[2].parameters()]


def test_sequential_is_indexable_sized_and_iterable():
    model = small_sequential()
    assert len(model) == 3
    assert model[-1] is model[2]
    assert list(model) == [model[0], model[1], model[2]]
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [model[1], model[2]]
    assert model[0].weight[0][0].label == "0.weight.0.0"  # slicing keeps the labels
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of 3 modules"):
        model[3]
    with pytest.raises(TypeError, match="indices must be ints or slices, got str"):
        model["0"]


def test_sequential_append_and_modules_and_train_mode():
    model = small_sequential().append(nn.Dropout(0.5))
    assert len(model) == 4
    assert [type(m).__name__ for m in model.modules()] == [
        "Sequential", "Linear", "ReLU", "Linear", "Dropout",
    ]  # fmt: skip
    model.eval()
    assert not model[3].training
    assert len(model([[1.0, 2.0]] * 3)) == 3


def test_sequential_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="argument 1 is function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)
    with pytest.raises(TypeError, match="the appended module is int"):
        nn.Sequential().append(3)


def test_sequential_state_dict_round_trip():
    a, b = small_sequential(), nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    b.load_state_dict(a.state_dict())
    assert data(b([[1.0, 2.0]])) == data(a([[1.0, 2.0]]))


def test_sequential_repr_is_pytorchs():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Sequential(nn.Tanh(), nn.Identity()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): Identity()\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Sequential()) == "Sequential()"


def test_sequential_of_an_ordered_dict_names_its_modules_by_the_keys():
    model = nn.Sequential(
        OrderedDict([("hidden", nn.Linear(2, 2, seed=0)), ("act", nn.Tanh()),
                     ("out", nn.Linear(2, 1, seed=1))])
    )  # fmt: skip
    assert model.hidden is model[0] and model.out is model[-1]
    assert [name for name, _ in model.named_children()] == ["hidden", "act", "out"]
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "hidden.weight.0.0" and names[-1] == "out.bias.0"
    assert repr(model).splitlines()[1:3] == [
        "  (hidden): Linear(in_features=2, out_features=2, bias=True)",
        "  (act): Tanh()",
    ]
    assert [name for name, _ in model[1:].named_children()] == ["act", "out"]
    assert [name for name, _ in model.append(nn.Sigmoid()).named_children()][-1] == "3"
    with pytest.raises(AttributeError, match="'Sequential' object has no attribute 'missing'"):
        getattr(model, "missing")  # noqa: B009


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "non-empty strings without '.'"), ("a.b", "without '.'"), (3, "got 3")],
)
def test_sequential_refuses_bad_module_names(name, message):
    with pytest.raises(ValueError, match=message):
        nn.Sequential(OrderedDict([(name, nn.ReLU())]))


def test_sequential_refuses_a_second_module_of_the_same_name():
    model = nn.Sequential(OrderedDict([("1", nn.ReLU())]))
    with pytest.raises(ValueError, match="already has a module named '1'"):
        model.append(nn.Tanh())


def test_dropout_in_a_sequential_drops_elements_of_a_batch():
    model = nn.Sequential(nn.Dropout(0.5, seed=0))
    out = model([[Value(1.0)] * 10] * 4)
    assert len(out) == 4 and all(len(row) == 10 for row in out)
    assert {v.data for row in out for v in row} == {0.0, 2.0}


# -- loss modules -----------------------------------------------------------------------------

LOSSES = [nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss]


def test_mse_and_l1_reductions_by_hand():
    pred = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
    target = [[0.0, 2.0], [5.0, 3.0]]
    assert nn.MSELoss()(pred, target).data == (1 + 0 + 4 + 1) / 4
    assert nn.MSELoss(reduction="sum")(pred, target).data == 6.0
    assert data(nn.MSELoss(reduction="none")(pred, target)) == [[1.0, 0.0], [4.0, 1.0]]
    assert nn.L1Loss()(pred, target).data == (1 + 0 + 2 + 1) / 4
    assert data(nn.L1Loss(reduction="none")(pred, target)) == [[1.0, 0.0], [2.0, 1.0]]


def test_mean_reduction_averages_the_gradient_too():
    pred = values([1.0, 2.0, 3.0, 4.0])
    nn.MSELoss()(pred, [0.0, 0.0, 0.0, 0.0]).backward()
    assert [p.grad for p in pred] == [0.5, 1.0, 1.5, 2.0]  # 2 * p / 4


def test_l1_gradient_at_zero_error_is_zero():
    pred = values([1.0, 2.0])
    nn.L1Loss(reduction="sum")(pred, [1.0, 0.0]).backward()
    assert [p.grad for p in pred] == [0.0, 1.0]


def test_loss_of_one_number_and_of_no_elements():
    assert nn.MSELoss()(Value(3.0), 1.0).data == 4.0
    assert nn.MSELoss(reduction="none")(Value(3.0), 1.0).data == 4.0
    assert math.isnan(nn.MSELoss()([], []).data)  # as PyTorch: the mean of nothing
    assert nn.MSELoss(reduction="sum")([], []).data == 0.0
    assert nn.MSELoss(reduction="none")([], []) == []


@pytest.mark.parametrize("loss", LOSSES)
def test_elementwise_losses_name_both_sizes_instead_of_broadcasting(loss):
    with pytest.raises(ValueError, match=rf"{loss.__name__} got a target of size \(3,\) for an "
                                         r"input of size \(3, 1\)"):  # fmt: skip
        loss()([[Value(0.5)], [Value(0.5)], [Value(0.5)]], [1.0, 0.0, 1.0])


@pytest.mark.parametrize("loss", [*LOSSES, nn.CrossEntropyLoss])
def test_losses_refuse_an_unknown_reduction(loss):
    with pytest.raises(ValueError, match=r"reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        loss(reduction="avg")


def test_bce_loss_refuses_values_outside_zero_one():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got 1.5"):
        nn.BCELoss()([Value(1.5)], [1.0])


def test_cross_entropy_loss_takes_one_sample_or_a_batch():
    logits = [Value(1.0), Value(2.0), Value(3.0)]
    one = nn.CrossEntropyLoss()(logits, 2)
    assert one.data == pytest.approx(0.40760596444438, abs=1e-12)
    batch = nn.CrossEntropyLoss(reduction="none")([logits, logits], [2, 0])
    assert [v.data for v in batch] == pytest.approx([0.40760596444438, 2.40760596444438])
    total = nn.CrossEntropyLoss(reduction="sum")([logits, logits], [2, 0])
    assert total.data == pytest.approx(0.40760596444438 + 2.40760596444438)
    assert nn.CrossEntropyLoss(reduction="none")(logits, 2).data == one.data


def test_cross_entropy_loss_names_the_sizes_it_needed():
    logits = [[Value(1.0), Value(2.0)]] * 2
    expected = r"expected size \(2,\) \(class indices\) or \(2, 2\) \(class probabilities\)"
    with pytest.raises(ValueError, match=r"got a target of size \(3,\) for logits of size "):
        nn.CrossEntropyLoss()(logits, [0, 1, 1])
    with pytest.raises(ValueError, match=expected):
        nn.CrossEntropyLoss()(logits, 1)
    with pytest.raises(ValueError, match=r"target of size \(2, 3\)"):
        nn.CrossEntropyLoss()(logits, [[0.5, 0.5, 0.0]] * 2)
    with pytest.raises(ValueError, match=r"logits of size \(C,\) for one sample or \(N, C\)"):
        nn.CrossEntropyLoss()([logits], [[0, 1]])
    with pytest.raises(ValueError, match="target 2 is out of range for 2 classes"):
        nn.CrossEntropyLoss()(logits, [0, 2])
    with pytest.raises(TypeError, match="must be a class index"):
        nn.CrossEntropyLoss()(logits[0], 1.0)


def test_cross_entropy_loss_with_class_probabilities_by_hand():
    logits = [Value(0.0), Value(0.0)]
    loss = nn.CrossEntropyLoss()([logits, logits], [[0.25, 0.75], [1.0, 0.0]])
    assert loss.data == pytest.approx(math.log(2), rel=1e-15)  # each row: -log(1/2)
    loss.backward()
    # d/dlogit_c = softmax_c - p_c, averaged over the 2 samples; both rows share the Values.
    assert [v.grad for v in logits] == pytest.approx([(0.25 + -0.5) / 2, (-0.25 + 0.5) / 2])


def test_loss_reprs_show_a_reduction_other_than_the_mean():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=8), st.sampled_from(["mean", "sum"]))
def test_loss_reductions_agree_with_the_none_reduction(xs, reduction):
    targets = [0.5] * len(xs)
    each = [v.data for v in nn.MSELoss(reduction="none")(values(xs), targets)]
    reduced = nn.MSELoss(reduction=reduction)(values(xs), targets).data
    expected = math.fsum(each) / (len(xs) if reduction == "mean" else 1)
    assert reduced == pytest.approx(expected, rel=1e-12, abs=1e-12)
