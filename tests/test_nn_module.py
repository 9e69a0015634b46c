"""Tests for nn.Module, Neuron, Layer, MLP and Dropout."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value
from nn import MLP, Dropout, Layer, Module, Neuron
from nn.layers import initial_weights


def set_weights(module: Module, values: list[float]) -> None:
    module.load_state_dict(
        {name: v for (name, _), v in zip(module.named_parameters(), values, strict=True)}
    )


# -- parameters and names ---------------------------------------------------------------------


def test_neuron_parameters_are_weights_then_bias_with_names_as_labels():
    n = Neuron(3, seed=0)
    assert n.parameters() == [*n.w, n.b]
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1", "w.2", "b"]
    assert [p.label for p in n.parameters()] == ["w.0", "w.1", "w.2", "b"]


def test_layer_names_its_neurons_parameters():
    layer = Layer(2, 3, seed=0)
    names = [name for name, _ in layer.named_parameters()]
    assert names[:3] == ["neurons.0.w.0", "neurons.0.w.1", "neurons.0.b"]
    assert names[-1] == "neurons.2.b"
    assert all(p.label == name for name, p in layer.named_parameters())


def test_mlp_parameters_follow_micrograds_order_and_naming():
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    expected = []
    for layer in model.layers:
        for neuron in layer.neurons:
            expected.extend([*neuron.w, neuron.b])
    assert params == expected
    assert len(params) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "layers.0.neurons.0.w.0"
    assert "layers.0.neurons.3.w.1" in names
    assert "layers.0.neurons.3.b" in names
    assert names[-1] == "layers.2.neurons.0.b"
    assert model.layers[0].neurons[3].w[1].label == "layers.0.neurons.3.w.1"
    assert model.layers[0].neurons[3].b.label == "layers.0.neurons.3.b"


def test_a_parameter_shared_by_two_attributes_is_listed_once():
    class Tied(Module):
        def __init__(self):
            self.a = Value(1.0)
            self.b = self.a

    assert [name for name, _ in Tied().named_parameters()] == ["a"]


def test_private_attributes_are_not_parameters():
    class Hidden(Module):
        def __init__(self):
            self._cache = Value(1.0)
            self.w = Value(2.0)

    assert Hidden().state_dict() == {"w": 2.0}


def test_module_without_forward_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="forward"):
        Module()(1.0)


# -- forward ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("relu", 0.0),
        ("tanh", math.tanh(-0.5)),
        ("sigmoid", 1 / (1 + math.exp(0.5))),
        ("leaky_relu", -0.005),
        ("linear", -0.5),
        (None, -0.5),
    ],
)
def test_neuron_applies_its_activation_to_the_weighted_sum(activation, expected):
    n = Neuron(2, activation, seed=0)
    n.load_state_dict({"w.0": 1.0, "w.1": -2.0, "b": 0.5})
    # 0.5 + 1 * 1 + (-2) * 1 = -0.5
    assert n([1.0, 1.0]).data == pytest.approx(expected, abs=1e-15)


def test_neuron_gradient_reaches_every_weight_and_the_bias():
    n = Neuron(2, "linear", seed=0)
    n.load_state_dict({"w.0": 2.0, "w.1": -1.0, "b": 0.5})
    x = [Value(3.0), Value(4.0)]
    n(x).backward()
    assert [p.grad for p in n.parameters()] == [3.0, 4.0, 1.0]
    assert [v.grad for v in x] == [2.0, -1.0]


def test_mlp_forward_matches_a_hand_computation():
    model = MLP(2, [2, 1], "relu", seed=0)
    # hidden: relu(1*x0 + 1*x1 + 0), relu(-1*x0 + 2*x1 - 1); output: 2*h0 - 3*h1 + 0.5
    set_weights(model, [1.0, 1.0, 0.0, -1.0, 2.0, -1.0, 2.0, -3.0, 0.5])
    out = model([1.0, 2.0])
    assert out.data == 2 * 3.0 - 3 * 2.0 + 0.5


def test_layer_returns_a_list_or_a_single_value():
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    outputs = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 3


def test_mlp_with_several_outputs_returns_a_list():
    out = MLP(2, [3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_last_layer_uses_output_activation():
    model = MLP(1, [1, 1], "relu", output_activation="sigmoid", seed=0)
    assert model.layers[0].activation == "relu"
    assert model.layers[1].activation == "sigmoid"
    set_weights(model, [1.0, 0.0, 1.0, -100.0])
    assert 0.0 < model([1.0]).data < 1e-40


def test_mlp_accepts_values_as_inputs_and_backpropagates_to_them():
    model = MLP(2, [3, 1], seed=1)
    x = [Value(0.5), Value(-0.5)]
    model(x).backward()
    assert any(v.grad != 0.0 for v in x) or all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("module", [Neuron(2, seed=0), Layer(2, 2, seed=0), MLP(2, [2], seed=0)])
def test_wrong_input_length_raises_value_error(module):
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        module([1.0, 2.0, 3.0])


def test_a_lone_number_as_input_raises_type_error():
    with pytest.raises(TypeError, match="sequence"):
        Neuron(1, seed=0)(1.0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Neuron(0),
        lambda: Layer(2, 0),
        lambda: Layer(0, 2),
        lambda: MLP(0, [1]),
        lambda: MLP(2, [3, 0]),
        lambda: MLP(2, []),
    ],
)
def test_sizes_below_one_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


def test_non_integer_sizes_raise_type_error():
    with pytest.raises(TypeError, match="nin must be an int"):
        Neuron(2.5)


def test_unknown_activation_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*'relu'.*'tanh'"):
        MLP(2, [1], "swish")


def test_unknown_init_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"unknown init 'zeros'.*'uniform'.*'xavier'.*'he'"):
        MLP(2, [1], init="zeros")


# -- initialisation and seeds -----------------------------------------------------------------


def test_same_seed_gives_identical_weights():
    assert MLP(2, [4, 1], seed=7).state_dict() == MLP(2, [4, 1], seed=7).state_dict()


def test_different_or_no_seed_gives_different_weights():
    assert MLP(2, [4, 1], seed=7).state_dict() != MLP(2, [4, 1], seed=8).state_dict()
    assert MLP(2, [4, 1]).state_dict() != MLP(2, [4, 1]).state_dict()


def test_building_a_model_leaves_the_global_random_state_alone():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    MLP(2, [8, 1], seed=5)
    MLP(2, [8, 1])
    Dropout(0.5)([Value(1.0)] * 10)
    assert random.random() == expected


def test_uniform_init_draws_weights_in_minus_one_one_and_zero_biases():
    model = MLP(3, [50, 1], seed=0)
    weights = [p.data for name, p in model.named_parameters() if ".w." in name]
    biases = [p.data for name, p in model.named_parameters() if name.endswith(".b")]
    assert all(-1.0 <= w <= 1.0 for w in weights)
    assert max(weights) > 0.9 and min(weights) < -0.9
    assert set(biases) == {0.0}


def test_xavier_init_stays_within_its_bound():
    bound = math.sqrt(6 / (10 + 20))
    weights = initial_weights("xavier", 10, 20, random.Random(0))
    assert all(abs(w) <= bound for w in weights)


def test_he_init_has_variance_two_over_fan_in():
    weights = initial_weights("he", 50, 1, random.Random(0))
    weights += [w for _ in range(199) for w in initial_weights("he", 50, 1, random.Random(_ + 1))]
    variance = sum(w * w for w in weights) / len(weights)
    assert variance == pytest.approx(2 / 50, rel=0.05)


def test_init_names_are_accepted_by_mlp():
    for init in ("uniform", "xavier", "he"):
        assert len(MLP(2, [3, 1], init=init, seed=0).parameters()) == 13


# -- zero_grad, modes ---------------------------------------------------------------------------


def test_zero_grad_resets_every_gradient():
    model = MLP(2, [3, 1], "tanh", seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_train_and_eval_set_the_flag_on_every_submodule():
    model = MLP(2, [3, 1], dropout=0.2, seed=0)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_train_rejects_a_non_bool_mode():
    with pytest.raises(TypeError):
        MLP(2, [1], seed=0).train("no")


# -- dropout ------------------------------------------------------------------------------------


def test_dropout_zeroes_about_p_and_scales_the_rest():
    d = Dropout(0.25, seed=0)
    out = d([Value(1.0) for _ in range(4000)])
    kept = [v.data for v in out if v.data != 0.0]
    assert set(kept) == {1.0 / 0.75}
    assert len(kept) / 4000 == pytest.approx(0.75, abs=0.03)


def test_dropout_passes_zero_gradient_through_dropped_values():
    d = Dropout(0.5, seed=3)
    x = [Value(1.0) for _ in range(20)]
    out = d(x)
    for v in out:
        v.backward()
    for xi, yi in zip(x, out, strict=True):
        assert xi.grad == (0.0 if yi.data == 0.0 else 2.0)


def test_dropout_is_the_identity_in_eval_mode():
    d = Dropout(0.9, seed=0).eval()
    x = [Value(float(i)) for i in range(5)]
    assert d(x) == x


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_probability_outside_zero_one_raises(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(p)


def test_mlp_dropout_changes_training_outputs_but_not_eval_outputs():
    model = MLP(2, [50, 1], dropout=0.5, seed=0)
    x = [0.3, -0.7]
    train_outputs = {model(x).data for _ in range(5)}
    model.eval()
    eval_outputs = {model(x).data for _ in range(5)}
    assert len(train_outputs) > 1
    assert len(eval_outputs) == 1


# -- state dicts --------------------------------------------------------------------------------


def test_state_dict_is_a_copy_of_floats_by_name():
    model = MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    state["layers.0.neurons.0.b"] = 99.0
    assert model.layers[0].neurons[0].b.data == 0.0


def test_load_state_dict_round_trips_between_models():
    a, b = MLP(2, [3, 1], seed=1), MLP(2, [3, 1], seed=2)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    assert b([0.1, 0.2]).data == a([0.1, 0.2]).data


def test_load_state_dict_rejects_missing_keys():
    n = Neuron(2, seed=0)
    with pytest.raises(ValueError, match=r"missing w\.1, b"):
        n.load_state_dict({"w.0": 1.0})


def test_load_state_dict_rejects_unknown_keys():
    n = Neuron(1, seed=0)
    with pytest.raises(ValueError, match="unexpected 'extra'"):
        n.load_state_dict({"w.0": 1.0, "b": 0.0, "extra": 2.0})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_load_state_dict_rejects_non_finite_entries_and_changes_nothing(bad):
    n = Neuron(2, seed=0)
    before = n.state_dict()
    with pytest.raises(ValueError, match=r"non-finite entries: w\.1="):
        n.load_state_dict({"w.0": 5.0, "w.1": bad, "b": 0.0})
    assert n.state_dict() == before


def test_load_state_dict_rejects_non_numbers():
    n = Neuron(1, seed=0)
    with pytest.raises(ValueError, match=r"not a number: w\.0"):
        n.load_state_dict({"w.0": "1.0", "b": 0.0})
    with pytest.raises(TypeError, match="mapping"):
        n.load_state_dict([("w.0", 1.0)])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=13, max_size=13)
)
def test_state_dict_round_trip_is_exact_for_any_finite_weights(weights):
    model = MLP(2, [3, 1], seed=0)
    set_weights(model, weights)
    assert list(model.state_dict().values()) == weights


def test_nn_reexports_its_public_names():
    for name in nn.__all__:
        assert hasattr(nn, name), name


def test_seed_must_be_an_int_a_generator_or_none():
    with pytest.raises(TypeError, match=r"seed must be an int, a random\.Random or None"):
        MLP(2, [1], seed="1")
    with pytest.raises(TypeError, match="seed"):
        MLP(2, [1], seed=1.5)
    rng = random.Random(4)
    assert Neuron(3, seed=rng).state_dict() != Neuron(3, seed=rng).state_dict()
    assert Neuron(3, seed=random.Random(4)).state_dict() == Neuron(3, seed=4).state_dict()


def test_module_attribute_errors_are_ordinary():
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        nn.missing  # noqa: B018


names = st.sampled_from(["w.0", "w.1", "b", "w.2", "x", ""])
entries = st.one_of(st.floats(), st.integers(-5, 5), st.booleans(), st.text(max_size=2), st.none())


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(names, entries, max_size=5))
def test_load_state_dict_either_loads_everything_or_changes_nothing(state):
    n = Neuron(2, seed=0)
    before = n.state_dict()
    try:
        n.load_state_dict(state)
    except ValueError:
        assert n.state_dict() == before
    else:
        assert set(state) == {"w.0", "w.1", "b"}
        assert n.state_dict() == {k: float(v) for k, v in state.items()}


@pytest.mark.parametrize(
    "model", [MLP(2, [4, 1], seed=0), Layer(2, 3, seed=0), Neuron(2, seed=0)], ids=repr
)
@pytest.mark.parametrize("batch", [[[1, 2], [3, 4]], [[1, 2], [3, 4], [5, 6]], ([1.0, 2.0],)])
def test_a_batch_given_for_one_sample_says_how_to_run_a_batch(model, batch):
    with pytest.raises(TypeError) as caught:
        model(batch)
    assert str(caught.value) == (
        f"the model takes one sample, a sequence of 2 numbers or Values, and got {len(batch)} "
        f"sequence{'s' * (len(batch) > 1)} (a batch?); run it on each sample: [model(x) for x in X]"
    )


_NAMES = [name for name, _ in MLP(2, [2, 1], seed=0).named_parameters()]
_ANY_ENTRY = st.one_of(
    st.floats(), st.integers(-(10**400), 10**400), st.booleans(), st.none(), st.text(max_size=3),
    st.builds(Value, st.floats()), st.lists(st.floats(), max_size=2),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*_NAMES, "extra", 5]), _ANY_ENTRY, max_size=12))
def test_load_state_dict_loads_any_mapping_or_raises_value_error_changing_nothing(state):
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    try:
        model.load_state_dict(state)
    except ValueError as error:
        assert model.state_dict() == before and len(str(error)) < 500
        return
    assert model.state_dict() == {name: float(state[name]) for name in _NAMES}
