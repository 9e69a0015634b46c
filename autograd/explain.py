"""The backward sweep in words: every step's chain-rule arithmetic, with the rule and the numbers.

``explain(root)`` replays the sweep that ``root.backward()`` runs and writes it out, one
numbered step per Value in the order the sweep visits them, and under each step one line per
edge: which gradient grows, by the local derivative (its rule from ``ops.RULE_TEXT``, then the
rule with the numbers put in) times the gradient of the Value being visited::

    step 3: e = a * b  (grad 2)
      a.grad += d(a * b)/da * grad = b * 2 = -3 * 2 = -6
      b.grad += d(a * b)/db * grad = a * 2 = 2 * 2 = 4

A Value used more than once shows its gradient as the sum of its uses when it is visited
(``(x.grad = 6 + 15 = 21)``). Values are named by their labels; a Value without one is
``t<n>``, ``n`` being its number in the backward drawing (``#n``), and a label that several
Values share gets ``#n`` appended. The step numbers are the drawing's ``#n`` too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from autograd.backward import topological_order
from autograd.ops import RULE_TEXT
from autograd.stepwise import StepwiseSweep
from autograd.value import Value

_SYMBOL = re.compile(r"\b(a|b|out)\b")
# d(a * b)/da spells the formula out; a weighted sum or a longer formula is named: dn/da.
_SHORT_FORMULA = 24


class Explanation(str):
    """The text of ``explain``: a str that shows itself as it is (no quotes) in a REPL."""

    def __repr__(self) -> str:
        return str(self)


def explain(root: Value, *, digits: int | None = 4) -> Explanation:
    """The backward sweep from ``root`` as text: each step's rule and numbers, in sweep order.

    Numbers are shown to ``digits`` significant digits; ``digits=None`` shows every number in
    full (``repr``), exactly the floats ``backward()`` computes. ``.grad`` is neither read nor
    changed.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> e = a * b
    >>> e.label = "e"
    >>> print(explain(e * 2))
    step 1: t1 = e * 2  (grad 1, the seed)
      e.grad += d(e * 2)/de * grad = 2 * 1 = 2
    step 2: e = a * b  (grad 2)
      a.grad += d(a * b)/da * grad = b * 2 = -3 * 2 = -6
      b.grad += d(a * b)/db * grad = a * 2 = 2 * 2 = 4
    step 3: b, a leaf  (grad 4)
    step 4: a, a leaf  (grad -6)
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain needs a Value to explain the sweep of, got {type(root).__name__}")
    if digits is not None and (
        not isinstance(digits, int) or isinstance(digits, bool) or digits < 1
    ):
        raise ValueError(f"digits must be a whole number of 1 or more, or None; got {digits!r}")
    sweep = StepwiseSweep.run(topological_order(root), None)
    names = _names(sweep)

    def num(x: float) -> str:
        return repr(x) if digits is None else f"{x + 0.0:.{digits}g}"

    def show(arg: Value | float) -> str:
        return names[arg] if isinstance(arg, Value) else num(arg)

    def data(arg: Value | float) -> str:
        return num(arg.data if isinstance(arg, Value) else arg)

    lines = []
    for v in sweep.visits:
        lines.append(
            f"step {sweep.number[v]}: {_heading(v, show)}  ({_total(sweep, v, names, num)})"
        )
        formula = _formula(v, show)
        positions = [p for p, arg in enumerate(v.args) if isinstance(arg, Value)]
        for k, (inp, position) in enumerate(zip(v.inputs, positions, strict=True)):
            local = v.local_grads[k]
            grad = _signed(num)(sweep.grads[v])
            rule, symbols = _rule(v, position)
            # A negative number inside a formula is put in parentheses: 1 - (-0.5) * (-0.5).
            numbers = data if rule in ("a", "b") else _signed(data)
            worked = [
                f"{_grouped(_fill(rule, symbols, show))} * {grad}",
                f"{_grouped(_fill(rule, symbols, numbers))} * {grad}",
                f"{num(local)} * {grad}",
                num(sweep.carried[(v, k)]),
            ]
            steps = [text for i, text in enumerate(worked) if i == 0 or text != worked[i - 1]]
            spelled = v.op != "linear" and len(formula) <= _SHORT_FORMULA
            d_out = f"d({formula})" if spelled else f"d{names[v]}"
            lines.append(
                f"  {names[inp]}.grad += {d_out}/d{names[inp]} * grad = " + " = ".join(steps)
            )
    return Explanation("\n".join(lines))


def _names(sweep: StepwiseSweep) -> dict[Value, str]:
    """Each Value's name in the text: its label, ``t<n>`` without one, ``label#n`` if shared."""
    counts = Counter(v.label for v in sweep.visits)
    names = {}
    for v in sweep.visits:
        n = sweep.number[v]
        if not v.label:
            names[v] = f"t{n}" if f"t{n}" not in counts else f"#{n}"
        else:
            names[v] = v.label if counts[v.label] == 1 else f"{v.label}#{n}"
    return names


def _heading(v: Value, show: Callable[[Value | float], str]) -> str:
    return f"{show(v)}, a leaf" if v.is_leaf else f"{show(v)} = {_formula(v, show)}"


def _total(
    sweep: StepwiseSweep, v: Value, names: dict[Value, str], num: Callable[[float], str]
) -> str:
    """``grad 2``, ``grad 1, the seed``, or the sum of a reused Value's contributions."""
    if sweep.number[v] == 1:
        return f"grad {num(sweep.grads[v])}, the seed"
    terms = sweep.contributions[v]
    if len(terms) == 1:
        return f"grad {num(sweep.grads[v])}"
    added = " + ".join([num(terms[0]), *map(_signed(num), terms[1:])])
    return f"{names[v]}.grad = {added} = {num(sweep.grads[v])}"


def _formula(v: Value, show: Callable[[Value | float], str]) -> str:
    """How the operation that made ``v`` reads, its arguments written by ``show``.

    Subtraction and negation read as written, though the graph records ``a - 1`` as
    ``a + -1`` and ``-a`` as ``a * -1``.
    """
    args = v.args
    if v.op == "linear":
        n = (len(args) - 1) // 2
        products = [f"{show(w)}*{show(x)}" for w, x in zip(args[:n], args[n:-1], strict=True)]
        return " + ".join([show(args[-1]), *products])
    if v.op in ("+", "*", "/", "**"):
        a, b = args
        if v.op == "*" and not isinstance(b, Value) and b == -1.0:
            return f"-{show(a)}"
        if v.op == "+" and not isinstance(b, Value) and b < 0:
            return f"{show(a)} - {show(-b)}"
        return f"{show(a)} {v.op} {show(b)}"
    return f"{v.op}({', '.join(show(a) for a in args)})"


def _rule(v: Value, position: int) -> tuple[str, dict[str, Value | float]]:
    """The text of d v / d argument ``position`` and what its symbols stand for."""
    args = v.args
    if v.op == "linear":
        # d out / d w_i is x_i, d out / d x_i is w_i, d out / d bias is 1.
        n = (len(args) - 1) // 2
        if position == 2 * n:
            return RULE_TEXT["linear"][2], {}
        partner = position + n if position < n else position - n
        return "a", {"a": args[partner]}
    symbols: dict[str, Value | float] = {"a": args[0], "out": v}
    if len(args) > 1:
        symbols["b"] = args[1]
    return RULE_TEXT[v.op][position], symbols


def _fill(
    rule: str, symbols: dict[str, Value | float], show: Callable[[Value | float], str]
) -> str:
    """The rule with its symbols replaced by the Values and numbers, as ``show`` writes them."""
    return _SYMBOL.sub(lambda m: show(symbols[m[1]]), rule)


def _grouped(text: str) -> str:
    """Parentheses around a compound expression, so that ``* grad`` applies to all of it."""
    return f"({text})" if " " in text else text


def _signed(show: Callable[[Any], str]) -> Callable[[Any], str]:
    """``show``, with negative numbers in parentheses."""

    def signed(arg: Any) -> str:
        text = show(arg)
        return f"({text})" if text.startswith("-") else text

    return signed
