"""Random ops on the jax backend: explicit keys from the program's seed, so reproducible given the
seed; the same distributions as the numpy backend (whose values differ: another generator)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

import layerkit.graph as lk  # noqa: E402
from layerkit.graph import ops  # noqa: E402
from layerkit.graph.program import lower_program  # noqa: E402
from layerkit_backend.jax import BACKEND  # noqa: E402

N = 20_000


@pytest.fixture(autouse=True)
def graph_seed():
    lk.get_default_graph().seed = 1234


def _sample(tensor, feeds=None):
    return lk.Session(backend="jax").run(tensor, feeds)


# -- reproducibility --------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_values():
    spec = lower_program([ops.random_normal((3,), seed=5), ops.random_uniform((2,), seed=6)],
                         []).spec
    program = BACKEND.compile(spec)
    first, _ = program({}, [], 42)
    again, _ = program({}, [], 42)
    other, _ = program({}, [], 43)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_sessions_with_a_graph_seed_repeat_and_runs_differ():
    x = ops.random_uniform((4,))
    y = ops.random_uniform((4,))

    def runs():
        with lk.Session(backend="jax") as s:
            return [s.run([x, y]) for _ in range(3)]

    first, second = runs(), runs()
    for (a1, b1), (a2, b2) in zip(first, second):
        np.testing.assert_array_equal(a1, a2)
        np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(first[0][0], first[1][0])  # each run draws anew
    assert not np.array_equal(first[0][0], first[0][1])  # each op has its own stream


def test_each_scan_step_draws_anew():
    noise = lk.placeholder("float32", (5, 3))
    _, ys = ops.scan(lambda c, x: (c, x + ops.random_normal((3,))), lk.constant(0.0), noise)
    with lk.Session(backend="jax") as s:
        steps = s.run(ys, {noise: np.zeros((5, 3))})
    assert len({tuple(row) for row in steps}) == 5


def test_dropout_mask_shaped_like_a_runtime_batch():
    x = lk.placeholder("float32", (None, 4))
    mask = ops.random_bernoulli(x, p=0.5)
    assert _sample(mask, {x: np.ones((6, 4))}).shape == (6, 4)


# -- statistics -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_uniform(dtype):
    x = _sample(ops.random_uniform((N,), minval=-2.0, maxval=3.0, dtype=dtype))
    assert x.dtype == dtype and x.shape == (N,)
    assert x.min() >= -2.0 and x.max() <= 3.0
    assert abs(x.astype(np.float64).mean() - 0.5) < 0.05
    assert abs(x.astype(np.float64).std() - 5 / np.sqrt(12)) < 0.03


def test_normal():
    x = _sample(ops.random_normal((100, N // 100), mean=1.5, stddev=2.0))
    assert x.dtype == np.float32
    assert abs(x.mean() - 1.5) < 0.05 and abs(x.std() - 2.0) < 0.05
    assert np.abs(x - 1.5).max() > 5.0


def test_truncated_normal():
    x = _sample(ops.truncated_normal((N,), mean=-1.0, stddev=0.5, dtype="float64"))
    assert np.abs(x + 1.0).max() <= 2 * 0.5
    assert abs(x.mean() + 1.0) < 0.02
    assert abs(x.std() - 0.8796 * 0.5) < 0.01  # a normal truncated at 2 sigma


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_bernoulli(p):
    x = _sample(ops.random_bernoulli((N,), p=p))
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - p) < 0.02
    assert _sample(ops.random_bernoulli((5,), p=p, dtype="bool")).dtype == np.bool_
    assert _sample(ops.random_bernoulli((5,), p=p, dtype="int32")).dtype == np.int32
