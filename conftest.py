"""Tests that need an optional package are skipped, with the reason, where it is not installed.

A notebook names the packages it needs in its metadata (``"valuegrad": {"requires": ["torch"]}``)
and a module the packages its doctests need in ``__doctest_requires__ = ("torch",)``. Where one
is missing, the item is skipped and its reason says what to install; CI installs them all.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem


@cache
def _notebook_requires(path: Path) -> tuple[str, ...]:
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return tuple(metadata.get("valuegrad", {}).get("requires", ()))


def _requires(item: pytest.Item) -> tuple[str, ...]:
    if isinstance(item, DoctestItem):
        return tuple(item.dtest.globs.get("__doctest_requires__", ()))
    if item.path.suffix == ".ipynb":
        return _notebook_requires(item.path)
    return ()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        missing = [name for name in _requires(item) if importlib.util.find_spec(name) is None]
        if missing:
            reason = f"needs {', '.join(missing)}, not installed (pip install {' '.join(missing)})"
            item.add_marker(pytest.mark.skip(reason=reason))
