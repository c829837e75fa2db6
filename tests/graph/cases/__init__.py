"""The catalog of op test cases, shared by the gradient, forward and backend-parity tests.

Each op family has its own module (``math.py``, ``array.py``, ...) defining ``CASES``. A case
builds one op from placeholders, says how to make its inputs, and gives a numpy reference for
the forward value. The generic tests check, for every case: the static shape and dtype the core
inferred match the computed value; the value matches the reference; in float64, each backend's
gradient matches central finite differences; and the backends agree with each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class OpCase:
    """One op application to test.

    ``build(*placeholders)`` returns the output tensor (or a tuple of them); ``inputs(rng, dtype)``
    returns the input arrays (float inputs in ``dtype``); ``reference(*arrays)`` computes the
    expected output with numpy. ``grad`` lists the indices of inputs to differentiate (default:
    every float input). ``static_shapes`` feeds placeholders with the inputs' full shapes (else
    unknown dims are used, to exercise dynamic shapes).
    """

    id: str
    op: str
    build: Callable[..., Any]
    inputs: Callable[[np.random.Generator, np.dtype], Sequence[np.ndarray]]
    reference: Callable[..., Any] | None = None
    grad: Sequence[int] | None = None
    rtol: float = 1e-5
    atol: float = 1e-6
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-7
    static_shapes: bool = True
    random: bool = False  # a random op: compare statistics, not values
    tags: set[str] = field(default_factory=set)


def all_cases() -> list[OpCase]:
    from tests.graph.cases import array, control, linalg, math, nn, random, special, updates

    cases: list[OpCase] = []
    for module in (math, array, linalg, nn, random, control, special, updates):
        cases.extend(module.CASES)
    return cases


def uniform(rng: np.random.Generator, shape, dtype, low=-1.0, high=1.0) -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(dtype)


def positive(rng: np.random.Generator, shape, dtype, low=0.5, high=2.0) -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(dtype)


def away_from(rng, shape, dtype, points=(0.0,), gap=0.1) -> np.ndarray:
    """Uniform in [-2, 2] but at least ``gap`` from each of ``points`` (kinks of the op), so
    finite differences never straddle a kink."""
    x = rng.uniform(-2.0, 2.0, size=shape)
    for p in points:
        near = np.abs(x - p) < gap
        x = np.where(near, p + np.sign(x - p + 1e-12) * (gap + rng.uniform(0, 0.5, size=shape)), x)
    return x.astype(dtype)


def distinct(rng, shape, dtype) -> np.ndarray:
    """Values with no ties (max/min/sort-like ops are not differentiable at ties)."""
    n = int(np.prod(shape, dtype=int))
    return (rng.permutation(n).reshape(shape) * 0.1 - 0.05 * n + rng.uniform(0, 0.01)).astype(dtype)
