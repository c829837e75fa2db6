"""Cases for the linear-algebra ops (``layerkit.graph.ops.linalg``)."""

from __future__ import annotations

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, uniform

# (a, b): matrices, stacks with broadcast batch dims on either side (the VJP sums them away),
# and 1-D operands (numpy's vector promotion) on the left, the right and both.
SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((0, 4), (4, 3)),
]


def _matmul_case(a, b, **kw):
    return OpCase(f"matmul-{a}-{b}" + ("-dynamic" if kw.get("static_shapes") is False else ""),
                  "matmul", ops.matmul,
                  lambda rng, dt: [uniform(rng, a, dt), uniform(rng, b, dt)], np.matmul, **kw)


CASES = [
    *[_matmul_case(a, b) for a, b in SHAPES],
    _matmul_case((2, 3, 4), (4, 5), static_shapes=False),
    _matmul_case((4,), (2, 4, 3), static_shapes=False),
    _matmul_case((3, 1, 2, 4), (2, 4, 2), static_shapes=False),
    OpCase("matmul-int", "matmul", ops.matmul,
           lambda rng, dt: [rng.integers(-3, 3, (2, 3)).astype(np.int32),
                            rng.integers(-3, 3, (3, 2)).astype(np.int32)], np.matmul, grad=[]),
    OpCase("matmul-operator", "matmul", lambda a, b: a @ b,
           lambda rng, dt: [uniform(rng, (2, 3), dt), uniform(rng, (3, 2), dt)], np.matmul),
]
