"""A model's step programs, traced on placeholders, and the functions that run one step.

``trace_program`` traces one of the model's step methods (``step_methods.py``: built in or
overridden) on placeholders shaped like a batch: the *train* program (``train_step``: forward
with ``training=True``, loss, gradients, optimizer update, layer state updates and metric
accumulation), the *test* program (``test_step``: loss and metrics in inference mode) or the
*predict* program (``predict_step``: the outputs). ``step_function`` prepares one session run
of a program; a step's metric values stay on the device as ``PendingLogs`` until a callback
reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.callbacks.callback import PendingLogs
from layerkit.graph import (
    Tensor,
    assigns_since,
    constant,
    group,
    one_write_per_variable,
    placeholder,
    substitute,
)
from layerkit.layers.layer import tracing
from layerkit.utils.data_packing import pack_x_y_sample_weight
from layerkit.utils.tree import flatten, pack_sequence_as


@dataclass(eq=False)  # it holds tensors, whose == is element-wise
class Program:
    """One traced program: its placeholders, the model's outputs, and what a run fetches."""

    inputs: list[Tensor]  # x placeholders
    targets: list[Tensor]  # y placeholders
    sample_weights: list[Tensor]
    outputs: list[Tensor]  # the model's outputs the losses saw (empty if unknown)
    fetches: Any  # logs dict, or the flat outputs for predict
    run: Any = None  # the op that stores the updates
    structure: Any = None  # predict: the outputs' structure (one tensor, a list, a dict)
    step: Any = None  # its step function, made on first use (step_function)


def program_key(kind: str, xs: list[np.ndarray], ys: list[np.ndarray] | None,
                sws: list[np.ndarray] | None) -> tuple:
    """What tells programs apart: batches of other shapes (beyond the batch dimension) or
    dtypes, or sample weights given or not, need a program of their own."""
    return (kind, _signature(xs), _signature(ys), sws is not None)


def trace_program(model: Any, kind: str, xs: list[np.ndarray], ys: list[np.ndarray] | None,
                  sws: list[np.ndarray] | None) -> Program:
    """The ``kind`` program ('train', 'test' or 'predict') of ``model`` for batches like
    ``xs``, ``ys`` and ``sws``: the model's ``train_step``, ``test_step`` or ``predict_step``
    (built in or overridden) traced on placeholders. Every variable write the step makes
    (the optimizer's, the metrics', the layers' state) is stored by the program's run."""
    graph = K.get_graph()
    with graph.as_default(), tracing(training=(kind == "train")) as traced:
        x_in = _placeholders_like(xs)
        y_in = _placeholders_like(ys) if ys is not None else []
        sw_in = [placeholder("float32", (None,)) for _ in sws] if sws is not None else []
        data = pack_x_y_sample_weight(model_inputs(model, x_in), one_or_list(y_in),
                                      one_or_list(sw_in))
        first = len(graph.get_operations())
        model._loss_outputs = []
        result = getattr(model, f"{kind}_step")(data)
        if kind == "predict":
            outputs = flatten(result)
            return Program(x_in, [], [], outputs, outputs, structure=result)
        logs = _logs_dict(model, kind, result)
        updates = one_write_per_variable([*traced.updates, *assigns_since(graph, first)])
        program = Program(x_in, y_in, sw_in, model._loss_outputs, _after_updates(logs, updates))
        program.run = group(*updates)
        return program


def ensure_compiled(model: Any, xs: list[np.ndarray], ys: list[np.ndarray] | None) -> None:
    """Resolve ``model``'s compile arguments for batches like these, as a trace of its step
    would: a JAX-style step reads ``model.metrics`` before anything of layerkit's is traced."""
    compiled = model._compiled
    if compiled is None or compiled.ready:
        return
    graph = K.get_graph()
    with graph.as_default(), tracing(training=False):
        outputs = flatten(model(model_inputs(model, _placeholders_like(xs)), training=False))
        compiled.ensure(outputs, _placeholders_like(ys) if ys else None)


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
    run = session.make_callable([program.fetches, program.run],
                                [*program.inputs, *program.targets, *program.sample_weights])

    def step(feeds: list[np.ndarray], steps: int | None) -> PendingLogs:
        logs, _ = run.dispatch(*feeds, steps=steps, copy_feeds=False)
        return PendingLogs(lambda: _logs_to_floats(session.backend, logs, steps))

    step.program = program
    return step


# -- tracing ------------------------------------------------------------------------------------
def one_or_list(tensors: list[Any]) -> Any:
    """Targets or sample weights as a step receives them: one tensor, a list, or None."""
    if not tensors:
        return None
    return tensors[0] if len(tensors) == 1 else list(tensors)


def flat_logs(result: Any, what: str) -> dict[str, Any]:
    """A step's returned logs as one flat dict (a nested dict's entries join the top level, as
    in Keras); ``what`` names the step in the error for anything but a dict."""
    if not isinstance(result, dict):
        raise TypeError(f"{what} must return a dict of metric results (name -> scalar), got "
                        f"{type(result).__name__}")
    logs: dict[str, Any] = {}
    for name, value in result.items():
        if isinstance(value, dict):
            logs.update(flat_logs(value, what))
        else:
            logs[name] = value
    return logs


def _logs_dict(model: Any, kind: str, result: Any) -> dict[str, Tensor]:
    """A step's logs as scalar tensors (plain numbers become constants)."""
    logs = flat_logs(result, f"{type(model).__name__}.{kind}_step()")
    return {name: value if isinstance(value, Tensor) else constant(np.float32(value))
            for name, value in logs.items()}


def _after_updates(logs: dict[str, Tensor], updates: list[Tensor]) -> dict[str, Tensor]:
    """The logs computed from the values the step stores, not the values from before it:
    within one run every variable read sees the old value, so each metric result is rebuilt on
    the outputs of its variables' ``assign`` ops (Keras reports metrics after the update)."""
    new_values = {u.op.attrs["var"]: u for u in updates if u.op.type == "assign"}
    return dict(zip(logs, substitute(list(logs.values()), new_values)))


def model_inputs(model: Any, tensors: list[Any]) -> Any:
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


__all__ = ["Program", "ensure_compiled", "flat_logs", "model_inputs", "one_or_list",
           "program_key", "step_function", "trace_program"]
