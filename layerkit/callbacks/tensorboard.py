"""``TensorBoard``: write the training logs and weight histograms as TensorBoard event files.

What is written, and where, follows Keras 3's callback: a ``train`` and a ``validation``
directory under ``log_dir``, one event file per writer, with

- ``epoch_<name>`` at step ``epoch`` for every log of the epoch (``train/``; the ``val_<name>``
  logs as ``epoch_<name>`` in ``validation/``), ``epoch_learning_rate`` (the optimizer's
  current learning rate, also under a schedule) and, with ``write_steps_per_second``,
  ``epoch_steps_per_second``;
- ``batch_<name>`` (and ``batch_steps_per_second``) in ``train/`` every ``update_freq``
  batches, at step = the number of training batches run in this ``fit``;
- ``evaluation_<name>_vs_iterations`` in ``validation/`` after each evaluation (the
  validation of ``fit``, or ``evaluate(callbacks=[...])``), at step = ``optimizer.iterations``;
- with ``histogram_freq=k``, every ``k`` epochs, a histogram of each weight of each layer in
  ``train/`` tagged ``<weight.path>/histogram``.

Events are written by ``layerkit.utils.summary_writer`` with tensorboardX
(``pip install "layerkit[tensorboard]"``); TensorFlow is not needed. They are written as they
are made (no background thread), flushed at each epoch end, and the files are closed when
training ends.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from layerkit.callbacks.callback import Callback, resolve_logs
from layerkit.utils.summary_writer import EventFileWriter, require_tensorboardx

_WRITER_USER = "keras.callbacks.TensorBoard"  # named in the error when tensorboardX is missing

def _close_all(writers: dict[str, EventFileWriter]) -> None:
    for writer in writers.values():
        writer.close()
    writers.clear()


def _as_float(value: Any) -> float | None:
    """``value`` as a float if it is one number; None for anything else (never written)."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - a log value of a kind we cannot read is skipped
        return None
    if array.size != 1 or array.dtype.kind not in "biuf":
        return None
    return float(array.reshape(()))


def _profile_range(profile_batch: Any) -> tuple[int, int]:
    """Keras's forms: an int, ``"start,stop"``, or a pair; ``0`` means no profiling."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. "
               "A pair of positive integers signifies a range of batches to profile. "
               f"Found: {profile_batch}")
    value = profile_batch
    try:
        if isinstance(value, str):
            value = [int(part) for part in value.split(",")]
            value = value[0] if len(value) == 1 else value
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            start = stop = int(value)
        elif isinstance(value, list | tuple) and len(value) == 2:
            start, stop = (int(v) for v in value)
        else:
            raise ValueError(message)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


class TensorBoard(Callback):
    """Write the logs of ``fit`` (and ``evaluate``) and weight histograms for TensorBoard:
    ``tensorboard --logdir <log_dir>`` shows them, as the runs ``train`` and ``validation``.

    Arguments as in Keras 3:

    - ``log_dir``: the directory; the writers use ``log_dir/train`` and
      ``log_dir/validation``, created when first written to.
    - ``histogram_freq``: every this many epochs (0: never), a histogram of each weight of
      each layer in ``model.layers``, tagged ``<weight.path>/histogram``.
    - ``write_graph``: accepted, writes nothing: a layerkit program is not a TensorFlow
      graph, so there is no GraphDef to show.
    - ``write_steps_per_second``: also ``epoch_steps_per_second`` (and, with batch logging,
      ``batch_steps_per_second``).
    - ``update_freq``: ``"epoch"`` (epoch scalars only), ``"batch"`` (also ``batch_<name>``
      every batch) or an integer ``N`` (every ``N`` batches).
    - ``write_images``, ``profile_batch``, ``embeddings_freq``: not supported; a value that
      asks for them raises ``NotImplementedError``. ``embeddings_metadata`` is only used with
      ``embeddings_freq``, so it is accepted and kept.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        if write_images:
            raise NotImplementedError(
                "TensorBoard(write_images=True) is not supported: layerkit does not write "
                "weights as images; use write_images=False (histogram_freq writes weight "
                "histograms)")
        if _profile_range(profile_batch) != (0, 0):
            raise NotImplementedError(
                f"TensorBoard(profile_batch={profile_batch!r}) is not supported: layerkit has "
                "no profiler that writes TensorBoard traces; use profile_batch=0")
        if embeddings_freq:
            raise NotImplementedError(
                f"TensorBoard(embeddings_freq={embeddings_freq!r}) is not supported: layerkit "
                "does not write embedding projector data; use embeddings_freq=0")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, int | np.integer)
                                       or isinstance(update_freq, bool) or update_freq < 1):
            raise ValueError('TensorBoard update_freq must be "epoch", "batch" or a positive '
                             f"integer. Received: update_freq={update_freq!r}")
        if (not isinstance(histogram_freq, int | np.integer) or isinstance(histogram_freq, bool)
                or histogram_freq < 0):
            raise ValueError("TensorBoard histogram_freq must be a non-negative integer. "
                             f"Received: histogram_freq={histogram_freq!r}")
        require_tensorboardx(_WRITER_USER)  # fail when made, not at the first epoch end
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq if update_freq == "epoch" else int(update_freq)
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._global_train_batch = 0
        self._epoch_batches = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        self._evaluated_this_epoch = False
        # Lazily made writers, by run name ("train", "validation"). Closed at train end, and
        # also when the callback is collected or Python exits (a fit that raised never calls
        # on_train_end).
        self._writers: dict[str, EventFileWriter] = {}
        self._finalizer = weakref.finalize(self, _close_all, self._writers)

    # -- writers ---------------------------------------------------------------------------------
    @property
    def _train_dir(self) -> str:
        return os.path.join(self.log_dir, "train")

    @property
    def _val_dir(self) -> str:
        return os.path.join(self.log_dir, "validation")

    def _writer(self, run: str) -> EventFileWriter:
        """The writer of ``run``, made (with its directory) when first written to."""
        writer = self._writers.get(run)
        if writer is None:
            directory = self._train_dir if run == "train" else self._val_dir
            writer = self._writers[run] = EventFileWriter(directory, user=_WRITER_USER)
        return writer

    def _write_scalars(self, run: str, values: dict[str, Any], step: int) -> None:
        numbers = {tag: number for tag, value in values.items()
                   if (number := _as_float(value)) is not None}
        if numbers:  # no writer (nor directory) for a run with nothing to write
            writer = self._writer(run)
            for tag, number in numbers.items():
                writer.add_scalar(tag, number, step)

    def _flush(self) -> None:
        for writer in self._writers.values():
            writer.flush()

    def _close_writers(self) -> None:
        _close_all(self._writers)

    # -- what the model knows --------------------------------------------------------------------
    def _optimizer(self) -> Any:
        optimizer = getattr(self.model, "optimizer", None)
        return getattr(optimizer, "inner_optimizer", optimizer)

    def _learning_rate(self) -> float | None:
        optimizer = self._optimizer()
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            return None
        return _as_float(optimizer.learning_rate)

    def _iterations(self) -> int | None:
        optimizer = self._optimizer()
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return None
        if not getattr(optimizer, "built", True):
            return 0  # no step taken yet (and reading ``iterations`` would create it)
        iterations = optimizer.iterations
        value = iterations.numpy() if hasattr(iterations, "numpy") else iterations
        return int(np.asarray(value))

    # -- hooks -----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_batches = 0
        self._evaluated_this_epoch = False
        if self.write_steps_per_second:
            self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    reads_pending_logs = True  # only the batches written wait for their logs

    def on_train_batch_end(self, batch, logs=None):
        self._epoch_batches += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        values = {}
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            values["batch_steps_per_second"] = 1.0 / elapsed if elapsed > 0 else float("inf")
        values.update((f"batch_{name}", value) for name, value in resolve_logs(logs).items())
        self._write_scalars("train", values, self._global_train_batch)

    def on_test_end(self, logs=None):
        self._write_evaluation(logs or {})
        self._evaluated_this_epoch = True
        if "validation" in self._writers:
            self._writers["validation"].flush()

    def _write_evaluation(self, logs: dict[str, Any]) -> None:
        step = self._iterations()
        if step is None or not logs:
            return
        self._write_scalars("validation", {f"evaluation_{name}_vs_iterations": value
                                           for name, value in logs.items()}, step)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if logs:
            train = {name: value for name, value in logs.items() if not name.startswith("val_")}
            val = {name[4:]: value for name, value in logs.items() if name.startswith("val_")}
            learning_rate = self._learning_rate()
            if learning_rate is not None:
                train["learning_rate"] = learning_rate
            if self.write_steps_per_second:
                elapsed = time.time() - self._epoch_start_time
                train["steps_per_second"] = self._epoch_batches / elapsed if elapsed > 0 else 0.0
            self._write_scalars("train", {f"epoch_{k}": v for k, v in train.items()}, epoch)
            self._write_scalars("validation", {f"epoch_{k}": v for k, v in val.items()}, epoch)
            if val and not self._evaluated_this_epoch:
                # fit's validation pass did not call on_test_end: write what Keras writes there.
                self._write_evaluation(val)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        self._flush()

    def _write_histograms(self, epoch: int) -> None:
        histograms = list(self._weight_histograms())
        if histograms:  # no writer (nor directory) for a model without weights
            writer = self._writer("train")
            for tag, values in histograms:
                writer.add_histogram(tag, values, epoch)

    def _weight_histograms(self) -> Iterator[tuple[str, np.ndarray]]:
        """(tag, values) of each non-empty weight of each layer of the model."""
        for layer in getattr(self.model, "layers", []):
            weights = list(layer.weights)
            if not weights:
                continue
            for weight, value in zip(weights, layer.get_weights()):
                if np.size(value) == 0:
                    continue
                path = getattr(weight, "path", None) or weight.name
                yield f"{path.replace(':', '_')}/histogram", np.asarray(value)
