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


class Backend(Protocol):
    """What the graph core asks of a backend; it never asks which backend it runs on."""

    name: str

    def compile(self, spec: ProgramSpec) -> CompiledProgram:
        """Turn a lowered program into something callable."""

    def asarray(self, value: Any, dtype: np.dtype) -> Any:
        """A host value (numpy array, scalar, list) as this backend's array type."""

    def feed(self, value: Any, dtype: np.dtype) -> Any:
        """A fed value, ready to pass to a compiled program. Later changes the caller makes to
        ``value`` never reach the program."""

    def to_numpy(self, value: Any) -> np.ndarray:
        """A backend array back on the host as a numpy array."""
