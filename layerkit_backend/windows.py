"""Window geometry shared by the backends' convolution and pooling kernels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def paddings(sizes: Sequence[int], spans: Sequence[int], strides: Sequence[int],
             padding: str) -> list[tuple[int, int]]:
    """(before, after) padding of each spatial dim for windows spanning ``spans`` inputs:
    none for "valid"; TensorFlow's "same" arithmetic (``ceil(size / stride)`` outputs, the odd
    padding element after) for "same"."""
    if padding == "valid":
        return [(0, 0)] * len(sizes)
    pads = []
    for size, span, stride in zip(sizes, spans, strides):
        total = max((-(-size // stride) - 1) * stride + span - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def window_counts(x_shape: Sequence[int], pool_size: Sequence[int], strides: Sequence[int],
                  pads: Sequence[tuple[int, int]], dtype) -> np.ndarray:
    """How many real (not padding) elements each pooling window covers, shaped
    ``(1, *out, 1)``: an average pool divides by it. Windows are boxes, so the count is a
    product of one count per spatial dim; it depends on shapes only."""
    n = len(pool_size)
    counts = np.ones((1,) * (n + 2), dtype)
    for i, (size, p, s, (before, after)) in enumerate(zip(x_shape[1:-1], pool_size, strides,
                                                          pads)):
        start = np.arange((size + before + after - p) // s + 1) * s - before
        along = np.minimum(start + p, size) - np.maximum(start, 0)
        counts = counts * along.astype(dtype).reshape((1,) * (i + 1) + (-1,) + (1,) * (n - i))
    return counts
