"""``compile``, ``fit``, ``evaluate``, ``predict``: each step is one compiled program.

A model traces its programs on placeholders, once per input signature (``step.py``: the train,
test and predict programs), from the loss and metric objects its ``compile`` arguments resolve
to (``compile_utils.py``). The Keras session compiles each program once (on the jax backend:
one XLA executable) and the loops here run it per batch, or per ``steps_per_execution`` stacked
batches. A step's metric values stay on the device as ``PendingLogs`` until a callback reads
them.
"""

from __future__ import annotations

import functools
import warnings
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
from layerkit.models.batch_sources import BatchSource, check_source_arguments, is_batch_source
from layerkit.models.compile_utils import Compiled, check_loss_names
from layerkit.models.jax_steps import JaxStyleSteps, is_jax_style
from layerkit.models.stateless import StatelessMethods
from layerkit.models.step import Program, program_key, step_function, trace_program
from layerkit.models.step_methods import StepMethods
from layerkit.utils.tree import is_positive_int, pack_sequence_as


class Trainer(StepMethods, StatelessMethods):
    """The training API of ``Model``: ``compile``, the loops, the step methods they trace
    (``StepMethods``) and the stateless API (``StatelessMethods``)."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history: History | None = None
        self._compiled: Compiled | None = None
        self._programs: dict[tuple, Program] = {}
        self._jax_steps: dict[str, JaxStyleSteps] = {}  # JAX-style step overrides' runners
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
        self._jax_steps = {}
        self.compiled = True

    def get_compile_config(self) -> dict[str, Any] | None:
        """The ``compile`` arguments, serialized as Keras 3 writes them (objects as
        ``{"class_name", "config"}``, names as names); None before ``compile``."""
        if not self.compiled:
            return None
        from layerkit.formats.config import training_config

        config = training_config(self)
        config["optimizer"] = config.pop("optimizer_config")
        return config

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """``compile`` with the arguments ``get_compile_config`` returned (only built-in
        classes and registered custom objects are rebuilt)."""
        from layerkit.formats.config import compile_from_training_config

        if not isinstance(config, dict) or "optimizer" not in config:
            raise ValueError("compile_from_config() needs a dict from get_compile_config(), "
                             f"with an 'optimizer' entry; got {config!r:.200}")
        config = dict(config)
        config["optimizer_config"] = config.pop("optimizer")
        compile_from_training_config(self, config)

    # -- tracing programs ------------------------------------------------------------------------
    def _trace(self, kind: str, xs, ys, sws) -> Program:
        """The ``kind`` program for batches like these, traced once per signature (until the
        next ``compile``)."""
        key = program_key(kind, xs, ys, sws)
        if key not in self._programs:
            if is_jax_style(self, kind):
                self._programs[key] = self._jax_program(kind, xs, ys)
            else:
                self._programs[key] = trace_program(self, kind, xs, ys, sws)
        return self._programs[key]

    def _jax_program(self, kind: str, xs, ys) -> Program:
        """A stand-in program for a JAX-style ``{kind}_step`` (``jax_steps.py``): no graph, no
        outputs to check labels against; its step function calls the jitted step."""
        if kind not in self._jax_steps:
            self._jax_steps[kind] = JaxStyleSteps(self, kind)
        runner = self._jax_steps[kind]
        program = Program([], [], [], [], None)
        n_x, n_y = len(xs), len(ys or [])

        def step(feeds: list[np.ndarray], steps: int | None) -> Any:
            out = runner(feeds[:n_x], feeds[n_x:n_x + n_y] or None, feeds[n_x + n_y:] or None)
            program.structure = runner.structure
            return out

        step.program = program
        program.step = step
        return program

    def _end_jax_steps(self, kind: str) -> None:
        """Store what a JAX-style ``{kind}_step`` pass computed into the variables."""
        runner = self._jax_steps.get(kind)
        if runner is not None:
            runner.end()

    # -- running steps ---------------------------------------------------------------------------
    def _run_step(self, kind: str, xs, ys=None, sws=None) -> Any:
        """One step on one batch, waited for: its logs as floats (or predict's outputs)."""
        result = self._step_function(kind, xs, ys, sws)(_joined(xs, ys, sws), None)
        return _to_host(result) if kind == "predict" else result.resolve()

    def _step_function(self, kind: str, xs, ys=None, sws=None) -> Any:
        """``step.step_function`` of the ``kind`` program for arrays like ``xs``, ``ys``,
        ``sws`` (made once per program): it queues one step on their batches, fed in that
        order."""
        program = self._trace(kind, xs, ys, sws)
        if program.step is None:
            program.step = step_function(program, kind)
        return program.step

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

    def _executions(self, kind: str, n: int, batch_size: int, shuffle: bool,
                    limit: int) -> Iterator[tuple[int, np.ndarray]]:
        """(index of the first batch, ``(steps, batch)`` sample indices) of each program call
        over the first ``limit`` batches of ``n`` samples: ``steps_per_execution`` consecutive
        batches of one size, or one batch (those left over, and the smaller last one)."""
        batches = islice(D.batches(n, batch_size, shuffle), limit)
        first = 0
        per_call = 1 if is_jax_style(self, kind) else self.steps_per_execution
        for index in D.groups_of_equal_size(batches, per_call):
            yield first, index
            first += len(index)

    # -- user data -------------------------------------------------------------------------------
    def _input_names(self) -> list[str]:
        return self.input_names or ["input_0"]

    def _require_compiled(self, what: str) -> None:
        if not self.compiled and what != "predict":
            raise RuntimeError(f"You must call compile() before {what}() on model "
                               f"'{self.name}'")

    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, what="fit",
                 warn_nan=True):
        self._require_compiled(what)
        if x is None:
            raise ValueError(f"{what}() needs x")
        xs = D.as_list(x, self._input_names(), "x")
        D.check_input_type(what, x, xs)
        ys = D.as_list(y, self.output_names or ["output_0"], "y")
        sws = D.as_list(sample_weight, self.output_names or ["output_0"], "sample_weight")
        D.check_numeric(what, y=ys, sample_weight=sws)
        D.check_not_empty(what, xs, D.check_cardinality(x=xs, y=ys, sample_weight=sws))
        self._check_input_shapes(xs)
        if class_weight is not None:
            cw = D.class_weights_to_sample_weights(ys[0], class_weight)
            sws = [cw * (sws[0] if sws else 1.0)] + (sws[1:] if sws else [])
        if sws is not None and len(sws) == 1 and ys is not None and len(ys) > 1:
            sws = sws * len(ys)
        if what == "fit" and warn_nan:
            D.warn_on_nan(x=xs, y=ys)
        return xs, ys, sws

    def _prepare_batch(self, source: BatchSource, index: int, x, y, sample_weight,
                       class_weight, what: str):
        """``_prepare`` on one batch of a source; an error names the batch. (No NaN scan: on
        a stream it would cost every step what it costs arrays once.)"""
        try:
            return self._prepare(x, y, sample_weight, class_weight, what=what, warn_nan=False)
        except (ValueError, TypeError) as error:
            raise type(error)(f"{what}(): {source.where(index)}: {error}") from None

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
        if not ys or not outputs:  # no targets, or a custom step that computes no loss
            return
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
        """Train for ``epochs`` passes over the data; returns the ``History``. The data is
        arrays ``(x, y)`` (batched and shuffled here), or ``x`` alone as a generator, an
        iterator or a ``keras.utils.PyDataset`` of batches."""
        _check_fit_arguments(batch_size, validation_batch_size, epochs, initial_epoch,
                             callbacks)
        batch_size = batch_size or 32
        if is_batch_source(x):
            check_source_arguments("fit", x, y=y, sample_weight=sample_weight,
                                   validation_split=validation_split)
            self._require_compiled("fit")
            train = _SourceEpochs(self, "train", BatchSource(x, "fit"), steps_per_epoch,
                                  "steps_per_epoch", shuffle, class_weight)
            val = self._validation_epochs(validation_data, self._validation_arrays(validation_data),
                                          validation_batch_size or batch_size, validation_steps)
        else:
            train, val = self._array_epochs_for_fit(
                x, y, sample_weight, class_weight, batch_size, shuffle, steps_per_epoch,
                validation_split, validation_data, validation_batch_size, validation_steps)
        verbose = 1 if verbose == "auto" else verbose
        history = History()
        callbacks = _callback_list(callbacks, history, verbose, self,
                                   epochs=epochs, steps=train.steps, verbose=verbose)
        self.stop_training = False
        callbacks.on_train_begin()
        if self._initial_epoch is not None:
            initial_epoch, self._initial_epoch = self._initial_epoch, None
        epoch_logs: dict[str, float] = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            logs: Any = {}
            in_flight: deque[PendingLogs] = deque()
            for first, last, call in train.calls():
                callbacks.on_train_batch_begin(first)
                logs = call()
                _bound_queue(in_flight, logs)
                callbacks.on_train_batch_end(last, logs)
                if self.stop_training:
                    break
            self._end_jax_steps("train")
            if train.ran_out:
                _warn_ran_out(train)
                self.stop_training = True
                if not train.ran:
                    break
            epoch_logs = dict(resolve_logs(logs))
            if val is not None and (epoch + 1) % validation_freq == 0:
                # Validation calls the test hooks, as Keras's fit does (TensorBoard uses them).
                callbacks.on_test_begin()
                val_logs = self._test_epoch(val, callbacks)
                callbacks.on_test_end(val_logs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end(epoch_logs)
        return history

    def _array_epochs_for_fit(self, x, y, sample_weight, class_weight, batch_size, shuffle,
                              steps_per_epoch, validation_split, validation_data,
                              validation_batch_size, validation_steps):
        """The train and validation epochs of ``fit`` on arrays, every array checked and the
        train program traced before any callback starts."""
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        val = self._validation_arrays(validation_data)
        # Traced before the callbacks start, as Keras 3's fit builds the model and its train
        # function first (but after all the data is checked: tracing makes the optimizer's
        # slots); the labels are checked against the program's outputs.
        self._check_sparse_labels(self._trace("train", xs, ys, sws).outputs, ys)
        if val is None and validation_split:
            (xs, ys, sws), val = D.split_validation([xs, ys, sws], validation_split)
        train = _ArrayEpochs(self, "train", (xs, ys, sws), batch_size, shuffle,
                             steps_per_epoch, "steps_per_epoch")
        distribution_lib.check_batches(len(xs[0]), batch_size, train.steps, "batch_size")
        return train, self._validation_epochs(validation_data, val,
                                              validation_batch_size or batch_size,
                                              validation_steps)

    def _validation_arrays(self, validation_data):
        """``validation_data`` given as arrays ``(x, y[, sample_weight])``, checked; None for
        none, or for a source of batches."""
        if validation_data is None or is_batch_source(validation_data):
            return None
        vx, vy, *vsw = validation_data
        return self._prepare(vx, vy, vsw[0] if vsw else None, what="evaluate")

    def _validation_epochs(self, validation_data, arrays, batch_size, steps):
        """The epochs ``fit`` validates on: a source given as ``validation_data``, or the
        prepared validation arrays (None: no validation)."""
        if validation_data is not None and is_batch_source(validation_data):
            return _SourceEpochs(self, "test", BatchSource(validation_data, "evaluate"), steps,
                                 "validation_steps")
        if arrays is None:
            return None
        distribution_lib.check_batches(len(arrays[0][0]), batch_size, steps,
                                       "validation_batch_size")
        return _ArrayEpochs(self, "test", arrays, batch_size, False, steps, "validation_steps")

    def _test_epoch(self, epochs: Any, callbacks: CallbackList | None = None
                    ) -> dict[str, float]:
        """One pass of the test program over ``epochs``' batches, from reset metrics."""
        self.reset_metrics()
        logs: Any = {}
        in_flight: deque[PendingLogs] = deque()
        for first, last, call in epochs.calls():
            if callbacks:
                callbacks.on_test_batch_begin(first)
            logs = call()
            _bound_queue(in_flight, logs)
            if callbacks:
                callbacks.on_test_batch_end(last, logs)
        self._end_jax_steps("test")
        if epochs.ran_out:
            _warn_ran_out(epochs)
        return dict(resolve_logs(logs))

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: list | None = None, return_dict: bool = False) -> Any:
        """The loss and metrics over the data (arrays, or a source of batches as for
        ``fit``): a scalar, a list, or a dict."""
        arguments.check_batch_size("evaluate", "batch_size", batch_size)
        arguments.check_callbacks("evaluate", callbacks)
        if is_batch_source(x):
            check_source_arguments("evaluate", x, y=y, sample_weight=sample_weight)
            self._require_compiled("evaluate")
            epochs = _SourceEpochs(self, "test", BatchSource(x, "evaluate"), steps, "steps")
        else:
            xs, ys, sws = self._prepare(x, y, sample_weight, what="evaluate")
            self._check_sparse_labels(self._trace("test", xs, ys, sws).outputs, ys)
            distribution_lib.check_batches(len(xs[0]), batch_size or 32, steps, "batch_size")
            epochs = _ArrayEpochs(self, "test", (xs, ys, sws), batch_size or 32, False, steps,
                                  "steps")
        callback_list = _callback_list(callbacks, None, 0, self)
        callback_list.on_test_begin()
        logs = self._test_epoch(epochs, callback_list)
        callback_list.on_test_end(logs)
        return _result(logs, return_dict)

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: list | None = None) -> Any:
        """The model's outputs for ``x`` (arrays, or a source of batches), computed in
        inference mode, as numpy arrays: one array, a list, or a dict for dict outputs."""
        arguments.check_batch_size("predict", "batch_size", batch_size)
        arguments.check_callbacks("predict", callbacks)
        batch_size = batch_size or 32
        if is_batch_source(x):
            epochs: Any = _SourceEpochs(self, "predict", BatchSource(x, "predict"), steps,
                                        "steps")
        else:
            xs, _, _ = self._prepare(x, what="predict")
            epochs = _ArrayEpochs(self, "predict", (xs, None, None), batch_size, False, steps,
                                  "steps")
            distribution_lib.check_batches(len(xs[0]), batch_size, epochs.steps, "batch_size")
        callback_list = _callback_list(callbacks, None, 0, self)
        callback_list.on_predict_begin()
        chunks: list[list[np.ndarray]] = []
        for first, last, call in epochs.calls():
            callback_list.on_predict_batch_begin(first)
            outputs = _to_host(call())
            # Stacked steps come back as (steps, batch, ...): one row per sample again.
            chunks.append([a.reshape(-1, *a.shape[2:]) if last > first else a
                           for a in outputs])
            callback_list.on_predict_batch_end(last)
        self._end_jax_steps("predict")
        callback_list.on_predict_end()
        if not chunks:
            raise ValueError(f"predict(): {epochs.describe()} gave no batches")
        outputs = [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]
        return self._as_output_structure(epochs.last_xs, outputs)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        """One training step on one batch; the logs are that batch's (the metrics are reset
        first, as in Keras 3)."""
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        self._check_sparse_labels(self._trace("train", xs, ys, sws).outputs, ys)
        self.reset_metrics()
        logs = self._run_step("train", xs, ys, sws)
        self._end_jax_steps("train")
        return _result(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """The loss and metrics of one batch (the metrics are reset first)."""
        xs, ys, sws = self._prepare(x, y, sample_weight, what="evaluate")
        self._check_sparse_labels(self._trace("test", xs, ys, sws).outputs, ys)
        self.reset_metrics()
        logs = self._run_step("test", xs, ys, sws)
        self._end_jax_steps("test")
        return _result(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        xs, _, _ = self._prepare(x, what="predict")
        outputs = self._run_step("predict", xs)
        self._end_jax_steps("predict")
        return self._as_output_structure(xs, outputs)

    def _as_output_structure(self, xs: list[np.ndarray], outputs: list[np.ndarray]) -> Any:
        """Predicted arrays as ``predict_step`` returned its tensors: one array, a list, or a
        dict (by output name), as Keras 3's ``predict`` does."""
        structure = self._trace("predict", xs, None, None).structure
        if isinstance(structure, dict):
            return pack_sequence_as(structure, outputs)
        return outputs[0] if len(outputs) == 1 else outputs


class _ArrayEpochs:
    """The program calls of one pass over in-memory arrays: batches of ``batch_size``
    (shuffled per epoch with ``shuffle``), ``steps_per_execution`` at a time."""

    ran, ran_out = None, False  # arrays never run out

    def __init__(self, trainer: Trainer, kind: str, arrays: tuple, batch_size: int,
                 shuffle: bool, limit: int | None, limit_name: str):
        self.trainer, self.kind, self.arrays = trainer, kind, arrays
        self.batch_size, self.shuffle = batch_size, shuffle
        self.samples = len(arrays[0][0])
        self.steps = _limited(-(-self.samples // batch_size), limit, limit_name)
        self.last_xs = arrays[0]

    def calls(self) -> Iterator[tuple[int, int, Any]]:
        """(first batch index, last batch index, a function queuing that call)."""
        run = self.trainer._batch_function(self.kind, *self.arrays)
        for first, index in self.trainer._executions(self.kind, self.samples, self.batch_size,
                                                     self.shuffle, self.steps):
            yield first, first + len(index) - 1, functools.partial(run, index)

    def describe(self) -> str:
        return f"x of {self.samples} samples"


class _SourceEpochs:
    """The program calls of one pass over a generator, iterator or PyDataset: one batch per
    call, each checked (and its labels checked) before its step; each new batch signature
    traces a program once."""

    def __init__(self, trainer: Trainer, kind: str, source: BatchSource, limit: int | None,
                 limit_name: str = "steps", shuffle: bool = False,
                 class_weight: dict | None = None):
        _check_steps(limit, limit_name)
        self.trainer, self.kind, self.source = trainer, kind, source
        self.limit, self.shuffle, self.class_weight = limit, shuffle, class_weight
        self.steps = source.steps(limit)
        self.ran, self.ran_out, self.last_xs = 0, False, None

    def calls(self) -> Iterator[tuple[int, int, Any]]:
        self.ran, self.ran_out = 0, False
        what = self.source.what
        for index, (x, y, sample_weight) in self.source.epoch(self.limit, self.shuffle):
            if self.kind == "predict":
                y = sample_weight = None
            xs, ys, sws = self.trainer._prepare_batch(self.source, index, x, y, sample_weight,
                                                      self.class_weight, what)
            step = self.trainer._step_function(self.kind, xs, ys, sws)
            if self.kind != "predict":
                self.trainer._check_sparse_labels(step.program.outputs, ys)
            self.ran += 1
            self.last_xs = xs
            yield index, index, functools.partial(step, _joined(xs, ys, sws), None)
        self.ran_out = self.ran == 0 or (self.steps is not None and self.ran < self.steps)

    def describe(self) -> str:
        return f"the {self.source.kind}"


def _warn_ran_out(epochs: _SourceEpochs) -> None:
    expected = f"{epochs.steps} batches" if epochs.steps is not None else "a batch"
    warnings.warn(f"Your input ran out of data: {epochs.describe()} gave {epochs.ran} batch(es) "
                  f"where this epoch needed {expected}; interrupting. Make sure it can "
                  "generate at least `steps_per_epoch * epochs` batches (or leave "
                  "steps_per_epoch unset for a PyDataset).", stacklevel=3)


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


def _check_steps(steps: int | None, name: str) -> None:
    """``steps`` (``steps_per_epoch``, ``validation_steps``...) is None or a positive int."""
    if steps is not None and not is_positive_int(steps):
        raise ValueError(f"{name} must be a positive integer or None, got {steps!r}")


def _limited(available: int, steps: int | None, name: str) -> int:
    """How many batches to run: all of them, or the first ``steps`` (a positive int)."""
    _check_steps(steps, name)
    return available if steps is None else min(steps, available)


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

