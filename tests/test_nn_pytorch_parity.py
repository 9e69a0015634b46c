"""The PyTorch-named modules and losses against PyTorch itself: values and gradients to 1e-12.

Each test builds the same computation twice, on Values and on float64 tensors, from the same
numbers (not through ``to_torch``, which tests/test_nn_torch_convert.py checks), and compares
every output and every gradient: parameters' and inputs'. Then the loop of issue 13 runs on both.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value, linear
from nn import optim
from nn.shapes import flatten, map_elements, unflatten

torch = pytest.importorskip("torch")

F64 = torch.float64
inf, nan = math.inf, math.nan


def assert_close(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        if math.isnan(b):
            assert math.isnan(a)
        else:
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (a, b)


def leaf_values(nested):
    return map_elements(Value, nested)


def tensor(nested, requires_grad=False):
    return torch.tensor(nested, dtype=F64, requires_grad=requires_grad)


def backward_both(ours, theirs, cotangent):
    """Backpropagate sum(cotangent * output) through both."""
    flat = flatten(ours)
    linear(cotangent, flat, 0.0).backward()
    (theirs * tensor(cotangent).reshape(theirs.shape)).sum().backward()
    return flat


def numbers(n, low=-3.0, high=3.0):
    return st.lists(st.floats(low, high), min_size=n, max_size=n)


# -- Linear -----------------------------------------------------------------------------------


@st.composite
def linear_cases(draw):
    n_in, n_out = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    batch = draw(st.one_of(st.none(), st.integers(1, 4)))
    shape = (n_in,) if batch is None else (batch, n_in)
    x = draw(numbers(math.prod(shape)))
    out_size = n_out if batch is None else batch * n_out
    return n_in, n_out, draw(st.booleans()), unflatten(x, shape), draw(numbers(out_size))


@given(linear_cases(), st.integers(0, 2**32))
def test_linear_matches_torch_values_and_gradients(case, seed):
    n_in, n_out, bias, x, cotangent = case
    layer = nn.Linear(n_in, n_out, bias=bias, seed=seed)
    w = tensor([[p.data for p in row] for row in layer.weight], requires_grad=True)
    b = tensor([p.data for p in layer.bias], requires_grad=True) if bias else None
    x_ours, x_theirs = leaf_values(x), tensor(x, requires_grad=True)
    ours, theirs = layer(x_ours), torch.nn.functional.linear(x_theirs, w, b)
    assert_close((v.data for v in flatten(ours)), theirs.flatten().tolist())
    backward_both(ours, theirs, cotangent)
    assert_close((p.grad for p in flatten(layer.weight)), w.grad.flatten().tolist())
    if bias:
        assert_close((p.grad for p in layer.bias), b.grad.tolist())
    assert_close((v.grad for v in flatten(x_ours)), x_theirs.grad.flatten().tolist())


# -- activations ------------------------------------------------------------------------------

ACTIVATIONS = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
    (nn.Identity(), torch.nn.Identity()),
]


@pytest.mark.parametrize(("ours", "theirs"), ACTIVATIONS, ids=lambda m: repr(m))
@given(
    shape=st.sampled_from([(), (3,), (2, 4), (2, 1, 3)]),
    data=st.data(),
)
def test_activations_match_torch_values_and_gradients(ours, theirs, shape, data):
    size = math.prod(shape)
    # Zero is drawn often: it is where relu and leaky_relu have their kink.
    element = st.one_of(st.just(0.0), st.floats(-30, 30))
    x = unflatten(data.draw(st.lists(element, min_size=size, max_size=size)), shape)
    cotangent = data.draw(numbers(size))
    x_ours, x_theirs = leaf_values(x), tensor(x, requires_grad=True)
    out, expected = ours(x_ours), theirs(x_theirs)
    assert_close((v.data for v in flatten(out)), expected.flatten().tolist())
    backward_both(out, expected, cotangent)
    assert_close((v.grad for v in flatten(x_ours)), x_theirs.grad.flatten().tolist())


# -- losses -----------------------------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]
ELEMENTWISE = {
    "MSELoss": (st.floats(-50, 50), st.floats(-50, 50)),
    "L1Loss": (st.floats(-50, 50), st.one_of(st.just(0.0), st.floats(-50, 50))),
    # Probabilities away from 0 and 1, where the clamped logs make the gradients differ by
    # design (see nn.functional.binary_cross_entropy); values at 0 and 1 are tested below.
    "BCELoss": (st.floats(1e-6, 1 - 1e-6), st.floats(0, 1)),
    "BCEWithLogitsLoss": (st.floats(-60, 60), st.floats(0, 1)),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=st.sampled_from([(), (1,), (5,), (3, 1), (2, 3)]), data=st.data())
def test_elementwise_losses_match_torch_for_every_reduction(name, reduction, shape, data):
    inputs, targets = ELEMENTWISE[name]
    size = math.prod(shape)
    x = unflatten(data.draw(st.lists(inputs, min_size=size, max_size=size)), shape)
    t = unflatten(data.draw(st.lists(targets, min_size=size, max_size=size)), shape)
    x_ours, x_theirs = leaf_values(x), tensor(x, requires_grad=True)
    ours = getattr(nn, name)(reduction=reduction)(x_ours, t)
    theirs = getattr(torch.nn, name)(reduction=reduction)(x_theirs, tensor(t))
    assert_close((v.data for v in flatten(ours)), theirs.flatten().tolist())
    out_size = size if reduction == "none" else 1
    backward_both(ours, theirs, data.draw(numbers(out_size)))
    assert_close((v.grad for v in flatten(x_ours)), x_theirs.grad.flatten().tolist())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_loss_clamps_its_logs_at_minus_100_like_torch(reduction):
    probs, targets = [0.0, 1.0, 0.0, 1.0, 0.5], [1.0, 0.0, 0.0, 1.0, 0.25]
    ours = nn.BCELoss(reduction=reduction)(leaf_values(probs), targets)
    theirs = torch.nn.BCELoss(reduction=reduction)(tensor(probs), tensor(targets))
    assert_close((v.data for v in flatten(ours)), theirs.flatten().tolist())


@st.composite
def cross_entropy_cases(draw):
    classes = draw(st.integers(1, 5))
    batch = draw(st.one_of(st.none(), st.integers(1, 4)))
    logit = st.floats(-1000, 1000) if draw(st.booleans()) else st.floats(-5, 5)
    if batch is None:
        return draw(numbers(classes)).copy(), draw(st.integers(0, classes - 1))
    logits = [draw(st.lists(logit, min_size=classes, max_size=classes)) for _ in range(batch)]
    return logits, draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=cross_entropy_cases(), data=st.data())
def test_cross_entropy_loss_matches_torch_for_every_reduction(reduction, case, data):
    logits, target = case
    x_ours, x_theirs = leaf_values(logits), tensor(logits, requires_grad=True)
    ours = nn.CrossEntropyLoss(reduction=reduction)(x_ours, target)
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction)(x_theirs, torch.tensor(target))
    assert_close((v.data for v in flatten(ours)), theirs.flatten().tolist())
    out_size = theirs.numel()
    backward_both(ours, theirs, data.draw(numbers(out_size)))
    assert_close((v.grad for v in flatten(x_ours)), x_theirs.grad.flatten().tolist())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), classes=st.integers(1, 5), batch=st.one_of(st.none(), st.integers(1, 4)))
def test_cross_entropy_loss_with_class_probabilities_matches_torch(reduction, data, classes, batch):
    shape = (classes,) if batch is None else (batch, classes)
    size = math.prod(shape)
    logit = st.floats(-1000, 1000) if data.draw(st.booleans()) else st.floats(-5, 5)
    logits = unflatten(data.draw(st.lists(logit, min_size=size, max_size=size)), shape)
    probabilities = unflatten(data.draw(numbers(size, 0.0, 1.0)), shape)
    x_ours, x_theirs = leaf_values(logits), tensor(logits, requires_grad=True)
    ours = nn.CrossEntropyLoss(reduction=reduction)(x_ours, probabilities)
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction)(x_theirs, tensor(probabilities))
    assert_close((v.data for v in flatten(ours)), theirs.flatten().tolist())
    backward_both(ours, theirs, data.draw(numbers(theirs.numel())))
    assert_close((v.grad for v in flatten(x_ours)), x_theirs.grad.flatten().tolist())


@given(st.lists(st.floats(-1000, 1000), min_size=1, max_size=6))
def test_log_softmax_matches_torch(logits):
    ours = nn.functional.log_softmax([Value(x) for x in logits])
    assert_close((v.data for v in ours), torch.log_softmax(tensor(logits), dim=0).tolist())


# Logits at softmax's IEEE edges. PyTorch shifts by the plain maximum, so an inf, a nan or only
# -inf make every probability nan (inf - inf); a -inf beside finite logits, or logits 1e308
# apart, give exact zeros and ones (log_softmax: -inf and 0); signed zeros, PyTorch's signs.
SOFTMAX_EDGES = [
    [1.0, 2.0, 3.0],
    [1000.0, 1000.0],
    [0.0, 745.0, -745.0],
    [inf, 1.0],
    [inf, inf, -2.0],
    [-inf, 1.0, 5.0],
    [-inf, -inf],
    [-inf],
    [inf],
    [nan, 1.0],
    [1.0, nan, -inf],
    [-0.0],
    [-0.0, -0.0],
    [0.0, -0.0],
    [-0.0, -100.0],
    [1e308, -1e308],
    [-1e308, 5e-324, -5e-324],
]
AWKWARD = [0.0, -0.0, 1.0, -1.0, 1e-310, 1e300, -1e300, 1e308, -1e308, 710.0, -750.0, 40.0]
AWKWARD += [-40.0, inf, -inf, nan]


def same_number(ours: float, theirs: float, scale: float = 0.0) -> bool:
    """nan to nan, inf to the same inf, 0.0 to 0.0 and -0.0 to -0.0 (unless ``scale``, for a
    gradient: a sum of contributions), else equal to 1e-12 relative or 1e-12 of ``scale``."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if ours == 0 and theirs == 0 and not scale:
        return math.copysign(1, ours) == math.copysign(1, theirs)
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12 * max(1.0, scale))


def assert_softmax_matches_torch(name, logits, cotangent):
    xs = leaf_values(logits)
    t = tensor(logits, requires_grad=True)
    ours, theirs = getattr(nn.functional, name)(xs), getattr(torch, name)(t, dim=0)
    for a, b in zip((v.data for v in ours), theirs.tolist(), strict=True):
        assert same_number(a, b), (logits, [v.data for v in ours], theirs.tolist())
    backward_both(ours, theirs, cotangent)
    scale = max([abs(g) for g in cotangent if math.isfinite(g)], default=1.0)
    for a, b in zip((x.grad for x in xs), t.grad.tolist(), strict=True):
        assert same_number(a, b, scale), (logits, cotangent, [x.grad for x in xs], t.grad)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("logits", SOFTMAX_EDGES, ids=str)
def test_softmax_and_log_softmax_match_torch_at_ieee_edges(name, logits):
    n = len(logits)
    for k in range(n):  # each output alone, then all of them at once
        assert_softmax_matches_torch(name, logits, [float(i == k) for i in range(n)])
    assert_softmax_matches_torch(name, logits, [0.5 - i for i in range(n)])


@given(
    st.sampled_from(["softmax", "log_softmax"]),
    st.lists(st.one_of(st.sampled_from(AWKWARD), st.floats(-40, 40), st.floats()), min_size=1,
             max_size=7),
    st.data(),
)  # fmt: skip
def test_softmax_and_log_softmax_match_torch_for_any_logits_and_gradient(name, logits, data):
    seeds = st.one_of(st.floats(-2, 2), st.sampled_from([0.0, inf, -inf, nan, 1e300]))
    cotangent = data.draw(st.lists(seeds, min_size=len(logits), max_size=len(logits)))
    assert_softmax_matches_torch(name, logits, cotangent)


# -- the loop of issue 13 ---------------------------------------------------------------------


def regression_data(n=20, seed=0):
    """A small synthetic data set: 10 features, a target that depends on three of them."""
    rng = random.Random(seed)
    inputs = [[rng.gauss(0.0, 1.0) for _ in range(10)] for _ in range(n)]
    targets = [[x[0] - 2.0 * x[1] + 0.5 * x[2] + 0.1 * rng.gauss(0.0, 1.0)] for x in inputs]
    return inputs, targets


def pytorch_loop(model, nn, optim, inputs, targets):
    """The loop of issue 13, word for word, for either library; returns the loss of each step."""
    losses = []
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    for epoch in range(100):  # noqa: B007 (the loop as tutorials write it)
        predictions = model(inputs)
        loss = criterion(predictions, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_the_pytorch_loop_runs_on_values_and_matches_torch_step_for_step():
    inputs, targets = regression_data()
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1))
    twin = model.to_torch()  # the same starting weights, in float64
    ours = pytorch_loop(model, nn, optim, inputs, targets)
    theirs = pytorch_loop(twin, torch.nn, torch.optim, tensor(inputs), tensor(targets))
    assert_close(ours, theirs)
    assert ours[-1] < 0.5 * ours[0]  # and it learns
    for p, q in zip(model.parameters(), flatten(nn.from_torch(twin).parameters()), strict=True):
        assert math.isclose(p.data, q.data, rel_tol=1e-12, abs_tol=1e-12)
