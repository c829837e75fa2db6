"""``compile``, ``fit``, ``evaluate``, ``predict``: each step is one compiled program.

A model traces its programs on placeholders, once per input signature (``step.py``: the train,
test and predict programs), from the loss and metric objects its ``compile`` arguments resolve
to (``compile_utils.py``). The Keras session compiles each program once (on the jax backend:
one XLA executable) and the loops here run it per batch, or per ``steps_per_execution`` stacked
batches. A step's metric values stay on the device as ``PendingLogs`` until a callback reads
them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import islice
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit import distribution as distribution_lib
from layerkit.callbacks import CallbackList, History, ProgbarLogger
from layerkit.callbacks.callback import PendingLogs, resolve_logs
from layerkit.graph import Tensor
from layerkit.models import arguments
from layerkit.models import data as D
from layerkit.models.compile_utils import Compiled, check_loss_names
from layerkit.models.step import Program, program_key, step_function, trace_program
from layerkit.utils.tree import is_positive_int


class Trainer:
    """The training API of ``Model``."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history: History | None = None
        self._compiled: Compiled | None = None
        self._programs: dict[tuple, Program] = {}
        self.steps_per_execution = 1
        # Set by a callback's on_train_begin (BackupAndRestore) to resume at that epoch.
        self._initial_epoch: int | None = None

    # -- compile --------------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        """Choose the optimizer, loss and metrics (names, functions or objects).

        ``steps_per_execution=N`` runs N batches per program call (on jax, one ``lax.scan``
        over N stacked batches, with no host round trip between them); callbacks' batch hooks
        then run once per call, with the index of its last batch."""
        from layerkit import optimizers

        if not is_positive_int(steps_per_execution):
            raise ValueError("compile(steps_per_execution=...) must be a positive int, got "
                             f"{steps_per_execution!r}")
        self.steps_per_execution = steps_per_execution
        self.optimizer = optimizers.get(optimizer)
        check_loss_names(loss)
        self.loss = loss
        self._compile_config = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics, "run_eagerly": run_eagerly,
                                "steps_per_execution": steps_per_execution,
                                "jit_compile": jit_compile}
        self._compiled = Compiled(self, loss, loss_weights, metrics, weighted_metrics)
        self._programs = {}
        self.compiled = True

    @property
    def metrics(self) -> list[Any]:
        return self._compiled.all_metrics() if self._compiled and self._compiled.ready else []

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    # -- tracing programs ------------------------------------------------------------------------
    def _trace(self, kind: str, xs, ys, sws) -> Program:
        """The ``kind`` program for batches like these, traced once per signature (until the
        next ``compile``)."""
        key = program_key(kind, xs, ys, sws)
        if key not in self._programs:
            self._programs[key] = trace_program(self, self._compiled, kind, xs, ys, sws)
        return self._programs[key]

    # -- running steps ---------------------------------------------------------------------------
    def _run_step(self, kind: str, xs, ys=None, sws=None) -> Any:
        """One step on one batch, waited for: its logs as floats (or predict's outputs)."""
        result = self._step_function(kind, xs, ys, sws)(_joined(xs, ys, sws), None)
        return _to_host(result) if kind == "predict" else result.resolve()

    def _step_function(self, kind: str, xs, ys=None, sws=None) -> Any:
        """``step.step_function`` of the ``kind`` program for arrays like ``xs``, ``ys``,
        ``sws``: it queues one step on their batches, fed in that order."""
        return step_function(self._trace(kind, xs, ys, sws), kind)

    def _batch_function(self, kind: str, xs, ys=None, sws=None) -> Any:
        """``_step_function`` on the samples that an index array picks: one batch (a
        ``(1, batch)`` index), or a ``(steps, batch)`` stack of equally sized batches run as
        one call."""
        step = self._step_function(kind, xs, ys, sws)
        arrays = _joined(xs, ys, sws)

        def run(index: np.ndarray) -> Any:
            steps = None if len(index) == 1 else len(index)
            rows = index[0] if steps is None else index
            return step(D.take(arrays, rows), steps)

        return run

    def _executions(self, n: int, batch_size: int, shuffle: bool,
                    limit: int) -> Iterator[tuple[int, np.ndarray]]:
        """(index of the first batch, ``(steps, batch)`` sample indices) of each program call
        over the first ``limit`` batches of ``n`` samples: ``steps_per_execution`` consecutive
        batches of one size, or one batch (those left over, and the smaller last one)."""
        batches = islice(D.batches(n, batch_size, shuffle), limit)
        first = 0
        for index in D.groups_of_equal_size(batches, self.steps_per_execution):
            yield first, index
            first += len(index)

    # -- user data -------------------------------------------------------------------------------
    def _input_names(self) -> list[str]:
        return self.input_names or ["input_0"]

    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, what="fit"):
        if not self.compiled and what != "predict":
            raise RuntimeError(f"You must call compile() before {what}() on model "
                               f"'{self.name}'")
        if x is None:
            raise ValueError(f"{what}() needs x")
        xs = D.as_list(x, self._input_names(), "x")
        ys = D.as_list(y, self.output_names or ["output_0"], "y")
        sws = D.as_list(sample_weight, self.output_names or ["output_0"], "sample_weight")
        if what != "predict" and ys is None:
            raise ValueError(f"{what}() needs y (targets) for model '{self.name}'")
        D.check_numeric(what, y=ys, sample_weight=sws)
        D.check_not_empty(what, xs, D.check_cardinality(x=xs, y=ys, sample_weight=sws))
        self._check_input_shapes(xs)
        if class_weight is not None:
            cw = D.class_weights_to_sample_weights(ys[0], class_weight)
            sws = [cw * (sws[0] if sws else 1.0)] + (sws[1:] if sws else [])
        if sws is not None and len(sws) == 1 and ys is not None and len(ys) > 1:
            sws = sws * len(ys)
        if what == "fit":
            D.warn_on_nan(x=xs, y=ys)
        return xs, ys, sws

    def _check_input_shapes(self, xs: list[np.ndarray]) -> None:
        expected = [tuple(t.shape) for t in (getattr(self, "inputs", None) or [])]
        if not expected:
            return
        if len(xs) != len(expected):
            raise ValueError(f"Model '{self.name}' expects {len(expected)} input(s), got "
                             f"{len(xs)} array(s)")
        for i, (a, shape) in enumerate(zip(xs, expected)):
            ok = a.ndim == len(shape) and all(s is None or s == d
                                              for s, d in zip(shape[1:], a.shape[1:]))
            if not ok:
                raise ValueError(f"Input {i} of model '{self.name}' expects arrays of shape "
                                 f"{shape}, got an array of shape {a.shape}")

    def _check_sparse_labels(self, outputs: list[Tensor], ys: list[np.ndarray]) -> None:
        """Sparse class labels must index the model's outputs: checked on the host, against
        the static shapes of a traced program's ``outputs``, before any step, so a bad label
        never leaves a half-trained model behind."""
        for loss, out, y in zip(self._compiled.losses, outputs, ys):
            classes = out.shape[-1] if out.shape else None
            sparse = "sparse_categorical" in getattr(loss, "name", "")
            if sparse and classes and y.size and (y.min() < 0 or y.max() >= classes):
                raise ValueError(f"Sparse labels must be in [0, {classes}) for output "
                                 f"'{out.name}' of {classes} classes; y has values from "
                                 f"{y.min()} to {y.max()}")

    # -- the public loops --------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: list | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: dict | None = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> History:
        """Train for ``epochs`` passes over ``(x, y)``; returns the ``History``."""
        _check_fit_arguments(batch_size, validation_batch_size, epochs, initial_epoch,
                             callbacks)
        batch_size = batch_size or 32
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            vx, vy, *vsw = validation_data
            val = self._prepare(vx, vy, vsw[0] if vsw else None, what="evaluate")
        # Traced before the callbacks start, as Keras 3's fit builds the model and its train
        # function first (but after all the data is checked: tracing makes the optimizer's
        # slots); the labels are checked against the program's outputs.
        self._check_sparse_labels(self._trace("train", xs, ys, sws).outputs, ys)
        if val is None and validation_split:
            (xs, ys, sws), (vxs, vys, vsws) = D.split_validation([xs, ys, sws],
                                                                 validation_split)
            val = (vxs, vys, vsws)
        n = len(xs[0])
        steps = _limited(-(-n // batch_size), steps_per_epoch, "steps_per_epoch")
        distribution_lib.check_batches(n, batch_size, steps, "batch_size")
        if val is not None:
            distribution_lib.check_batches(len(val[0][0]), validation_batch_size or batch_size,
                                           validation_steps, "validation_batch_size")
        verbose = 1 if verbose == "auto" else verbose
        history = History()
        callbacks = _callback_list(callbacks, history, verbose, self,
                                   epochs=epochs, steps=steps, verbose=verbose)
        self.stop_training = False
        callbacks.on_train_begin()
        if self._initial_epoch is not None:
            initial_epoch, self._initial_epoch = self._initial_epoch, None
        logs: Any = {}
        epoch_logs: dict[str, float] = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            in_flight: deque[PendingLogs] = deque()
            train = self._batch_function("train", xs, ys, sws)
            for first, index in self._executions(n, batch_size, shuffle, steps):
                last = first + len(index) - 1
                callbacks.on_train_batch_begin(first)
                logs = train(index)
                _bound_queue(in_flight, logs)
                callbacks.on_train_batch_end(last, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(resolve_logs(logs))
            if val is not None and (epoch + 1) % validation_freq == 0:
                # Validation calls the test hooks, as Keras's fit does (TensorBoard uses them).
                callbacks.on_test_begin()
                val_logs = self._evaluate_arrays(*val, validation_batch_size or batch_size,
                                                 callbacks, validation_steps)
                callbacks.on_test_end(val_logs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end(epoch_logs)
        return history

    def _evaluate_arrays(self, xs, ys, sws, batch_size, callbacks=None,
                         steps: int | None = None) -> dict[str, float]:
        self.reset_metrics()
        logs: Any = {}
        n = len(xs[0])
        steps = _limited(-(-n // batch_size), steps, "steps")
        in_flight: deque[PendingLogs] = deque()
        test = self._batch_function("test", xs, ys, sws)
        for first, index in self._executions(n, batch_size, False, steps):
            if callbacks:
                callbacks.on_test_batch_begin(first)
            logs = test(index)
            _bound_queue(in_flight, logs)
            if callbacks:
                callbacks.on_test_batch_end(first + len(index) - 1, logs)
        return dict(resolve_logs(logs))

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: list | None = None, return_dict: bool = False) -> Any:
        """The loss and metrics over ``(x, y)``: a scalar, a list, or a dict."""
        arguments.check_batch_size("evaluate", "batch_size", batch_size)
        arguments.check_callbacks("evaluate", callbacks)
        xs, ys, sws = self._prepare(x, y, sample_weight, what="evaluate")
        self._check_sparse_labels(self._trace("test", xs, ys, sws).outputs, ys)
        distribution_lib.check_batches(len(xs[0]), batch_size or 32, steps, "batch_size")
        callback_list = _callback_list(callbacks, None, 0, self)
        callback_list.on_test_begin()
        logs = self._evaluate_arrays(xs, ys, sws, batch_size or 32, callback_list, steps)
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: list | None = None) -> Any:
        """The model's outputs for ``x``, computed in inference mode, as numpy arrays."""
        arguments.check_batch_size("predict", "batch_size", batch_size)
        arguments.check_callbacks("predict", callbacks)
        xs, _, _ = self._prepare(x, what="predict")
        callback_list = _callback_list(callbacks, None, 0, self)
        callback_list.on_predict_begin()
        chunks: list[list[np.ndarray]] = []
        batch_size = batch_size or 32
        limit = _limited(-(-len(xs[0]) // batch_size), steps, "steps")
        distribution_lib.check_batches(len(xs[0]), batch_size, limit, "batch_size")
        predict = self._batch_function("predict", xs)
        for first, index in self._executions(len(xs[0]), batch_size, False, limit):
            callback_list.on_predict_batch_begin(first)
            outputs = predict(index)
            # Stacked steps come back as (steps, batch, ...): one row per sample again.
            chunks.append([a.reshape(-1, *a.shape[2:]) if len(index) > 1 else a
                           for a in _to_host(outputs)])
            callback_list.on_predict_batch_end(first + len(index) - 1)
        callback_list.on_predict_end()
        outputs = [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]
        return outputs[0] if len(outputs) == 1 else outputs

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        """One training step on one batch; metrics keep accumulating across calls."""
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        return _result(self._run_step("train", xs, ys, sws), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        xs, ys, sws = self._prepare(x, y, sample_weight, what="evaluate")
        return _result(self._run_step("test", xs, ys, sws), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        xs, _, _ = self._prepare(x, what="predict")
        outputs = self._run_step("predict", xs)
        return outputs[0] if len(outputs) == 1 else outputs


def _check_fit_arguments(batch_size, validation_batch_size, epochs, initial_epoch,
                         callbacks) -> None:
    arguments.check_batch_size("fit", "batch_size", batch_size)
    arguments.check_batch_size("fit", "validation_batch_size", validation_batch_size)
    arguments.check_epoch_count("fit", "epochs", epochs)
    arguments.check_epoch_count("fit", "initial_epoch", initial_epoch)
    arguments.check_callbacks("fit", callbacks)


def _joined(*groups: list[np.ndarray] | None) -> list[np.ndarray]:
    """The arrays of several groups (inputs, targets, sample weights; None for none) as one
    list, in the order the step functions feed them."""
    return [a for group in groups if group is not None for a in group]


def _to_host(values: list[Any]) -> list[np.ndarray]:
    return [K.get_session().backend.to_numpy(v) for v in values]


_MAX_IN_FLIGHT = 2  # steps queued ahead of the one the host waits for


def _bound_queue(in_flight: deque, logs: PendingLogs) -> None:
    """Wait for the step dispatched ``_MAX_IN_FLIGHT`` calls ago. The host prepares the next
    batches while the device works, but never runs further ahead than that, so the batches
    waiting on the device (each a copy) stay few."""
    in_flight.append(logs)
    if len(in_flight) > _MAX_IN_FLIGHT:
        in_flight.popleft().resolve()


def _limited(available: int, steps: int | None, name: str) -> int:
    """How many batches to run: all of them, or the first ``steps`` (a positive int)."""
    if steps is None:
        return available
    if not is_positive_int(steps):
        raise ValueError(f"{name} must be a positive integer or None, got {steps!r}")
    return min(steps, available)


def _result(logs: dict[str, float], return_dict: bool) -> Any:
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _callback_list(callbacks, history, progress, model, **params) -> CallbackList:
    """The user's callbacks, then History (fit only) and the progress display (if shown)."""
    items = list(callbacks or [])
    if history is not None:
        items.append(history)
    if progress:
        items.append(ProgbarLogger())
    return CallbackList(items, model=model, **params)

