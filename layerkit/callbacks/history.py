"""``History`` (what ``fit`` returns) and ``ProgbarLogger`` (the progress display)."""

from __future__ import annotations

import time
from typing import Any

from layerkit.callbacks.callback import Callback, resolve_logs


class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is the loss per epoch."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


def format_logs(logs: dict[str, Any]) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class ProgbarLogger(Callback):
    """verbose=1: a tqdm bar per epoch with the running metrics; verbose=2: one line per epoch."""

    reads_pending_logs = True
    REFRESH_SECONDS = 0.1  # how often the running metrics are read (each read waits a step)

    def __init__(self):
        super().__init__()
        self._bar = None
        self._shown_at = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        verbose, epochs = self.params.get("verbose", 1), self.params.get("epochs", 1)
        if verbose == 1:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.params.get("steps"), unit="step", leave=True,
                             desc=f"Epoch {epoch + 1}/{epochs}", dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is None:
            return
        # With steps_per_execution, one call ends several batches; ``batch`` is the last.
        self._bar.update(batch + 1 - self._bar.n)
        now = time.monotonic()
        if now - self._shown_at >= self.REFRESH_SECONDS:
            self._shown_at = now
            self._bar.set_postfix_str(format_logs(resolve_logs(logs)), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs or {}))
            self._bar.close()
            self._bar = None
        elif self.params.get("verbose") == 2:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)} - {format_logs(logs or {})}",
                  flush=True)
