"""The embedded digits data set."""

import numpy as np
import pytest

from layerkit.datasets import digits


def test_load_data_shapes_ranges_and_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.max() == 16 and x_train.min() == 0
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
    assert len(y_train) == len(x_train) and len(y_test) == len(x_test)


def test_split_is_deterministic_and_disjoint():
    (a, _), (b, _) = digits.load_data()
    (c, _), (d, _) = digits.load_data()
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b, d)
    images, _ = digits.load_raw()
    assert len(a) + len(b) == len(images)
    (_, _), (other_test, _) = digits.load_data(seed=1)
    assert not np.array_equal(b, other_test)


def test_first_image_is_a_zero():
    images, labels = digits.load_raw()
    assert labels[0] == 0 and images[0, 0, 2] == 5


def test_bad_split_is_refused():
    with pytest.raises(ValueError, match="test_split"):
        digits.load_data(test_split=1.5)
