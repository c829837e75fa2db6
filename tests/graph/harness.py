"""Builds and runs catalog cases (``tests/graph/cases``) on a chosen backend."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

import layerkit.graph as lk
from tests.graph.cases import OpCase


def case_rng(case: OpCase, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32((case.id + salt).encode()))


def case_inputs(case: OpCase, dtype) -> list[np.ndarray]:
    return [np.asarray(a) for a in case.inputs(case_rng(case), np.dtype(dtype))]


class Built:
    """A case's graph: placeholders for its inputs, its outputs, and a session to run it."""

    def __init__(self, case: OpCase, arrays: Sequence[np.ndarray], backend: str):
        self.case = case
        self.graph = lk.Graph()
        with self.graph.as_default():
            self.placeholders = [
                lk.placeholder(a.dtype, a.shape if case.static_shapes else (None,) * a.ndim)
                for a in arrays
            ]
            out = case.build(*self.placeholders)
            self.outputs = list(out) if isinstance(out, list | tuple) else [out]
        self.session = lk.Session(graph=self.graph, backend=backend)

    def feed(self, arrays: Sequence[np.ndarray]) -> dict:
        return dict(zip(self.placeholders, arrays))

    def forward(self, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(v) for v in self.session.run(self.outputs, self.feed(arrays))]


def differentiable_inputs(case: OpCase, arrays: Sequence[np.ndarray]) -> list[int]:
    if case.grad is not None:
        return list(case.grad)
    return [i for i, a in enumerate(arrays) if np.issubdtype(a.dtype, np.floating)]


class GradientCheck:
    """The scalar ``sum_k sum(w_k * out_k)`` with fixed random weights, its symbolic gradient
    with respect to the differentiable inputs, and a function to evaluate it."""

    def __init__(self, case: OpCase, arrays: Sequence[np.ndarray], backend: str):
        self.built = built = Built(case, arrays, backend)
        self.wrt = differentiable_inputs(case, arrays)
        float_outs = [o for o in built.outputs if np.issubdtype(o.dtype, np.floating)]
        rng = case_rng(case, "weights")
        self.weights, self.grads = [], []
        if not float_outs or not self.wrt:
            return
        with built.graph.as_default():
            self.weights = [lk.placeholder(o.dtype, o.shape) for o in float_outs]
            terms = [lk.ops.sum(w * o) for w, o in zip(self.weights, float_outs)]
            self.objective = terms[0]
            for t in terms[1:]:
                self.objective = self.objective + t
            self.grads = lk.gradients(self.objective, [built.placeholders[i] for i in self.wrt])
        outs = built.forward(arrays)
        self.weight_values = [rng.normal(size=np.shape(v)).astype(v.dtype)
                              for v, o in zip(outs, built.outputs)
                              if np.issubdtype(o.dtype, np.floating)]

    def _feed(self, arrays):
        return {**self.built.feed(arrays), **dict(zip(self.weights, self.weight_values))}

    def value(self, arrays) -> float:
        return float(self.built.session.run(self.objective, self._feed(arrays)))

    def analytic(self, arrays) -> list[np.ndarray]:
        grads = [g for g in self.grads if g is not None]
        values = iter(self.built.session.run(grads, self._feed(arrays)))
        return [np.zeros_like(arrays[i]) if g is None else np.asarray(next(values))
                for i, g in zip(self.wrt, self.grads)]

    def numeric(self, arrays, eps: float = 1e-6) -> list[np.ndarray]:
        """Central finite differences, one element at a time."""
        result = []
        for i in self.wrt:
            grad = np.zeros(arrays[i].shape, np.float64)
            for j in np.ndindex(arrays[i].shape):
                plus = [a.copy() for a in arrays]
                minus = [a.copy() for a in arrays]
                plus[i][j] += eps
                minus[i][j] -= eps
                grad[j] = (self.value(plus) - self.value(minus)) / (2 * eps)
            result.append(grad)
        return result
