"""Special functions: kernel and VJP rule side by side.

``erf`` comes from SciPy, whose Cephes-derived implementation is accurate to a few ulps over the
whole real line (including the tails, where ``1 - erf`` underflows).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special

from layerkit_backend.numpy.registry import defop

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@defop("erf")
def erf(x):
    return scipy.special.erf(x).astype(x.dtype, copy=False)  # float16 comes back as float32


@erf.defvjp
def _(g, out, x):
    # d/dx erf(x) = 2/sqrt(pi) * exp(-x^2); exp(-x^2) underflows to 0 in the tails, as it should.
    return ((g * (_TWO_OVER_SQRT_PI * np.exp(-np.square(x)))).astype(x.dtype, copy=False),)
