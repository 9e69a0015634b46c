"""The suite without torch: what needs it is skipped, with the reason, and nothing else is."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_torch_notebook_and_doctests_are_skipped_saying_why_when_torch_is_missing():
    code = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None  # as if torch were not installed
        import pytest
        sys.exit(pytest.main(["-q", "-rs", "-p", "no:cacheprovider",
                              "notebooks/07_from_values_to_pytorch.ipynb",
                              "nn/torch_convert.py", "nn/linear.py"]))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reason = "needs torch, not installed (pip install torch)"
    assert f"SKIPPED [1] notebooks/07_from_values_to_pytorch.ipynb: {reason}" in result.stdout
    assert f"SKIPPED [2] nn/torch_convert.py: {reason}" in result.stdout
    # nn.linear's doctests need no torch, so they still run.
    assert "1 passed, 3 skipped" in result.stdout
