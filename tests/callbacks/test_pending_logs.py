"""Batch logs that are still on the device: user callbacks see plain dicts, layerkit's own
callbacks read them only when they use them, and fit waits for no step it need not."""

from __future__ import annotations

import numpy as np

from layerkit.callbacks import Callback, CallbackList, ProgbarLogger
from layerkit.callbacks.callback import PendingLogs, resolve_logs
from tests.models.test_training import _digits, _mlp


def _counted(logs):
    reads = []

    def read():
        reads.append(1)
        return dict(logs)

    return PendingLogs(read), reads


class _Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(logs)


class _LazyRecorder(_Recorder):
    reads_pending_logs = True


def test_pending_logs_are_read_once():
    pending, reads = _counted({"loss": 0.5})
    assert pending.resolve() == {"loss": 0.5}
    assert resolve_logs(pending) == {"loss": 0.5}
    assert reads == [1]
    assert resolve_logs(None) == {}


def test_plain_callbacks_get_dicts_and_lazy_ones_the_pending_logs():
    plain, lazy = _Recorder(), _LazyRecorder()
    pending, reads = _counted({"loss": 0.25})
    CallbackList([lazy]).on_train_batch_end(3, pending)
    assert lazy.seen == [pending] and reads == []  # nothing waited for the step
    CallbackList([lazy, plain]).on_train_batch_end(4, logs=pending)
    assert plain.seen == [{"loss": 0.25}] and reads == [1]


def test_callbacks_without_the_hook_never_wait_for_the_step():
    """History, and a plain callback with other hooks only: their batch hook is the base
    no-op, so nothing resolves (fit keeps the device busy); a nested list decides for its own
    callbacks."""
    from layerkit.callbacks import History

    class EpochsOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    pending, reads = _counted({"loss": 0.5})
    CallbackList([History(), EpochsOnly(), CallbackList([History()])]).on_train_batch_end(
        0, pending)
    assert reads == []
    plain = _Recorder()
    CallbackList([CallbackList([plain])]).on_train_batch_end(1, pending)
    assert plain.seen == [{"loss": 0.5}] and reads == [1]


def test_the_progress_bar_reads_the_logs_a_few_times_a_second():
    bar = ProgbarLogger()
    bar.set_params({"verbose": 1, "epochs": 1, "steps": 50})
    bar.on_epoch_begin(0)
    pending = [_counted({"loss": float(i)}) for i in range(50)]
    for step, (logs, _) in enumerate(pending):
        bar.on_train_batch_end(step, logs)
    assert bar._bar.n == 50
    read = sum(len(reads) for _, reads in pending)
    assert 1 <= read < 5, read  # 50 batches in far less than a second: one or two reads
    bar.on_epoch_end(0, {"loss": 49.0})


def test_fit_hands_layerkit_callbacks_unread_logs_and_users_floats(keras):
    lazy, plain = _LazyRecorder(), _Recorder()
    x, y, _, _ = _digits()
    model = _mlp(keras)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:96], y[:96], batch_size=32, epochs=1, verbose=0,
                        callbacks=[lazy, plain])
    assert all(isinstance(logs, PendingLogs) for logs in lazy.seen)
    assert all(type(logs) is dict and isinstance(logs["loss"], float) for logs in plain.seen)
    assert len(plain.seen) == 3
    assert [logs.resolve() for logs in lazy.seen] == plain.seen
    np.testing.assert_allclose(history.history["loss"], [plain.seen[-1]["loss"]])
