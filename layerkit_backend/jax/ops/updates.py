"""Fused optimizer updates, lowered to the same jax.numpy expression the unfused ops make."""

from __future__ import annotations

import jax.numpy as jnp

from layerkit_backend.jax.registry import deflower


@deflower("adam_update")
def adam_update(variable, gradient, m, v, alpha, *v_hat, beta_1, beta_2, epsilon):
    """``(variable', m', v'[, v_hat'])`` of one Adam step (``layerkit.graph.ops.adam_update``)."""
    dtype = variable.dtype
    new_m = m + (gradient - m) * jnp.asarray(1 - beta_1, dtype)
    new_v = v + (jnp.square(gradient) - v) * jnp.asarray(1 - beta_2, dtype)
    new_v_hat = [jnp.maximum(v_hat[0], new_v)] if v_hat else []
    denominator = jnp.sqrt(new_v_hat[0] if v_hat else new_v) + jnp.asarray(epsilon, dtype)
    return (variable - new_m * alpha / denominator, new_m, new_v, *new_v_hat)
