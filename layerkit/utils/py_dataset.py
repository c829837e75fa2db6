"""``keras.utils.PyDataset`` (alias ``Sequence``): a dataset of batches written in Python, read
in order by index, optionally by several worker threads or processes.

A subclass implements ``__len__`` (or the ``num_batches`` property; None means endless) and
``__getitem__(index)``, which returns a batch as ``x``, ``(x,)``, ``(x, y)`` or ``(x, y,
sample_weight)``. ``fit``, ``evaluate`` and ``predict`` read one epoch with ``epoch_batches``;
the constructor's ``workers``, ``use_multiprocessing`` and ``max_queue_size`` decide how, as in
Keras 3 (they belong to the dataset, not to ``fit``).
"""

from __future__ import annotations

import concurrent.futures as futures
import itertools
import multiprocessing
import warnings
from collections import deque
from collections.abc import Iterator
from typing import Any


class PyDataset:
    """Base class of Python datasets of batches.

    Args:
        workers: how many threads (or processes) read batches ahead; 1 reads them in the
            main thread, as they are needed.
        use_multiprocessing: read with worker processes instead of threads (the dataset is
            pickled to each; processes start by ``spawn``, so its class must be importable).
        max_queue_size: how many batches may be read ahead of the one the step uses.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _loading_options(self) -> tuple[int, bool, int]:
        """(workers, use_multiprocessing, max_queue_size); defaults, with Keras's warning, for
        a subclass whose ``__init__`` did not call ``super().__init__()``."""
        if not hasattr(self, "_workers"):
            warnings.warn(f"{type(self).__name__} should call super().__init__(**kwargs) in its "
                          "constructor (kwargs can include workers, use_multiprocessing, "
                          "max_queue_size)", stacklevel=3)
            self._workers, self._use_multiprocessing, self._max_queue_size = 1, False, 10
        return self._workers, self._use_multiprocessing, self._max_queue_size

    @property
    def workers(self) -> int:
        return self._loading_options()[0]

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        return self._loading_options()[1]

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        return self._loading_options()[2]

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """The batch at position ``index``."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    @property
    def num_batches(self) -> int | None:
        """The number of batches (``len(self)``), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ or the "
                                  "num_batches property")

    def __iter__(self) -> Iterator[Any]:
        count = self.num_batches
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called at the start of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch (reshuffle here, say)."""


Sequence = PyDataset  # Keras 2's name, kept by Keras 3


def epoch_batches(dataset: PyDataset, indices: list[int] | Iterator[int]) -> Iterator[Any]:
    """``dataset[i]`` for each of ``indices``, in that order: read in the caller's thread, or
    up to ``max_queue_size`` ahead by ``workers`` threads or processes. An exception from
    ``__getitem__`` is raised (by the caller) when its batch is due."""
    workers, processes, queue_size = dataset._loading_options()
    if workers <= 1 and not processes:
        yield from (dataset[i] for i in indices)
        return
    if processes:
        pool: futures.Executor = futures.ProcessPoolExecutor(
            max_workers=max(workers, 1), mp_context=multiprocessing.get_context("spawn"),
            initializer=_set_worker_dataset, initargs=(dataset,))
        read = _worker_item
    else:
        pool = futures.ThreadPoolExecutor(max_workers=workers,
                                          thread_name_prefix="layerkit-pydataset")
        read = dataset.__getitem__
    pending: deque[futures.Future] = deque()
    indices = iter(indices)
    try:
        for index in itertools.islice(indices, max(queue_size, 1)):
            pending.append(pool.submit(read, index))
        while pending:
            batch = pending.popleft().result()
            for index in itertools.islice(indices, 1):
                pending.append(pool.submit(read, index))
            yield batch
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


_worker_dataset: PyDataset | None = None  # the dataset, in a worker process


def _set_worker_dataset(dataset: PyDataset) -> None:
    global _worker_dataset
    _worker_dataset = dataset


def _worker_item(index: int) -> Any:
    return _worker_dataset[index]


__all__ = ["PyDataset", "Sequence", "epoch_batches"]
