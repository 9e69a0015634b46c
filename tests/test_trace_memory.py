"""A compiled program's large arrays reuse the memory of the previous call's (no page faults)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

resource = pytest.importorskip("resource")  # page-fault counts: POSIX only

# In a fresh process: what ran before in this one may have raised glibc's threshold already.
SCRIPT = textwrap.dedent(
    """
    import resource
    import numpy as np
    import nn
    from autograd import linear, trace

    model = nn.MLP(2, [64, 64, 3], seed=0)

    def loss(x, selector):
        out = model(x)
        return linear(selector, [nn.functional.cross_entropy(out, c) for c in range(3)], 0.0)

    traced = trace(loss, [0.5, 1.0], [1.0, 0.0, 0.0], params=model.parameters(), argnums=())
    assert traced.backend == "fused"
    rng = np.random.default_rng(0)
    X, S = rng.normal(size=(1000, 2)), np.eye(3)[rng.integers(0, 3, 1000)]
    for _ in range(3):
        traced.batch_arrays(X, S)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        traced.batch_arrays(X, S)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
    """
)


def test_a_fused_batch_of_large_layers_takes_no_page_faults_after_the_first_calls():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    faults_per_call = float(done.stdout.split()[-1])
    # each layer's arrays are 1,000 x 64 (512 KiB): with fresh pages every call, about 900
    assert faults_per_call < 50, faults_per_call
