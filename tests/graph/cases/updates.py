"""Cases for the fused optimizer updates (``layerkit.graph.ops.updates``).

The reference is the update written out in numpy; hyper-parameters far from the defaults (a
large epsilon) make a swapped or dropped term show.
"""

from __future__ import annotations

import numpy as np

from layerkit.graph import ops
from tests.graph.cases import OpCase, positive, uniform

HYPER = {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.1}


def _adam(variable, gradient, m, v, alpha, v_hat=None):
    m = m + (gradient - m) * (1 - HYPER["beta_1"])
    v = v + (gradient ** 2 - v) * (1 - HYPER["beta_2"])
    slots = [m, v]
    if v_hat is not None:
        v = np.maximum(v_hat, v)
        slots.append(v)
    return [variable - m * alpha / (np.sqrt(v) + HYPER["epsilon"]), *slots]


def _adam_inputs(shape, amsgrad):
    def inputs(rng, dtype):
        arrays = [uniform(rng, shape, dtype), uniform(rng, shape, dtype),
                  uniform(rng, shape, dtype), positive(rng, shape, dtype),
                  np.asarray(0.3, dtype)]
        return arrays + ([positive(rng, shape, dtype)] if amsgrad else [])
    return inputs


def _adam_build(variable, gradient, m, v, alpha, v_hat=None):
    return ops.adam_update(variable, gradient, m, v, alpha, v_hat=v_hat, **HYPER)


def _adam_case(shape, amsgrad=False, **kw):
    suffix = ("-amsgrad" if amsgrad else "") + ("-dynamic" if kw.get("static_shapes") is False
                                                else "")
    return OpCase(f"adam_update-{shape}{suffix}", "adam_update", _adam_build,
                  _adam_inputs(shape, amsgrad), _adam, grad=[], **kw)


CASES = [
    _adam_case((3, 4)),
    _adam_case((5,), amsgrad=True),
    _adam_case(()),
    _adam_case((2, 3, 2), amsgrad=True, static_shapes=False),
]
