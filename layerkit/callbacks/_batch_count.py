"""Counting batches across epochs, for callbacks that act every ``save_freq`` batches."""

from __future__ import annotations


def batches_since(last_seen: int | None, batch: int) -> int:
    """How many batches ran up to ``batch`` since the batch numbered ``last_seen`` (None: none
    yet). Batch numbers restart at 0 each epoch, so a number not above the last one means a new
    epoch began and ``batch + 1`` batches of it ran."""
    if last_seen is None or batch <= last_seen:
        return batch + 1
    return batch - last_seen
