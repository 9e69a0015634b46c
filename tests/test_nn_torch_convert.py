"""Tests for module.to_torch() and nn.from_torch(): the same numbers on both sides, exact round
trips, clear refusals, and an ``import nn`` that never loads torch."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value, linear
from nn.shapes import flatten, map_elements


def torch_or_skip():
    return pytest.importorskip("torch")


def assert_close(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (a, b)


def random_batch(draw, n_in):
    n = draw(st.integers(1, 4))
    element = st.floats(-3, 3)
    return [draw(st.lists(element, min_size=n_in, max_size=n_in)) for _ in range(n)]


def compare_outputs_and_gradients(model, batch, run_ours, draw):
    """Same outputs for ``batch``; then, after backpropagating the same weighted sum of the
    outputs through both, the same gradient for every parameter and every input."""
    torch = torch_or_skip()
    twin = model.to_torch()
    x_ours = map_elements(Value, batch)
    x_theirs = torch.tensor(batch, dtype=torch.float64, requires_grad=True)
    ours, theirs = flatten(run_ours(model, x_ours)), twin(x_theirs)
    assert_close((v.data for v in ours), theirs.flatten().tolist())
    cotangent = draw(st.lists(st.floats(-2, 2), min_size=len(ours), max_size=len(ours)))
    linear(cotangent, ours, 0.0).backward()
    (theirs.flatten() * torch.tensor(cotangent, dtype=torch.float64)).sum().backward()
    assert_close((v.grad for v in flatten(x_ours)), x_theirs.grad.flatten().tolist())
    return twin


def linear_layers(twin):
    torch = torch_or_skip()
    return [m for m in twin.modules() if isinstance(m, torch.nn.Linear)]


# -- to_torch: the same function, the same gradients ------------------------------------------

ACTIVATION_NAMES = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]


@given(
    n_in=st.integers(1, 4),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    activation=st.sampled_from(ACTIVATION_NAMES),
    output_activation=st.sampled_from([None, "sigmoid", "tanh"]),
    seed=st.integers(0, 1000),
    data=st.data(),
)
def test_mlp_to_torch_gives_the_same_outputs_and_gradients(
    n_in, sizes, activation, output_activation, seed, data
):
    model = nn.MLP(n_in, sizes, activation, output_activation=output_activation, seed=seed)
    batch = random_batch(data.draw, n_in)
    twin = compare_outputs_and_gradients(model, batch, lambda m, xs: [m(x) for x in xs], data.draw)
    # micrograd's order is neuron by neuron; PyTorch's is all weights, then all biases.
    for layer, theirs in zip(model.layers, linear_layers(twin), strict=True):
        assert_close((p.grad for n in layer.neurons for p in n.w), theirs.weight.grad.flatten())
        assert_close((n.b.grad for n in layer.neurons), theirs.bias.grad.tolist())


def test_mlp_to_torch_has_pytorchs_layers_and_dropout_after_each_hidden_layer():
    torch = torch_or_skip()
    twin = nn.MLP(2, [4, 3, 1], "tanh", output_activation="sigmoid", dropout=0.25).to_torch()
    assert [type(m).__name__ for m in twin] == [
        "Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear", "Sigmoid",
    ]  # fmt: skip
    assert twin[2].p == 0.25
    assert all(p.dtype == torch.float64 and p.requires_grad for p in twin.parameters())
    assert isinstance(nn.MLP(2, [1], "relu").to_torch(), torch.nn.Linear)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@given(n_in=st.integers(1, 4), n_out=st.integers(1, 4), data=st.data())
def test_layer_and_neuron_to_torch_match(activation, n_in, n_out, data):
    layer = nn.Layer(n_in, n_out, activation, seed=1)
    batch = random_batch(data.draw, n_in)
    compare_outputs_and_gradients(layer, batch, lambda m, xs: [m(x) for x in xs], data.draw)
    neuron = nn.Neuron(n_in, activation, seed=2)
    twin = compare_outputs_and_gradients(neuron, batch, lambda m, xs: [m(x) for x in xs], data.draw)
    (theirs,) = linear_layers(twin)
    assert_close((p.grad for p in neuron.w), theirs.weight.grad.flatten().tolist())
    assert math.isclose(neuron.b.grad, theirs.bias.grad.item(), rel_tol=1e-12, abs_tol=1e-12)


@st.composite
def sequentials(draw):
    """A random Sequential of every kind of layer, and its input size."""
    n_in = width = draw(st.integers(1, 4))
    modules = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["linear", "relu", "tanh", "sigmoid", "leaky", "identity"]))
        if kind == "linear":
            out = draw(st.integers(1, 4))
            modules.append(
                nn.Linear(width, out, bias=draw(st.booleans()), seed=draw(st.integers()))
            )
            width = out
        elif kind == "leaky":
            modules.append(nn.LeakyReLU(draw(st.floats(0, 1))))
        else:
            modules.append({"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                            "identity": nn.Identity}[kind]())  # fmt: skip
    if draw(st.booleans()):
        modules.append(nn.Dropout(0.5))
    if draw(st.booleans()):  # named by an OrderedDict, as PyTorch's can be
        model = nn.Sequential(OrderedDict((f"layer{i}", m) for i, m in enumerate(modules)))
    else:
        model = nn.Sequential(*modules)
    if draw(st.booleans()):
        model = nn.Sequential(model, nn.Identity())  # a Sequential inside a Sequential
    return model.eval(), n_in


@given(case=sequentials(), data=st.data())
def test_sequential_to_torch_gives_the_same_outputs_and_gradients(case, data):
    model, n_in = case
    batch = random_batch(data.draw, n_in)
    twin = compare_outputs_and_gradients(model, batch, lambda m, xs: m(xs), data.draw)
    # Both list their parameters in the same order: layer by layer, weight rows, then bias.
    theirs = [x for p in twin.parameters() for x in p.grad.flatten().tolist()]
    assert_close((p.grad for p in model.parameters()), theirs)
    assert [name.split(".")[0] for name, _ in model.named_parameters()] == [
        name.split(".")[0] for name, p in twin.named_parameters() for _ in range(p.numel())
    ]


def test_a_lone_linear_and_activation_convert_to_their_torch_namesakes():
    torch = torch_or_skip()
    twin = nn.Linear(3, 2, bias=False, seed=0).to_torch()
    assert isinstance(twin, torch.nn.Linear) and twin.bias is None
    assert (twin.in_features, twin.out_features) == (3, 2)
    assert isinstance(nn.ReLU(inplace=True).to_torch(), torch.nn.ReLU)
    assert nn.ReLU(inplace=True).to_torch().inplace
    assert nn.LeakyReLU(0.2).to_torch().negative_slope == 0.2
    assert isinstance(nn.Identity().to_torch(), torch.nn.Identity)
    assert nn.Dropout(0.3).to_torch().p == 0.3


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_convert_with_their_reduction(name, reduction):
    torch = torch_or_skip()
    ours = getattr(nn, name)(reduction=reduction)
    twin = ours.to_torch()
    assert type(twin) is getattr(torch.nn, name) and twin.reduction == reduction
    x, t = [[0.2, 0.9], [0.5, 0.1]], [[0.0, 1.0], [1.0, 0.5]]
    mine = flatten(ours(map_elements(Value, x), t))
    theirs = twin(torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64))
    assert_close((v.data for v in mine), theirs.flatten().tolist())


def test_cross_entropy_loss_converts_with_its_reduction():
    torch = torch_or_skip()
    twin = nn.CrossEntropyLoss(reduction="sum").to_torch()
    logits = [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]
    ours = nn.CrossEntropyLoss(reduction="sum")(logits, [2, 1]).data
    theirs = twin(torch.tensor(logits, dtype=torch.float64), torch.tensor([2, 1])).item()
    assert math.isclose(ours, theirs, rel_tol=1e-12)


def test_to_torch_keeps_the_training_mode():
    torch_or_skip()
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert model.to_torch().training and model.to_torch()[1].training
    model.eval()
    assert not model.to_torch().training and not model.to_torch()[1].training


def test_to_torch_leaves_torchs_random_generator_alone():
    torch = torch_or_skip()
    state = torch.get_rng_state()
    nn.Sequential(nn.Linear(30, 20), nn.ReLU(), nn.Linear(20, 1)).to_torch()
    assert torch.equal(torch.get_rng_state(), state)


def test_to_torch_refuses_a_module_it_cannot_convert_naming_it():
    torch_or_skip()

    class Scale(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="to_torch cannot convert Scale; it converts MLP"):
        Scale().to_torch()
    with pytest.raises(ValueError, match="cannot convert Scale"):
        nn.Sequential(nn.Linear(2, 2), Scale()).to_torch()
    with pytest.raises(TypeError, match="to_torch converts nn Modules, got list"):
        nn.torch_convert.to_torch([1.0])


# -- from_torch -------------------------------------------------------------------------------


def test_from_torch_reads_a_float32_sequential_exactly():
    torch = torch_or_skip()
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2, bias=False)
    )
    ours = nn.from_torch(theirs)
    assert repr(ours) == repr(theirs)
    assert [p.data for p in ours.parameters()] == [
        x for p in theirs.parameters() for x in p.detach().double().flatten().tolist()
    ]
    x = [[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]]
    expected = theirs.double()(torch.tensor(x, dtype=torch.float64)).flatten().tolist()
    assert_close((v.data for v in flatten(ours(x))), expected)


def test_from_torch_converts_every_supported_layer_and_loss():
    torch = torch_or_skip()
    tnn = torch.nn
    theirs = tnn.Sequential(
        tnn.Linear(2, 3), tnn.ReLU(inplace=True), tnn.LeakyReLU(0.3), tnn.Sigmoid(),
        tnn.Sequential(tnn.Tanh(), tnn.Identity()), tnn.Dropout(0.2),
    )  # fmt: skip
    ours = nn.from_torch(theirs)
    assert repr(ours) == repr(theirs).replace("Dropout(p=0.2, inplace=False)", "Dropout(p=0.2)")
    assert isinstance(nn.from_torch(tnn.Linear(2, 1)), nn.Linear)
    for name in ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"]:
        loss = nn.from_torch(getattr(tnn, name)(reduction="sum"))
        assert type(loss) is getattr(nn, name) and loss.reduction == "sum"


def test_names_from_an_ordered_dict_cross_over_both_ways():
    torch = torch_or_skip()
    theirs = torch.nn.Sequential(
        OrderedDict([("fc1", torch.nn.Linear(2, 3)), ("act", torch.nn.ReLU()),
                     ("fc2", torch.nn.Linear(3, 1))])
    )  # fmt: skip
    ours = nn.from_torch(theirs)
    assert ours.fc2.out_features == 1
    assert [name for name, _ in ours.named_parameters()][-1] == "fc2.bias.0"
    assert list(ours.to_torch().state_dict()) == list(theirs.state_dict())


def test_from_torch_keeps_the_training_mode():
    torch = torch_or_skip()
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5)).eval()
    ours = nn.from_torch(theirs)
    assert not ours.training and not ours[1].training


@given(case=sequentials())
def test_round_trips_through_torch_are_exact(case):
    torch = torch_or_skip()
    model, _ = case
    back = nn.from_torch(model.to_torch())
    assert back.state_dict() == model.state_dict()
    assert repr(back) == repr(model)
    assert back.training == model.training
    twin = model.to_torch()
    again = nn.from_torch(twin).to_torch()
    assert repr(again) == repr(twin)
    for (name, p), (name2, q) in zip(
        twin.state_dict().items(), again.state_dict().items(), strict=True
    ):
        assert name == name2 and torch.equal(p, q)


def test_an_exported_mlp_comes_back_as_a_sequential_with_the_same_function():
    torch_or_skip()
    model = nn.MLP(2, [3, 1], "tanh", seed=0)
    back = nn.from_torch(model.to_torch())
    assert isinstance(back, nn.Sequential)
    for x in ([0.5, -1.0], [2.0, 0.25]):
        assert back(x)[0].data == model(x).data


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: t.nn.Conv1d(1, 2, 3), r"cannot convert Conv1d\(1, 2, kernel_size"),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 2), t.nn.Sequential(t.nn.GELU())),
            r"cannot convert layer '1.0', GELU\(approximate='none'\); it converts Sequential",
        ),
        (lambda t: t.nn.Sequential(t.nn.Linear(2, 2), t.nn.LSTM(2, 2)), "layer '1', LSTM"),
        (lambda t: t.nn.BCELoss(weight=t.ones(2)), "nn.BCELoss has no weight"),
        (lambda t: t.nn.BCEWithLogitsLoss(pos_weight=t.ones(2)), "has no pos_weight"),
        (lambda t: t.nn.CrossEntropyLoss(label_smoothing=0.1), "has no label_smoothing"),
        (lambda t: t.nn.CrossEntropyLoss(ignore_index=0), "has no ignore_index"),
        (lambda t: t.nn.Dropout(1.0), r"Dropout p must be in \[0, 1\), got 1.0"),
    ],
)
def test_from_torch_refuses_what_it_cannot_convert_naming_the_layer(make, message):
    torch = torch_or_skip()
    with pytest.raises(ValueError, match=message):
        nn.from_torch(make(torch))


def test_from_torch_refuses_custom_modules_and_subclasses():
    torch = torch_or_skip()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

    class MySequential(torch.nn.Sequential):
        pass

    with pytest.raises(ValueError, match="cannot convert Net; it converts"):
        nn.from_torch(Net())
    with pytest.raises(ValueError, match="cannot convert MySequential"):
        nn.from_torch(MySequential(torch.nn.ReLU()))
    with pytest.raises(TypeError, match=r"from_torch converts a torch\.nn\.Module, got Sequential"):
        nn.from_torch(nn.Sequential())


# -- torch stays optional ---------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_import_nn_and_training_never_import_torch():
    result = run_python("""
        import sys
        import nn
        model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
        loss = nn.MSELoss()(model([[1.0, 2.0]]), [[0.5]])
        loss.backward()
        print("torch" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_torch_nn_works_and_the_converters_say_how_to_install_it():
    result = run_python("""
        import sys
        sys.modules["torch"] = None  # as if torch were not installed: import torch fails
        import autograd, nn
        model = nn.Sequential(nn.Linear(2, 1, seed=0))
        model([[1.0, 2.0]])
        for convert in (model.to_torch, lambda: nn.from_torch(object())):
            try:
                convert()
            except ImportError as error:
                print(error)
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("to_torch needs PyTorch. PyTorch is optional and not installed")
    assert lines[1].startswith("from_torch needs PyTorch.")
    assert all("pip install torch" in line for line in lines)
