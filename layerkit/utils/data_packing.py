"""A batch as a training step receives it: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y,
sample_weight)`` (Keras's ``keras.utils.pack_x_y_sample_weight`` and its inverse)."""

from __future__ import annotations

from typing import Any


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """``x`` alone when there are no targets, else ``(x, y)`` or ``(x, y, sample_weight)``;
    a list or tuple ``x`` alone is packed as ``(x,)`` so that it is not read as ``(x, y)``."""
    if y is None:
        return (x,) if isinstance(x, list | tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from a batch packed as ``x``, ``(x,)``, ``(x, y)`` or ``(x,
    y, sample_weight)``, with None for what it lacks."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        return (*data, *([None] * (3 - len(data))))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, "
                     f"sample_weight)`, found a tuple of {len(data)} elements")


__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
