"""explain(): the backward sweep in words, its numbers checked against the sweep itself."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, explain, linear
from autograd.backward import gradients, sweep
from autograd.ops import OPS, RULE_TEXT, sign

_STEP = re.compile(r"step (\d+): (\S+)(?:, a leaf| = .*)  \((.*)\)")
_EDGE = re.compile(r"  (\S+)\.grad \+= d.*/d\1 \* grad = .* = (\S+)")


def parse(text: str) -> list[tuple[int, str, str, list[tuple[str, float]]]]:
    """(step number, name, the grad part of the heading, [(input, contribution), ...])."""
    steps = []
    for line in text.splitlines():
        if line.startswith("step "):
            match = _STEP.fullmatch(line)
            assert match, line
            steps.append((int(match[1]), match[2], match[3], []))
        else:
            match = _EDGE.fullmatch(line)
            assert match, line
            steps[-1][3].append((match[1], float(match[2])))
    return steps


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


# -- the example of the issue, by hand ---------------------------------------------------------


def test_each_step_shows_the_rule_then_the_numbers_then_the_product():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    lines = explain(e * 2).splitlines()
    assert lines[2:5] == [
        "step 2: e = a * b  (grad 2)",
        "  a.grad += d(a * b)/da * grad = b * 2 = -3 * 2 = -6",
        "  b.grad += d(a * b)/db * grad = a * 2 = 2 * 2 = 4",
    ]


def test_a_reused_value_shows_its_gradient_as_the_sum_of_its_uses():
    x = Value(3.0, label="x")
    y = x * 2 + x * 5
    text = explain(y)
    assert "step 4: x, a leaf  (x.grad = 5 + 2 = 7)" in text.splitlines()


def test_a_formula_rule_is_shown_with_its_symbols_then_with_the_numbers_put_in():
    n = Value(0.5, label="n")
    o = n.tanh()
    o.label = "o"
    (line,) = [line for line in explain(o).splitlines() if line.startswith("  ")]
    t = math.tanh(0.5)
    assert line == (
        f"  n.grad += d(tanh(n))/dn * grad = (1 - o * o) * 1 = "
        f"(1 - {t:.4g} * {t:.4g}) * 1 = {1 - t * t:.4g} * 1 = {1 - t * t:.4g}"
    )


def test_negative_numbers_inside_a_rule_and_negative_grads_are_put_in_parentheses():
    x = Value(-0.5, label="x")
    line = explain((x * 3).tanh() * -1).splitlines()[3]
    assert "(1 - (-0.9051) * (-0.9051)) * (-1)" in line


def test_subtraction_and_negation_read_as_written():
    x, y = Value(3.0, label="x"), Value(1.0, label="y")
    text = explain(x - 1 - y)
    assert " = x - 1  (" in text
    assert re.search(r"= -y  \(", text)


def test_linear_names_each_weights_partner_input():
    w = [Value(0.5, label="w0"), Value(-1.0, label="w1")]
    out = linear(w, [2.0, 3.0], Value(0.1, label="bias"))
    lines = explain(out).splitlines()
    assert lines[0] == "step 1: t1 = bias + w0*2 + w1*3  (grad 1, the seed)"
    assert lines[1] == "  w0.grad += dt1/dw0 * grad = 2 * 1 = 2"
    assert lines[3] == "  bias.grad += dt1/dbias * grad = 1 * 1 = 1"
    x = [Value(2.0, label="x0"), Value(3.0, label="x1")]
    both = explain(linear(w, x, 0.0)).splitlines()
    assert "  x1.grad += dt1/dx1 * grad = w1 * 1 = -1 * 1 = -1" in both


def test_unlabelled_values_are_named_after_their_step_and_shared_labels_get_the_step():
    x, other = Value(1.0, label="x"), Value(2.0, label="x")
    steps = parse(explain((x * other).exp()))
    assert [name for _, name, _, _ in steps] == ["t1", "t2", "x#3", "x#4"]


def test_digits_sets_the_precision_and_none_shows_every_number_in_full():
    x = Value(2.0, label="x")
    y = x.sqrt()
    assert "1.414" in explain(y) and "1.41421" not in explain(y)
    assert repr(math.sqrt(2.0)) in explain(y, digits=None)
    assert "1.41421" in explain(y, digits=6)


@pytest.mark.parametrize("digits", [0, -1, 2.5, True, "4"])
def test_explain_refuses_digits_that_are_not_a_positive_whole_number(digits):
    with pytest.raises(ValueError, match="digits must be a whole number of 1 or more, or None"):
        explain(Value(1.0), digits=digits)


def test_explain_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match=r"explain needs a Value.*got float"):
        explain(1.0)


def test_explain_neither_reads_nor_changes_grad():
    x = Value(2.0, label="x")
    y = x * x
    x.grad = 100.0
    assert "(x.grad = 2 + 2 = 4)" in explain(y)
    assert x.grad == 100.0


def test_the_explanation_shows_itself_without_quotes_in_a_repl():
    text = explain(Value(1.0, label="x"))
    assert repr(text) == str(text) == "step 1: x, a leaf  (grad 1, the seed)"


# -- the numbers are the sweep's ------------------------------------------------------------

_UNARY = [Value.tanh, Value.exp, Value.sigmoid, Value.relu, Value.sin, Value.cos, abs,
          Value.sqrt, Value.log, lambda v: v.leaky_relu(0.2), lambda v: v * 3, lambda v: -v,
          lambda v: v - 1.5, lambda v: v ** 2, lambda v: 2 ** v]  # fmt: skip
_BINARY = [Value.__add__, Value.__mul__, Value.__sub__, Value.__truediv__, Value.__pow__,
           lambda a, b: linear([a, b], [b, 2.0], a)]  # fmt: skip


@st.composite
def expressions(draw: st.DrawFn) -> Value:
    """A random expression over a few leaves, reusing earlier Values often."""
    leaves = draw(st.lists(st.floats(-3, 3, allow_subnormal=False), min_size=1, max_size=4))
    values = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for _ in range(draw(st.integers(1, 12))):
        pick = st.sampled_from(values)
        if draw(st.booleans()):
            values.append(draw(st.sampled_from(_UNARY))(draw(pick)))
        else:
            values.append(draw(st.sampled_from(_BINARY))(draw(pick), draw(pick)))
    return values[-1]


@given(expressions())
def test_every_number_explain_prints_is_the_sweeps_own(root):
    expected = gradients(root, 1.0)
    visits = [node for node, _ in sweep(root, 1.0)]
    steps = parse(explain(root, digits=None))
    assert [number for number, *_ in steps] == list(range(1, len(visits) + 1))
    running: dict[str, list[float]] = {}
    for (_, name, heading, edges), node in zip(steps, visits, strict=True):
        grad = expected[node]
        shown = float(re.search(r"(\S+?)(?:, the seed)?$", heading)[1])
        assert same(shown, grad)
        if node.label:
            assert name == node.label
        if " = " in heading:  # a reused Value: its contributions, in the sweep's order
            terms = [float(t.strip("()")) for t in heading.split(" = ")[1].split(" + ")]
            assert terms == running[name] or all(map(same, terms, running[name]))
            total = 0.0
            for t in terms:
                total += t
            assert same(total, grad)
        assert [inp for inp, _ in edges] == [_name_in(steps, visits, inp) for inp in node.inputs]
        for (inp, carried), local in zip(edges, node.local_grads, strict=True):
            assert same(carried, local * grad)
            running.setdefault(inp, []).append(carried)


def _name_in(steps: list, visits: list[Value], v: Value) -> str:
    return steps[visits.index(v)][1]


@given(expressions())
def test_the_leaves_gradients_in_the_text_are_what_backward_leaves_in_grad(root):
    root.backward()
    leaves = {v.label: v for v in _leaves(root)}
    for _, name, heading, _ in parse(explain(root, digits=None)):
        if name in leaves:
            shown = float(re.search(r"(\S+?)(?:, the seed)?$", heading)[1])
            assert same(shown, leaves[name].grad)


def _leaves(root: Value) -> list[Value]:
    return [node for node, _ in sweep(root, 1.0) if node.is_leaf]


# -- the rule texts of ops.py ------------------------------------------------------------------


def test_every_row_of_the_op_table_has_one_rule_text_per_argument():
    assert RULE_TEXT.keys() == OPS.keys()
    for name, op in OPS.items():
        expected = 3 if op.variadic else len(op.derivatives)
        assert len(RULE_TEXT[name]) == expected, name


def _evaluate(text: str, **symbols: float) -> float:
    # The texts are the table's own constants, never a user's string; builtins are withheld.
    names = {"log": math.log, "sin": math.sin, "cos": math.cos, "sign": sign, "max": max}
    names.update(symbols)
    return eval(text, {"__builtins__": {}}, names)


@pytest.mark.parametrize("name", [n for n in OPS if n != "linear"])
@given(a=st.floats(0.1, 3.0), b=st.floats(0.1, 2.0), signs=st.sampled_from([1, -1]) | st.none())
def test_each_rule_text_computes_what_its_rule_computes(name, a, b, signs):
    if signs is not None:  # away from 0, where some rules have poles, on both sides
        b *= signs
        if name not in ("**", "log", "sqrt", "log1p"):  # those need a positive base
            a *= signs
    if name == "binary_cross_entropy":  # a probability
        a = abs(a) / 4.0
    op = OPS[name]
    args = (a, b)[: len(op.derivatives)]
    out = op.forward(*args)
    for rule, text in zip(op.derivatives, RULE_TEXT[name], strict=True):
        symbols = dict(zip("ab", args, strict=False), out=out)
        assert _evaluate(text, **symbols) == pytest.approx(rule(*args, out), rel=1e-12, abs=1e-300)


def test_the_rule_texts_of_linear_are_its_partners_and_one():
    weights, inputs, bias = [2.0, 5.0], [3.0, 7.0], 1.0
    out = OPS["linear"].forward(weights, inputs, bias)
    local = OPS["linear"].local_grads(*weights, *inputs, bias, out)
    assert RULE_TEXT["linear"] == ("x_i", "w_i", "1")
    assert local == (*inputs, *weights, 1.0)
