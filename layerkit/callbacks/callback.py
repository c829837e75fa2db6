"""``Callback`` and ``CallbackList``: hooks a training loop calls at each stage."""

from __future__ import annotations

from typing import Any


class Callback:
    """Override the hooks you need. ``self.model`` is the model being trained and
    ``self.params`` holds ``epochs``, ``steps`` and ``verbose``; ``logs`` are dicts of the
    current metric values (``{"loss": 0.31, "accuracy": 0.9, "val_loss": ...}``)."""

    def __init__(self):
        self.model = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]


class CallbackList(Callback):
    """Several callbacks called in order, as one."""

    def __init__(self, callbacks: list[Callback] | None = None, model: Any = None,
                 **params: Any):
        super().__init__()
        self.callbacks = list(callbacks or [])
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def __getattribute__(self, name: str) -> Any:
        if name in _HOOKS:
            callbacks = object.__getattribute__(self, "callbacks")

            # Hooks named after an epoch or a batch take its index first, then logs.
            logs_at = 1 if ("epoch" in name or "batch" in name) else 0

            def call_all(*args, **kwargs):
                args = list(args)
                if "logs" not in kwargs:  # Keras always hands callbacks a dict
                    args += [None] * (logs_at + 1 - len(args))
                    args[logs_at] = {} if args[logs_at] is None else args[logs_at]
                for callback in callbacks:
                    getattr(callback, name)(*args, **kwargs)

            return call_all
        return object.__getattribute__(self, name)
