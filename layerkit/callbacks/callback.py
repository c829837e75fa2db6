"""``Callback`` and ``CallbackList``: hooks a training loop calls at each stage."""

from __future__ import annotations

from collections.abc import Callable
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


class PendingLogs:
    """The logs of a batch whose computation may still be running on the device.

    ``fit`` and ``evaluate`` do not wait for each step: they hand callbacks a ``PendingLogs``,
    and ``resolve()`` waits for the step and returns the dict of floats (computed once). A
    callback sees a plain dict unless it declares ``reads_pending_logs = True``, which
    layerkit's own callbacks do: they resolve only on the batches where they use the logs
    (the progress bar a few times a second), so training runs ahead of the display.
    """

    def __init__(self, read: Callable[[], dict[str, float]]):
        self._read = read
        self._logs: dict[str, float] | None = None

    def resolve(self) -> dict[str, float]:
        if self._logs is None:
            self._logs = self._read()
        return self._logs


def resolve_logs(logs: Any) -> dict[str, Any]:
    """``logs`` as a dict: pending logs are waited for, None is an empty dict."""
    if isinstance(logs, PendingLogs):
        return logs.resolve()
    return {} if logs is None else logs


def _logs_for(callback: Callback, hook: str, logs: Any) -> Any:
    """What ``callback``'s ``hook`` receives: pending logs are resolved (waited for) only for
    a hook that does something and does not take them pending. ``History`` has no batch
    hooks, so it never makes a training step wait."""
    if (isinstance(logs, PendingLogs) and not getattr(callback, "reads_pending_logs", False)
            and _overrides(callback, hook)):
        return logs.resolve()
    return logs


def _overrides(callback: Callback, hook: str) -> bool:
    """Whether ``hook`` of ``callback`` is more than ``Callback``'s no-op (a method of its
    class, or a function set on the instance, as ``LambdaCallback`` does)."""
    return hook in vars(callback) or getattr(type(callback), hook) is not getattr(Callback, hook)


class CallbackList(Callback):
    """Several callbacks called in order, as one."""

    reads_pending_logs = True  # it hands them on: each callback gets what it asks for

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


def _call_all(hook: str) -> Callable[..., None]:
    """``CallbackList``'s ``hook``: the same hook of each of its callbacks, in order."""
    # Hooks named after an epoch or a batch take its index first, then logs.
    logs_at = 1 if ("epoch" in hook or "batch" in hook) else 0

    def call_all(self: CallbackList, *args: Any, logs: Any = None, **kwargs: Any) -> None:
        if len(args) > logs_at:
            logs, args = args[logs_at], args[:logs_at] + args[logs_at + 1:]
        logs = {} if logs is None else logs  # Keras always hands callbacks a dict
        for callback in self.callbacks:
            getattr(callback, hook)(*args, _logs_for(callback, hook, logs), **kwargs)

    call_all.__name__ = call_all.__qualname__ = hook
    return call_all


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _call_all(_hook))
