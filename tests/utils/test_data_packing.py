"""``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight``: Keras's batch conventions."""

from __future__ import annotations

import numpy as np
import pytest

from layerkit.utils import pack_x_y_sample_weight, unpack_x_y_sample_weight


def test_packing_round_trips():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert pack_x_y_sample_weight(x) is x
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight(x)) == (x, None, None)
    packed = pack_x_y_sample_weight(x, y)
    assert isinstance(packed, tuple) and len(packed) == 2
    assert unpack_x_y_sample_weight(packed) == (x, y, None)
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight(x, y, w)) == (x, y, w)


def test_a_list_of_inputs_alone_is_not_read_as_x_and_y():
    inputs = [np.ones(2), np.zeros(2)]
    packed = pack_x_y_sample_weight(inputs)
    assert packed == (inputs,)
    x, y, w = unpack_x_y_sample_weight(packed)
    assert x is inputs and y is None and w is None
    # A list given as the batch is a tuple of its parts, as in Keras.
    assert unpack_x_y_sample_weight([1, 2]) == (1, 2, None)


def test_more_than_three_parts_is_an_error():
    with pytest.raises(ValueError, match="found a tuple of 4 elements"):
        unpack_x_y_sample_weight((1, 2, 3, 4))
