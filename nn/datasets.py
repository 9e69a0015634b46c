"""Small 2-D toy data sets for classifiers: moons, circles, spirals and XOR.

Each function returns ``(X, y)``: ``X`` a list of ``[x1, x2]`` points and ``y`` a list of int
class labels (0 and 1, or 0 to ``n_classes - 1``), shuffled. ``n_samples`` is the total;
``noise`` is the standard deviation of Gaussian noise added to every coordinate (to the angle,
for spirals). Numbers come from a private ``random.Random(seed)``: the same seed gives the same
data, and the global ``random`` state is left alone.
"""

from __future__ import annotations

import math
import numbers
import random

Data = tuple[list[list[float]], list[int]]


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
