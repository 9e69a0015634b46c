"""Tests for nn.shapes: nested lists read as tensors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn.shapes import flatten, is_scalar, map_elements, map_samples, shape, unflatten


def test_shape_of_a_number_a_sample_and_a_batch():
    assert shape(2.0) == ()
    assert shape(Value(2.0)) == ()
    assert shape([1, 2, 3]) == (3,)
    assert shape([[1, 2, 3], [4, 5, 6]]) == (2, 3)
    assert shape([[[1], [2]]]) == (1, 2, 1)
    assert shape([]) == (0,)
    assert shape(((1.0, 2.0),)) == (1, 2)


def test_shape_names_the_ragged_element():
    with pytest.raises(ValueError, match=r"targets is ragged: element 0 has shape \(2,\) but "
                                         r"element 2 has shape \(3,\)"):  # fmt: skip
        shape([[1, 2], [3, 4], [5, 6, 7]], "targets")
    with pytest.raises(ValueError, match="ragged"):
        shape([1, [2]])


@pytest.mark.parametrize("bad", ["abc", b"ab", True, None, {"a": 1}.keys().__iter__()])
def test_shape_refuses_what_is_not_a_number_or_a_list(bad):
    with pytest.raises(TypeError, match="must be a number, a Value, a list of them"):
        shape(bad)


def test_bools_are_not_numbers_here():
    assert not is_scalar(True)
    assert is_scalar(3) and is_scalar(Value(1.0)) and not is_scalar([1.0])


def test_flatten_is_row_major_and_unflatten_inverts_it():
    assert flatten([[1, 2], [3, 4]]) == [1, 2, 3, 4]
    assert flatten(7.0) == [7.0]
    assert flatten([[[1], [2]], [[3], [4]]]) == [1, 2, 3, 4]
    assert unflatten([1, 2, 3, 4], (2, 2)) == [[1, 2], [3, 4]]
    assert unflatten([5.0], ()) == 5.0
    assert unflatten([], (0,)) == []


@st.composite
def nested_lists(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    n = 1
    for size in sizes:
        n *= size
    flat = draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n))
    return unflatten(flat, tuple(sizes)), tuple(sizes), flat


@given(nested_lists())
def test_unflatten_and_flatten_round_trip_for_any_shape(case):
    nested, sizes, flat = case
    assert shape(nested) == sizes
    assert flatten(nested) == flat
    assert unflatten(flatten(nested), shape(nested)) == nested


def test_map_elements_keeps_the_nesting():
    assert map_elements(lambda v: v + 1, [[1, 2], [3, 4]]) == [[2, 3], [4, 5]]
    assert map_elements(lambda v: v + 1, 1) == 2


def test_map_samples_applies_to_a_sample_a_batch_and_a_batch_of_batches():
    assert map_samples(sum, [1, 2], 2, "f") == 3
    assert map_samples(sum, [[1, 2], [3, 4]], 2, "f") == [3, 7]
    assert map_samples(sum, [[[1, 2]], [[3, 4]]], 2, "f") == [[3], [7]]


def test_map_samples_names_both_sizes():
    with pytest.raises(ValueError, match="f expects samples of 2 numbers, got a sample of 3"):
        map_samples(sum, [[1, 2], [1, 2, 3]], 2, "f")
    with pytest.raises(ValueError, match="got a single number"):
        map_samples(sum, 1.0, 2, "f")
    with pytest.raises(ValueError, match="got a sample of 0"):
        map_samples(sum, [], 2, "f")
