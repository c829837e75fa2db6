"""The interface every backend implements (one class per backend, same methods, as in Thinc)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from layerkit_backend.ir import ProgramSpec

State = Mapping[str, Any]


class CompiledProgram(Protocol):
    """A program compiled once and called many times."""

    def __call__(
        self, state: State, feeds: Sequence[Any], seed: int
    ) -> tuple[list[Any], dict[str, Any]]:
        """Run once: returns the fetched values and the new values of the updated state."""

    def run_steps(self, state: State, stacked_feeds: Sequence[Any],
                  seeds: Sequence[int]) -> tuple[list[Any], dict[str, Any]]:
        """Run once per seed, in one call: each fed value holds the feeds of every step
        stacked along a new leading axis, and the state each step updates is what the next
        step reads. Returns the fetched values, stacked the same way, and the final state."""


def run_steps_in_a_loop(program: CompiledProgram, state: State, stacked_feeds: Sequence[Any],
                        seeds: Sequence[int]) -> tuple[list[Any], dict[str, Any]]:
    """``CompiledProgram.run_steps`` for a backend whose calls cost little: a Python loop."""
    state = dict(state)
    updated: dict[str, Any] = {}
    fetched = []
    for step, seed in enumerate(seeds):
        values, updates = program(state, [feed[step] for feed in stacked_feeds], seed)
        state.update(updates)
        updated.update(updates)
        fetched.append(values)
    return [np.stack(values) for values in zip(*fetched)], updated


class Backend(Protocol):
    """What the graph core asks of a backend; it never asks which backend it runs on."""

    name: str

    def compile(self, spec: ProgramSpec) -> CompiledProgram:
        """Turn a lowered program into something callable."""

    def asarray(self, value: Any, dtype: np.dtype) -> Any:
        """A host value (numpy array, scalar, list) as this backend's array type."""

    def feed(self, value: Any, dtype: np.dtype, batch_axis: int | None = 0,
             copy: bool = True) -> Any:
        """A fed value, ready to pass to a compiled program. Later changes the caller makes to
        ``value`` never reach the program, unless ``copy=False`` (the caller promises to make
        none): then a backend may read ``value`` in place. A backend that distributes work over
        devices splits the value along ``batch_axis`` (None: not a batch); the others ignore
        it."""

    def to_numpy(self, value: Any) -> np.ndarray:
        """A backend array back on the host as a numpy array."""
