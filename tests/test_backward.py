"""backward(), the reverse sweep and topological_order: exact accumulation, any depth."""

from __future__ import annotations

import math
import sys
import threading

import pytest

from autograd import Value, detect_anomaly, grad, no_grad, topological_order
from autograd.backward import gradients


def test_backward_sets_the_gradient_of_the_output_itself_to_one():
    x = Value(2.0)
    y = x * 3
    y.backward()
    assert (y.grad, x.grad) == (1.0, 3.0)


def test_backward_on_a_leaf_gives_the_leaf_gradient_one():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0


def test_backward_scales_every_gradient_by_the_given_gradient():
    x = Value(2.0)
    h = x * x
    y = h * 3
    y.backward(gradient=0.5)
    assert (y.grad, h.grad, x.grad) == (0.5, 1.5, 6.0)
    y.backward(-2)
    assert (y.grad, h.grad, x.grad) == (-1.5, -4.5, -18.0)


def test_backward_reaches_intermediate_nodes_too():
    a, b = Value(2.0), Value(-3.0)
    c = a * b  # -6
    d = c + a  # -4
    e = d * d  # 16
    e.backward()
    assert e.grad == 1.0
    assert d.grad == -8.0  # 2d
    assert c.grad == -8.0
    assert a.grad == -8.0 * b.data + -8.0  # through c and directly
    assert b.grad == -8.0 * a.data


def test_backward_twice_doubles_every_gradient_exactly():
    x, y = Value(1.5), Value(-0.75)
    h = (x * y).tanh()
    z = h * x + y.exp()
    nodes = topological_order(z)
    z.backward()
    once = {v: v.grad for v in nodes}
    z.backward()
    assert all(v.grad == 2 * once[v] for v in nodes)
    assert h.grad == 2 * once[h] != 0.0


def test_backward_adds_to_gradients_already_there():
    x = Value(3.0)
    x.grad = 10.0
    (x * x).backward()
    assert x.grad == 16.0


def test_two_outputs_sharing_a_subgraph_give_the_sum_of_their_gradients():
    x = Value(2.0)
    shared = x * x  # 4
    u = shared * 3  # du/dshared = 3, du/dx = 12
    v = shared + x  # dv/dshared = 1, dv/dx = 5
    u.backward()
    v.backward()
    assert shared.grad == 4.0
    assert x.grad == 17.0
    assert (u.grad, v.grad) == (1.0, 1.0)


def test_a_value_used_twice_in_a_product_gets_both_contributions():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_a_value_added_to_itself_gets_both_contributions():
    x = Value(3.0)
    (x + x).backward()
    assert x.grad == 2.0


def test_a_diamond_sums_the_gradient_of_both_paths():
    x = Value(2.0)
    left = x * 3  # 6
    right = x.exp()  # e^2
    top = left * right
    top.backward()
    assert x.grad == pytest.approx(3 * math.exp(2) + 6 * math.exp(2), rel=1e-15)
    assert left.grad == right.data
    assert right.grad == left.data


def test_a_node_reached_by_a_short_and_a_long_path_gets_its_full_gradient_first():
    # The long path must be swept completely before the sweep passes the shared node.
    x = Value(0.5)
    h = x * 2  # 1.0
    long = ((h * 3) * 4) * 5  # 60 h
    y = h + long  # 61 h, so dy/dh = 61 and dy/dx = 122
    y.backward()
    assert (h.grad, x.grad) == (61.0, 122.0)


def test_gradients_of_a_leaf_made_under_no_grad_stop_there():
    x = Value(2.0)
    with no_grad():
        y = x * x
    z = y * 3
    z.backward()
    assert (y.grad, x.grad) == (3.0, 0.0)


@pytest.mark.parametrize("bad", ["x", None, Value(1.0), 1j, [1.0]])
def test_backward_rejects_a_gradient_that_is_not_a_real_number(bad):
    y = Value(2.0) * 3
    with pytest.raises(TypeError, match=type(bad).__name__):
        y.backward(bad)


def test_building_backward_and_grad_never_change_data():
    x, y = Value(0.5), Value(-2.0)
    out = ((x * y).sigmoid() + x**y - y.exp() / x).log() * y.cos()
    nodes = topological_order(out)
    before = [v.data for v in nodes]
    assert (x.data, y.data) == (0.5, -2.0)
    out.backward()
    out.backward(3.0)
    grad(out, [x, y])
    second = grad(grad(out, [x, y], create_graph=True)[0], [x, y])
    assert second[0].data != 0.0
    assert [v.data for v in nodes] == before


def test_a_sweep_stopped_by_detect_anomaly_leaves_no_trace_in_the_next_one():
    x = Value(0.0)
    bad = x.sqrt()  # d/dx is inf
    y = x * 3 + bad * 0
    with pytest.raises(FloatingPointError), detect_anomaly():
        y.backward()
    x.grad = 0.0
    z = x * 3 + 1
    z.backward()
    assert x.grad == 3.0
    assert grad(x * x + x, [x])[0].data == 1.0


def test_threads_sweeping_a_shared_graph_get_exact_gradients():
    # Every thread runs backward and grad on one shared graph; the numbers are dyadic, so any
    # mix-up between concurrent sweeps would show as an inexact total.
    x = Value(1.5)
    h = x
    for _ in range(500):
        h = h * 1.0 + 0.0  # dh/dx stays 1
    outputs = [h * h + x, h * 2.0]  # d/dx: 2h + 1 = 4, and 2
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(output: Value, expected: float) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(20):
                output.backward()
                (d,) = grad(output, [x])
                assert d.data == expected
        except BaseException as error:
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that sweeps interleave
    try:
        threads = [
            threading.Thread(target=work, args=(out, d))
            for out, d in [(outputs[0], 4.0), (outputs[1], 2.0)] * 2
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a sweep never finished"
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert x.grad == 2 * 20 * 4.0 + 2 * 20 * 2.0


# -- gradients(root, seed) ------------------------------------------------------------------


def test_gradients_returns_every_node_gradient_without_touching_grad():
    x = Value(3.0)
    h = x * x
    y = h + x
    result = gradients(y, 2.0)
    assert result[y] == 2.0
    assert result[h] == 2.0
    assert result[x] == 14.0  # 2 * (2x + 1)
    assert (x.grad, h.grad, y.grad) == (0.0, 0.0, 0.0)


# -- topological_order ----------------------------------------------------------------------


def test_topological_order_puts_every_input_before_the_node_made_from_it():
    x, y = Value(1.0), Value(2.0)
    a = x * y
    b = a + x
    c = b * a
    t = c.tanh()
    d = t + y
    order = topological_order(d)
    position = {v: i for i, v in enumerate(order)}
    assert order[-1] is d
    assert len(order) == 7
    assert set(order) == {x, y, a, b, c, t, d}
    for v in order:
        for inp in v.inputs:
            assert position[inp] < position[v]


def test_topological_order_lists_each_node_once():
    x = Value(1.0)
    square = x * x
    y = square + square
    order = topological_order(y)
    assert len(order) == len(set(order)) == 3
    assert order == [x, square, y]


def test_topological_order_never_raises_under_detect_anomaly():
    # Ordering is not differentiation: a non-finite local derivative is nobody's anomaly here.
    x = Value(0.0)
    y = x.sqrt()  # d/dx is inf
    a, b = Value(-2.0), Value(2.0)
    z = a**b  # d/db is 4 log(-2): nan
    with detect_anomaly():
        assert topological_order(y) == [x, y]
        assert topological_order(z)[-1] is z
        assert len(topological_order(z)) == 3


def test_topological_order_of_a_leaf_is_the_leaf():
    x = Value(1.0)
    assert topological_order(x) == [x]


# -- depth ----------------------------------------------------------------------------------


def test_a_chain_a_million_operations_deep_runs_forward_backward_and_grad():
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for i in range(1_000_000):
        y = y * 1.0 if i % 2 else y + 1.0  # 500,000 additions of 1, derivative 1
    assert y.data == 500_000.5
    order = topological_order(y)
    assert len(order) == 1_000_001
    assert order[0] is x
    del order
    y.backward()
    assert x.grad == 1.0
    (dx,) = grad(y, [x])
    assert dx.data == 1.0
    assert sys.getrecursionlimit() == limit
