"""Learning-rate schedules (``keras.optimizers.schedules``).

A schedule is called with the optimizer's step: a Python int gives a float now; a graph tensor
(the optimizer's ``iterations`` inside a train program) gives a scalar tensor of the program, so
the compiled step follows the schedule without being traced again.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np

from layerkit import backend
from layerkit.graph import Tensor, constant, convert_to_tensor, ops

__all__ = [
    "ExponentialDecay", "LearningRateSchedule", "PiecewiseConstantDecay", "deserialize",
    "serialize",
]


class LearningRateSchedule:
    """Base class: override ``__call__(step)`` and, to be serializable, ``get_config()``."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with ``staircase``,
    the exponent is ``floor(step / decay_steps)``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: "
                             f"decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Any:
        if not isinstance(step, Tensor):
            p = float(step) / self.decay_steps
            if self.staircase:
                p = math.floor(p)
            return self.initial_learning_rate * self.decay_rate ** p
        with step.graph.as_default(), step.graph.name_scope(self.name):
            dtype = backend.floatx()
            p = ops.cast(step, dtype) / float(self.decay_steps)
            if self.staircase:
                p = _floor_nonnegative(p)
            return self.initial_learning_rate * ops.power(
                constant(np.asarray(self.decay_rate, dtype)), p)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., ``values[-1]`` after ``boundaries[-1]``."""

    def __init__(self, boundaries: list[Any], values: list[Any],
                 name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}.")
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"boundaries must be strictly increasing, got {boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Any:
        if not isinstance(step, Tensor):
            return self.values[bisect.bisect_left(self.boundaries, step)]
        step = convert_to_tensor(step)
        with step.graph.as_default(), step.graph.name_scope(self.name):
            result = constant(np.asarray(self.values[-1], backend.floatx()))
            for boundary, value in reversed(list(zip(self.boundaries, self.values))):
                boundary = np.asarray(boundary).astype(step.dtype)  # as Keras: step's dtype
                result = ops.where(step <= boundary, value, result)
            return result

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


def _floor_nonnegative(x: Tensor) -> Tensor:
    """``floor(x)`` for ``x >= 0`` (truncation toward zero; the core has no floor op)."""
    return ops.cast(ops.cast(x, "int64"), x.dtype)


ALL_OBJECTS = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay)}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """The schedule as a Keras 3 config dict (``module``, ``class_name``, ``config``)."""
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(f"Expected a LearningRateSchedule, got {learning_rate_schedule!r}")
    return {"module": "keras.optimizers.schedules",
            "class_name": type(learning_rate_schedule).__name__,
            "config": learning_rate_schedule.get_config(), "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> LearningRateSchedule:
    """A schedule from ``serialize``'s output (or Keras 2's ``{class_name, config}``)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A schedule config is a dict with 'class_name' and 'config', got "
                         f"{config!r}")
    known = {**ALL_OBJECTS, **(custom_objects or {})}
    cls = known.get(config["class_name"])
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule {config['class_name']!r}; known: "
                         f"{', '.join(sorted(known))}")
    return cls.from_config(dict(config.get("config", {})))
