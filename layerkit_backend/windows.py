"""Window geometry shared by the backends' convolution and pooling kernels."""

from __future__ import annotations

from collections.abc import Sequence


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
