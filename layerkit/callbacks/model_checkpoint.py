"""``ModelCheckpoint``: save the model (or its weights) during training, every epoch, every
``save_freq`` batches, or only when a monitored quantity improves."""

from __future__ import annotations

import os
import warnings

import numpy as np

from layerkit.callbacks._batch_count import batches_since
from layerkit.callbacks._monitor import checked_mode, higher_is_better
from layerkit.callbacks.callback import Callback, resolve_logs


class ModelCheckpoint(Callback):
    """Save the model or its weights as training goes, as Keras 3's ``ModelCheckpoint``.

    - ``filepath``: where to save; it may hold ``str.format`` fields filled at each save with
      ``epoch`` (1-based, as Keras: ``{epoch:02d}``), ``batch`` (1-based, when saving every
      ``save_freq`` batches) and any key of the logs (``{val_loss:.2f}``). With
      ``save_weights_only`` it must end in ``.weights.h5`` (the weights and the optimizer's
      state, Keras 3's layout); otherwise in ``.h5`` (the whole model, Keras's HDF5 layout;
      ``.keras`` files are not supported yet). Missing folders are created.
    - ``monitor``, ``mode`` (``"auto"``, ``"min"``, ``"max"``; ``"auto"`` decides from the
      name, as ``EarlyStopping``), ``save_best_only``: save only when ``monitor`` improves on
      the best value seen so far (``initial_value_threshold`` if given). When the logs lack
      ``monitor``, a warning is given and the model is saved (Keras 3's fallback).
    - ``save_freq``: ``"epoch"`` (at each epoch end) or an integer ``N`` (every ``N``
      training batches, counted across epochs; the monitored value is then the batch logs').
    - ``verbose``: ``1`` prints a line whenever the callback saves or decides not to.

    Every write is atomic: a crash while saving leaves the previous file whole.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.monitor = monitor
        self.mode = checked_mode(
            mode, f"ModelCheckpoint mode '{mode}' is unknown, fallback to auto mode.")
        self.best = initial_value_threshold
        self.monitor_op = None
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0

        if save_freq != "epoch" and (not isinstance(save_freq, int | np.integer)
                                     or isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             "'epoch' or positive integer values")
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}")
        elif self.filepath.endswith(".keras"):
            raise NotImplementedError(
                "ModelCheckpoint cannot save to a `.keras` file: layerkit does not support the "
                "`.keras` (zip) format yet. Save whole models to a `.h5` file, or use "
                "save_weights_only=True with a `.weights.h5` file. Received: "
                f"filepath={self.filepath}")
        elif self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "A `.weights.h5` file holds weights only: pass save_weights_only=True to "
                "ModelCheckpoint, or give a `.h5` filepath to save the whole model. Received: "
                f"filepath={self.filepath}")
        elif not self.filepath.endswith(".h5"):
            raise ValueError(
                "The filepath provided must end in `.keras` or `.h5` (Keras model format; "
                f"layerkit writes `.h5`). Received: filepath={self.filepath}")

    # -- hooks -----------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    reads_pending_logs = True  # only the batches that save wait for their logs

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=resolve_logs(logs))

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()  # after the first epoch, when the model's metrics exist
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    # -- deciding --------------------------------------------------------------------------------
    def _set_monitor_op(self):
        if higher_is_better(self.mode, self.monitor, self.model):
            self.monitor_op = np.greater
        else:
            self.monitor_op = np.less

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        return bool(self.monitor_op(value, reference))

    def _should_save_on_batch(self, batch):
        """Count the batches run (a batch index not above the last one starts a new epoch)."""
        if self.save_freq == "epoch":
            return False
        self._batches_seen_since_last_saving += batches_since(self._last_batch_seen, batch)
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}", flush=True)
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn("Can save best model only when `monitor` is a scalar value. "
                          f"Received: {current}. Falling back to `save_best_only=False`.",
                          stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}", flush=True)
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}",
                  flush=True)
        return False

    # -- saving ----------------------------------------------------------------------------------
    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}", flush=True)

    def _get_file_path(self, epoch, batch, logs):
        """``filepath`` with its fields filled: ``epoch`` and ``batch`` 1-based, and the logs."""
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {error}") from None
