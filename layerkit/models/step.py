"""A model's step programs, traced on placeholders, and the functions that run one step.

``trace_program`` replays the model on placeholders shaped like a batch: the *train* program
(forward with ``training=True``, loss, gradients, optimizer update, layer state updates and
metric accumulation), the *test* program (forward with ``training=False``, loss and metrics) or
the *predict* program (the outputs). ``step_function`` prepares one session run of a program;
a step's metric values stay on the device as ``PendingLogs`` until a callback reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.callbacks.callback import PendingLogs
from layerkit.graph import Tensor, gradients, group, ops, placeholder, substitute
from layerkit.layers.layer import Traced, tracing
from layerkit.models.compile_utils import Compiled
from layerkit.utils.tree import flatten, pack_sequence_as


@dataclass(eq=False)  # it holds tensors, whose == is element-wise
class Program:
    """One traced program: its placeholders, the model's outputs, and what a run fetches."""

    inputs: list[Tensor]  # x placeholders
    targets: list[Tensor]  # y placeholders
    sample_weights: list[Tensor]
    batch_size: Tensor  # a scalar placeholder: the loss tracker weighs each batch by its size
    outputs: list[Tensor]  # the model's outputs
    fetches: Any  # logs dict, or outputs for predict
    run: Any = None  # the op that stores the updates


def program_key(kind: str, xs: list[np.ndarray], ys: list[np.ndarray] | None,
                sws: list[np.ndarray] | None) -> tuple:
    """What tells programs apart: batches of other shapes (beyond the batch dimension) or
    dtypes, or sample weights given or not, need a program of their own."""
    return (kind, _signature(xs), _signature(ys), sws is not None)


def trace_program(model: Any, compiled: Compiled | None, kind: str, xs: list[np.ndarray],
                  ys: list[np.ndarray] | None, sws: list[np.ndarray] | None) -> Program:
    """The ``kind`` program ('train', 'test' or 'predict') of ``model`` for batches like
    ``xs``, ``ys`` and ``sws``; ``compiled`` (the model's compile arguments) is resolved
    against the outputs if it is not yet."""
    with tracing(training=(kind == "train")) as traced:
        x_in = _placeholders_like(xs)
        outputs = flatten(model(_model_inputs(model, x_in)))
        if kind == "predict":
            return Program(x_in, [], [], None, outputs, outputs)
        return _trace_loss_and_metrics(model, compiled, kind, x_in, outputs, ys, sws, traced)


def step_function(program: Program, kind: str) -> Callable[[list[np.ndarray], int | None], Any]:
    """A function that queues one call of ``program`` without waiting for it: given its
    batches (inputs, targets, sample weights, in that order) it returns ``PendingLogs`` (train,
    test) or the outputs as backend arrays (predict). Given ``steps``, the batches are that many
    stacked along a leading axis, run in one call.

    The fed arrays must be the step's own (fresh batches, or arrays it waits on): they reach
    the program without a private copy."""
    session = K.get_session()
    if kind == "predict":
        predict = session.make_callable(program.fetches, program.inputs)
        return lambda feeds, steps: predict.dispatch(*feeds, steps=steps, copy_feeds=False)
    run = session.make_callable(
        [program.fetches, program.run],
        [*program.inputs, *program.targets, *program.sample_weights, program.batch_size])

    def step(feeds: list[np.ndarray], steps: int | None) -> PendingLogs:
        size = np.float32(len(feeds[0]) if steps is None else feeds[0].shape[1])
        batch = size if steps is None else np.full(steps, size)
        logs, _ = run.dispatch(*feeds, batch, steps=steps, copy_feeds=False)
        return PendingLogs(lambda: _logs_to_floats(session.backend, logs, steps))

    return step


# -- tracing ------------------------------------------------------------------------------------
def _trace_loss_and_metrics(model: Any, compiled: Compiled, kind: str, x_in: list[Tensor],
                            outputs: list[Tensor], ys: list[np.ndarray],
                            sws: list[np.ndarray] | None, traced: Traced) -> Program:
    if len(ys) != len(outputs):
        raise ValueError(f"Model '{model.name}' has {len(outputs)} output(s) but y holds "
                         f"{len(ys)} array(s)")
    y_in = _placeholders_like(ys)
    compiled.ensure(outputs, y_in)
    sw_in = [placeholder("float32", (None,)) for _ in ys] if sws is not None else []
    batch = placeholder("float32", ())
    per_output = _per_output_losses(compiled, y_in, outputs, sw_in)
    total = _total_loss(model, compiled, per_output, traced)
    updates = list(traced.updates) if kind == "train" else []
    if kind == "train":
        updates += _optimizer_updates(model, total)
    logs: dict[str, Tensor] = {}
    updates += _track_losses(compiled, total, per_output, batch, logs)
    updates += _track_metrics(compiled, y_in, outputs, sw_in, logs)
    updates = [u for u in updates if u is not None]
    program = Program(x_in, y_in, sw_in, batch, outputs, _after_updates(logs, updates))
    program.run = group(*updates)
    return program


def _per_output_losses(compiled: Compiled, y_in: list[Tensor], outputs: list[Tensor],
                       sw_in: list[Tensor]) -> list[Tensor]:
    return [loss(y, out, sample_weight=_sample_weight(sw_in, k, out))
            for k, (loss, y, out) in enumerate(zip(compiled.losses, y_in, outputs))]


def _total_loss(model: Any, compiled: Compiled, per_output: list[Tensor],
                traced: Traced) -> Tensor:
    """The weighted sum of the outputs' losses, plus the weight penalties and the losses the
    layers added (``add_loss``)."""
    total = sum(weight * loss for weight, loss in zip(compiled.weights, per_output))
    for penalty in [*model.regularization_losses(), *traced.losses]:
        total = total + ops.cast(penalty, total.dtype)
    return total


def _optimizer_updates(model: Any, total: Tensor) -> list[Tensor]:
    trainable = model.trainable_weights
    if not trainable:
        return []
    grads = gradients(total, trainable)
    return model.optimizer.apply_gradients(list(zip(grads, trainable)))


def _track_losses(compiled: Compiled, total: Tensor, per_output: list[Tensor], batch: Tensor,
                  logs: dict[str, Tensor]) -> list[Tensor]:
    """The loss trackers' updates (each batch weighed by its size); their results go in
    ``logs``."""
    updates = list(compiled.loss_tracker.update_state(total, sample_weight=batch))
    for tracker, value in zip(compiled.output_trackers, per_output):
        updates += tracker.update_state(value, sample_weight=batch)
    logs["loss"] = compiled.loss_tracker.result()
    for tracker in compiled.output_trackers:
        logs[tracker.name] = tracker.result()
    return updates


def _track_metrics(compiled: Compiled, y_in: list[Tensor], outputs: list[Tensor],
                   sw_in: list[Tensor], logs: dict[str, Tensor]) -> list[Tensor]:
    """The compiled metrics' updates, output by output (the weighted ones with the sample
    weights); their results go in ``logs``."""
    updates: list[Tensor] = []
    for k, (y, out) in enumerate(zip(y_in, outputs)):
        for metric in compiled.metrics[k]:
            updates += metric.update_state(y, out)
            logs[compiled.log_name(k, metric)] = metric.result()
        for metric in compiled.weighted[k]:
            updates += metric.update_state(y, out, sample_weight=_sample_weight(sw_in, k, out))
            logs[compiled.log_name(k, metric)] = metric.result()
    return updates


def _sample_weight(sw_in: list[Tensor], index: int, output: Tensor) -> Tensor | None:
    """Output ``index``'s sample weights in the output's dtype (None when none are fed)."""
    return ops.cast(sw_in[index], output.dtype) if sw_in else None


def _after_updates(logs: dict[str, Tensor], updates: list[Tensor]) -> dict[str, Tensor]:
    """The logs computed from the values the step stores, not the values from before it:
    within one run every variable read sees the old value, so each metric result is rebuilt on
    the outputs of its variables' ``assign`` ops (Keras reports metrics after the update)."""
    new_values = {u.op.attrs["var"]: u for u in updates if u.op.type == "assign"}
    return dict(zip(logs, substitute(list(logs.values()), new_values)))


def _model_inputs(model: Any, tensors: list[Tensor]) -> Any:
    """The input placeholders in the structure the model was built on (a functional model's
    ``inputs``), or as one tensor or a list."""
    structure = getattr(model, "_input_structure", None)
    if structure is None:
        return tensors[0] if len(tensors) == 1 else tensors
    if isinstance(structure, dict):
        return dict(zip(sorted(structure), tensors))
    return pack_sequence_as(structure, tensors)


def _placeholders_like(arrays: list[np.ndarray]) -> list[Tensor]:
    """A placeholder per array, for batches of any size with its other dimensions."""
    return [placeholder(_feed_dtype(a), (None, *a.shape[1:])) for a in arrays]


def _feed_dtype(array: np.ndarray) -> np.dtype:
    """Float data is fed as floatx; integer and bool data keep their type."""
    if array.dtype.kind in "iub":
        return np.dtype("int64") if array.dtype == np.int64 else np.dtype("int32")
    return np.dtype(K.floatx())


def _signature(arrays: list[np.ndarray] | None) -> tuple:
    return () if arrays is None else tuple((a.shape[1:], _feed_dtype(a)) for a in arrays)


# -- running ------------------------------------------------------------------------------------
def _logs_to_floats(backend: Any, logs: dict[str, Any], steps: int | None) -> dict[str, float]:
    """A step's logs as floats; of stacked steps, the last step's (metrics accumulate)."""
    values = {name: backend.to_numpy(value) for name, value in logs.items()}
    return {name: float(v if steps is None else v[-1]) for name, v in values.items()}


__all__ = ["Program", "program_key", "step_function", "trace_program"]
