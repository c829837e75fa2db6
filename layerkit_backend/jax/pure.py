"""A lowered ``Function`` evaluated now, as plain JAX code: no ``jax.jit`` of its own, so it
runs on arrays or inside a caller's ``jax.jit``/``jax.grad``/``jax.vmap`` trace (layerkit's
stateless API, ``layerkit.graph.pure``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerkit_backend.ir import Function
from layerkit_backend.jax import ops  # noqa: F401  (ops registers the lowerings)
from layerkit_backend.jax.evaluator import Evaluator


def run_function(function: Function, feeds: Sequence[Any], feed_dtypes: Sequence[Any],
                 state: Sequence[Any], key: Any = None) -> list[Any]:
    """``function``'s outputs for ``feeds`` (converted to ``feed_dtypes``) followed by
    ``state`` as its inputs; ``key`` is the PRNG key of its random ops (default: key 0)."""
    inputs = [jnp.asarray(x, dtype=dtype) for x, dtype in zip(feeds, feed_dtypes)]
    key = jax.random.key(0) if key is None else key
    return Evaluator(function, key).run([*inputs, *state])


__all__ = ["run_function"]
