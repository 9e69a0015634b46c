"""The command line's expressions: parsed with ast, refused unless accepted, built from Values."""

from __future__ import annotations

import ast
import contextlib
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.backward import gradients
from autograd.expression import FUNCTIONS, parse

ROOT = Path(__file__).resolve().parent.parent


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_variables_are_named_in_the_order_they_first_appear():
    assert parse("tanh(x1*w1 + x2*w2 + b) * x1").names == ("x1", "w1", "x2", "w2", "b")


def test_each_variable_is_one_value_labelled_with_its_name_however_often_it_is_used():
    out, variables = parse("x*x + 3*x").build({"x": 2.0})
    assert out.data == 10.0 and list(variables) == ["x"]
    assert variables["x"].label == "x"
    out.backward()
    assert variables["x"].grad == 7.0  # 2x + 3


def test_the_neuron_expression_gives_the_same_numbers_as_values_built_by_hand():
    values = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    out, v = parse("tanh(x1*w1 + x2*w2 + b)").build(values)
    x1, x2, w1, w2, b = (Value(values[n]) for n in ("x1", "x2", "w1", "w2", "b"))
    expected = (x1 * w1 + x2 * w2 + b).tanh()
    assert out.data == expected.data
    out.backward()
    expected.backward()
    assert [v[n].grad for n in ("x1", "w1", "b")] == [x1.grad, w1.grad, b.grad]


def test_numbers_without_variables_fold_into_one_operation_as_value_folds_them():
    out, _ = parse("2 * 3 * x").build({"x": 1.5})
    assert out.op == "*" and out.args[0] == 6.0 and out.data == 9.0


def test_subtraction_and_unary_minus_and_plus_build_as_the_engine_records_them():
    out, v = parse("+x - -y").build({"x": 5.0, "y": 2.0})
    assert out.data == 7.0 and out.op == "+"
    assert out.inputs[0] is v["x"]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_accepted_function_is_the_values_method_of_that_name(name):
    x = Value(0.7)
    method = abs if name == "abs" else getattr(Value, name)
    out, v = parse(f"{name}(x)").build({"x": 0.7})
    assert out.op == name and out.data == method(x).data
    assert v["x"].data == 0.7


def test_leaky_relu_takes_its_slope_as_a_second_argument_or_defaults_to_0_01():
    out, _ = parse("leaky_relu(x, 0.2)").build({"x": -2.0})
    assert out.data == pytest.approx(-0.4) and out.args[1] == 0.2
    out, _ = parse("leaky_relu(x, -1/10)").build({"x": -2.0})
    assert out.data == pytest.approx(0.2)
    out, _ = parse("leaky_relu(x)").build({"x": -2.0})
    assert out.args[1] == 0.01


def test_an_expression_of_numbers_only_gives_a_leaf():
    out, variables = parse("2 ** 10 / 4").build({})
    assert out.data == 256.0 and out.is_leaf and variables == {}


def test_plain_number_arithmetic_follows_ieee_754_like_the_engine():
    out, _ = parse("1 / 0 + x").build({"x": 1.0})
    assert out.data == math.inf
    out, _ = parse("(-8) ** (1/3) + x").build({"x": 1.0})
    assert math.isnan(out.data)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("x.real", "attribute access '.real'"),
        ("__import__('os').system('ls')", "a call to \"__import__('os').system\""),
        ("__import__('os')", "a call to '__import__'"),
        ("print(x)", "a call to 'print'"),
        ("x[0]", "a subscript"),
        ("(lambda: 1)()", "a call to 'lambda: 1'"),
        ("lambda: 1", "a lambda"),
        ("'abc' * x", "the string 'abc'"),
        ("x < 1", "a comparison"),
        ("x and y", "the operator 'and'"),
        ("x // 2", "the operator '//'"),
        ("x % 2", "the operator '%'"),
        ("~x", "the operator '~'"),
        ("x if y else 1", "a conditional expression"),
        ("[x]", "a list"),
        ("(x, y)", "a tuple"),
        ("True * x", "True is not accepted (at column 1)"),
        ("2j * x", "the imaginary number 2j"),
        ("x < 1 if x else [x]", "a conditional expression"),
        ("tanh(x) + sin", "the function name 'sin' used as a variable"),
        ("(x +\n y.imag)", "attribute access '.imag'"),
        ("tanh(x, 2)", "tanh with 2 arguments (it takes 1)"),
        ("exp()", "exp with 0 arguments (it takes 1)"),
        ("tanh(x=1)", "keyword argument 'x' of tanh"),
        ("leaky_relu(x, y)", "a variable in the slope of leaky_relu"),
        ("tanh + 1", "the function name 'tanh' used as a variable"),
        ("f'{x}'", "an f-string"),
        ("(y := 2)", "an assignment expression"),
    ],
)
def test_anything_but_the_accepted_node_kinds_is_refused_naming_what_was_found(text, named):
    with pytest.raises(ValueError) as caught:
        parse(text)
    assert named in str(caught.value)
    assert "use numbers, variable names, + - * / **" in str(caught.value)


@pytest.mark.parametrize("text", ["", "x +", "x y", "x;y", "x = 1", "import os", "x\x00"])
def test_text_that_is_not_an_expression_is_refused(text):
    with pytest.raises(ValueError, match=r"not a valid expression|is not accepted|is empty"):
        parse(text)


def test_nesting_far_beyond_what_pythons_parser_takes_is_read_without_recursion():
    out, v = parse("-" * 200_000 + "x").build({"x": 3.0})
    assert out.data == 3.0 and gradients(out, 1.0)[v["x"]] == 1.0
    out, _ = parse("(" * 10_000 + "x" + ")" * 10_000).build({"x": 3.0})
    assert out.data == 3.0
    out, _ = parse("tanh(" * 3_000 + "x" + ")" * 3_000).build({"x": 0.5})
    assert out.op == "tanh" and 0.0 < out.data < 0.5


@pytest.mark.parametrize("operator", ["+", "-", "*", "/"])
def test_flat_chains_of_100_000_terms_are_accepted(operator):
    out, _ = parse(operator.join(["x"] * 100_000)).build({"x": 1.0})
    expected = {"+": 100_000.0, "-": -99_998.0, "*": 1.0, "/": 1.0}[operator]
    assert out.data == expected


def test_refusing_a_call_of_a_deep_expression_names_it_in_one_short_line():
    with pytest.raises(ValueError) as caught:
        parse("(" + "-" * 2000 + "x)()")
    message = str(caught.value)
    assert "is not accepted" in message and "\n" not in message and len(message) < 400


def test_a_deep_refused_expression_is_named_without_recursion():
    with pytest.raises(ValueError, match=r"is not accepted|not a valid expression"):
        parse("(" * 5000 + "x" + ")" * 5000 + "[0]")
    with pytest.raises(ValueError, match=r"is not accepted|not a valid expression"):
        parse("+".join(["x"] * 20_000) + " < 1")


def test_a_long_sum_builds_without_recursion():
    out, v = parse(" + ".join(["x"] * 2000)).build({"x": 1.0})
    assert out.data == 2000.0
    assert gradients(out, 1.0)[v["x"]] == 2000.0


def test_an_integer_too_large_for_a_float_is_refused():
    with pytest.raises(ValueError, match="too large for a float"):
        parse("1" + "0" * 400 + " * x").build({"x": 1.0})


def test_a_variable_without_a_value_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"no value given for variables w2, b$"):
        parse("x*w1 + w2 + b").build({"x": 1.0, "w1": 2.0})


def test_a_value_for_no_variable_is_an_error_naming_it():
    with pytest.raises(
        ValueError,
        match=r"a value is given for variable z, but the expression has no such variable "
        r"\(its variables: x\)",
    ):
        parse("x * 2").build({"x": 1.0, "z": 3.0})


def test_values_for_names_that_are_not_variables_are_named_whatever_their_type():
    with pytest.raises(ValueError, match=r"for variables 5, y, but .*\(it has none\)"):
        parse("2 * 3").build({5: 1.0, "y": 2.0})


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match="an expression must be a str, got bytes"):
        parse(b"x")
    with pytest.raises(TypeError, match="values must be a mapping"):
        parse("x").build([("x", 1.0)])
    with pytest.raises(TypeError, match="Value data must be a real number"):
        parse("x").build({"x": "1"})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_parsed_or_refused_with_value_error_and_nothing_else(text):
    with contextlib.suppress(ValueError):
        parse(text)


# A random expression as text, with the same expression built directly from Values.
_LEAF = st.sampled_from(["x", "y", "z"]) | st.integers(0, 9).map(str)
_BINARY = {"+": Value.__add__, "-": Value.__sub__, "*": Value.__mul__, "/": Value.__truediv__}


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(sorted(_BINARY)), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        )
        call = st.tuples(st.sampled_from(["tanh", "sigmoid", "sin", "abs"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        )
        negated = inner.map(lambda e: f"(-{e})")
        square = inner.map(lambda e: f"({e} ** 2)")
        return binary | call | negated | square

    return st.recursive(_LEAF, extend, max_leaves=12)


def _by_hand(tree: ast.expr, env: dict[str, Value]) -> Value | float:
    """The reference: the same tree built with Value's operators, read straight off ``ast``."""
    if isinstance(tree, ast.Constant):
        return float(tree.value)
    if isinstance(tree, ast.Name):
        return env[tree.id]
    if isinstance(tree, ast.UnaryOp):
        return -_by_hand(tree.operand, env)
    if isinstance(tree, ast.Call):
        arg = _by_hand(tree.args[0], env)
        arg = arg if isinstance(arg, Value) else Value(arg)
        return abs(arg) if tree.func.id == "abs" else getattr(arg, tree.func.id)()
    symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
    left, right = _by_hand(tree.left, env), _by_hand(tree.right, env)
    op = symbol[type(tree.op)]
    if op == "**":
        return Value(left) ** right if not isinstance(left, Value) else left**right
    left = left if isinstance(left, Value) else Value(left)
    return _BINARY[op](left, right)


@settings(max_examples=150, deadline=None)
@given(_expressions(), st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3)))
def test_random_expressions_build_the_values_and_gradients_of_the_same_expression(text, xyz):
    expression = parse(text)
    values = dict(zip(("x", "y", "z"), xyz, strict=True))
    values = {name: values[name] for name in expression.names}
    out, variables = expression.build(values)
    env = {name: Value(values[name]) for name in expression.names}
    expected = _by_hand(ast.parse(text, mode="eval").body, env)
    expected = expected if isinstance(expected, Value) else Value(expected)
    assert same(out.data, expected.data)
    got, want = gradients(out, 1.0), gradients(expected, 1.0)
    for name in expression.names:
        assert same(got.get(variables[name], 0.0), want.get(env[name], 0.0))


def test_no_module_of_the_package_calls_eval_or_exec():
    # The builtins, not methods of the same name such as nn's Module.eval() (PyTorch's name).
    calls = []
    for path in sorted((ROOT / "autograd").glob("*.py")) + sorted((ROOT / "nn").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            builtin = isinstance(func, ast.Attribute) and ast.unparse(func.value) == "builtins"
            name = func.id if isinstance(func, ast.Name) else func.attr if builtin else ""
            if name in ("eval", "exec"):
                calls.append(f"{path.name}:{node.lineno}")
    assert calls == []


# Text made of the accepted tokens and a few others, in any order: mostly not expressions.
_TOKENS = ["x", "y", "2", "0.5", "1e3", "0x1f", "+", "-", "*", "/", "**", "(", ")", ",", " "]
_TOKENS += ["tanh(", "leaky_relu(", "exp", "[0]", "<", "//", "=", "True"]


def _accepted_by_the_rules(tree: ast.Expression) -> bool:
    """The rules of the accepted syntax, applied to Python's own parse: an oracle for ours."""
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fewest, most = FUNCTIONS.get(getattr(node.func, "id", None), (1, 0))
            slope_ok = len(node.args) < 2 or not any(
                isinstance(n, ast.Name) for n in ast.walk(node.args[1])
            )
            if node.keywords or not fewest <= len(node.args) <= most or not slope_ok:
                return False
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS and id(node) not in callees:
                return False
        elif isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                return False
        elif not isinstance(
            node,
            ast.Expression
            | ast.BinOp
            | ast.UnaryOp
            | ast.expr_context
            | ast.operator
            | ast.unaryop,
        ):
            return False
        if isinstance(node, ast.BinOp | ast.UnaryOp) and type(node.op) not in (
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.UAdd, ast.USub
        ):  # fmt: skip
            return False
    return True


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=14).map("".join))
def test_parse_accepts_what_the_rules_accept_and_builds_the_tree_python_builds(text):
    try:
        # Any whitespace separates tokens, line breaks included; Python takes fewer kinds, and
        # comments and line continuations, which we refuse.
        python = ast.parse(re.sub(r"\s", " ", text).strip(), mode="eval")
    except (SyntaxError, ValueError):
        python = None
    if "#" in text or "\\" in text:
        python = None
    try:
        ours = parse(text)
    except ValueError as refusal:
        assert python is None or not _accepted_by_the_rules(python), str(refusal)
        assert "\n" not in str(refusal)
        return
    assert python is not None and _accepted_by_the_rules(python)
    assert ast.dump(ours.tree) == ast.dump(python)
