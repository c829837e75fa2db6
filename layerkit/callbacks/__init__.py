"""Callbacks: hooks into ``fit``, ``evaluate`` and ``predict``."""

from layerkit.callbacks.callback import Callback, CallbackList
from layerkit.callbacks.history import History, ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
