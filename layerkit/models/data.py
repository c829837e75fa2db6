"""Turning user data (arrays, lists and dicts of arrays) into checked, batched feeds."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from layerkit.models.arguments import short_repr


def as_list(data: Any, names: list[str], what: str) -> list[np.ndarray] | None:
    """``data`` as a list of arrays in ``names`` order (a dict is keyed by input/output name)."""
    if data is None:
        return None
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"{what}: no entry for {missing}; the dict has {sorted(data)}")
        return [np.asarray(data[n]) for n in names]
    if isinstance(data, list | tuple):
        return [np.asarray(d) for d in data]
    return [np.asarray(data)]


def check_input_type(what: str, x: Any, xs: list[np.ndarray]) -> None:
    """``x`` must be arrays (or a list or dict of them): anything else (a dataset object of
    another library, a string) would become an array of objects and fail deep in a step."""
    for a in xs:
        if a.dtype.kind in "OSU" and not _is_numeric(a):
            raise TypeError(f"{what}(): x must be numpy arrays (or a list or dict of them), a "
                            "Python generator or iterator of batches, or a "
                            f"keras.utils.PyDataset; got {type(x).__name__}: {short_repr(x)}")


def check_cardinality(**arrays: list[np.ndarray] | None) -> int:
    """The common number of samples, or a ValueError listing every array's size."""
    sizes = {name: [len(a) if a.ndim else 0 for a in group]
             for name, group in arrays.items() if group is not None}
    distinct = {s for group in sizes.values() for s in group}
    if len(distinct) != 1:
        listed = "; ".join(f"{name} sizes: {', '.join(map(str, s))}"
                           for name, s in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: {listed}. Make sure all arrays "
                         "contain the same number of samples.")
    return distinct.pop()


def check_not_empty(what: str, xs: list[np.ndarray], samples: int) -> None:
    """At least one sample: with none, fit would "train" on nothing and predict would have no
    batch to concatenate."""
    if samples == 0:
        shapes = ", ".join(str(a.shape) for a in xs)
        raise ValueError(f"{what}(): expected non-empty input data, but x has 0 samples "
                         f"(shape {shapes})")


def check_numeric(what: str, **arrays: list[np.ndarray] | None) -> None:
    """Targets and weights must be numbers: strings would otherwise fail deep in a loss (or in
    the label check) with numpy's message."""
    for name, group in arrays.items():
        for i, a in enumerate(group or []):
            if not _is_numeric(a):
                where = f"{name}[{i}]" if len(group) > 1 else name
                raise TypeError(f"{what}(): {where} must hold numbers, got an array of dtype "
                                f"{a.dtype}: {short_repr(a)}; encode string labels as "
                                "integers first")


def _is_numeric(a: np.ndarray) -> bool:
    if a.dtype.kind == "O":  # numbers in an object array still convert
        return all(isinstance(v, numbers.Number) for v in a.flat)
    return a.dtype.kind in "biuf"


def warn_on_nan(**arrays: list[np.ndarray] | None) -> None:
    for name, group in arrays.items():
        for i, a in enumerate(group or []):
            if a.dtype.kind == "f" and np.isnan(a).any():
                where = f"{name}[{i}]" if len(group) > 1 else name
                warnings.warn(f"The training data {where} contains {int(np.isnan(a).sum())} NaN "
                              "value(s); the loss will likely become NaN", stacklevel=3)


def split_validation(arrays: list[list[np.ndarray] | None], fraction: float):
    """The last ``fraction`` of the samples (before any shuffling) as validation data, as Keras
    does: returns (train arrays, validation arrays)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {fraction}")
    n = next(len(group[0]) for group in arrays if group)
    cut = int(n * (1.0 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} leaves no training or no validation "
                         f"samples out of {n}")
    train = [None if g is None else [a[:cut] for a in g] for g in arrays]
    val = [None if g is None else [a[cut:] for a in g] for g in arrays]
    return train, val


def batches(n: int, batch_size: int, shuffle: bool) -> Iterator[np.ndarray]:
    """Index arrays of consecutive batches (the last may be smaller)."""
    order = np.random.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def groups_of_equal_size(batches: Iterator[np.ndarray],
                         size: int) -> Iterator[np.ndarray]:
    """Consecutive index arrays of one length, stacked ``size`` at a time into a
    ``(size, batch)`` array; those left over (before the length changes, and at the end) come
    one at a time, as ``(1, batch)`` arrays. A program then runs either one step or ``size`` of
    them: any other count would compile a program of its own."""
    group: list[np.ndarray] = []
    for index in batches:
        if group and len(index) != len(group[0]):
            yield from (leftover[None] for leftover in group)
            group = []
        group.append(index)
        if len(group) == size:
            yield group[0][None] if size == 1 else np.stack(group)
            group = []
    yield from (leftover[None] for leftover in group)


def take(group: list[np.ndarray] | None, index: np.ndarray) -> list[np.ndarray] | None:
    return None if group is None else [a[index] for a in group]


def class_weights_to_sample_weights(y: np.ndarray, class_weight: dict[int, float]) -> np.ndarray:
    """Per-sample weights from per-class weights (labels as ints or one-hot rows)."""
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
    labels = labels.astype(np.int64)
    unknown = set(np.unique(labels)) - set(class_weight)
    if unknown:
        raise ValueError(f"class_weight has no weight for class(es) {sorted(unknown)}")
    return np.array([class_weight[int(c)] for c in labels], np.float32)
