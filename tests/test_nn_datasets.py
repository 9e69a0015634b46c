"""Tests for the toy data sets in nn.datasets."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.datasets import (
    Scaling,
    make_circles,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
    standardize,
)

MAKERS = [make_moons, make_circles, make_spirals, make_xor]
ALL_MAKERS = [*MAKERS, make_sine]


@pytest.mark.parametrize("make", MAKERS)
def test_returns_lists_of_points_and_int_labels(make):
    X, y = make(30, seed=0)
    assert isinstance(X, list) and isinstance(y, list)
    assert len(X) == len(y) == 30
    assert all(isinstance(p, list) and len(p) == 2 for p in X)
    assert all(isinstance(c, float) for p in X for c in p)
    assert all(type(label) is int for label in y)


@pytest.mark.parametrize("make", ALL_MAKERS)
def test_same_seed_same_data_and_different_seed_different_data(make):
    assert make(40, noise=0.1, seed=3) == make(40, noise=0.1, seed=3)
    assert make(40, noise=0.1, seed=3) != make(40, noise=0.1, seed=4)


@pytest.mark.parametrize("make", ALL_MAKERS)
def test_global_random_state_is_left_alone(make):
    random.seed(9)
    expected = random.random()
    random.seed(9)
    make(20, noise=0.1, seed=1)
    make(20, noise=0.1)
    assert random.random() == expected


@pytest.mark.parametrize("make", ALL_MAKERS)
@pytest.mark.parametrize("n", [0, -5])
def test_too_few_samples_raise_value_error(make, n):
    with pytest.raises(ValueError, match="n_samples must be at least"):
        make(n)


@pytest.mark.parametrize("make", ALL_MAKERS)
def test_bad_noise_and_seed_are_rejected(make):
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=math.inf)
    with pytest.raises(TypeError, match="n_samples"):
        make(10.0)
    with pytest.raises(TypeError, match="seed"):
        make(10, seed="1")


def test_moons_have_scikit_learns_geometry_without_noise():
    X, y = make_moons(100, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # the unit upper half circle
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # centred at (1, 0.5), the lower half
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert y.count(0) == y.count(1) == 50


def test_odd_moons_give_the_extra_sample_to_class_one():
    _, y = make_moons(7, seed=0)
    assert (y.count(0), y.count(1)) == (3, 4)


def test_noise_is_gaussian_with_the_given_deviation():
    clean, _ = make_moons(2000, seed=1)
    noisy, _ = make_moons(2000, noise=0.1, seed=1)
    # The shuffle is the same for both (same seed, noise drawn before it), so points pair up
    # only by set; compare distances to the nearest curve instead.
    distances = []
    for a, b in noisy:
        upper = abs(math.hypot(a, b) - 1.0)
        lower = abs(math.hypot(a - 1.0, b - 0.5) - 1.0)
        distances.append(min(upper, lower))
    assert 0.03 < sum(distances) / len(distances) < 0.1
    assert len(clean) == len(noisy)


def test_circles_have_two_radii_and_reject_a_bad_factor():
    X, y = make_circles(50, factor=0.3, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        assert math.hypot(a, b) == pytest.approx(0.3 if label == 1 else 1.0)
    with pytest.raises(ValueError, match="factor"):
        make_circles(10, factor=1.5)


def test_spirals_share_samples_between_classes():
    _, y = make_spirals(10, n_classes=3, seed=0)
    assert sorted(y.count(k) for k in range(3)) == [3, 3, 4]
    X, y = make_spirals(12, n_classes=4, noise=0.0, seed=0)
    assert set(y) == {0, 1, 2, 3}
    assert all(math.hypot(a, b) <= 1.0 + 1e-12 for a, b in X)


def test_spirals_reject_fewer_than_two_classes_or_samples_than_classes():
    with pytest.raises(ValueError, match="n_classes"):
        make_spirals(10, n_classes=1)
    with pytest.raises(ValueError, match="n_samples"):
        make_spirals(2, n_classes=3)


def test_xor_labels_follow_the_quadrant_of_the_clean_points():
    X, y = make_xor(300, seed=5)
    assert all(label == int((a > 0) != (b > 0)) for (a, b), label in zip(X, y, strict=True))
    assert all(-1.0 <= c <= 1.0 for p in X for c in p)
    assert 100 < sum(y) < 200


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(ALL_MAKERS), st.integers(3, 60), st.integers(0, 2**32))
def test_any_seed_gives_the_requested_number_of_samples(make, n, seed):
    X, y = make(n, noise=0.2, seed=seed)
    assert len(X) == len(y) == n
    assert all(math.isfinite(c) for p in X for c in p)


def test_sine_without_noise_lies_on_one_period_of_the_sine():
    X, y = make_sine(50, noise=0.0, seed=0)
    assert len(X) == len(y) == 50
    assert all(isinstance(p, list) and len(p) == 1 and isinstance(p[0], float) for p in X)
    assert all(type(target) is float for target in y)
    for (x,), target in zip(X, y, strict=True):
        assert -math.pi <= x <= math.pi
        assert target == pytest.approx(math.sin(x), abs=1e-12)


def test_sine_on_another_range_is_the_same_curve_in_other_units():
    X, y = make_sine(50, noise=0.0, low=0.0, high=1000.0, seed=0)
    for (x,), target in zip(X, y, strict=True):
        assert 0.0 <= x <= 1000.0
        assert target == pytest.approx(math.sin(x / 1000.0 * 2 * math.pi - math.pi), abs=1e-12)
    assert max(x for (x,) in X) > 900 and min(x for (x,) in X) < 100


def test_sine_noise_has_the_given_deviation():
    X, y = make_sine(4000, noise=0.2, seed=2)
    residuals = [target - math.sin(x) for (x,), target in zip(X, y, strict=True)]
    mean = sum(residuals) / len(residuals)
    deviation = math.sqrt(sum((r - mean) ** 2 for r in residuals) / len(residuals))
    assert abs(mean) < 0.02
    assert deviation == pytest.approx(0.2, rel=0.05)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"low": 1.0, "high": 1.0}, ValueError, "low must be below high"),
        ({"low": 2.0, "high": -2.0}, ValueError, "low must be below high"),
        ({"low": -math.inf}, ValueError, "low must be finite"),
        ({"high": math.nan}, ValueError, "high must be finite"),
        ({"low": "0"}, TypeError, "low must be a real number"),
        ({"high": True}, TypeError, "high must be a real number"),
    ],
)
def test_sine_rejects_a_bad_range(options, error, message):
    with pytest.raises(error, match=message):
        make_sine(10, **options)


def test_standardize_gives_each_feature_mean_zero_and_deviation_one():
    X = [[1.0, 100.0], [2.0, 300.0], [3.0, 800.0], [6.0, -200.0]]
    scaled, scaling = standardize(X)
    assert isinstance(scaling, Scaling)
    assert scaling.mean == [3.0, 250.0]
    for j in range(2):
        column = [row[j] for row in scaled]
        assert sum(column) / 4 == pytest.approx(0.0, abs=1e-12)
        assert math.sqrt(sum(c * c for c in column) / 4) == pytest.approx(1.0)
    assert scaling.std[0] == pytest.approx(math.sqrt((4 + 1 + 0 + 9) / 4))
    assert X == [[1.0, 100.0], [2.0, 300.0], [3.0, 800.0], [6.0, -200.0]]  # input untouched


def test_standardize_applies_a_given_scaling_to_new_data():
    _, scaling = standardize([[0.0], [10.0]])
    assert scaling == Scaling([5.0], [5.0])
    assert standardize([[5.0], [20.0], [-5.0]], scaling) == ([[0.0], [3.0], [-2.0]], scaling)


def test_standardize_only_shifts_a_constant_feature():
    scaled, scaling = standardize([[4.0, 1.0], [4.0, 3.0]])
    assert scaling.std == [0.0, 1.0]
    assert scaled == [[0.0, -1.0], [0.0, 1.0]]


@pytest.mark.parametrize(
    ("X", "scaling", "error", "message"),
    [
        ([], None, ValueError, "empty"),
        ("12", None, TypeError, "list of samples"),
        ([1.0, 2.0], None, TypeError, "X\\[0\\] must be a list of numbers"),
        ([[1.0], [1.0, 2.0]], None, ValueError, "same number of features"),
        ([[]], None, ValueError, "at least 1"),
        ([[1.0], [math.nan]], None, ValueError, "finite number"),
        ([[1.0], ["2"]], None, TypeError, "real number"),
        ([[1.0], [True]], None, TypeError, "real number"),
        ([[1.0, 2.0]], Scaling([0.0], [1.0]), ValueError, "measured on 1 features"),
        ([[1.0]], ([0.0], [1.0]), TypeError, "Scaling returned by standardize"),
    ],
)
def test_standardize_rejects_bad_input(X, scaling, error, message):
    with pytest.raises(error, match=message):
        standardize(X, scaling)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2), min_size=2, max_size=30))
def test_standardize_round_trips_through_its_scaling(X):
    scaled, scaling = standardize(X)
    for row, scaled_row in zip(X, scaled, strict=True):
        for x, z, m, s in zip(row, scaled_row, scaling.mean, scaling.std, strict=True):
            assert z * (s or 1.0) + m == pytest.approx(x, abs=1e-6 * (1 + abs(x)))
    assert standardize(X, scaling)[0] == scaled


def test_standardize_takes_numpy_arrays_and_returns_lists():
    np = pytest.importorskip("numpy")
    scaled, scaling = standardize(np.array([[1.0, 10.0], [3.0, 30.0]]))
    assert scaled == [[-1.0, -1.0], [1.0, 1.0]]
    assert scaling == Scaling([2.0, 20.0], [1.0, 10.0])
    assert all(type(x) is float for x in scaling.mean + scaling.std)
