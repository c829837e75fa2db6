"""Which way a monitored quantity should go: shared by ``EarlyStopping`` and friends."""

from __future__ import annotations

import warnings
from typing import Any

# Keras 3 reads each metric's ``_direction``; metrics named like these go up.
_UP_NAMES = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2")


def monitor_goes_up(monitor: str, model: Any = None) -> bool:
    """True when larger values of ``monitor`` are better (mode ``"auto"``)."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return False
    for metric in getattr(model, "metrics", None) or []:
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return direction == "up"
    return any(part in name for part in _UP_NAMES)


def checked_mode(mode: str, unknown_message: str) -> str:
    """``mode`` if it is ``"auto"``, ``"min"`` or ``"max"``; otherwise warn with
    ``unknown_message`` (each callback words it as Keras does) and fall back to ``"auto"``."""
    if mode in ("auto", "min", "max"):
        return mode
    warnings.warn(unknown_message, stacklevel=3)
    return "auto"


def higher_is_better(mode: str, monitor: str, model: Any = None) -> bool:
    """Whether a callback in ``mode`` should look for larger values of ``monitor``."""
    return mode == "max" or (mode == "auto" and monitor_goes_up(monitor, model))
