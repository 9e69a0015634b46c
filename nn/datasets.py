"""Small toy data sets (moons, circles, spirals and XOR to classify, a sine to fit) and scaling.

Each ``make_*`` function returns ``(X, y)``, shuffled. For the classifiers ``X`` is a list of
``[x1, x2]`` points and ``y`` a list of int class labels (0 and 1, or 0 to ``n_classes - 1``);
for ``make_sine`` ``X`` is a list of ``[x]`` and ``y`` a list of float targets. ``n_samples``
is the total; ``noise`` is the standard deviation of Gaussian noise added to every coordinate
(to the angle for spirals, to the target for the sine). Numbers come from a private
``random.Random(seed)``: the same seed gives the same data, and the global ``random`` state is
left alone. ``standardize`` scales features to mean 0 and standard deviation 1.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Collection, Sequence
from typing import NamedTuple

Data = tuple[list[list[float]], list[int]]
RegressionData = tuple[list[list[float]], list[float]]


def _check(n_samples: object, noise: object, seed: object, minimum: int = 1) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be an int, got {type(n_samples).__name__}")
    if n_samples < minimum:
        raise ValueError(f"n_samples must be at least {minimum}, got {n_samples}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a real number, got {type(noise).__name__}")
    if not 0.0 <= noise < math.inf:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [start]
    steps = n - 1 if endpoint else n
    return [start + (stop - start) * i / steps for i in range(n)]


def _finish(points: list[tuple[float, float]], labels: list[int], noise: float,
            rng: random.Random) -> Data:  # fmt: skip
    X = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] if noise else [x, y]
         for x, y in points]  # fmt: skip
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [labels[i] for i in order]


def make_moons(n_samples: int = 100, *, noise: float = 0.0, seed: int | None = None) -> Data:
    """Two interleaving half circles: class 0 the upper one, class 1 the lower, shifted one.

    The geometry is scikit-learn's: the upper moon is the unit half circle, the lower one is
    the same flipped and moved to (1, 0.5) below. Half the points (rounded down) are class 0.

    >>> X, y = make_moons(4, seed=0)
    >>> sorted(y), sorted((round(a, 6), round(b, 6)) for a, b in X)
    ([0, 0, 1, 1], [(-1.0, 0.0), (0.0, 0.5), (1.0, 0.0), (2.0, 0.5)])
    """
    _check(n_samples, noise, seed)
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, n_upper)]
    lower = [(1.0 - math.cos(t), 0.5 - math.sin(t)) for t in _linspace(0.0, math.pi, n_lower)]
    return _finish(upper + lower, [0] * n_upper + [1] * n_lower, noise, rng)


def make_circles(
    n_samples: int = 100, *, noise: float = 0.0, factor: float = 0.8, seed: int | None = None
) -> Data:
    """A circle of radius ``factor`` (class 1) inside the unit circle (class 0).

    >>> X, y = make_circles(8, factor=0.5, seed=0)
    >>> sorted({round(math.hypot(a, b), 9) for a, b in X}), y.count(0), y.count(1)
    ([0.5, 1.0], 4, 4)
    """
    _check(n_samples, noise, seed)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"factor must be a number in (0, 1), got {factor!r}")
    rng = random.Random(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = [(math.cos(t), math.sin(t)) for t in _linspace(0, 2 * math.pi, n_outer, False)]
    inner = [
        (factor * math.cos(t), factor * math.sin(t))
        for t in _linspace(0, 2 * math.pi, n_inner, False)
    ]
    return _finish(outer + inner, [0] * n_outer + [1] * n_inner, noise, rng)


def make_spirals(
    n_samples: int = 300, *, n_classes: int = 3, noise: float = 0.2, seed: int | None = None
) -> Data:
    """``n_classes`` spiral arms around the origin, one class each (CS231n's toy problem).

    Arm k's points run out from the centre to radius 1 while their angle turns through 4
    radians, starting at 4k; ``noise`` perturbs the angle. Samples are shared out as evenly
    as possible between the arms.

    >>> X, y = make_spirals(6, n_classes=3, noise=0.0, seed=0)
    >>> sorted(y), max(round(math.hypot(a, b), 9) for a, b in X)
    ([0, 0, 1, 1, 2, 2], 1.0)
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise TypeError(f"n_classes must be an int, got {type(n_classes).__name__}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    _check(n_samples, noise, seed, minimum=n_classes)
    rng = random.Random(seed)
    points, labels = [], []
    for k in range(n_classes):
        n = n_samples // n_classes + (k < n_samples % n_classes)
        radii = _linspace(0.0, 1.0, n)
        angles = _linspace(4.0 * k, 4.0 * (k + 1), n)
        for r, t in zip(radii, angles, strict=True):
            t += rng.gauss(0.0, noise) if noise else 0.0
            points.append((r * math.sin(t), r * math.cos(t)))
            labels.append(k)
    return _finish(points, labels, 0.0, rng)


def make_xor(n_samples: int = 100, *, noise: float = 0.0, seed: int | None = None) -> Data:
    """Points uniform in the square [-1, 1]^2, class 1 where exactly one coordinate is positive.

    Labels come from the clean points; ``noise`` then blurs the points across the axes.

    >>> X, y = make_xor(200, seed=0)
    >>> all(label == ((a > 0) != (b > 0)) for (a, b), label in zip(X, y))
    True
    """
    _check(n_samples, noise, seed)
    rng = random.Random(seed)
    points = [(rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)) for _ in range(n_samples)]
    labels = [int((a > 0) != (b > 0)) for a, b in points]
    return _finish(points, labels, noise, rng)


def make_sine(
    n_samples: int = 100,
    *,
    noise: float = 0.1,
    low: float = -math.pi,
    high: float = math.pi,
    seed: int | None = None,
) -> RegressionData:
    """Noisy samples of one period of a sine stretched over ``[low, high]``: a curve to fit.

    ``x`` is drawn uniformly from ``[low, high]`` and the target is ``sin(t) + noise``, where
    ``t`` maps ``[low, high]`` linearly onto ``[-pi, pi]``; with the default range, ``t = x``.
    Any range (``low=0, high=1000``, say) gives the same curve on other units of ``x``.

    >>> X, y = make_sine(3, noise=0.0, seed=0)
    >>> all(math.isclose(target, math.sin(x)) for (x,), target in zip(X, y))
    True
    >>> X, y = make_sine(3, noise=0.0, low=0.0, high=1000.0, seed=0)
    >>> all(0.0 <= x <= 1000.0 for (x,) in X)
    True
    """
    _check(n_samples, noise, seed)
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {type(bound).__name__}")
        if not math.isfinite(bound):
            raise ValueError(f"{name} must be finite, got {bound!r}")
    if not low < high:
        raise ValueError(f"low must be below high, got low={low!r} and high={high!r}")
    rng = random.Random(seed)
    low, high = float(low), float(high)
    X, y = [], []
    for _ in range(n_samples):
        x = rng.uniform(low, high)
        t = math.pi * (2.0 * (x - low) / (high - low) - 1.0)
        X.append([x])
        y.append(math.sin(t) + (rng.gauss(0.0, noise) if noise else 0.0))
    return X, y


class Scaling(NamedTuple):
    """What ``standardize`` measured: each feature's mean and standard deviation."""

    mean: list[float]
    std: list[float]


def standardize(
    X: Sequence[Sequence[float]], scaling: Scaling | None = None
) -> tuple[list[list[float]], Scaling]:
    """Shift and scale each feature (column of ``X``) to mean 0 and standard deviation 1.

    Returns the scaled data and the ``Scaling`` it used. Measure the scaling on the training
    data and pass it back in for new data (validation, test, a grid to plot), so that every
    point is transformed the same way. The standard deviation is the population one (divide
    by n, as scikit-learn's ``StandardScaler``); a constant feature is only shifted.

    >>> X_scaled, scaling = standardize([[800.0, 5.0], [1200.0, 5.0]])
    >>> X_scaled, scaling
    ([[-1.0, 0.0], [1.0, 0.0]], Scaling(mean=[1000.0, 5.0], std=[200.0, 0.0]))
    >>> standardize([[1600.0, 7.0]], scaling)[0]
    [[3.0, 2.0]]
    """
    rows = _check_table(X)
    if scaling is None:
        columns = list(zip(*rows, strict=True))
        mean = [math.fsum(column) / len(rows) for column in columns]
        std = [
            math.sqrt(math.fsum((x - m) ** 2 for x in column) / len(rows))
            for column, m in zip(columns, mean, strict=True)
        ]
        scaling = Scaling(mean, std)
    elif not isinstance(scaling, Scaling):
        raise TypeError(
            f"scaling must be the Scaling returned by standardize, got {type(scaling).__name__}"
        )
    elif len(scaling.mean) != len(rows[0]):
        raise ValueError(
            f"the scaling was measured on {len(scaling.mean)} features, "
            f"but X has {len(rows[0])} per sample"
        )
    scaled = [
        [(x - m) / (s or 1.0) for x, m, s in zip(row, scaling.mean, scaling.std, strict=True)]
        for row in rows
    ]
    return scaled, scaling


def _check_table(X: object) -> list[list[float]]:
    """X as a list of rows of floats, or a clear error: not a table, empty, ragged, not numbers."""
    if isinstance(X, str) or not isinstance(X, Collection):
        raise TypeError(
            f"X must be a list of samples, each a list of numbers, got {type(X).__name__}"
        )
    if len(X) == 0:
        raise ValueError("X is empty; it needs at least one sample")
    rows: list[list[float]] = []
    for i, row in enumerate(X):
        if isinstance(row, str) or not isinstance(row, Collection):
            raise TypeError(
                f"X[{i}] must be a list of numbers (one sample), got {type(row).__name__}"
            )
        width = len(rows[0]) if rows else len(row)
        if len(row) != width or width == 0:
            raise ValueError(
                f"every sample needs the same number of features (at least 1): X[0] has "
                f"{width}, X[{i}] has {len(row)}"
            )
        for x in row:
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError(f"X[{i}] holds {x!r}; every feature must be a real number")
            if not math.isfinite(x):
                raise ValueError(f"X[{i}] holds {x!r}; every feature must be a finite number")
        rows.append([float(x) for x in row])
    return rows
