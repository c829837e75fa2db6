"""Cases for the special functions (``layerkit.graph.ops.special``).

The reference is Python's own ``math.erf``, element by element: it shares nothing with SciPy (the
numpy kernel) or XLA (the jax lowering).
"""

from __future__ import annotations

import math

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, uniform

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _wide(rng, shape, dtype):
    return uniform(rng, shape, dtype, low=-3.0, high=3.0)


CASES = [
    *[OpCase(f"erf-{s}", "erf", ops.erf, lambda rng, dt, s=s: [_wide(rng, s, dt)], _erf)
      for s in [(3, 4), (), (2, 3, 2)]],
    OpCase("erf-dynamic", "erf", ops.erf, lambda rng, dt: [_wide(rng, (4, 3), dt)], _erf,
           static_shapes=False),
    # Tails saturate at +-1 exactly; the gradient there underflows to 0 rather than going nan.
    OpCase("erf-extreme", "erf", ops.erf,
           lambda rng, dt: [np.array([-40.0, -6.0, -1e-8, 0.0, 1e-8, 6.0, 40.0], dt)], _erf,
           atol=1e-12),
]
