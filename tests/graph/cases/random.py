"""Cases for the random ops: static shape/dtype inference only (``reference=None``); their
statistics are tested in ``tests/graph/ops/test_random.py``."""

from __future__ import annotations

from layerkit.graph import ops
from tests.graph.cases import OpCase, uniform


def _static(op, shape, **kw):
    return OpCase(f"{op}-{shape}-{kw.get('dtype', 'float32')}", op,
                  lambda: getattr(ops, op)(shape, **kw), lambda rng, dt: [], random=True)


def _like(op, shape, **kw):
    """The sample takes the run-time shape of a placeholder whose dims are unknown at build."""
    return OpCase(f"{op}-like{shape}", op, lambda x: getattr(ops, op)(x, **kw),
                  lambda rng, dt: [uniform(rng, shape, dt)], random=True, static_shapes=False)


CASES = [
    *(c for op in ("random_uniform", "random_normal", "truncated_normal", "random_bernoulli")
      for c in [_static(op, (3, 4)), _static(op, ()), _static(op, [2, 1, 3], dtype="float64"),
                _like(op, (4, 3))]),
    _static("random_uniform", (5,), dtype="float16"),
    _static("random_bernoulli", (5,), dtype="int32"),
    _static("random_bernoulli", (2, 2), dtype="bool"),
]
