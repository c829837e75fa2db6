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


# -- stateless ops: the key is the ``key_data`` input (int32, shape (2,)) ----------------------
def _key(key_data):
    """``key_data`` as a threefry key: the raw uint32 pair Keras's jax backend draws from."""
    return jax.random.wrap_key_data(key_data.astype(jnp.uint32), impl="threefry2x32")


def _computed(dtype):
    """The dtype to draw in: jax's gamma and binomial want at least float32."""
    return jnp.float32 if jnp.dtype(dtype) == jnp.float16 else dtype


@deflower("stateless_random_uniform")
def stateless_random_uniform(key_data, *like, shape, dtype, minval, maxval):
    u = jax.random.uniform(_key(key_data), _shape(like, shape), dtype)
    return (minval + (maxval - minval) * u).astype(dtype)


@deflower("stateless_random_normal")
def stateless_random_normal(key_data, *like, shape, dtype, mean, stddev):
    z = jax.random.normal(_key(key_data), _shape(like, shape), dtype)
    return (mean + stddev * z).astype(dtype)


@deflower("stateless_truncated_normal")
def stateless_truncated_normal(key_data, *like, shape, dtype, mean, stddev):
    z = jax.random.truncated_normal(_key(key_data), -TRUNCATE_AT, TRUNCATE_AT,
                                    _shape(like, shape), dtype)
    return (mean + stddev * z).astype(dtype)


@deflower("stateless_random_gamma")
def stateless_random_gamma(key_data, alpha, *like, shape, dtype):
    size, computed = _shape(like, shape), _computed(dtype)
    a = jnp.broadcast_to(alpha.astype(computed), size)
    return jax.random.gamma(_key(key_data), a, size, computed).astype(dtype)


@deflower("stateless_random_binomial")
def stateless_random_binomial(key_data, counts, probabilities, *like, shape, dtype):
    size, computed = _shape(like, shape), _computed(dtype)
    n = jnp.broadcast_to(jnp.floor(counts).astype(computed), size)
    p = jnp.clip(jnp.broadcast_to(probabilities.astype(computed), size), 0.0, 1.0)
    return jax.random.binomial(_key(key_data), n, p, size, computed).astype(dtype)


@deflower("stateless_random_shuffle")
def stateless_random_shuffle(key_data, x, *, axis):
    return jax.random.permutation(_key(key_data), x, axis=axis, independent=True)
