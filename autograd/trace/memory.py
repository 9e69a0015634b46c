"""Large arrays and the C allocator: a batch's freed arrays kept for the next batch.

A compiled program over a batch makes the same large arrays on every call (a 1,000 x 64
layer is 512 KiB). glibc's ``malloc`` gives a block above its threshold (128 KiB at start)
pages of its own and hands them back to the system when the block is freed, so each call's
arrays are fresh pages, every one of them faulted in by the kernel: the spirals step of
``benchmarks/mlp_step.py`` (2-64-64-3, 1,000 samples, fused) took 968 page faults and 3.6
times as long as with the pages kept. glibc raises that threshold by itself to the size of
any mmapped block a program frees (and keeps up to twice that in its heap); a program that
has once freed a large array never sees the problem, which is why it comes and goes with
what else ran before. ``keep_freed_memory`` frees one such block on purpose, so every
program runs as it would after that.
"""

from __future__ import annotations

import numpy as np

# Below glibc's largest dynamic threshold (32 MiB on 64-bit systems), so that freeing it
# raises the threshold; its pages are never touched, so it costs no memory.
BLOCK_BYTES = 16 * 2**20


def keep_freed_memory() -> None:
    """Free one 16 MiB array: later arrays up to that size are reused, not faulted in anew.

    Harmless elsewhere: with another allocator it is an allocation and a free.

    >>> keep_freed_memory()
    """
    block = np.empty(BLOCK_BYTES // 8)
    del block
