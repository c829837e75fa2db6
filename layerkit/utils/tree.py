"""Nested structures of lists, tuples and dicts, with ``keras.tree``'s names.

Layers, models and the trainer pass inputs and outputs around as such structures: a layer call
takes a tensor, a list of tensors or a dict of them, and a model's program works on the flat
list. ``flatten`` and ``pack_sequence_as`` convert between the two, in one order (dict entries
by sorted key, as Keras does). Unlike ``keras.tree``, ``None`` is a leaf here, and only lists,
tuples and dicts are nested. ``is_positive_int`` checks a count argument (steps and the like).

This module sits low (layers, models and the trainer import it): it imports nothing from
layerkit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, depth first: list and tuple items in order, dict values by
    sorted key. A leaf (anything else) flattens to ``[structure]``."""
    if isinstance(structure, list | tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def pack_sequence_as(structure: Any, flat_sequence: list[Any]) -> Any:
    """``structure`` with its leaves replaced, in ``flatten``'s order, by the items of
    ``flat_sequence``: lists and tuples keep their type, dicts come back with sorted keys.

    ``pack_sequence_as(s, flatten(s))`` rebuilds ``s``. A ``flat_sequence`` with fewer or more
    items than ``structure`` has leaves is a ValueError."""
    leaves = len(flatten(structure))
    if leaves != len(flat_sequence):
        raise ValueError(f"pack_sequence_as: the structure has {leaves} leaves, the flat "
                         f"sequence {len(flat_sequence)} items")
    return _pack(structure, iter(flat_sequence))


def is_positive_int(value: Any) -> bool:
    """Whether ``value`` is a Python int of at least 1 (a bool, a float or a numpy integer is
    not): the check for step counts such as ``steps_per_execution``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _pack(structure: Any, values: Iterator[Any]) -> Any:
    if isinstance(structure, list | tuple):
        return type(structure)(_pack(item, values) for item in structure)
    if isinstance(structure, dict):
        return {key: _pack(structure[key], values) for key in sorted(structure)}
    return next(values)


__all__ = ["flatten", "is_positive_int", "pack_sequence_as"]
