"""Checking values read from a file against the variables they are for, before any is set.

Loading reads everything first and stages ``variable key -> value``; only when the whole file
has been checked are the values assigned. A mismatch raises ``ValueError``, or with
``skip_mismatch`` warns and leaves that variable (or group) as it is.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def mismatch(message: str, skip: bool) -> None:
    """Raise ``ValueError(message)``; with ``skip``, warn instead (the caller skips the item)."""
    if not skip:
        raise ValueError(message)
    warnings.warn(f"Skipping: {message}", stacklevel=3)


def stage(staged: dict[str, np.ndarray], var: Any, value: np.ndarray, skip: bool,
          where: str) -> None:
    """Stage ``value`` for ``var`` (cast to its dtype) if the shapes agree; ``where`` names the
    value's place in the file for the error."""
    if tuple(value.shape) != tuple(var.shape):
        mismatch(f"Shape mismatch in {where} for weight '{var.key}': it expects shape "
                 f"{tuple(var.shape)}, the file has shape {tuple(value.shape)}", skip)
        return
    staged[var.key] = value.astype(var.dtype)
