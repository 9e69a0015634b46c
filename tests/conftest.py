"""Shared test set-up: the hypothesis profiles and a fixed seed for ``random``.

The default profile runs 100 examples per property with no deadline and no "too slow" health
check (a shared 2-core machine makes timings noisy, and timing limits would turn slowness into
flaky failures). Examples stay random from run to run, so the suite keeps exploring;
hypothesis saves every failing example in ``.hypothesis/`` and replays it first next time.
``HYPOTHESIS_PROFILE=thorough`` runs ten times as many examples for a long search. Under CI
(``CI=true``) the examples are derandomized: a fresh clone has no ``.hypothesis/`` to replay,
and a submission should pass or fail on its own code, not on the luck of the draw.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, settings

_untimed = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("valuegrad", max_examples=100, **_untimed)
settings.register_profile("thorough", max_examples=1000, **_untimed)
settings.register_profile("ci", max_examples=100, derandomize=True, **_untimed)
_default = "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "valuegrad"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


@pytest.fixture(autouse=True)
def _fixed_random_seed() -> None:
    """Every test that draws from ``random`` sees the same numbers on every run."""
    random.seed(0)
