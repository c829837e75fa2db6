"""Data given as batches rather than arrays: Python generators and iterators of ``x``, ``(x,
y)`` or ``(x, y, sample_weight)``, and ``keras.utils.PyDataset``.

A ``BatchSource`` reads one epoch at a time. A generator is one stream shared by all epochs
(an epoch takes ``steps_per_epoch`` batches from it, or all that are left); a PyDataset is read
by index from the start at each epoch, with its ``on_epoch_begin``/``on_epoch_end`` hooks and
its worker threads or processes. Every batch is checked against the first one's structure and
named by its index when it is wrong, before any step runs on it.
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from layerkit.utils.data_packing import unpack_x_y_sample_weight
from layerkit.utils.py_dataset import PyDataset, epoch_batches


def is_batch_source(data: Any) -> bool:
    """A PyDataset, a generator, or any other iterator (arrays and containers are not)."""
    return isinstance(data, PyDataset | types.GeneratorType | Iterator)


def check_source_arguments(what: str, x: Any, **others: Any) -> None:
    """``y`` and ``sample_weight`` come from the batches themselves, and ``validation_split``
    needs arrays: each of them given with a source is an error naming it."""
    kind = source_kind(x)
    for name, value in others.items():
        if name == "validation_split" and value:
            raise ValueError(f"{what}(): validation_split is only supported for arrays; x is a "
                             f"{kind}. Pass validation_data instead.")
        if name != "validation_split" and value is not None:
            raise ValueError(f"{what}(): when x is a {kind}, `{name}` must not be passed: each "
                             f"batch of the {kind} holds it, as (x, y) or (x, y, sample_weight)")


def source_kind(data: Any) -> str:
    if isinstance(data, PyDataset):
        return f"PyDataset ({type(data).__name__})"
    return "generator" if isinstance(data, types.GeneratorType) else \
        f"iterator ({type(data).__name__})"


class BatchSource:
    """The batches of one generator, iterator or PyDataset, an epoch at a time."""

    def __init__(self, data: Any, what: str):
        self.data, self.what, self.kind = data, what, source_kind(data)
        self._first: tuple | None = None  # the structure of the first batch

    def steps(self, limit: int | None) -> int | None:
        """How many batches an epoch runs: ``limit`` (steps_per_epoch), capped by a
        PyDataset's length; None when unknown (a generator without a limit)."""
        count = self.data.num_batches if isinstance(self.data, PyDataset) else None
        if count is None:
            return limit
        return count if limit is None else min(limit, count)

    def epoch(self, limit: int | None, shuffle: bool = False
              ) -> Iterator[tuple[int, tuple[Any, Any, Any]]]:
        """``(index, (x, y, sample_weight))`` for each batch of one epoch, checked: its
        structure is the first batch's, and it holds at least one sample. A PyDataset's batch
        order is shuffled with ``shuffle``, as in Keras 3."""
        if not isinstance(self.data, PyDataset):
            for step in range(limit) if limit is not None else itertools.count():
                try:
                    batch = next(self.data)
                except StopIteration:
                    return
                yield step, self._checked(step, batch)
            return
        count = self.steps(limit)
        indices: Any = range(count) if count is not None else itertools.count()
        if shuffle and count is not None:
            indices = [int(i) for i in np.random.permutation(count)]
        self.data.on_epoch_begin()
        batches = epoch_batches(self.data, iter(indices))
        for step, index in enumerate(indices):
            try:
                batch = next(batches)
            except Exception as error:  # the user's __getitem__: say which batch it was
                raise _with_message(error, f"{self.what}(): {type(self.data).__name__}."
                                    f"__getitem__({index}) failed (its __len__ is {count}): "
                                    f"{type(error).__name__}: {error}") from error
            yield step, self._checked(index, batch)
        self.data.on_epoch_end()

    def _checked(self, index: int, batch: Any) -> tuple[Any, Any, Any]:
        if isinstance(batch, np.ndarray):
            batch = (batch,)
        if not isinstance(batch, tuple | list | dict):
            raise ValueError(f"{self.what}(): batch {index} of the {self.kind} is a "
                             f"{type(batch).__name__}; expected x, (x,), (x, y) or "
                             "(x, y, sample_weight)")
        x, y, sample_weight = unpack_x_y_sample_weight(batch)
        structure = (_layout(x), _layout(y), _layout(sample_weight))
        if self._first is None:
            self._first = structure
        elif structure != self._first:
            raise ValueError(f"{self.what}(): batch {index} of the {self.kind} is "
                             f"{_describe(x, y, sample_weight)}, but the first batch was "
                             f"{_describe_layout(self._first)}; every batch must have the same "
                             "structure")
        sizes = {len(a) for a in _arrays(x, y, sample_weight) if np.ndim(a)}
        if sizes == {0}:
            raise ValueError(f"{self.what}(): batch {index} of the {self.kind} has no samples"
                             + (f" (its __len__ is {len(self.data)}: does it count more "
                                "batches than the data holds?)"
                                if isinstance(self.data, PyDataset) else ""))
        return x, y, sample_weight

    def where(self, index: int) -> str:
        """How errors name a batch: ``batch 3 of the generator``."""
        return f"batch {index} of the {self.kind}"


def _with_message(error: Exception, message: str) -> Exception:
    """An exception of ``error``'s type with ``message`` (a RuntimeError if that type cannot
    be made from a message alone)."""
    try:
        return type(error)(message)
    except Exception:
        return RuntimeError(message)


def _arrays(*parts: Any) -> list[Any]:
    found = []
    for part in parts:
        if isinstance(part, dict):
            found += [np.asarray(v) for v in part.values()]
        elif isinstance(part, list | tuple):
            found += [np.asarray(v) for v in part]
        elif part is not None:
            found.append(np.asarray(part))
    return found


def _layout(part: Any) -> Any:
    """What must stay the same from batch to batch: absent, one array, or how many arrays
    (or which keys) a list or dict holds."""
    if part is None:
        return None
    if isinstance(part, dict):
        return ("dict", tuple(sorted(part)))
    if isinstance(part, list | tuple):
        return ("list", len(part))
    return "array"


def _describe_layout(layout: tuple) -> str:
    names = [name for name, part in zip(("x", "y", "sample_weight"), layout) if part is not None]
    inner = {"x": layout[0], "y": layout[1], "sample_weight": layout[2]}
    details = [f"{name} {_layout_words(inner[name])}" for name in names]
    return f"({', '.join(names)}) with {', '.join(details)}"


def _layout_words(layout: Any) -> str:
    if layout == "array":
        return "one array"
    kind, detail = layout
    return f"a dict of {list(detail)}" if kind == "dict" else f"a list of {detail} arrays"


def _describe(x: Any, y: Any, sample_weight: Any) -> str:
    return _describe_layout((_layout(x), _layout(y), _layout(sample_weight)))


__all__ = ["BatchSource", "check_source_arguments", "is_batch_source", "source_kind"]
