"""``BackupAndRestore``: back the training state up as training goes, and resume from it when
``fit`` is run again after an interruption (an exception, a killed process)."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
from typing import Any

import numpy as np

from layerkit.callbacks._batch_count import batches_since
from layerkit.callbacks.callback import Callback
from layerkit.formats.h5_safe import FileFormatError
from layerkit.utils.atomic import atomic_path, fsync_dir

WEIGHTS_FILE = "latest.weights.h5"
METADATA_FILE = "training_metadata.json"
PENDING_WEIGHTS_FILE = "pending.weights.h5"  # the next weights, until their metadata is written
_MAX_METADATA_BYTES = 1 << 16


class BackupError(ValueError):
    """The backup in ``backup_dir`` cannot be used: a file is missing, corrupt, or the weights
    and the metadata do not belong together."""


class BackupAndRestore(Callback):
    """Back up the training state to ``backup_dir`` and restore it when ``fit`` starts, as
    Keras 3's ``BackupAndRestore``.

    At the end of each epoch (or every ``save_freq`` batches) the callback writes

    - ``latest.weights.h5``: the model's weights and its optimizer's variables (Keras 3's
      ``.weights.h5`` layout), and
    - ``training_metadata.json``: ``{"epoch": E, "batch": B, ...}``, the epoch to resume at.

    When ``fit`` starts with a backup in ``backup_dir``, the weights and the optimizer state
    are loaded and training resumes at epoch ``E`` (a backup made mid-epoch resumes at the
    start of that epoch, with the weights of that moment, as in Keras). So a run that raised,
    or whose process was killed, continues where it was when ``fit`` is called again, with the
    same callback or a new one on the same ``backup_dir``, on the same model or on a new one
    with the same architecture, compiled the same way. When ``fit`` finishes (also by early
    stopping), the backup is deleted if ``delete_checkpoint``.

    A backup is committed as a whole, so a process killed at any moment leaves the previous
    backup or the new one, never weights of one epoch with the metadata of another: the
    weights go to ``pending.weights.h5`` first, then the metadata (the commit) is written with
    the weights file's SHA-256 digest, then the weights are renamed to ``latest.weights.h5``
    (a commit whose rename did not happen is completed when the backup is next read). Each
    write is atomic. With ``double_checkpoint``, the previous backup is also kept (``*.bkp``)
    and used when the latest one cannot be read. A backup that cannot be used raises
    ``BackupError`` (a ``ValueError``) naming the file; delete ``backup_dir`` to start over.

    ``backup_dir`` must not be shared with other callbacks or runs. Only the files this
    callback writes are deleted (and the folder, once empty).
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int | np.integer)
                                     or isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError("Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq!r}. Expected either 'epoch' or a positive "
                             "integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, WEIGHTS_FILE)
        self._training_metadata_path = os.path.join(self.backup_dir, METADATA_FILE)
        self._pending_weights_path = os.path.join(self.backup_dir, PENDING_WEIGHTS_FILE)
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    # -- restoring -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if not getattr(self.model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you "
                f"call `fit()`. Model {self.model.name!r} is unbuilt. You can build it "
                "beforehand by calling it on a batch of data.")
        self._finish_commit()
        try:
            self._load_model(self._weights_path, self._training_metadata_path)
        except (OSError, BackupError) as error:
            if not (self.double_checkpoint and os.path.exists(self._prev_weights_path)):
                raise
            # The latest backup is unusable: fall back on the previous one, made the latest
            # first so that the next backup does not copy the broken one over it.
            _atomic_copy(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                _atomic_copy(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            try:
                self._load_model(self._weights_path, self._training_metadata_path)
            except (OSError, BackupError) as second:
                raise BackupError(f"Neither the latest backup ({error}) nor the previous one "
                                  f"({second}) in {self.backup_dir!r} can be used") from None

    def _finish_commit(self) -> None:
        """A backup interrupted after its metadata was written but before its weights were
        renamed is completed; pending weights whose metadata was never written are dropped."""
        if not os.path.exists(self._pending_weights_path):
            return
        committed = False
        if os.path.exists(self._training_metadata_path):
            with contextlib.suppress(BackupError):
                digest = read_training_metadata(self._training_metadata_path).get(
                    "weights_sha256")
                committed = digest is not None and digest == _sha256(self._pending_weights_path)
        if committed:
            _promote(self._pending_weights_path, self._weights_path)
        else:
            os.remove(self._pending_weights_path)

    def _load_model(self, weights_path: str, metadata_path: str) -> None:
        has_weights = os.path.exists(weights_path)
        has_metadata = os.path.exists(metadata_path)
        if not has_weights and not has_metadata:
            return  # nothing backed up: a fresh start
        if not has_metadata:
            raise BackupError(f"The backup in {self.backup_dir!r} is incomplete: "
                              f"{weights_path!r} has no {METADATA_FILE} to go with it")
        if not has_weights:
            raise BackupError(f"The backup in {self.backup_dir!r} is incomplete: "
                              f"{metadata_path!r} has no {WEIGHTS_FILE} to go with it")
        metadata = read_training_metadata(metadata_path)
        digest = metadata.get("weights_sha256")
        if digest is not None and _sha256(weights_path) != digest:
            raise BackupError(f"{weights_path!r} is not the weights file {metadata_path!r} was "
                              "written for (its SHA-256 digest differs)")
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not getattr(optimizer, "built", True):
            # Make sure the optimizer's variables exist, so that their state is loaded too.
            optimizer.build(self.model.trainable_weights)
        try:
            self.model.load_weights(weights_path)
        except FileFormatError as error:
            raise BackupError(str(error)) from None
        self.model._initial_epoch = metadata["epoch"]

    # -- backing up ------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch  # a backup made within this epoch resumes at its start

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    reads_pending_logs = True  # it never reads batch logs: training need not wait for them

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model()

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        self._batches_seen_since_last_saving += batches_since(self._last_batch_seen, batch)
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            if os.path.exists(self._weights_path):
                _atomic_copy(self._weights_path, self._prev_weights_path)
            if os.path.exists(self._training_metadata_path):
                _atomic_copy(self._training_metadata_path, self._prev_training_metadata_path)
        # The new weights under a pending name; the metadata naming them (by digest) commits
        # the backup; then they take the latest's place. Killed before the commit, the
        # previous backup stands; after it, _finish_commit completes the rename.
        self.model.save_weights(self._pending_weights_path, overwrite=True)
        write_training_metadata(self._training_metadata_path, {
            "epoch": int(self._current_epoch),
            "batch": int(self._last_batch_seen),
            "weights_sha256": _sha256(self._pending_weights_path),
        })
        _promote(self._pending_weights_path, self._weights_path)

    # -- cleaning up -----------------------------------------------------------------------------
    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            self._delete_backup()

    def _delete_backup(self) -> None:
        names = [self._weights_path, self._training_metadata_path, self._pending_weights_path,
                 self._prev_weights_path, self._prev_training_metadata_path]
        for path in names:
            # Temporary files an interrupted atomic write left behind.
            stem = glob.escape(os.path.join(self.backup_dir, "." + os.path.basename(path)))
            names += glob.glob(f"{stem}.*.tmp")
        for path in names:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only when nothing else is in it


# -- the metadata file -----------------------------------------------------------------------------
def write_training_metadata(path: str, metadata: dict[str, Any]) -> None:
    """Write ``metadata`` as JSON to ``path``, atomically."""
    text = json.dumps(metadata, allow_nan=False)
    with atomic_path(path) as temp, open(temp, "w", encoding="utf-8") as f:
        f.write(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a plain JSON number")


def read_training_metadata(path: str) -> dict[str, Any]:
    """The metadata in ``path``, checked: a JSON object with ``epoch`` (an integer >= 0),
    optionally ``batch`` (an integer >= 0) and ``weights_sha256`` (64 hex digits). Anything
    else raises ``BackupError`` naming the file."""
    def bad(why: str) -> BackupError:
        return BackupError(f"{path!r} is not a valid BackupAndRestore metadata file: {why}; "
                           "delete the backup folder to start training over")

    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_METADATA_BYTES + 1)
    except OSError as error:
        raise bad(f"it cannot be read ({error})") from None
    if len(raw) > _MAX_METADATA_BYTES:
        raise bad(f"it is larger than {_MAX_METADATA_BYTES} bytes")
    try:
        metadata = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise bad(f"it is not valid JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise bad(f"expected a JSON object, found {type(metadata).__name__}")
    if "epoch" not in metadata:
        raise bad('it has no "epoch"')
    for key in ("epoch", "batch"):
        if key in metadata:
            value = metadata[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise bad(f'"{key}" must be an integer >= 0, found {value!r}')
    digest = metadata.get("weights_sha256")
    if digest is not None and not (isinstance(digest, str) and len(digest) == 64
                                   and all(c in "0123456789abcdef" for c in digest)):
        raise bad(f'"weights_sha256" must be 64 hexadecimal digits, found {digest!r}')
    return metadata


# -- helpers ---------------------------------------------------------------------------------------
def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _promote(source: str, target: str) -> None:
    """Rename ``source`` over ``target``, durably."""
    os.replace(source, target)
    fsync_dir(os.path.dirname(os.path.abspath(target)))


def _atomic_copy(source: str, target: str) -> None:
    with atomic_path(target) as temp:
        shutil.copyfile(source, temp)

