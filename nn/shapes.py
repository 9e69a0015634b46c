"""Shapes of nested lists: how the PyTorch-named modules read samples and batches without tensors.

A lone number or Value has shape ``()``; a sample (a list of numbers) has shape ``(n,)``; a
batch (a list of samples) has shape ``(batch, n)``, and so on: a nested list whose elements at
each depth all have the same shape is the scalar engine's tensor. ``Linear`` and the losses use
these helpers to check sizes, so that a mismatch raises ``ValueError`` naming both sizes instead
of broadcasting silently, and to apply a function to every sample or every element.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Collection, Sequence
from typing import Any

from autograd import Value

Shape = tuple[int, ...]


def is_scalar(x: object) -> bool:
    """True for a Value or a real number (but not a bool): an element, shape ``()``.

    >>> is_scalar(Value(1.0)), is_scalar(2), is_scalar(True), is_scalar([1.0])
    (True, True, False, False)
    """
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def _items(x: object, what: str) -> Sequence[Any]:
    if type(x) is list or type(x) is tuple:
        return x
    if isinstance(x, str | bytes) or not isinstance(x, Collection):
        raise TypeError(
            f"{what} must be a number, a Value, a list of them (a sample) or a list of samples "
            f"(a batch); got {type(x).__name__}"
        )
    return list(x)  # any sized collection, such as a NumPy row


def shape(x: object, what: str = "input") -> Shape:
    """The size of ``x`` at each depth, like ``tensor.shape``; ragged lists raise ValueError.

    >>> shape([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), shape([Value(1.0)]), shape(3.0)
    ((2, 3), (1,), ())
    >>> shape([[1.0, 2.0], [3.0]], "predictions")
    Traceback (most recent call last):
    ...
    ValueError: predictions is ragged: element 0 has shape (2,) but element 1 has shape (1,)
    """
    if is_scalar(x):
        return ()
    items = _items(x, what)
    if not items:
        return (0,)
    first = shape(items[0], what)
    for i in range(1, len(items)):
        other = shape(items[i], what)
        if other != first:
            raise ValueError(
                f"{what} is ragged: element 0 has shape {first} but element {i} has shape {other}"
            )
    return (len(items), *first)


def flatten(x: object) -> list[Any]:
    """The elements of ``x`` in row-major order (as ``tensor.flatten()``); ``[x]`` for one.

    >>> flatten([[1, 2], [3, 4]]), flatten(5.0)
    ([1, 2, 3, 4], [5.0])
    """
    if is_scalar(x):
        return [x]
    flat: list[Any] = []
    stack = [iter(_items(x, "input"))]
    while stack:
        for item in stack[-1]:
            if is_scalar(item):
                flat.append(item)
            else:
                stack.append(iter(_items(item, "input")))
                break
        else:
            stack.pop()
    return flat


def unflatten(flat: Sequence[Any], shape: Shape) -> Any:
    """``flat`` arranged in ``shape`` (the inverse of ``flatten``); shape ``()`` gives the element.

    >>> unflatten([1, 2, 3, 4, 5, 6], (2, 3))
    [[1, 2, 3], [4, 5, 6]]
    """
    if not shape:
        (element,) = flat
        return element
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [unflatten(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def map_elements(function: Callable[[Any], Any], x: object, what: str = "input") -> Any:
    """``function`` applied to every element of ``x``, keeping its nesting.

    >>> map_elements(lambda v: 2 * v, [[1, 2], [3]])
    [[2, 4], [6]]
    """
    if is_scalar(x):
        return function(x)
    return [map_elements(function, item, what) for item in _items(x, what)]


def map_samples(function: Callable[[Sequence[Any]], Any], x: object, size: int, what: str) -> Any:
    """``function`` applied to each sample of ``size`` numbers in ``x``: a sample or a batch.

    Deeper nesting is a batch of batches, as PyTorch's layers take any number of leading
    dimensions. A sample of another size raises ValueError naming both sizes.

    >>> map_samples(sum, [[1, 2], [3, 4], [5, 6]], 2, "sum")
    [3, 7, 11]
    >>> map_samples(sum, [1, 2, 3], 2, "sum")
    Traceback (most recent call last):
    ...
    ValueError: sum expects samples of 2 numbers, got a sample of 3
    """
    if is_scalar(x):
        raise ValueError(
            f"{what} expects samples of {size} numbers, got a single number; "
            f"a sample is a list, such as [x]"
        )
    items = _items(x, f"{what} input")
    if items and not is_scalar(items[0]):
        return [map_samples(function, item, size, what) for item in items]
    if len(items) != size:
        raise ValueError(f"{what} expects samples of {size} numbers, got a sample of {len(items)}")
    return function(items)
