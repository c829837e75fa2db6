"""``layerkit.utils.tree``: flattening nested structures, packing them again, and the positive
int check."""

from __future__ import annotations

import numpy as np
import pytest

from layerkit.utils.tree import flatten, is_positive_int, pack_sequence_as

NESTED = [1, (2, [3, 4]), {"b": 6, "a": (5,)}]


# -- flatten ----------------------------------------------------------------------------------
def test_flatten_goes_depth_first_with_dict_values_by_sorted_key():
    assert flatten(NESTED) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("leaf", [7, None, "text", np.zeros(3)])
def test_a_leaf_flattens_to_itself(leaf):
    assert len(flatten(leaf)) == 1 and flatten(leaf)[0] is leaf


def test_empty_containers_have_no_leaves():
    assert flatten([[], (), {}]) == []


# -- pack_sequence_as --------------------------------------------------------------------------
def test_packing_the_flattened_leaves_rebuilds_the_structure():
    assert pack_sequence_as(NESTED, flatten(NESTED)) == NESTED


def test_packing_keeps_list_and_tuple_types_and_sorts_dict_keys():
    packed = pack_sequence_as(NESTED, ["x1", "x2", "x3", "x4", "x5", "x6"])
    assert packed == ["x1", ("x2", ["x3", "x4"]), {"a": ("x5",), "b": "x6"}]
    assert isinstance(packed[1], tuple) and isinstance(packed[1][1], list)
    assert list(packed[2]) == ["a", "b"]


def test_a_leaf_structure_takes_the_one_value():
    assert pack_sequence_as(None, ["value"]) == "value"


@pytest.mark.parametrize("values", [[1, 2], [1, 2, 3, 4]])
def test_a_flat_sequence_of_another_length_is_refused(values):
    with pytest.raises(ValueError, match=rf"3 leaves, the flat sequence {len(values)} items"):
        pack_sequence_as([0, (0, 0)], values)


# -- is_positive_int ------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1, 2, 10**12])
def test_positive_ints(value):
    assert is_positive_int(value)


@pytest.mark.parametrize("value", [0, -1, True, 1.0, "1", None, np.int64(3)])
def test_not_positive_ints(value):
    assert not is_positive_int(value)
