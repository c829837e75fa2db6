"""Random ops. Each makes its generator from ``key`` (the program call's seed and the op's own
``seed``), so a run is reproducible. The optional input is a tensor whose shape the sample takes.
Random ops have no VJP: no gradient flows through them."""

from __future__ import annotations

import numpy as np

from layerkit_backend.numpy.registry import defop

TRUNCATE_AT = 2.0  # truncated_normal redraws samples farther than this many stddevs, as TF does


def _shape(like, shape):
    return np.shape(like[0]) if like else tuple(shape)


def _floats(draw, shape, dtype):
    """``draw(size, dtype)`` in ``dtype``; numpy's generators only make float32 and float64."""
    native = dtype if dtype in (np.float32, np.float64) else np.float32
    return draw(size=shape, dtype=native)


@defop("random_uniform")
def random_uniform(*like, shape, dtype, seed, minval, maxval, key):
    u = _floats(np.random.default_rng(key).random, _shape(like, shape), dtype)
    return (minval + (maxval - minval) * u).astype(dtype, copy=False)


@defop("random_normal")
def random_normal(*like, shape, dtype, seed, mean, stddev, key):
    z = _floats(np.random.default_rng(key).standard_normal, _shape(like, shape), dtype)
    return (mean + stddev * z).astype(dtype, copy=False)


@defop("truncated_normal")
def truncated_normal(*like, shape, dtype, seed, mean, stddev, key):
    rng = np.random.default_rng(key)
    z = _floats(rng.standard_normal, _shape(like, shape), dtype)
    far = np.abs(z) > TRUNCATE_AT
    while far.any():  # about 4.6% are redrawn each round, so this ends after a few rounds
        z[far] = _floats(rng.standard_normal, int(far.sum()), dtype)
        far = np.abs(z) > TRUNCATE_AT
    return (mean + stddev * z).astype(dtype, copy=False)


@defop("random_bernoulli")
def random_bernoulli(*like, shape, dtype, seed, p, key):
    return (np.random.default_rng(key).random(_shape(like, shape)) < p).astype(dtype)


# -- stateless ops: the generator is made from the ``key_data`` input alone --------------------
def _rng(key_data) -> np.random.Generator:
    return np.random.default_rng([int(k) for k in np.asarray(key_data).astype(np.uint32)])


@defop("stateless_random_uniform")
def stateless_random_uniform(key_data, *like, shape, dtype, minval, maxval):
    u = _floats(_rng(key_data).random, _shape(like, shape), dtype)
    return (minval + (maxval - minval) * u).astype(dtype, copy=False)


@defop("stateless_random_normal")
def stateless_random_normal(key_data, *like, shape, dtype, mean, stddev):
    z = _floats(_rng(key_data).standard_normal, _shape(like, shape), dtype)
    return (mean + stddev * z).astype(dtype, copy=False)


@defop("stateless_truncated_normal")
def stateless_truncated_normal(key_data, *like, shape, dtype, mean, stddev):
    rng = _rng(key_data)
    z = _floats(rng.standard_normal, _shape(like, shape), dtype)
    far = np.abs(z) > TRUNCATE_AT
    while far.any():
        z[far] = _floats(rng.standard_normal, int(far.sum()), dtype)
        far = np.abs(z) > TRUNCATE_AT
    return (mean + stddev * z).astype(dtype, copy=False)


@defop("stateless_random_gamma")
def stateless_random_gamma(key_data, alpha, *like, shape, dtype):
    size = _shape(like, shape)
    return _rng(key_data).gamma(np.broadcast_to(alpha, size), size=size).astype(dtype)


@defop("stateless_random_binomial")
def stateless_random_binomial(key_data, counts, probabilities, *like, shape, dtype):
    size = _shape(like, shape)
    n = np.broadcast_to(np.floor(counts).astype(np.int64), size)
    p = np.clip(np.broadcast_to(probabilities, size), 0.0, 1.0)
    return _rng(key_data).binomial(n, p, size=size).astype(dtype)


@defop("stateless_random_shuffle")
def stateless_random_shuffle(key_data, x, *, axis):
    return _rng(key_data).permuted(x, axis=axis)
