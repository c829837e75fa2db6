"""Keras 3's JAX-style step overrides, run by ``fit``, ``evaluate`` and ``predict``.

A subclass written for Keras 3's jax backend overrides ``train_step(self, state, data) ->
(logs, state)`` (and ``test_step``, ``predict_step`` alike) with the stateless API inside. Such
a step is not traced into layerkit's graph: it is compiled with ``jax.jit`` and called per
batch on a state kept here, as Keras's jax trainer does::

    train:   (trainable_variables, non_trainable_variables, optimizer_variables,
              metrics_variables)
    test:    (trainable_variables, non_trainable_variables, metrics_variables)
    predict: (trainable_variables, non_trainable_variables); it returns
             (outputs, non_trainable_variables)

The state is read from the variables when a pass starts and written back when it ends, so
callbacks at epoch end, validation and saving see the trained weights.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.callbacks.callback import PendingLogs
from layerkit.models.step import ensure_compiled, flat_logs, model_inputs, one_or_list
from layerkit.utils.data_packing import pack_x_y_sample_weight
from layerkit.utils.tree import flatten


def is_jax_style(model: Any, kind: str) -> bool:
    """Whether ``model``'s ``{kind}_step`` takes ``(state, data)`` rather than ``data``."""
    method = getattr(type(model), f"{kind}_step")
    params = list(inspect.signature(method).parameters.values())[1:]
    return len(params) == 2


class JaxStyleSteps:
    """One kind of JAX-style step of a model: its jitted function and the state between
    calls."""

    def __init__(self, model: Any, kind: str):
        from layerkit_backend.jax.pure import jit

        self.model, self.kind = model, kind
        self.function = jit(getattr(model, f"{kind}_step"))
        self.state: tuple | None = None
        self.structure: Any = None  # predict: the outputs' structure, once known

    def _groups(self) -> list[list[Any]]:
        model = self.model
        groups = [model.trainable_variables, model.non_trainable_variables]
        if self.kind == "train":
            optimizer = model.optimizer
            if not optimizer.built:
                optimizer.build(model.trainable_variables)
            groups.append(optimizer.variables)
        if self.kind != "predict":
            groups.append(model.metrics_variables)
        return groups

    def begin(self) -> None:
        """Read the state from the variables (a pass starts)."""
        session = K.get_session()
        groups = self._groups()
        values = session.variable_values([v.key for group in groups for v in group])
        self.state = tuple([values[v.key] for v in group] for group in groups)

    def end(self) -> None:
        """Write the state back into the variables (a pass ends)."""
        if self.state is None:
            return
        from layerkit_backend.jax.pure import to_numpy_tree

        values = {}
        for group, given in zip(self._groups(), self.state):
            for var, value in zip(group, to_numpy_tree(list(given))):
                values[var.key] = np.asarray(value)
        K.get_session().load_variable_values(values)
        self.state = None

    def __call__(self, xs: list[np.ndarray], ys: list[np.ndarray] | None,
                 sws: list[np.ndarray] | None) -> Any:
        """One step on one batch: ``PendingLogs`` (train, test) or the outputs (predict)."""
        if self.state is None:
            if self.kind != "predict":
                ensure_compiled(self.model, xs, ys)
            self.begin()

        x = model_inputs(self.model, xs)
        data = pack_x_y_sample_weight(x, one_or_list(ys or []), one_or_list(sws or []))
        result, state = self.function(self.state, data)
        if self.kind == "predict":
            self.state = (self.state[0], state)
            self.structure = result
            return flatten(result)
        self.state = state
        what = f"{type(self.model).__name__}.{self.kind}_step(state, data)"
        return PendingLogs(lambda: _floats(result, what))


def _floats(logs: Any, what: str) -> dict[str, float]:
    """A JAX-style step's logs as floats (nested dicts flattened, as Keras does)."""
    return {name: float(np.asarray(value)) for name, value in flat_logs(logs, what).items()}


__all__ = ["JaxStyleSteps", "is_jax_style"]
