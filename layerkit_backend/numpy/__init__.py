"""The numpy backend: the reference implementation, with its own reverse-mode autodiff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from layerkit_backend.base import run_steps_in_a_loop
from layerkit_backend.ir import ProgramSpec
from layerkit_backend.numpy import ops  # noqa: F401  (registers the kernels)
from layerkit_backend.numpy.interpreter import Interpreter, plan_function


class NumpyProgram:
    """A planned program; calling it runs the schedule once."""

    def __init__(self, spec: ProgramSpec):
        self.spec = spec
        self.interpreter = Interpreter(plan_function(spec.function))

    def __call__(self, state: Mapping[str, Any], feeds: Sequence[Any], seed: int):
        inputs = [*feeds, *(state[k] for k in self.spec.state_keys)]
        outputs = self.interpreter.run(inputs, (int(seed),))
        n = self.spec.n_fetches
        return outputs[:n], dict(zip(self.spec.update_keys, outputs[n:]))

    def run_steps(self, state: Mapping[str, Any], stacked_feeds: Sequence[Any],
                  seeds: Sequence[int]):
        """One run per seed; see ``CompiledProgram.run_steps``."""
        return run_steps_in_a_loop(self, state, stacked_feeds, seeds)


class NumpyBackend:
    name = "numpy"

    def compile(self, spec: ProgramSpec) -> NumpyProgram:
        return NumpyProgram(spec)

    def asarray(self, value: Any, dtype: np.dtype) -> np.ndarray:
        return np.asarray(value, dtype=dtype)

    def feed(self, value: Any, dtype: np.dtype, batch_axis: int | None = 0,
             copy: bool = True) -> np.ndarray:
        # One device: nothing to split along batch_axis. Programs run synchronously and
        # kernels never write to their inputs: no copy needed, whatever ``copy`` says.
        return np.asarray(value, dtype=dtype)

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)


BACKEND = NumpyBackend()
