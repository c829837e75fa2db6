"""Random ops: sample statistics, seeding (reproducible given the graph seed, different from
run to run), run-time shapes, no gradient, and build-time errors."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops

N = 20_000


def _sample(tensor, feeds=None):
    return lk.Session(backend="numpy").run(tensor, feeds)


@pytest.fixture(autouse=True)
def graph_seed():
    lk.get_default_graph().seed = 1234  # fixed, so the statistics below are deterministic


# -- statistics -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform(dtype):
    x = _sample(ops.random_uniform((N,), minval=-2.0, maxval=3.0, dtype=dtype))
    assert x.dtype == dtype and x.shape == (N,)
    assert x.min() >= -2.0 and x.max() <= 3.0
    assert abs(x.mean() - 0.5) < 0.05
    assert abs(x.std() - 5 / np.sqrt(12)) < 0.03


def test_normal():
    x = _sample(ops.random_normal((100, N // 100), mean=1.5, stddev=2.0))
    assert x.dtype == np.float32 and x.shape == (100, N // 100)
    assert abs(x.mean() - 1.5) < 0.05
    assert abs(x.std() - 2.0) < 0.05
    assert np.abs(x - 1.5).max() > 5.0  # a real normal: tails beyond 2.5 stddev exist


def test_truncated_normal():
    x = _sample(ops.truncated_normal((N,), mean=-1.0, stddev=0.5, dtype="float64"))
    assert np.abs(x + 1.0).max() <= 2 * 0.5
    assert abs(x.mean() + 1.0) < 0.02
    # The standard deviation of a normal truncated at +-2 sigma is 0.8796 sigma.
    assert abs(x.std() - 0.8796 * 0.5) < 0.01


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_bernoulli_rate(p):
    x = _sample(ops.random_bernoulli((N,), p=p))
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - p) < 0.02


def test_bernoulli_dtypes_and_edges():
    assert _sample(ops.random_bernoulli((5,), dtype="bool")).dtype == np.bool_
    assert _sample(ops.random_bernoulli((50,), p=0.0, dtype="int32")).sum() == 0
    assert _sample(ops.random_bernoulli((50,), p=1.0)).sum() == 50


# -- seeding ----------------------------------------------------------------------------------
def _build_and_run(graph_seed, runs=1, op_seed=None):
    graph = lk.Graph()
    graph.seed = graph_seed
    with graph.as_default():
        r = ops.random_normal((4,), seed=op_seed)
    session = lk.Session(graph=graph, backend="numpy")
    return [session.run(r) for _ in range(runs)]


def test_same_graph_seed_reproduces_in_a_new_session_and_graph():
    first, second = _build_and_run(7, runs=2)
    assert not np.array_equal(first, second)  # successive runs draw new values
    again = _build_and_run(7, runs=2)
    np.testing.assert_array_equal(first, again[0])
    np.testing.assert_array_equal(second, again[1])
    assert not np.array_equal(first, _build_and_run(8)[0])


def test_op_seed_is_kept_and_ops_differ():
    assert ops.random_uniform((2,), seed=42).op.attrs["seed"] == 42
    np.testing.assert_array_equal(_build_and_run(7, op_seed=3)[0],
                                  _build_and_run(7, op_seed=3)[0])
    a, b = ops.random_uniform((8,)), ops.random_uniform((8,))
    assert a.op.attrs["seed"] != b.op.attrs["seed"]
    x, y = _sample([a, b])
    assert not np.array_equal(x, y)


def test_without_any_seed_each_build_draws_new_values():
    """No graph seed and no op seed: the op draws its seed when built, so two builds differ."""
    values = []
    for _ in range(2):
        graph = lk.Graph()  # seed None
        with graph.as_default():
            r = ops.random_uniform((8,))
        assert isinstance(r.op.attrs["seed"], int)
        values.append(lk.Session(graph=graph, backend="numpy").run(r))
    assert not np.array_equal(*values)


def test_an_op_seed_alone_repeats_across_sessions():
    """TF1's rule: an op given a seed repeats its sequence in every new session."""
    graph = lk.Graph()
    with graph.as_default():
        r = ops.random_uniform((8,), seed=7)
    first = lk.Session(graph=graph, backend="numpy")
    second = lk.Session(graph=graph, backend="numpy")
    a1, a2 = first.run(r), first.run(r)
    np.testing.assert_array_equal(a1, second.run(r))
    np.testing.assert_array_equal(a2, second.run(r))
    assert not np.array_equal(a1, a2)  # successive runs still draw new values


# -- run-time shape ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["random_uniform", "random_normal", "truncated_normal",
                                "random_bernoulli"])
def test_shape_from_a_tensor_with_unknown_batch(op):
    x = lk.placeholder("float32", (None, 3))
    mask = getattr(ops, op)(x)
    assert mask.shape == (None, 3) and mask.op.inputs == (x,)
    session = lk.Session(backend="numpy")
    for batch in (5, 7):
        assert session.run(mask, {x: np.zeros((batch, 3))}).shape == (batch, 3)


def test_no_gradient_flows_through_random_ops():
    x = lk.placeholder("float32", (None, 3))
    assert lk.gradients(ops.sum(ops.random_uniform(x)), x) == [None]


# -- errors -----------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(TypeError, match="random_normal: dtype must be floating-point, got int32"):
        ops.random_normal((3,), dtype="int32")
    with pytest.raises(ValueError, match="random_uniform: minval 2.0 is greater than maxval 1.0"):
        ops.random_uniform((3,), minval=2.0, maxval=1.0)
    with pytest.raises(ValueError, match=r"random_bernoulli 'drop': p 1.5 is not a probability"):
        ops.random_bernoulli((3,), p=1.5, name="drop")
    with pytest.raises(ValueError, match="truncated_normal: stddev -1.0 is negative"):
        ops.truncated_normal((3,), stddev=-1.0)
    with pytest.raises(ValueError, match=r"random_uniform: a static shape must be fully known"):
        ops.random_uniform((None, 3))
