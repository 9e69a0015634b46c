"""Loss functions and softmax on Values, each defined as PyTorch defines it.

Every loss takes one sample (a Value or number and a target) or equal-length sequences of them,
and then returns the mean over the samples, PyTorch's ``reduction="mean"``. Sums are built with
the engine's fused ``linear`` node (one node with an edge per term, not a chain of additions),
which keeps a 100-sample loss small and fast to differentiate.

Numerical care, as in PyTorch: ``cross_entropy`` and ``softmax`` subtract the largest logit
before ``exp`` (log-sum-exp) and never add it back; ``binary_cross_entropy_with_logits`` only
ever takes ``log1p(exp(-|x|))``; ``binary_cross_entropy`` is one node per sample with
PyTorch's clamped logs and gradient.

Every loss can be traced (``autograd.trace``): none branches on a number of its inputs, and a
target may be a Value (a traced argument), which then gets its gradient as in PyTorch. Checks
that must read a number (a probability in [0, 1], a hinge target of -1 or +1) run on plain
numbers and, outside a trace, on Values; inside a trace a Value's number is a different one on
every call, so they cannot run there: see each loss for what its compiled code does instead.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Collection, Sequence

from autograd import Value, linear
from autograd.trace import is_tracing
from autograd.value import binary_cross_entropy as _binary_cross_entropy
from autograd.value import max_shift, softmax_shift

Number = int | float
Scalar = Value | Number


def _as_value(x: object, what: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x))
    raise TypeError(f"{what} must be a Value or a real number, got {type(x).__name__}")


def _as_float(x: object, what: str) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{what} must be a real number or a Value, got {type(x).__name__}")


def _as_target(t: object, what: str) -> Value | float:
    """A target as a float, or as itself when it is a Value: a traced argument stays one."""
    return t if isinstance(t, Value) else _as_float(t, what)


def _known(x: Value | float) -> float | None:
    """The number of ``x`` for a check, or None inside a trace, where it changes per call."""
    if not isinstance(x, Value):
        return x
    return None if is_tracing() else x.data


def _is_single(x: object) -> bool:
    return isinstance(x, Value | numbers.Real)


def _pairs(name: str, inputs: object, targets: object) -> list[tuple[object, object]]:
    """One (input, target) pair per sample, checking that a batch's lengths agree."""
    if _is_single(inputs):
        return [(inputs, targets)]
    if isinstance(inputs, str) or not isinstance(inputs, Collection):
        raise TypeError(
            f"{name} takes a Value or number, or a sequence of them; got {type(inputs).__name__}"
        )
    if isinstance(targets, str) or not isinstance(targets, Collection):
        raise TypeError(
            f"{name} got a sequence of {len(inputs)} inputs, so targets must be a sequence too; "
            f"got {type(targets).__name__}"
        )
    if len(inputs) != len(targets):
        raise ValueError(f"{name} got {len(inputs)} inputs and {len(targets)} targets")
    if len(inputs) == 0:
        raise ValueError(f"{name} needs at least one sample, got empty sequences")
    return list(zip(inputs, targets, strict=True))


def _sum(terms: Sequence[Scalar]) -> Value:
    """``terms[0] + terms[1] + ...`` as one node whose local derivatives are all 1."""
    return linear([1.0] * len(terms), terms, 0.0)


def _mean(terms: list[Value]) -> Value:
    if len(terms) == 1:
        return terms[0]
    return _sum(terms) / len(terms)


# -- regression --


def mse_loss(pred: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar]) -> Value:
    """Mean squared error: the mean of ``(pred - target) ** 2``.

    Each square is one node (``Value.square``): the gradient ``2 (pred - target)`` times
    ``1 / n`` is rounded once, as PyTorch rounds it, so the two agree to the last digit even
    below 2 ** -1022. One documented difference: where ``2 (pred - target)`` overflows (a
    difference above 2 ** 1023, about 9e307) the gradient of a mean over two or more samples is
    ``inf`` here and finite in PyTorch, which multiplies by ``2 / n`` first; the loss is ``inf``
    in both.

    >>> mse_loss([Value(1.0), Value(2.0)], [0.0, 4.0]).data
    2.5
    """
    terms = []
    for p, t in _pairs("mse_loss", pred, target):
        d = _as_value(p, "mse_loss prediction") - _as_value(t, "mse_loss target")
        terms.append(d.square())
    return _mean(terms)


def l1_loss(pred: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar]) -> Value:
    """Mean absolute error: the mean of ``|pred - target|`` (its derivative at 0 is 0).

    >>> l1_loss([Value(1.0), Value(2.0)], [0.0, 4.0]).data
    1.5
    """
    terms = []
    for p, t in _pairs("l1_loss", pred, target):
        terms.append(abs(_as_value(p, "l1_loss prediction") - _as_value(t, "l1_loss target")))
    return _mean(terms)


# -- binary classification --


def binary_cross_entropy(
    prob: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar]
) -> Value:
    """``-(t log p + (1 - t) log(1 - p))`` for a probability ``p`` in [0, 1], averaged.

    As in PyTorch, each log is clamped at -100, so a certain but wrong prediction costs 100,
    and the gradient is ``(p - t) / max(p (1 - p), 1e-12)``, finite even there. Prefer
    ``binary_cross_entropy_with_logits``, which never saturates.

    A probability outside [0, 1] raises ValueError. Inside a trace the probability is not known
    when the program is made, so its compiled code cannot raise: for such a probability it
    returns a ``nan`` loss (a log of a negative number), as a signal that training stops at.

    >>> round(binary_cross_entropy(Value(0.8), 1.0).data, 6)
    0.223144
    >>> binary_cross_entropy(Value(0.0), 1.0).data
    100.0
    """
    terms = []
    for p, t in _pairs("binary_cross_entropy", prob, target):
        p = _as_value(p, "binary_cross_entropy probability")
        t = _as_target(t, "binary_cross_entropy target")
        number = _known(p)
        if number is not None and not 0.0 <= number <= 1.0:
            raise ValueError(
                f"binary_cross_entropy expects probabilities in [0, 1], got {number!r}; "
                "for unbounded scores use binary_cross_entropy_with_logits"
            )
        terms.append(_binary_cross_entropy(p, t))
    return _mean(terms)


def binary_cross_entropy_with_logits(
    logit: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar]
) -> Value:
    """Binary cross-entropy of ``sigmoid(logit)``, computed without ever taking ``log(0)``.

    The loss is PyTorch's ``(1 - t) x - logsigmoid(x)``, with ``logsigmoid(x)`` taken as
    ``min(x, 0) - log1p(e^-|x|)``: ``e`` is only ever raised to a negative power, and
    ``log1p`` keeps every digit where ``e^-|x|`` is tiny (``log(1 + 1e-13)`` would keep three).

    >>> import math
    >>> binary_cross_entropy_with_logits(Value(0.0), 1.0).data == math.log(2)
    True
    >>> binary_cross_entropy_with_logits(Value(-1000.0), 1.0).data
    1000.0
    >>> binary_cross_entropy_with_logits(Value(30.0), 1.0).data
    9.357622968839737e-14
    """
    terms = []
    for x, t in _pairs("binary_cross_entropy_with_logits", logit, target):
        # logsigmoid(x) = min(x, 0) - log1p(e^-|x|) without reading x, so a trace stays right
        # for either sign. -|x| is -leaky_relu(-x, -1): its derivative at 0 is -1 (abs' is 0),
        # so the gradient there is sigmoid(0) - t. And min(x, 0) is -relu(-x), added after the
        # log1p term: the gradient of x then gets its three terms in the order of the smooth
        # pieces this replaces (the one for x < 0 and the one for x >= 0), bit for bit.
        neg_abs = -((-x).leaky_relu(-1.0))
        log_sigmoid = -(neg_abs.exp().log1p()) - (-x).relu()
        x = _as_value(x, "binary_cross_entropy_with_logits logit")
        t = _as_target(t, "binary_cross_entropy_with_logits target")
        terms.append(linear([1.0 - t, -1.0], [x, log_sigmoid], 0.0))
    return _mean(terms)


def hinge_loss(score: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar]) -> Value:
    """The max-margin loss ``max(0, 1 - t * score)`` for targets ``t`` in {-1, +1}, averaged.

    This is micrograd's demo loss; in PyTorch it is ``torch.relu(1 - t * score).mean()``.
    A target other than -1 or +1 raises ValueError. Inside a trace a target that is a Value
    (a traced argument) is not known when the program is made: its compiled code computes
    ``max(0, 1 - t * score)`` for whatever ``t`` it is given, with no check.

    >>> hinge_loss([Value(2.0), Value(0.5), Value(0.5)], [1, 1, -1]).data
    0.6666666666666666
    """
    terms = []
    for s, t in _pairs("hinge_loss", score, target):
        s = _as_value(s, "hinge_loss score")
        t = _as_target(t, "hinge_loss target")
        number = _known(t)
        if number is not None and number not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss targets must be -1 or +1, got {number!r}")
        # 1 + (-t) * s is exactly 1 - t * s, in one node instead of three.
        terms.append(linear([-t], [s], 1.0).relu())
    return _mean(terms)


# -- several classes --


def _logit_values(logits: object, what: str) -> list[Value]:
    if isinstance(logits, str) or not isinstance(logits, Collection):
        raise TypeError(f"{what} must be a sequence of Values, got {type(logits).__name__}")
    if len(logits) == 0:
        raise ValueError(f"{what} must hold at least one value, got an empty sequence")
    return [_as_value(v, what) for v in logits]


def _shifted_log_sum_exp(values: list[Value], target: int) -> Value:
    """``log(sum(exp(v))) - v[target]`` as PyTorch computes it: shifted by the largest value m,
    as ``log(sum(exp(v - m))) - (v[target] - m)``, never adding m back (which would round the
    loss to the spacing of m: 1e-10 for logits near 1e6).

    The shift is a node of the graph (``max_shift``: no gradient) rather than a number read
    from the Values, so a traced loss recomputes it for every sample. Where the largest value
    is infinite, m is the largest finite one (or 0): the result is the same as unshifted.
    """
    m = max_shift(values[0], values[0])
    for v in values[1:]:
        m = max_shift(m, v)
    return _sum([(v - m).exp() for v in values]).log() - (values[target] - m)


def _softmax_shift(values: list[Value]) -> Value:
    """``-m`` for the largest value m, by which softmax shifts so that no ``exp`` overflows.

    The largest value is found by PyTorch's rule (``softmax_shift``: ``nan`` if any value is,
    no gradient), as a node of the graph rather than a number read from the Values, so a
    traced softmax recomputes it for every sample. It is negated once for all: ``v + (-m)``
    is ``v - m`` exactly, and ``v - m`` would negate m again for each value.
    """
    m = softmax_shift(values[0], values[0])
    for v in values[1:]:
        m = softmax_shift(m, v)
    return -m


def softmax(values: Sequence[Scalar]) -> list[Value]:
    """``exp(v_i) / sum_j exp(v_j)`` for each value, stable for logits of any size.

    As in PyTorch, the values are shifted by the largest one, so logits with an ``inf`` or a
    ``nan``, or only ``-inf``, give ``nan`` throughout.

    >>> [round(p.data, 4) for p in softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [0.09, 0.2447, 0.6652]
    >>> [p.data for p in softmax([Value(1000.0), Value(1000.0)])]
    [0.5, 0.5]
    >>> [p.data for p in softmax([Value(float("-inf")), Value(0.0)])]
    [0.0, 1.0]
    """
    values = _logit_values(values, "softmax values")
    shift = _softmax_shift(values)
    exps = [(v + shift).exp() for v in values]
    total = _sum(exps)
    return [e / total for e in exps]


def log_softmax(values: Sequence[Scalar]) -> list[Value]:
    """``log(softmax(values))``, as ``(v_i - m) - log(sum_j exp(v_j - m))`` with m the largest.

    >>> [round(p.data, 4) for p in log_softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [-2.4076, -1.4076, -0.4076]
    >>> log_softmax([Value(0.0), Value(1000.0)])[0].data
    -1000.0
    """
    values = _logit_values(values, "log_softmax values")
    shift = _softmax_shift(values)
    shifted = [v + shift for v in values]
    log_total = _sum([x.exp() for x in shifted]).log()
    return [x - log_total for x in shifted]


def cross_entropy(
    logits: Sequence[Scalar] | Sequence[Sequence[Scalar]], target: int | Sequence[int]
) -> Value:
    """``-log softmax(logits)[target]``: one sample's logits and class, or lists of both (mean).

    >>> round(cross_entropy([Value(1.0), Value(2.0), Value(3.0)], 2).data, 6)
    0.407606
    >>> round(cross_entropy([[Value(0.0), Value(0.0)], [Value(5.0), Value(5.0)]], [0, 1]).data, 9)
    0.693147181
    >>> cross_entropy([Value(1.0), Value(2.0)], 2)
    Traceback (most recent call last):
    ...
    ValueError: cross_entropy target 2 is out of range for 2 classes (accepted: 0 to 1)
    """
    if isinstance(logits, Collection) and not isinstance(logits, str):
        logits = list(logits)
    if isinstance(logits, list) and logits and not _is_single(logits[0]):
        pairs = _pairs("cross_entropy", logits, target)
    else:
        pairs = [(logits, target)]
    terms = []
    for sample, t in pairs:
        values = _logit_values(sample, "cross_entropy logits")
        if isinstance(t, bool) or not isinstance(t, numbers.Integral):
            raise TypeError(
                f"cross_entropy target must be a class index (int), got {reprlib.repr(t)}"
            )
        if not 0 <= t < len(values):
            raise ValueError(
                f"cross_entropy target {t} is out of range for {len(values)} classes "
                f"(accepted: 0 to {len(values) - 1})"
            )
        terms.append(_shifted_log_sum_exp(values, int(t)))
    return _mean(terms)


# -- penalties --


def l2_penalty(params: Sequence[Value]) -> Value:
    """The sum of squares ``sum(p * p)`` (micrograd's regulariser; no 1/2), as one node.

    >>> l2_penalty([Value(3.0), Value(-4.0)]).data
    25.0
    """
    params = list(params)
    # linear(p, p) is sum(p_i * p_i); each p appears as a weight and as an input, so backward
    # adds p_i twice: exactly d(p_i^2)/dp_i = 2 p_i.
    return linear(params, params, 0.0)


def l1_penalty(params: Sequence[Value]) -> Value:
    """The sum of absolute values ``sum(|p|)``: one ``abs`` node per parameter, then one sum.

    >>> l1_penalty([Value(3.0), Value(-4.0)]).data
    7.0
    """
    params = [_as_value(p, "l1_penalty parameter") for p in params]
    # abs() rather than sign(p) * p: the same numbers (and the gradient 0 at 0 and at nan, as
    # abs() has it), with no number read to build it, so a traced loss stays right when a
    # parameter changes sign.
    return _sum([abs(p) for p in params])
