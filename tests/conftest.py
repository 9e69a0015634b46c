"""Shared test set-up: the hypothesis profiles and a fixed seed for ``random``.

The default profile runs 100 examples per property with no deadline (a shared 2-core machine
makes timings noisy, and a deadline would turn slowness into flaky failures). Examples stay
random from run to run, so the suite keeps exploring; hypothesis saves every failing example
in ``.hypothesis/`` and replays it first next time. ``HYPOTHESIS_PROFILE=thorough`` runs ten
times as many examples for a long search before a release.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import settings

settings.register_profile("valuegrad", deadline=None, max_examples=100)
settings.register_profile("thorough", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "valuegrad"))


@pytest.fixture(autouse=True)
def _fixed_random_seed() -> None:
    """Every test that draws from ``random`` sees the same numbers on every run."""
    random.seed(0)
