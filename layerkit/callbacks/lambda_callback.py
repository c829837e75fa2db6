"""``LambdaCallback``: a callback made of plain functions."""

from __future__ import annotations

from layerkit.callbacks.callback import Callback


class LambdaCallback(Callback):
    """Each argument given replaces that hook: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``,
    ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``; other hooks
    (``on_test_end=...``) can be passed as keyword arguments."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        for name, value in kwargs.items():
            if name.startswith("on_") and hasattr(Callback, name) and value is not None:
                hooks[name] = value
            else:
                setattr(self, name, value)
        for name, hook in hooks.items():
            if hook is not None:
                setattr(self, name, _with_logs(hook, name))


def _with_logs(hook, name):
    """As in Keras, the function always gets a ``logs`` dict (``{}`` when the loop passed
    none), so ``lambda logs: ...`` and ``lambda epoch, logs: ...`` both work."""
    if name.endswith(("train_begin", "train_end", "test_begin", "test_end", "predict_begin",
                      "predict_end")):
        def call(logs=None):
            return hook(logs if logs is not None else {})
    else:
        def call(index, logs=None):
            return hook(index, logs if logs is not None else {})
    return call
