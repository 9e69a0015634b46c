"""Optimizers that update parameters from their gradients, with PyTorch's update rules.

Each optimizer keeps a list of parameters and, per parameter, plain-float state (momentum,
running averages). ``step()`` reads ``p.grad`` and writes ``p.data`` directly, building no graph.
SGD and Adam write their rule once, on NumPy arrays (``step_flat``): ``step()`` gathers the
Values' numbers into arrays for it, and ``fit``'s compiled step keeps them there (``nn.flat``);
NumPy's + - * / and sqrt round every element as Python's floats do, so both are bit-identical.
The formulas are PyTorch's for the same hyper-parameters (``torch.optim.SGD`` with
``dampening`` and ``nesterov``, ``Adam`` and ``AdamW`` with ``amsgrad``, ``RMSprop`` with
``centered`` and ``momentum``, and each with ``maximize``), step for step, so a model
trained here and one trained there move identically (to 1e-12). Gradient clipping lives here
too, since it also rewrites gradients just before a step.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Value
from autograd.ops import sqrt


def _check_params(params: Iterable[Value], owner: str) -> list[Value]:
    if isinstance(params, Value):
        raise TypeError(f"{owner} takes an iterable of Values, such as model.parameters()")
    params = list(params)
    if not params:
        raise ValueError(f"{owner} got an empty parameter list; pass model.parameters()")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"{owner} parameters must be Values; params[{i}] is {type(p).__name__}")
    return params


def _check_number(owner: str, name: str, x: object, low: float, high: float = math.inf,
                  *, low_open: bool = False, high_open: bool = True) -> float:  # fmt: skip
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{owner} {name} must be a real number, got {type(x).__name__}")
    x = float(x)
    above = x > low if low_open else x >= low
    below = x < high if high_open else x <= high
    if not (above and below):
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{owner} {name} must be in {left}{low:g}, {high:g}{right}, got {x!r}")
    return x


def _check_bool(owner: str, name: str, x: object) -> None:
    if not isinstance(x, bool):
        raise TypeError(f"{owner} {name} must be a bool, got {type(x).__name__}")


class Optimizer:
    """The base of every optimizer: parameters, a mutable ``lr``, ``zero_grad`` and state dicts.

    Subclasses name their hyper-parameters in ``hyperparameters`` and their per-parameter state
    (lists of floats, or None before the first step) in ``state_names``.
    """

    hyperparameters: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()
    # The lr when the first scheduler was attached; every scheduler on this optimizer takes it
    # as its base_lr (PyTorch's param_group["initial_lr"]), see nn.schedulers.
    initial_lr: float | None = None

    def __init__(self, params: Iterable[Value], lr: float, maximize: bool = False) -> None:
        self.params = _check_params(params, type(self).__name__)
        self._lr = _check_number(type(self).__name__, "lr", lr, 0.0, low_open=True)
        _check_bool(type(self).__name__, "maximize", maximize)
        self.maximize = maximize

    def _gradient(self, p: Value) -> float:
        """``p.grad``, negated with ``maximize`` (PyTorch's option to climb instead)."""
        return -p.grad if self.maximize else p.grad

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step()``; assign to change it.

        It must be positive when the optimizer is made; a schedule may later bring it to 0.
        """
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_number(type(self).__name__, "lr", value, 0.0)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad``."""
        data = np.array([p.data for p in self.params], dtype=float)
        grad = np.array([p.grad for p in self.params], dtype=float)
        with np.errstate(all="ignore"):  # inf and nan come out as Python's arithmetic has them
            data = self.step_flat(data, grad)
        for p, x in zip(self.params, data.tolist(), strict=True):
            p.data = x
        self.state_as_lists()

    def step_flat(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """``step()`` on every parameter at once, as arrays in the order of ``params``.

        Returns the new data and leaves the Values alone; the per-parameter state becomes
        arrays until ``state_as_lists()``. SGD and Adam (AdamW) have it, and their ``step()``
        is this on the Values' numbers; RMSprop's fused multiply-adds need floats.
        """
        raise NotImplementedError(f"{type(self).__name__} steps only on Values")

    def state_as_lists(self) -> None:
        """Turn the state that ``step_flat`` left as arrays back into lists of floats."""
        for name in self.state_names:
            if isinstance(getattr(self, name), np.ndarray):
                setattr(self, name, getattr(self, name).tolist())

    def state_dict(self) -> dict[str, Any]:
        """The hyper-parameters and the per-parameter state, as plain numbers and lists (a copy).

        >>> opt = SGD([Value(1.0)], lr=0.5, momentum=0.9)
        >>> opt.state_dict()
        {'type': 'SGD', 'lr': 0.5, 'momentum': 0.9, 'dampening': 0.0, 'weight_decay': 0.0, 'nesterov': False, 'maximize': False, 'state': {'momentum_buffer': None}}
        """  # noqa: E501
        state = {name: _copy(getattr(self, name)) for name in self.state_names}
        hyper = {name: getattr(self, name) for name in self.hyperparameters}
        return {"type": type(self).__name__, "lr": self.lr, **hyper, "state": state}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; a dict for another optimizer raises ValueError.

        >>> a = SGD([Value(1.0)], lr=0.5)
        >>> a.load_state_dict(SGD([Value(1.0)], lr=0.1).state_dict())
        >>> a.lr
        0.1
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{name}.load_state_dict expects a dict, got {type(state_dict).__name__}"
            )
        expected = {"type", "lr", "state", *self.hyperparameters}
        if set(state_dict) != expected or state_dict["type"] != name:
            raise ValueError(
                f"not a {name} state dict: expected keys {sorted(expected)} with type {name!r}, "
                f"got keys {sorted(map(str, state_dict))}"
            )
        state = state_dict["state"]
        if not isinstance(state, Mapping) or set(state) != set(self.state_names):
            raise ValueError(f"{name} state must have the entries {list(self.state_names)}")
        n = len(self.params)
        for key in self.state_names:
            entry = state[key]
            if isinstance(entry, list):
                if len(entry) != n or not all(_is_number(x) for x in entry):
                    raise ValueError(f"{name} state {key!r} must be a list of {n} numbers")
            elif not (
                (key == "step_count" and _is_count(entry))
                or (key != "step_count" and entry is None)  # a buffer not in use
            ):
                raise ValueError(f"{name} state {key!r} has an unexpected value {entry!r}")
        # Build a fresh optimizer from the hyper-parameters: its constructor validates them all
        # before anything here changes.
        hyper = {key: state_dict[key] for key in self.hyperparameters}
        if isinstance(hyper.get("betas"), list):
            hyper["betas"] = tuple(hyper["betas"])  # a JSON round trip turns the pair into a list
        fresh = type(self)(self.params, lr=1.0, **hyper)
        fresh.lr = state_dict["lr"]  # the setter accepts the 0 a schedule may have reached
        self.lr = fresh.lr
        for key in self.hyperparameters:
            setattr(self, key, getattr(fresh, key))
        for key in self.state_names:
            setattr(self, key, _copy(state[key]))

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyperparameters)
        return f"{type(self).__name__}(lr={self.lr!r}, {hyper})"


def _copy(x: Any) -> Any:
    return list(x) if isinstance(x, list) else x


def _is_count(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


# PyTorch's CPU kernels round a * b + c once (a fused multiply-add) in lerp, addcmul and add
# with alpha, where plain Python rounds twice: a difference in the last bit, far below 1e-12,
# except where a difference cancels. The centered RMSprop's s - m^2 is such a place: once the
# gradient has been steady it is made of nothing but those last bits (a steady gradient of 0.3
# for 60 steps moved a weight to -6.96e6 here, -6.06e6 in PyTorch). There, _fma rounds as the
# kernels do (Python has math.fma only from 3.13). (PyTorch's vectorized sqrt is not always
# correctly rounded either, so a step can differ in its last bit anyway; steps that chase
# their own last bits, a weight bounced around 0 by weight decay alone, drift apart slowly.)
_VELTKAMP = 134217729.0  # 2 ** 27 + 1: splits a float into two halves of 26 bits


def _fma(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once, as a fused multiply-add.

    >>> x = 1.0 + 2.0**-30
    >>> x * x - 1.0 == 2.0**-29, _fma(x, x, -1.0) == 2.0**-29 + 2.0**-60
    (True, True)
    """
    product = a * b
    if 1e-290 < abs(product) < 1e300 and abs(a) < 1e300 and abs(b) < 1e300 and abs(c) < 1e300:
        # Dekker's product: a * b is exactly product + error, so the three add up exactly.
        t = _VELTKAMP * a
        a_high = t - (t - a)
        t = _VELTKAMP * b
        b_high = t - (t - b)
        a_low, b_low = a - a_high, b - b_high
        error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
        return math.fsum((product, error, c))
    if not (math.isfinite(a) and math.isfinite(b)):
        return product + c  # inf and nan as the fused operation has them
    if not math.isfinite(c):
        return c  # the exact product is finite, even where its rounding overflowed
    from fractions import Fraction  # rarely needed, and slow to import with nn

    exact = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def _lerp(start: float, end: float, weight: float) -> float:
    """``start + weight * (end - start)``, from the nearer end as torch.lerp does."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _fused_lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp as the CPU computes it: ``_lerp`` with each multiply-add rounded once."""
    if abs(weight) < 0.5:
        return _fma(weight, end - start, start)
    return _fma(-(end - start), 1.0 - weight, end)


def _as_array(state: list[float] | np.ndarray | None) -> np.ndarray | None:
    return None if state is None else np.asarray(state, dtype=float)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    With g = grad + weight_decay * p and, when momentum > 0, b = momentum * b +
    (1 - dampening) * g (b = g on the first step, undamped as in PyTorch; with ``nesterov``
    g = g + momentum * b, else g = b): p = p - lr * g.

    >>> p = Value(1.0); p.grad = 0.5
    >>> SGD([p], lr=0.1).step()
    >>> p.data
    0.95
    """

    hyperparameters = ("momentum", "dampening", "weight_decay", "nesterov", "maximize")
    state_names = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize)
        self.momentum = _check_number("SGD", "momentum", momentum, 0.0)
        self.dampening = _check_number("SGD", "dampening", dampening, 0.0, 1.0, high_open=False)
        self.weight_decay = _check_number("SGD", "weight_decay", weight_decay, 0.0)
        _check_bool("SGD", "nesterov", nesterov)
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("SGD nesterov=True needs momentum > 0 and dampening = 0")
        self.nesterov = nesterov
        self.momentum_buffer: list[float] | None = None

    def step_flat(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """``step()`` on every parameter at once: the new ``data`` as an array (see
        ``Optimizer.step_flat``)."""
        data, self.momentum_buffer = self._update(data, grad, _as_array(self.momentum_buffer))
        return data

    def _update(self, data: Any, grad: Any, buffer: Any) -> tuple[Any, Any]:
        """The new data and momentum buffer of every parameter, as arrays."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        g = -grad if self.maximize else grad
        if wd:
            g = g + wd * data
        if mu == 0.0:
            return data - lr * g, None
        # PyTorch starts the buffer at the first gradient, not at zero.
        buffer = g if buffer is None else mu * buffer + (1.0 - self.dampening) * g
        return data - lr * (g + mu * buffer if self.nesterov else buffer), buffer


class Adam(Optimizer):
    """Adam (Kingma and Ba), with weight decay added to the gradient as ``torch.optim.Adam`` does.

    m = lerp(m, g, 1 - beta1), v = beta2 v + (1 - beta2) g^2, and after t steps
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps). With ``amsgrad``
    the largest v so far (``max_exp_avg_sq``) takes the place of v in that last formula.

    >>> p = Value(1.0); p.grad = 0.5
    >>> Adam([p], lr=0.1).step()
    >>> round(p.data, 6)  # the first Adam step moves by lr whatever the gradient's size
    0.9
    """

    hyperparameters = ("betas", "eps", "weight_decay", "amsgrad", "maximize")
    state_names = ("step_count", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    # AdamW decays the weights directly instead of through the gradient.
    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize)
        name = type(self).__name__
        _check_bool(name, "amsgrad", amsgrad)
        self.amsgrad = amsgrad
        if isinstance(betas, str) or not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"{name} betas must be a pair of numbers, got {betas!r}")
        self.betas = (
            _check_number(name, "betas[0]", betas[0], 0.0, 1.0),
            _check_number(name, "betas[1]", betas[1], 0.0, 1.0),
        )
        self.eps = _check_number(name, "eps", eps, 0.0)
        self.weight_decay = _check_number(name, "weight_decay", weight_decay, 0.0)
        self.step_count = 0
        self.exp_avg = [0.0] * len(self.params)
        self.exp_avg_sq = [0.0] * len(self.params)
        self.max_exp_avg_sq: list[float] | None = [0.0] * len(self.params) if amsgrad else None

    def step_flat(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """``step()`` on every parameter at once: the new ``data`` as an array (see
        ``Optimizer.step_flat``)."""
        step_size, bias_correction2_sqrt = self._next_step()
        data, self.exp_avg, self.exp_avg_sq, largest = self._update(
            data, grad, _as_array(self.exp_avg), _as_array(self.exp_avg_sq),
            _as_array(self.max_exp_avg_sq) if self.amsgrad else None,
            step_size, bias_correction2_sqrt,
        )  # fmt: skip
        if self.amsgrad:
            self.max_exp_avg_sq = largest
        return data

    def _next_step(self) -> tuple[float, float]:
        """Count the step; its step size and the square root of its second bias correction."""
        if self.amsgrad and self.max_exp_avg_sq is None:
            self.max_exp_avg_sq = [0.0] * len(self.params)
        self.step_count += 1
        t = self.step_count
        return self.lr / (1.0 - self.betas[0] ** t), (1.0 - self.betas[1] ** t) ** 0.5

    def _update(
        self, data: Any, grad: Any, m: Any, v: Any, v_max: Any, step_size: float,
        bias_correction2_sqrt: float,
    ) -> tuple[Any, Any, Any, Any]:  # fmt: skip
        """The new data, m, v and largest v of every parameter, as arrays."""
        lr, (beta1, beta2), eps, wd = self.lr, self.betas, self.eps, self.weight_decay
        g = -grad if self.maximize else grad
        if self.decoupled_weight_decay:
            data = data * (1.0 - lr * wd)
        elif wd:
            g = g + wd * data
        m = _lerp(m, g, 1.0 - beta1)
        v = v * beta2 + (1.0 - beta2) * g * g
        if v_max is not None:
            v_max = np.maximum(v_max, v)  # nan if either is, as torch.maximum
        v_hat = v if v_max is None else v_max
        data = data + (-step_size * m) / (np.sqrt(v_hat) / bias_correction2_sqrt + eps)
        return data, m, v, v_max


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): p = p (1 - lr wd), then Adam.

    >>> p = Value(1.0); p.grad = 0.0
    >>> AdamW([p], lr=0.1, weight_decay=0.5).step()
    >>> p.data
    0.95
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    """RMSprop (Hinton): divide the gradient by a running root-mean-square of recent gradients.

    s = alpha s + (1 - alpha) g^2 and a = sqrt(s) + eps; with ``centered`` the running mean
    of the gradient, m = lerp(m, g, 1 - alpha), is taken out first: a = sqrt(s - m^2) + eps.
    With momentum, b = momentum b + g / a and p = p - lr b, else p = p - lr g / a.

    >>> p = Value(1.0); p.grad = 2.0
    >>> RMSprop([p], lr=0.01, alpha=0.75, eps=0.0).step()
    >>> round(p.data, 12)  # s = 0.25 * 4 = 1, so the step is lr * 2 / 1
    0.98
    """

    hyperparameters = ("alpha", "eps", "momentum", "weight_decay", "centered", "maximize")
    state_names = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize)
        _check_bool("RMSprop", "centered", centered)
        self.centered = centered
        self.alpha = _check_number("RMSprop", "alpha", alpha, 0.0, 1.0, high_open=False)
        self.eps = _check_number("RMSprop", "eps", eps, 0.0)
        self.momentum = _check_number("RMSprop", "momentum", momentum, 0.0)
        self.weight_decay = _check_number("RMSprop", "weight_decay", weight_decay, 0.0)
        self.square_avg = [0.0] * len(self.params)
        self.momentum_buffer = [0.0] * len(self.params) if self.momentum else None
        self.grad_avg = [0.0] * len(self.params) if centered else None

    def step(self) -> None:
        """One update of every parameter."""
        lr, alpha, eps, mu, wd = self.lr, self.alpha, self.eps, self.momentum, self.weight_decay
        s, buffer, mean = self.square_avg, self.momentum_buffer, self.grad_avg
        if mu and buffer is None:
            buffer = self.momentum_buffer = [0.0] * len(self.params)
        if self.centered and mean is None:
            mean = self.grad_avg = [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = self._gradient(p)
            if self.centered:  # s - m^2 cancels: every bit of s and m as PyTorch's (see _fma)
                if wd:
                    g = _fma(wd, p.data, g)
                s[i] = _fma((1.0 - alpha) * g, g, s[i] * alpha)
                mean[i] = _fused_lerp(mean[i], g, 1.0 - alpha)
                avg = sqrt(_fma(-mean[i], mean[i], s[i])) + eps
            else:
                if wd:
                    g = g + wd * p.data
                s[i] = s[i] * alpha + (1.0 - alpha) * g * g
                avg = math.sqrt(s[i]) + eps
            if mu:
                buffer[i] = buffer[i] * mu + g / avg
                p.data -= lr * buffer[i]
            else:
                p.data += (-lr * g) / avg


# -- gradient clipping --


def clip_grad_norm_(params: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients together so that their 2-norm is at most ``max_norm``.

    Returns the total norm before clipping, a float. As in PyTorch, the scale factor is
    ``max_norm / (norm + 1e-6)`` when that is below 1 (or ``nan``), else the gradients are
    left alone.

    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm_([a, b], 1.0)
    5.0
    >>> round(a.grad, 6), round(b.grad, 6)
    (0.6, 0.8)
    """
    params = _check_params(params, "clip_grad_norm_")
    # inf is allowed, as in PyTorch: it measures the norm and clips nothing.
    max_norm = _check_number("clip_grad_norm_", "max_norm", max_norm, 0.0, high_open=False)
    if len(params) == 1:  # as PyTorch: the norm of one number is its size, never squared
        total = abs(params[0].grad)
    else:
        # A plain sum of squares that are never negative loses no digits worth fsum's cost,
        # and beyond the largest float it is inf (fsum would raise OverflowError).
        total = math.sqrt(sum([p.grad * p.grad for p in params]))
    coefficient = max_norm / (total + 1e-6)
    # PyTorch multiplies every gradient by min(coefficient, 1): a nan norm (from one nan
    # gradient, or inf / inf) makes every gradient nan, so no step silently uses the rest.
    if not coefficient >= 1.0:
        for p in params:
            p.grad *= coefficient
    return total


def clip_grad_value_(params: Iterable[Value], clip_value: float) -> None:
    """Clamp every gradient into ``[-clip_value, clip_value]``.

    >>> a = Value(0.0); a.grad = -7.0
    >>> clip_grad_value_([a], 2.0); a.grad
    -2.0
    """
    params = _check_params(params, "clip_grad_value_")
    c = _check_number("clip_grad_value_", "clip_value", clip_value, 0.0)
    for p in params:
        p.grad = min(max(p.grad, -c), c)
