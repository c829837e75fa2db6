"""``tf.errors``: the exceptions TensorFlow 1 code catches.

The core raises ``OpError`` subclasses when a run cannot be carried out; checkpoints add
``NotFoundError`` (no such file or entry) and ``DataLossError`` (a corrupt or truncated file).
"""

from __future__ import annotations

from layerkit.graph.errors import FailedPreconditionError, InvalidArgumentError, OpError

__all__ = [
    "DataLossError", "FailedPreconditionError", "InvalidArgumentError", "NotFoundError", "OpError",
    "OutOfRangeError",
]


class NotFoundError(OpError):
    """A file or a checkpoint entry that was asked for does not exist."""


class OutOfRangeError(OpError):
    """An iterator (``tf.data``) has no more elements."""


class DataLossError(OpError):
    """A checkpoint file is corrupt, truncated, or not a checkpoint at all."""
