"""``tf.data`` for TF1 programs: a host-side pipeline whose iterator feeds the graph.

A ``Dataset`` here is a recipe of Python steps over numpy elements (nested tuples and dicts of
arrays): ``from_tensor_slices``, ``from_tensors``, ``range``, ``zip``, then ``map``,
``filter``, ``batch``, ``shuffle``, ``repeat``, ``take``, ``skip``, ``prefetch``,
``concatenate``. An iterator's ``get_next()`` gives placeholders of the elements' structure,
shapes and dtypes; a ``tf.Session`` run that needs them feeds the iterator's next element
(once per run) and raises ``tf.errors.OutOfRangeError`` when it is exhausted, as TF1 does.
``map`` traces its function once on placeholders in a graph of its own and runs it per element.
The pipeline runs on the host, one element at a time: it is for the TF1 tutorials' sizes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from layerkit.compat.v1.errors import OutOfRangeError
from layerkit.graph import Session
from layerkit.graph.graph import Graph, Tensor, ancestors, get_default_graph
from layerkit.graph.opdef import convert_to_tensor
from layerkit.graph.variables import placeholder
from layerkit.utils import tree

ITERATORS = "data_iterators"  # the graph collection of the iterators a session feeds


class Spec:
    """The static shape (None for a size that varies) and dtype of one component."""

    def __init__(self, shape: Any, dtype: Any):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)

    def __repr__(self) -> str:
        return f"Spec({self.shape}, {self.dtype.name})"


def _map(fn: Callable[..., Any], structure: Any, *others: Any) -> Any:
    """``fn`` over the leaves of ``structure`` (and of ``others``, alike), in its structure."""
    columns = zip(tree.flatten(structure), *(tree.flatten(o) for o in others))
    return tree.pack_sequence_as(structure, [fn(*leaves) for leaves in columns])


class Dataset:
    """A pipeline of elements, made anew for each pass (``make_elements(source_values)``)."""

    def __init__(self, make_elements: Callable[[list[Any]], Iterator[Any]], spec: Any,
                 sources: list[Any] | None = None):
        self._make = make_elements
        self.spec = spec  # the elements' structure, a Spec per component
        self.sources = sources or []  # tensors whose values the elements come from

    # -- sources -----------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """One element per row of ``tensors`` (arrays, or tensors such as placeholders whose
        values come when an initializable iterator is initialized)."""
        leaves = tree.flatten(tensors)
        sizes = {_rows(leaf) for leaf in leaves}
        if len(sizes - {None}) > 1:
            raise ValueError(f"from_tensor_slices: the components have different numbers of "
                             f"rows: {sorted(s for s in sizes if s is not None)}")
        spec = tree.pack_sequence_as(tensors, [Spec(_shape(leaf)[1:], _dtype(leaf))
                                               for leaf in leaves])

        def make(values: list[Any]) -> Iterator[Any]:
            arrays = [np.asarray(v) for v in values]
            for i in range(len(arrays[0]) if arrays else 0):
                yield tree.pack_sequence_as(tensors, [a[i] for a in arrays])

        return Dataset(make, spec, leaves)

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        """One element: ``tensors`` whole."""
        leaves = tree.flatten(tensors)
        spec = tree.pack_sequence_as(tensors, [Spec(_shape(x), _dtype(x)) for x in leaves])

        def make(values: list[Any]) -> Iterator[Any]:
            yield tree.pack_sequence_as(tensors, [np.asarray(v) for v in values])

        return Dataset(make, spec, leaves)

    @staticmethod
    def range(*args: int) -> Dataset:  # noqa: A003 - TF1's name
        """``range(stop)``, ``range(start, stop[, step])`` as int64 scalars."""
        return Dataset(lambda _: (np.int64(i) for i in range(*args)), Spec((), np.int64))

    @staticmethod
    def zip(datasets: Any) -> Dataset:  # noqa: A003 - TF1's name
        """Elements of ``datasets`` (a tuple or dict of them) side by side, until the shortest
        ends."""
        parts = [datasets[k] for k in sorted(datasets)] if isinstance(datasets, dict) \
            else list(datasets)
        sources = [s for d in parts for s in d.sources]

        def make(values: list[Any]) -> Iterator[Any]:
            streams, at = [], 0
            for d in parts:
                streams.append(d._make(values[at:at + len(d.sources)]))
                at += len(d.sources)
            for items in zip(*streams):
                yield _packed_like(datasets, list(items))

        return Dataset(make, _packed_like(datasets, [d.spec for d in parts]), sources)

    # -- transformations ----------------------------------------------------------------------
    def _then(self, step: Callable[[Iterator[Any]], Iterator[Any]], spec: Any = None) -> Dataset:
        return Dataset(lambda values: step(self._make(values)),
                       self.spec if spec is None else spec, self.sources)

    def map(self, map_func: Callable[..., Any], num_parallel_calls: Any = None) -> Dataset:
        """``map_func`` applied to each element (its components as arguments), traced once as
        graph code."""
        traced = _TracedFunction(map_func, self.spec)
        return self._then(lambda items: (traced(item) for item in items), traced.out_spec)

    def filter(self, predicate: Callable[..., Any]) -> Dataset:
        traced = _TracedFunction(predicate, self.spec)
        return self._then(lambda items: (item for item in items if bool(traced(item))))

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Consecutive elements stacked ``batch_size`` at a time (the last batch smaller unless
        ``drop_remainder``)."""
        if batch_size < 1:
            raise ValueError(f"batch: batch_size must be >= 1, got {batch_size}")

        def step(items: Iterator[Any]) -> Iterator[Any]:
            while True:
                chunk = list(itertools.islice(items, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield _map(lambda *xs: np.stack(xs), *chunk)

        size = batch_size if drop_remainder else None
        spec = _map(lambda c: Spec((size, *c.shape), c.dtype), self.spec)
        return self._then(step, spec)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> Dataset:
        """Elements drawn at random from a buffer of ``buffer_size``, as TF1 shuffles."""
        rng = np.random.default_rng(seed)

        def step(items: Iterator[Any]) -> Iterator[Any]:
            local = rng if reshuffle_each_iteration else np.random.default_rng(seed)
            buffer = list(itertools.islice(items, buffer_size))
            for item in items:
                index = int(local.integers(len(buffer)))
                yield buffer[index]
                buffer[index] = item
            local.shuffle(buffer)
            yield from buffer

        return self._then(step)

    def repeat(self, count: int | None = None) -> Dataset:
        """The elements ``count`` times over (forever with None or -1)."""
        def make(values: list[Any]) -> Iterator[Any]:
            passes = itertools.count() if count is None or count < 0 else range(count)
            for _ in passes:
                yield from self._make(values)

        return Dataset(make, self.spec, self.sources)

    def take(self, count: int) -> Dataset:
        return self._then(lambda items: itertools.islice(items, count if count >= 0 else None))

    def skip(self, count: int) -> Dataset:
        return self._then(lambda items: itertools.islice(items, max(count, 0), None))

    def prefetch(self, buffer_size: Any) -> Dataset:
        return self  # elements are made when a run needs them; nothing to overlap on the host

    def concatenate(self, dataset: Dataset) -> Dataset:
        sources, n = [*self.sources, *dataset.sources], len(self.sources)
        return Dataset(lambda v: itertools.chain(self._make(v[:n]), dataset._make(v[n:])),
                       self.spec, sources)

    # -- iterators ---------------------------------------------------------------------------
    def make_one_shot_iterator(self) -> DataIterator:
        return DataIterator(self, initializable=False)

    def make_initializable_iterator(self, shared_name: Any = None) -> DataIterator:
        return DataIterator(self, initializable=True)

    @property
    def output_types(self) -> Any:
        return _map(lambda c: c.dtype, self.spec)

    @property
    def output_shapes(self) -> Any:
        return _map(lambda c: c.shape, self.spec)


class DataIterator:
    """An iterator over a dataset's elements, feeding the placeholders ``get_next()`` gives."""

    def __init__(self, dataset: Dataset, initializable: bool):
        self.dataset, self.initializable = dataset, initializable
        self._elements: Iterator[Any] | None = None
        graph = get_default_graph()
        with graph.name_scope("IteratorGetNext"):
            self._placeholders = [placeholder(c.dtype, c.shape) for c in tree.flatten(dataset.spec)]
        self._next = tree.pack_sequence_as(dataset.spec, self._placeholders)
        graph.add_to_collection(ITERATORS, self)
        self.initializer = _Initializer(self)

    def get_next(self, name: str | None = None) -> Any:
        """The next element, as placeholders a session run feeds."""
        return self._next

    def _feeds(self, session: Any) -> dict[Tensor, np.ndarray]:
        """The next element for this run's feeds (starting a one-shot iterator on first use)."""
        if self._elements is None:
            if self.initializable:
                raise _failed_precondition("GetNext() failed because the iterator has not "
                                           "been initialized: run iterator.initializer first")
            tensors = [t for t in self.dataset.sources if isinstance(t, Tensor)]
            values = session.run(tensors) if tensors else []
            self._elements = self.dataset._make(_resolved(self.dataset.sources, values))
        try:
            element = next(self._elements)
        except StopIteration:
            raise OutOfRangeError("End of sequence") from None
        return dict(zip(self._placeholders, tree.flatten(element)))


class _Initializer:
    """``iterator.initializer``: running it (with the feeds a placeholder source needs)
    restarts the iterator over the source values of that run."""

    def __init__(self, iterator: DataIterator):
        self.iterator = iterator
        self.name = "MakeIterator"

    def _fetch_tensors(self) -> list[Any]:
        return [s for s in self.iterator.dataset.sources if isinstance(s, Tensor)]

    def _fetch_result(self, values: list[Any]) -> None:
        sources = self.iterator.dataset.sources
        self.iterator._elements = self.iterator.dataset._make(_resolved(sources, values))


def feeds_for(session: Any, fetches: Any, given: dict) -> dict:
    """The iterator feeds a run of ``fetches`` needs (none already ``given``)."""
    iterators = session.graph.get_collection(ITERATORS)
    if not iterators:
        return {}
    leaves = _fetched_tensors(fetches, session.graph)
    tensors = [leaf for leaf in leaves if isinstance(leaf, Tensor)]
    ops = [leaf for leaf in leaves if not isinstance(leaf, Tensor)]
    needed = {id(op) for op in ancestors(tensors, ops, control=True)}
    feeds: dict = {}
    for iterator in iterators:
        wanted = [p for p in iterator._placeholders if id(p.op) in needed and p not in given]
        if wanted:
            feeds.update(iterator._feeds(session))
    return feeds


def _fetched_tensors(fetches: Any, graph: Graph) -> list[Any]:
    found: list[Any] = []
    for leaf in tree.flatten(fetches):
        if isinstance(leaf, _Initializer):
            continue
        if hasattr(leaf, "_fetch_tensors"):
            found += _fetched_tensors(leaf._fetch_tensors(), graph)
        elif isinstance(leaf, str):
            found.append(graph.get_tensor_by_name(leaf) if ":" in leaf
                         else graph.get_operation_by_name(leaf))
        elif hasattr(leaf, "op") or hasattr(leaf, "inputs"):
            found.append(leaf)
    return found


class _TracedFunction:
    """A ``map``/``filter`` function traced once on placeholders in a graph of its own, then run
    per element by a session of that graph."""

    def __init__(self, fn: Callable[..., Any], spec: Any):
        self.graph = Graph()
        with self.graph.as_default():
            self.inputs = [placeholder(c.dtype, c.shape) for c in tree.flatten(spec)]
            packed = tree.pack_sequence_as(spec, self.inputs)
            out = fn(*packed) if isinstance(packed, tuple) else fn(packed)
            self.outputs = _map(convert_to_tensor, out)
        self.out_spec = _map(lambda t: Spec(t.shape, t.dtype), self.outputs)
        self.session = Session(graph=self.graph, strict_float=True)  # TF1's float semantics

    def __call__(self, element: Any) -> Any:
        return self.session.run(self.outputs, dict(zip(self.inputs, tree.flatten(element))))


def _resolved(sources: list[Any], tensor_values: list[Any]) -> list[Any]:
    """The sources' values: arrays as they are, tensors' from ``tensor_values`` in order."""
    values = iter(tensor_values)
    return [next(values) if isinstance(s, Tensor) else s for s in sources]


def _packed_like(structure: Any, items: list[Any]) -> Any:
    if isinstance(structure, dict):
        return dict(zip(sorted(structure), items))
    return tuple(items)


def _rows(value: Any) -> int | None:
    shape = _shape(value)
    if not shape:
        raise ValueError("from_tensor_slices: every component needs at least one dimension")
    return shape[0]


def _shape(value: Any) -> tuple:
    if isinstance(value, Tensor):
        return tuple(value.shape) if value.shape is not None else ()
    return np.shape(value)


def _dtype(value: Any) -> np.dtype:
    return value.dtype if isinstance(value, Tensor) else np.asarray(value).dtype


def _failed_precondition(message: str) -> Exception:
    from layerkit.graph.errors import FailedPreconditionError

    return FailedPreconditionError(message)


class _Data:
    """``tf.data``."""

    Dataset = Dataset
    Iterator = DataIterator


data = _Data()

__all__ = ["Dataset", "DataIterator", "Spec", "data", "feeds_for"]
