"""Linear algebra, lowered to jax.numpy."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from layerkit_backend.jax.registry import deflower


def precision() -> jax.lax.Precision | None:
    """Full float32 precision for matrix products and convolutions, so results agree with the
    numpy backend (GPUs would otherwise use TF32 for float32); None -- JAX's own choice -- when
    ``jax_default_matmul_precision`` (``JAX_DEFAULT_MATMUL_PRECISION``) was set."""
    if jax.config.jax_default_matmul_precision is not None:
        return None
    return jax.lax.Precision.HIGHEST


@deflower("matmul")
def matmul(a, b):
    return jnp.matmul(a, b, precision=precision())


@deflower("einsum")
def einsum(*operands, subscripts):
    return jnp.einsum(subscripts, *operands, precision=precision())
