"""``set_random_seed`` (Python, numpy, initializers and the Keras graph) and ``to_categorical``."""

from __future__ import annotations

import random

import numpy as np
import pytest

from layerkit import backend as K
from layerkit import initializers
from layerkit.graph import ops
from layerkit.utils import get_random_seed, normalize, set_random_seed, to_categorical


@pytest.fixture(autouse=True)
def fresh_keras_session():
    K.clear_session()
    yield
    K.clear_session()


# -- set_random_seed --------------------------------------------------------------------------
def test_seeds_python_numpy_and_initializers():
    set_random_seed(7)
    first = (random.random(), np.random.rand(), initializers.RandomNormal()((3,)))
    set_random_seed(7)
    second = (random.random(), np.random.rand(), initializers.RandomNormal()((3,)))
    assert first[0] == second[0] and first[1] == second[1]
    np.testing.assert_array_equal(first[2], second[2])
    assert get_random_seed() == 7


def test_sets_the_keras_graph_seed():
    set_random_seed(11)
    assert K.get_graph().seed == 11


def _dropout_masks() -> list[np.ndarray]:
    """A freshly built Keras graph with a random op, run twice in a new session."""
    with K.get_graph().as_default():
        mask = ops.random_bernoulli((4, 5), p=0.5)
        noise = ops.random_normal((3,))
    session = K.get_session()
    return [*session.run([mask, noise]), *session.run([mask, noise])]


def test_in_graph_random_ops_repeat_after_set_random_seed(active_backend):
    set_random_seed(5)
    first = _dropout_masks()
    K.clear_session()
    set_random_seed(5)
    second = _dropout_masks()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], first[3])  # runs differ from each other


@pytest.mark.parametrize("bad", [1.5, "3", None, True, -1])
def test_seed_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="seed"):
        set_random_seed(bad)


def test_large_and_numpy_int_seeds():
    set_random_seed(2**40)
    set_random_seed(np.int64(3))
    assert get_random_seed() == 3


# -- to_categorical ---------------------------------------------------------------------------
def test_to_categorical_keras_example():
    out = to_categorical([0, 1, 2, 3], num_classes=4)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(4))


def test_to_categorical_infers_classes_and_keeps_shape():
    out = to_categorical(np.array([[1, 2, 0], [3, 3, 1]]))
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.argmax(-1), [[1, 2, 0], [3, 3, 1]])
    assert to_categorical(np.array([[2], [0]]), 3).shape == (2, 3)  # a trailing 1 is dropped
    assert to_categorical(np.array([2, 0], np.uint8), 5).shape == (2, 5)
    assert to_categorical(np.array([1.0, 0.0])).tolist() == [[0, 1], [1, 0]]
    assert to_categorical(4, 6).tolist() == [0, 0, 0, 0, 1, 0]


def test_to_categorical_refuses_bad_labels():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([-1, 1], num_classes=3)
    with pytest.raises(ValueError, match="whole"):
        to_categorical([0.5])
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([])


def test_normalize():
    out = normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
