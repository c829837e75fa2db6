"""Array helpers on the host: ``to_categorical`` (one-hot labels) and ``normalize``."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """Class indices (ints ``0 .. num_classes - 1``) as a one-hot float32 matrix.

    As Keras: the class axis is placed last; a trailing axis of size 1 is dropped first, so
    labels of shape ``(n, 1)`` give ``(n, num_classes)``; ``num_classes=None`` means
    ``max(x) + 1``. Unlike Keras, a label outside ``[0, num_classes)`` is an error rather than
    an index that wraps or fails deep inside numpy.
    """
    array = np.asarray(x)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(np.mod(array, 1) != 0):
            raise ValueError("to_categorical: labels must be whole numbers")
    elif array.dtype.kind not in "iub":
        raise ValueError(f"to_categorical: labels must be integers, got dtype {array.dtype}")
    labels = array.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("to_categorical: num_classes is needed when there are no labels")
        num_classes = int(labels.max()) + 1
    num_classes = int(num_classes)
    if num_classes < 1:
        raise ValueError(f"to_categorical: num_classes must be positive, got {num_classes}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must lie in [0, {num_classes}); got values "
                         f"from {labels.min()} to {labels.max()}")
    categorical = np.zeros((labels.size, num_classes), dtype=np.float32)
    categorical[np.arange(labels.size), labels] = 1.0
    return categorical.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero vectors are left as they are)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
