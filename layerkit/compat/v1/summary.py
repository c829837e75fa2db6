"""``tf.summary``: scalar, histogram and image summaries, merged, and written for TensorBoard.

A summary here is not a string tensor as in TF1 but a small fetchable object: ``sess.run`` on
it (alone or inside a list, through the session's custom-fetch protocol) computes its tensors
and returns a ``Summary`` holding tags and values. ``FileWriter.add_summary`` writes that to a
TensorBoard event file with ``layerkit.utils.summary_writer`` (on tensorboardX, an optional
dependency imported only when a writer is made: ``pip install "layerkit[tensorboard]"``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from layerkit.graph import dtypes
from layerkit.graph.graph import Graph, Tensor, get_default_graph
from layerkit.graph.opdef import convert_to_tensor
from layerkit.graph.shapes import fmt
from layerkit.utils.summary_writer import EventFileWriter, GraphNode

__all__ = [
    "FileWriter", "Summary", "SummaryOp", "SummaryValue", "histogram", "image", "merge",
    "merge_all", "scalar",
]

SUMMARIES = "summaries"  # TF1's GraphKeys.SUMMARIES


@dataclass(frozen=True)
class SummaryValue:
    """One tagged value: a float for a scalar, the raw values for a histogram."""

    tag: str
    kind: str  # "scalar", "histogram" or "image"
    value: Any

    @property
    def simple_value(self) -> float:
        """The scalar value (TF1's ``Summary.Value.simple_value``)."""
        if self.kind != "scalar":
            raise AttributeError(f"summary {self.tag!r} is a {self.kind}, not a scalar")
        return self.value


@dataclass(frozen=True)
class Summary:
    """A fetched summary: the values of one or more summary ops at one run."""

    value: tuple[SummaryValue, ...]

    def __getitem__(self, tag: str) -> Any:
        for v in self.value:
            if v.tag == tag:
                return v.value
        raise KeyError(tag)

    @property
    def tags(self) -> list[str]:
        return [v.tag for v in self.value]


class SummaryOp:
    """A summary in the graph: fetch it with ``sess.run`` to get a ``Summary``."""

    def __init__(self, tag: str, kind: str, tensor: Tensor | None):
        self.tag = tag
        self.kind = kind
        self.tensor = tensor
        self.max_outputs = 1  # images: how many of the batch are written

    @property
    def graph(self) -> Graph:
        return self.tensor.graph

    @property
    def name(self) -> str:
        return self.tag

    # The session's custom-fetch protocol.
    def _fetch_tensors(self) -> list[Tensor]:
        return [self.tensor]

    def _fetch_result(self, values: list[Any]) -> Summary:
        (value,) = values
        if self.kind == "scalar":
            return Summary((SummaryValue(self.tag, "scalar", float(value)),))
        if self.kind == "image":
            images = np.asarray(value)[:self.max_outputs]
            if self.max_outputs == 1:
                return Summary((SummaryValue(f"{self.tag}/image", "image",
                                             _as_uint8(images[0])),))
            return Summary(tuple(SummaryValue(f"{self.tag}/image/{i}", "image", _as_uint8(im))
                                 for i, im in enumerate(images)))
        return Summary((SummaryValue(self.tag, "histogram", np.asarray(value)),))

    def eval(self, feed_dict: dict | None = None, session: Any = None) -> Summary:
        """Compute it in ``session`` or the default session."""
        from layerkit.graph.session import get_default_session

        session = session or get_default_session()
        if session is None:
            raise ValueError(f"Cannot evaluate summary {self.tag!r}: no default session is set")
        return session.run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<SummaryOp {self.kind} {self.tag!r} of '{self.tensor.name}'>"


class MergedSummary(SummaryOp):
    """Several summaries fetched together into one ``Summary``."""

    def __init__(self, parts: Sequence[SummaryOp]):
        super().__init__("Merge/MergeSummary", "merged", None)
        self.parts = list(parts)

    @property
    def graph(self) -> Graph:
        return self.parts[0].graph

    def _fetch_tensors(self) -> list[Any]:
        return list(self.parts)  # each part is itself fetched through the protocol

    def _fetch_result(self, values: list[Any]) -> Summary:
        return Summary(tuple(v for summary in values for v in summary.value))

    def __repr__(self) -> str:
        return f"<MergedSummary of {[p.tag for p in self.parts]}>"


def _add(kind: str, name: str, tensor: Any, collections: Iterable[str] | None) -> SummaryOp:
    tensor = convert_to_tensor(tensor)
    if not (dtypes.is_floating(tensor.dtype) or dtypes.is_integer(tensor.dtype)
            or tensor.dtype == dtypes.bool_):
        raise TypeError(f"summary {name!r}: tensor '{tensor.name}' has dtype "
                        f"{tensor.dtype.name}; it must be numeric")
    graph = tensor.graph
    summary = SummaryOp(_unique_tag(graph, name), kind, tensor)
    for key in (SUMMARIES,) if collections is None else collections:
        graph.add_to_collection(key, summary)
    return summary


def _unique_tag(graph: Graph, name: str) -> str:
    """As in TF1: the summary's name cleaned (characters other than letters, digits, ``_``,
    ``-``, ``.`` and ``/`` become ``_``: ``"W1:0"`` is ``W1_0``), under the open name scope,
    made unique like an op name."""
    parts = [p for p in re.sub(r"[^-/\w.]", "_", name).split("/") if p]
    if not parts:
        raise ValueError(f"summary name {name!r} is empty")
    with graph.as_default(), contextlib.ExitStack() as scopes:
        for part in parts:
            scope = scopes.enter_context(graph.name_scope(part))
    return scope.rstrip("/")


def scalar(name: str, tensor: Any, collections: Iterable[str] | None = None,
           family: str | None = None) -> SummaryOp:
    """A summary of the scalar ``tensor`` under the tag ``name``."""
    tensor = convert_to_tensor(tensor)
    if tensor.shape is not None and len(tensor.shape) != 0:
        raise ValueError(f"summary.scalar {name!r}: tensor '{tensor.name}' must be a scalar, "
                         f"got shape {fmt(tensor.shape)}")
    return _add("scalar", f"{family}/{name}" if family else name, tensor, collections)


def histogram(name: str, values: Any, collections: Iterable[str] | None = None,
              family: str | None = None) -> SummaryOp:
    """A summary of the distribution of ``values`` (any shape) under the tag ``name``."""
    return _add("histogram", f"{family}/{name}" if family else name, values, collections)


def image(name: str, tensor: Any, max_outputs: int = 3, collections: Iterable[str] | None = None,
          family: str | None = None) -> SummaryOp:
    """Up to ``max_outputs`` images of the ``[batch, height, width, channels]`` tensor (1, 3 or 4
    channels), tagged ``name/image/0``... (``name/image`` for one). uint8 images are written
    as they are; float ones are scaled per image as TF1 does (see ``_as_uint8``)."""
    tensor = convert_to_tensor(tensor)
    if tensor.shape is not None and (len(tensor.shape) != 4 or tensor.shape[-1] not in
                                     (1, 3, 4, None)):
        raise ValueError(f"summary.image {name!r}: tensor '{tensor.name}' must be [batch, "
                         f"height, width, 1|3|4 channels], got shape {fmt(tensor.shape)}")
    if max_outputs < 1:
        raise ValueError(f"summary.image {name!r}: max_outputs must be >= 1, got {max_outputs}")
    summary = _add("image", f"{family}/{name}" if family else name, tensor, collections)
    summary.max_outputs = max_outputs
    return summary


def _as_uint8(image: np.ndarray) -> np.ndarray:
    """TF1's image scaling: uint8 as it is; floats, per image, so that the largest value is
    255 when all are non-negative, else with 0.0 at 127 and the values scaled to fit [0, 255]."""
    if image.dtype == np.uint8:
        return image
    image = image.astype(np.float64)
    if image.min() >= 0:
        top = image.max()
        scaled = image * (255.0 / top) if top > 0 else image
    else:
        reach = max(-image.min(), image.max())
        scaled = image * (127.0 / reach) + 127.0 if reach > 0 else image + 127.0
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def merge(inputs: Sequence[SummaryOp | None], collections: Any = None,
          name: str | None = None) -> MergedSummary:
    """One summary computing all of ``inputs``."""
    parts = [s for s in inputs if s is not None]
    if not parts:
        raise ValueError("summary.merge: no summaries to merge")
    for s in parts:
        if not isinstance(s, SummaryOp):
            raise TypeError(f"summary.merge: {s!r} is not a summary")
    return MergedSummary(parts)


def merge_all(key: str = SUMMARIES, scope: str | None = None,
              name: str | None = None) -> MergedSummary | None:
    """All summaries of the default graph (collection ``key``) as one; None if there are none."""
    found = [s for s in get_default_graph().get_collection(key)
             if scope is None or s.tag.startswith(scope)]
    return MergedSummary(found) if found else None


# -- writing event files -------------------------------------------------------------------------
class FileWriter:
    """Writes summaries (and optionally the graph) to an event file in ``logdir`` that
    TensorBoard reads (``tensorboard --logdir=...``).

    Events are written as they are added (no background thread), so after ``flush()`` every
    one added is on disk, as TF1 promises; ``max_queue`` and ``flush_secs`` are accepted for
    compatibility.
    """

    def __init__(self, logdir: str, graph: Graph | None = None, max_queue: int = 10,
                 flush_secs: float = 120, graph_def: Any = None,
                 filename_suffix: str | None = None, session: Any = None):
        self._events = EventFileWriter(logdir, filename_suffix or "",
                                       user="tf.summary.FileWriter")
        if graph is not None:
            self.add_graph(graph)

    def get_logdir(self) -> str:
        """The directory of the event file."""
        return self._events.logdir

    def add_summary(self, summary: Summary, global_step: int | None = None) -> None:
        """Write a fetched ``Summary`` at step ``global_step``."""
        if hasattr(summary, "SerializeToString"):  # a tensorboardX protocol buffer already
            self._events.add_summary(summary, global_step)
            return
        if not isinstance(summary, Summary):
            raise TypeError(f"add_summary takes the value fetched for a summary (a Summary), got "
                            f"{type(summary).__name__}; run the summary op in a session first")
        for v in summary.value:
            if v.kind == "scalar":
                self._events.add_scalar(v.tag, v.value, global_step)
            elif v.kind == "image":
                self._events.add_image(v.tag, v.value, global_step)
            else:
                self._events.add_histogram(v.tag, v.value, global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: int | None = None
                         ) -> None:
        """Accepted for TF1 programs: layerkit records no per-op trace (``RunMetadata`` stays
        empty), so nothing is written."""

    def add_graph(self, graph: Graph, global_step: int | None = None) -> None:
        """Write ``graph``'s structure (op names, types and inputs) for the Graphs dashboard."""
        self._events.add_graph(_graph_nodes(graph), global_step)

    def flush(self) -> None:
        """Make sure everything added so far is on disk."""
        self._events.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self._events.close()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _graph_nodes(graph: Graph) -> list[GraphNode]:
    """``graph``'s ops as TensorBoard's nodes, their inputs named as in a TF1 GraphDef."""
    nodes = []
    for op in graph.get_operations():
        inputs = [t.op.name if t.index == 0 else f"{t.op.name}:{t.index}" for t in op.inputs]
        inputs += [f"^{c.name}" for c in op.control_inputs]
        nodes.append(GraphNode(op.name, op.type, tuple(inputs)))
    return nodes
