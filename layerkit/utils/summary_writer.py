"""Write TensorBoard event files: scalars, histograms and graphs, on disk when flushed.

The one event-file writer of layerkit, used by ``keras.callbacks.TensorBoard`` and by the
TF1-style ``tf.summary.FileWriter``. It is built on tensorboardX's public pieces, an optional
dependency imported only when a writer is made (``pip install "layerkit[tensorboard]"``):

- ``tensorboardX.summary.scalar`` / ``histogram`` make the ``Summary`` protocol buffers, the
  histogram with TensorFlow's default bucket edges (those of ``SummaryWriter``'s
  ``bins="tensorflow"``);
- ``tensorboardX.RecordWriter`` appends the ``tensorboardX.proto`` ``Event`` records to the file.

tensorboardX's own ``FileWriter`` and ``SummaryWriter`` are not used to write: they hand events
to a background thread, and their ``flush()`` flushes the file without waiting for that thread,
so events added before a flush may not be on disk after it (and ``reopen()`` after ``close()``
fails in tensorboardX 2.6). Here every event is written when it is added, so after ``flush()``
(or ``close()``) all of them are on disk, as TF1's ``FileWriter.flush`` promises.
"""

from __future__ import annotations

import functools
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterable
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

__all__ = ["INSTALL_HINT", "EventFileWriter", "GraphNode", "require_tensorboardx",
           "tensorflow_bucket_edges"]

INSTALL_HINT = 'pip install "layerkit[tensorboard]"'

# TensorBoard reads an event file only after this first record (TF's EventsWriter writes it).
_FILE_VERSION = "brain.Event:2"

# With the time (to the second) and the host, the pid and this counter keep two writers made in
# the same second from sharing one file.
_writer_numbers = itertools.count()


def require_tensorboardx(user: str) -> ModuleType:
    """tensorboardX, imported; if it is missing, an ImportError naming ``user`` (what needs it)
    and how to install it."""
    try:
        import tensorboardX
    except ImportError:
        raise ImportError(
            f"{user} writes its event files with tensorboardX, which is not installed; "
            f"install it with: {INSTALL_HINT}") from None
    return tensorboardX


@functools.cache
def tensorflow_bucket_edges() -> np.ndarray:
    """TensorFlow's default histogram bucket edges: 0 and +-1e-12, growing by 10%, below 1e20.

    Those of tensorboardX's ``SummaryWriter.add_histogram(bins="tensorflow")``, computed as
    TensorFlow's ``histogram.cc`` does. tensorboardX keeps them only on a ``SummaryWriter``; one
    made with ``write_to_disk=False`` writes no file and starts no thread.
    """
    tensorboardx = require_tensorboardx("layerkit's histogram summaries")
    edges = np.array(tensorboardx.SummaryWriter(write_to_disk=False).default_bins)
    edges.flags.writeable = False  # shared by every caller of this cached function
    return edges


class GraphNode(NamedTuple):
    """One node of a graph as TensorBoard's Graphs dashboard shows it (a ``NodeDef``)."""

    name: str
    op: str
    inputs: tuple[str, ...] = ()  # "op", "op:1" for a later output, "^op" for a control input


def _event_file_name(filename_suffix: str) -> str:
    """TensorFlow's event file name, with this process and writer made part of the suffix."""
    return (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
            f".{os.getpid()}.{next(_writer_numbers)}{filename_suffix}")


class EventFileWriter:
    """Writes events to a new event file in ``logdir`` (made if missing) that TensorBoard reads.

    Each ``add_*`` writes its event at once (no queue, no thread); ``flush()`` puts everything
    added so far on disk, and ``close()`` flushes and closes the file. ``user`` names what
    writes, in the error raised when tensorboardX is missing.
    """

    def __init__(self, logdir: str | os.PathLike[str], filename_suffix: str = "",
                 user: str = "layerkit's event file writer"):
        self._tensorboardx = require_tensorboardx(user)
        from tensorboardX.proto import event_pb2

        self._event_type = event_pb2.Event
        self._logdir = os.fspath(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        self._path = os.path.join(self._logdir, _event_file_name(filename_suffix))
        self._records = self._tensorboardx.RecordWriter(self._path)
        # One record at a time, and none after close, when several threads write.
        self._lock = threading.Lock()
        self._closed = False
        self.add_event(self._event_type(file_version=_FILE_VERSION))

    @property
    def logdir(self) -> str:
        """The directory of the event file."""
        return self._logdir

    @property
    def path(self) -> str:
        """The event file."""
        return self._path

    def add_scalar(self, tag: str, value: float, step: int | None = None) -> None:
        """Write the number ``value`` under ``tag`` at ``step``."""
        self.add_summary(self._tensorboardx.summary.scalar(tag, float(value)), step)

    def add_histogram(self, tag: str, values: Any, step: int | None = None) -> None:
        """Write the distribution of ``values`` (any shape, not empty) under ``tag`` at
        ``step``, in TensorFlow's default buckets."""
        flat = np.asarray(values, dtype=np.float64).ravel()
        self.add_summary(
            self._tensorboardx.summary.histogram(tag, flat, bins=tensorflow_bucket_edges()), step)

    def add_image(self, tag: str, image: np.ndarray, step: int | None = None) -> None:
        """Write one ``uint8`` image of shape ``(height, width, channels)`` (1, 3 or 4
        channels) under ``tag`` at ``step``, PNG-encoded."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] not in (1, 3, 4):
            raise ValueError(f"add_image {tag!r}: expected a uint8 (height, width, 1|3|4) "
                             f"image, got {image.dtype} {image.shape}")
        self.add_summary(self._tensorboardx.summary.image(tag, image, dataformats="HWC"), step)

    def add_summary(self, summary: Any, step: int | None = None) -> None:
        """Write a tensorboardX ``Summary`` protocol buffer at ``step``."""
        self.add_event(self._event_type(summary=summary), step)

    def add_graph(self, nodes: Iterable[GraphNode], step: int | None = None) -> None:
        """Write a graph of ``nodes`` for TensorBoard's Graphs dashboard."""
        from tensorboardX.proto import graph_pb2, node_def_pb2

        graph_def = graph_pb2.GraphDef(node=[
            node_def_pb2.NodeDef(name=node.name, op=node.op, input=list(node.inputs))
            for node in nodes])
        self.add_event(self._event_type(graph_def=graph_def.SerializeToString()), step)

    def add_event(self, event: Any, step: int | None = None) -> None:
        """Write an ``Event`` protocol buffer, stamped with the time now and ``step``."""
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        record = event.SerializeToString()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"This event file writer is closed: {self._path}")
            self._records.write(record)

    def flush(self) -> None:
        """Put every event added so far on disk."""
        with self._lock:
            if not self._closed:
                self._records.flush()

    def close(self) -> None:
        """Flush and close the event file; closing again does nothing."""
        with self._lock:
            if not self._closed:
                self._records.flush()
                self._records.close()
                self._closed = True

    def __enter__(self) -> EventFileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
