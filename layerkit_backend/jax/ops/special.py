"""Special functions, lowered to jax (JAX differentiates ``erf`` itself)."""

from __future__ import annotations

import jax

from layerkit_backend.jax.registry import deflower


@deflower("erf")
def erf(x):
    return jax.lax.erf(x)
