"""Checks of the loops' arguments (batch sizes, epoch counts, callbacks), run first, so a bad
one fails before a loop touches any weight, optimizer slot or history."""

from __future__ import annotations

import numbers
from typing import Any

from layerkit.callbacks import Callback

_REPR_LIMIT = 80  # characters of a value quoted in a message: it may be a whole array


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT - 3] + "..."


def _is_integer(value: Any) -> bool:
    # numpy integers count (a batch size computed from an array's length is one); bools do not.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_batch_size(what: str, name: str, value: Any) -> None:
    """None (the default, 32) or a positive integer: checked before ``batch_size or 32``, which
    would turn 0 into 32."""
    if value is not None and not (_is_integer(value) and value >= 1):
        _raise_not_a_count(what, name, value, "a positive integer or None")


def check_epoch_count(what: str, name: str, value: Any) -> None:
    """A non-negative integer: ``epochs=0`` (or ``initial_epoch=epochs``) trains nothing, as
    in Keras."""
    if not (_is_integer(value) and value >= 0):
        _raise_not_a_count(what, name, value, "a non-negative integer")


def _raise_not_a_count(what: str, name: str, value: Any, expected: str) -> None:
    message = f"{what}({name}=...) must be {expected}, got {short_repr(value)}"
    raise (ValueError if _is_integer(value) else TypeError)(message)


def check_callbacks(what: str, callbacks: Any) -> None:
    """A list (or tuple) of ``Callback`` objects, or None."""
    if callbacks is None:
        return
    if not isinstance(callbacks, list | tuple):
        raise TypeError(f"{what}(callbacks=...) must be a list of keras.callbacks.Callback, "
                        f"got {type(callbacks).__name__}: {short_repr(callbacks)}")
    for i, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise TypeError(f"{what}(callbacks=...): callbacks[{i}] must be a "
                            f"keras.callbacks.Callback, got {type(callback).__name__}: "
                            f"{short_repr(callback)}")
