"""Tests for nn.save and nn.load: exact round trips, atomic writes, damaged files."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import MLP, Layer, Neuron, load, save
from nn.io import VERSION

weights = st.floats(allow_nan=False, allow_infinity=False, width=64)


def test_round_trip_keeps_architecture_and_every_weight(tmp_path):
    model = MLP(2, [5, 3, 1], "tanh", output_activation="sigmoid", dropout=0.25, init="he", seed=3)
    copy = load(save(model, tmp_path / "m.json"))
    assert isinstance(copy, MLP)
    assert copy.config() == model.config()
    assert copy.state_dict() == model.state_dict()
    copy.eval(), model.eval()
    assert copy([0.3, -0.2]).data == model([0.3, -0.2]).data


@pytest.mark.parametrize("model", [Neuron(3, "sigmoid", seed=0), Layer(2, 4, "tanh", seed=0)])
def test_round_trip_of_neurons_and_layers(tmp_path, model):
    copy = load(save(model, tmp_path / "m.json"))
    assert type(copy) is type(model)
    assert copy.state_dict() == model.state_dict()
    assert copy.config() == model.config()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(weights, min_size=13, max_size=13))
def test_round_trip_is_exact_for_any_finite_weights(tmp_path, values):
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    model.load_state_dict(dict(zip(names, values, strict=True)))
    copy = load(save(model, tmp_path / "m.json"))
    assert list(copy.state_dict().values()) == values
    # -0.0 and 0.0 compare equal: check the sign bits survive too.
    assert [math.copysign(1, v) for v in copy.state_dict().values()] == [
        math.copysign(1, v) for v in values
    ]


def test_the_file_is_readable_json_with_a_version(tmp_path):
    path = save(MLP(2, [1], seed=0), tmp_path / "m.json")
    document = json.loads(path.read_text())
    assert document["format"] == "valuegrad.nn"
    assert document["version"] == VERSION
    assert document["architecture"]["type"] == "MLP"
    assert "layers.0.neurons.0.w.0" in document["parameters"]


def test_save_replaces_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "m.json"
    save(MLP(2, [1], seed=0), path)
    save(MLP(2, [1], seed=1), path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert load(path).state_dict() == MLP(2, [1], seed=1).state_dict()
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_a_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "m.json"
    good = MLP(2, [1], seed=0)
    save(good, path)
    bad = MLP(2, [1], seed=1)
    bad.parameters()[0].data = math.nan
    with pytest.raises(ValueError, match=r"non-finite parameters: layers\.0\.neurons\.0\.w\.0=nan"):
        save(bad, path)
    assert load(path).state_dict() == good.state_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_save_rejects_models_it_cannot_rebuild(tmp_path):
    from nn import Module

    with pytest.raises(TypeError, match="can store MLP, Layer, Neuron"):
        save(Module(), tmp_path / "m.json")


def saved_text(tmp_path: Path) -> str:
    return save(MLP(2, [2, 1], seed=0), tmp_path / "m.json").read_text()


def test_loading_a_truncated_file_says_it_is_truncated_or_corrupt(tmp_path):
    text = saved_text(tmp_path)
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load(path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.parametrize("make", [lambda: MLP(2, [2, 1], seed=0), lambda: pytorch_style_model()])
@given(st.data())
def test_any_damage_to_a_file_gives_value_error_or_an_identical_model(tmp_path, make, data):
    text = save(make(), tmp_path / "m.json").read_text()
    original = load(tmp_path / "m.json").state_dict()
    cut = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.text(max_size=3))
    damaged = text[:cut] + replacement + text[cut + 1 :]
    path = tmp_path / "damaged.json"
    path.write_text(damaged)
    try:
        model = load(path)
    except ValueError:
        return
    # Some edits (a space, a digit beyond the last significant one) leave a valid file.
    assert set(model.state_dict()) == set(original)


def test_loading_binary_garbage_raises_value_error(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b"\x80\x81\xff\x00")
    with pytest.raises(ValueError, match="not UTF-8"):
        load(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(version=99), "format version 99"),
        (lambda d: d.update(format="other"), "not a model file"),
        (lambda d: d["architecture"].update(type="CNN"), "unknown architecture type 'CNN'"),
        (
            lambda d: d["architecture"].update(nouts=[3, 1]),
            "it has 13 parameters, the file holds 9",
        ),
        (lambda d: d["architecture"].update(nouts=[1, 2]), "missing layers.1.neurons.1.w.0"),
        (lambda d: d["architecture"].update(activation="swish"), "invalid MLP architecture"),
        (
            lambda d: d["parameters"].pop("layers.0.neurons.0.b"),
            "it has 9 parameters, the file holds 8",
        ),
        (lambda d: d["parameters"].update(extra=1.0), "unexpected 'extra'"),
        (
            lambda d: d["parameters"].update({"layers.0.neurons.0.b": "x"}),
            r"must be finite numbers that fit in a float; not so: layers\.0\.neurons\.0\.b='x'",
        ),
        (lambda d: d.update(version=True), "format version True"),
        (
            lambda d: d["architecture"].update(nin=[[[[[[1]]]]]] * 1000),
            r"invalid MLP architecture \{.*\.\.\..*\}: nin must be an int, got list$",
        ),
        (lambda d: d.pop("parameters"), "missing its 'parameters'"),
    ],
)
def test_mismatched_or_wrong_files_raise_value_error_saying_what(tmp_path, edit, message):
    document = json.loads(saved_text(tmp_path))
    edit(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        load(path)


def test_nan_in_a_file_is_rejected(tmp_path):
    text = saved_text(tmp_path)
    document = json.loads(text)
    name = next(iter(document["parameters"]))
    path = tmp_path / "nan.json"
    path.write_text(text.replace(f'"{name}": {document["parameters"][name]!r}', f'"{name}": NaN'))
    with pytest.raises(ValueError, match="finite numbers only, found NaN"):
        load(path)


def test_loading_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.json")


def test_a_file_asking_for_a_huge_model_is_rejected_before_building_it(tmp_path):
    document = json.loads(saved_text(tmp_path))
    document["architecture"]["nouts"] = [10**9, 1]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="it has 4000000001 parameters, the file holds 9"):
        load(path)


def test_an_interrupted_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    good = MLP(2, [1], seed=0)
    save(good, path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(MLP(2, [1], seed=1), path)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert load(path).state_dict() == good.state_dict()


# -- the PyTorch-named modules ----------------------------------------------------------------


def pytorch_style_model():
    from nn import Dropout, Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh

    return Sequential(
        Linear(3, 4, seed=0), ReLU(), Dropout(0.25), Linear(4, 4, bias=False, seed=1),
        LeakyReLU(0.2), Sequential(Tanh(), Identity()), Linear(4, 1, seed=2), Sigmoid(),
    )  # fmt: skip


def test_round_trip_of_a_sequential_of_every_kind_of_layer(tmp_path):
    model = pytorch_style_model()
    copy = load(save(model, tmp_path / "m.json"))
    assert repr(copy) == repr(model)
    assert copy.state_dict() == model.state_dict()
    copy.eval(), model.eval()
    x = [[0.5, -1.0, 2.0], [0.0, 0.25, -0.75]]
    assert [[v.data for v in y] for y in copy(x)] == [[v.data for v in y] for y in model(x)]
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["architecture"]["modules"][0] == {
        "type": "Linear", "in_features": 3, "out_features": 4, "bias": True,
    }  # fmt: skip
    assert "6.bias.0" in document["parameters"]


def test_round_trip_of_a_lone_linear(tmp_path):
    from nn import Linear

    model = Linear(2, 3, bias=False, seed=4)
    copy = load(save(model, tmp_path / "m.json"))
    assert repr(copy) == repr(model) and copy.state_dict() == model.state_dict()


def test_round_trip_of_a_sequential_named_by_an_ordered_dict(tmp_path):
    from collections import OrderedDict

    from nn import Linear, ReLU, Sequential

    model = Sequential(OrderedDict([("fc", Linear(2, 2, seed=0)), ("act", ReLU())]))
    path = save(model, tmp_path / "m.json")
    assert json.loads(path.read_text())["architecture"]["names"] == ["fc", "act"]
    copy = load(path)
    assert repr(copy) == repr(model) and copy.state_dict() == model.state_dict()
    assert "names" not in json.loads(save(Sequential(ReLU()), path).read_text())["architecture"]


def test_save_names_a_module_inside_a_sequential_that_it_cannot_rebuild(tmp_path):
    from nn import Linear, Module, MSELoss, Sequential

    with pytest.raises(TypeError, match=r"can store .*Sequential.*, got Module"):
        save(Sequential(Linear(2, 2), Module()), tmp_path / "m.json")
    with pytest.raises(TypeError, match="got MSELoss"):
        save(MSELoss(), tmp_path / "m.json")


def sequential_document(tmp_path: Path) -> dict:
    return json.loads(save(pytorch_style_model(), tmp_path / "m.json").read_text())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda a: a["modules"][0].update(type="Conv2d"), "unknown architecture type 'Conv2d'"),
        (lambda a: a["modules"].append(3), "a module is described by an object, got 3"),
        (lambda a: a.update(modules="Linear"), "described by a list of 'modules'"),
        (lambda a: a.update(names=["a", "b"]), "has 8 modules but 2 names"),
        (lambda a: a.update(names=["a"] * 8), "module names must differ"),
        (lambda a: a.update(names=[[1]] * 8), "invalid Sequential architecture"),
        (lambda a: a.update(names=[str(i) for i in range(7)] + ["x.y"]), "without '.'"),
        (lambda a: a["modules"][0].update(bias="yes"), "Linear bias must be a bool"),
        (lambda a: a["modules"][4].update(negative_slope="x"), "negative_slope must be a real"),
        (lambda a: a["modules"][2].update(p=2.0), r"Dropout p must be in \[0, 1\)"),
        (lambda a: a["modules"][0].update(in_features=2), "unexpected '0.weight.0.2'"),
        (
            lambda a: a["modules"][0].update(in_features=10**6),
            "it has 4000025 parameters, the file holds 37",
        ),
        (
            lambda a: a["modules"][5]["modules"].append(
                {"type": "Linear", "in_features": 10**5, "out_features": 10**5}
            ),
            "it has 10000100037 parameters",
        ),
    ],
)
def test_damaged_sequential_files_raise_value_error_saying_what(tmp_path, edit, message):
    document = sequential_document(tmp_path)
    edit(document["architecture"])
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        load(path)


def _saved_document(tmp_path) -> tuple[str, dict]:
    text = saved_text(tmp_path)
    return text, json.loads(text)


def test_a_weight_too_large_for_a_float_is_a_value_error_naming_it(tmp_path):
    text, document = _saved_document(tmp_path)
    name, value = next(iter(document["parameters"].items()))
    path = tmp_path / "huge.json"
    path.write_text(text.replace(f'"{name}": {value!r}', f'"{name}": 1{"0" * 400}'))
    with pytest.raises(ValueError, match=rf"not so: {re.escape(name)}=1000+\.\.\.0+$"):
        load(path)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_value_error_not_a_recursion_error(tmp_path, depth):
    text, _ = _saved_document(tmp_path)
    path = tmp_path / "deep.json"
    path.write_text(text.replace('"nin": 2', '"nin": ' + "[" * depth + "]" * depth))
    with pytest.raises(ValueError, match=r"nested too deeply|invalid MLP architecture"):
        load(path)
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(ValueError, match=r"nested too deeply|not a model file"):
        load(path)


def test_load_state_dict_refuses_an_int_too_large_for_a_float_with_value_error():
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    state = {**before, "layers.0.neurons.0.w.0": 10**400}
    with pytest.raises(ValueError, match=r"layers\.0\.neurons\.0\.w\.0 \(too large for a float\)"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_a_mismatched_state_dict_names_only_a_few_keys():
    with pytest.raises(ValueError) as caught:
        MLP(2, [1], seed=0).load_state_dict({f"k{i}": 1.0 for i in range(1000)})
    assert "and 995 more" in str(caught.value) and len(str(caught.value)) < 300


# Hostile values a damaged or crafted file may hold where any JSON value can go.
_HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**400), 10**400), st.floats(allow_nan=False),
    st.text(max_size=5), st.integers(1, 3000).map(lambda depth: _nested(depth)),
    st.lists(st.integers(-3, 5), max_size=4), st.dictionaries(st.text(max_size=3), st.integers()),
)  # fmt: skip


def _nested(depth: int) -> list:
    """A list nested ``depth`` deep, built without recursion."""
    nested: list = []
    for _ in range(depth):
        nested = [nested]
    return nested


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_any_value_anywhere_in_a_file_gives_value_error_or_a_model(tmp_path, data):
    _, document = _saved_document(tmp_path)
    # Pick a place: the document itself, its architecture or its parameters, and a key there.
    where = data.draw(st.sampled_from([document, document["architecture"], document["parameters"]]))
    key = data.draw(st.sampled_from([*where, "extra"]))
    where[key] = data.draw(_HOSTILE)
    path = tmp_path / "crafted.json"
    try:
        path.write_text(json.dumps(document))
    except (RecursionError, ValueError):  # json.dumps itself cannot write it: nothing to load
        return
    try:
        model = load(path)
    except ValueError as error:
        assert "\n" not in str(error) and len(str(error)) < 1000
        return
    assert isinstance(model, MLP)
