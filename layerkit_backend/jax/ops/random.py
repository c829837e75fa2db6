"""Random ops, drawn with JAX's counter-based generator from explicit keys.

``key`` is the program call's seed folded with the op's ``seed`` attribute (and, inside a scan
body, with the step index), so a run is reproducible given the seed. The values differ from the
numpy backend's, which uses numpy's generator; their distributions are the same. The optional
input is a tensor whose shape the sample takes. No gradient flows through a random op.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from layerkit_backend.jax.registry import deflower

TRUNCATE_AT = 2.0  # truncated_normal keeps samples within this many stddevs, as TensorFlow does


def _shape(like, shape) -> tuple[int, ...]:
    return tuple(like[0].shape) if like else tuple(shape)


@deflower("random_uniform")
def random_uniform(*like, shape, dtype, seed, minval, maxval, key):
    u = jax.random.uniform(key, _shape(like, shape), dtype)
    return (minval + (maxval - minval) * u).astype(dtype)


@deflower("random_normal")
def random_normal(*like, shape, dtype, seed, mean, stddev, key):
    z = jax.random.normal(key, _shape(like, shape), dtype)
    return (mean + stddev * z).astype(dtype)


@deflower("truncated_normal")
def truncated_normal(*like, shape, dtype, seed, mean, stddev, key):
    z = jax.random.truncated_normal(key, -TRUNCATE_AT, TRUNCATE_AT, _shape(like, shape), dtype)
    return (mean + stddev * z).astype(dtype)


@deflower("random_bernoulli")
def random_bernoulli(*like, shape, dtype, seed, p, key):
    return jax.random.bernoulli(key, p, _shape(like, shape)).astype(jnp.dtype(dtype))
