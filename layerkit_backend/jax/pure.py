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





def jit(fn: Any) -> Any:
    """``jax.jit(fn)``: for layerkit code that compiles a user's JAX function (a JAX-style
    ``train_step``) without importing jax itself."""
    return jax.jit(fn)


def to_numpy_tree(tree: Any) -> Any:
    """Every jax array of ``tree`` (lists, tuples, dicts) as a numpy array, waited for."""
    return jax.tree_util.tree_map(lambda leaf: jax.device_get(leaf), tree)
__all__ = ["jit", "run_function", "to_numpy_tree"]
