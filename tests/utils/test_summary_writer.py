"""The event-file writer: what it writes is read back with TensorBoard's own reader, it is on
disk at each flush, its histograms use TensorFlow's buckets, and it stays a neutral module."""

from __future__ import annotations

import ast
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from layerkit.utils import summary_writer
from layerkit.utils.summary_writer import EventFileWriter, GraphNode, tensorflow_bucket_edges

graph_pb2 = pytest.importorskip("tensorboardX.proto.graph_pb2")
event_file_loader = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader")


def read_events(writer):
    """The events in ``writer``'s file, as TensorBoard reads them (protocol buffers)."""
    return list(event_file_loader.LegacyEventFileLoader(writer.path).Load())


def values(events, tag):
    """(step, summary value) of each event with a value tagged ``tag``."""
    return [(event.step, value) for event in events if event.HasField("summary")
            for value in event.summary.value if value.tag == tag]


def tensorflow_reference_edges():
    """The edges as TensorFlow's histogram.cc makes them (less its +-DBL_MAX end buckets)."""
    v, positive = 1e-12, []
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    return [-x for x in reversed(positive)] + [0.0] + positive


def test_scalars_histograms_and_graph_round_trip(tmp_path):
    data = np.random.default_rng(0).normal(size=(10, 20))
    with EventFileWriter(tmp_path / "run") as writer:
        for step in range(3):
            writer.add_scalar("loss", 1.0 / (step + 1), step * 10)
        writer.add_histogram("weights", data, 5)
        writer.add_graph([GraphNode("x", "Placeholder"), GraphNode("y", "Square", ("x",)),
                          GraphNode("z", "Identity", ("y:1", "^x"))])
    events = read_events(writer)
    assert events[0].file_version == "brain.Event:2"  # TensorBoard's first record
    assert all(event.wall_time > 0 for event in events)
    assert [(step, value.simple_value) for step, value in values(events, "loss")] == [
        (0, 1.0), (10, 0.5), (20, pytest.approx(1 / 3))]
    ((step, value),) = values(events, "weights")
    histogram = value.histo
    assert step == 5
    assert histogram.num == data.size and sum(histogram.bucket) == data.size
    assert (histogram.min, histogram.max) == (data.min(), data.max())
    assert histogram.sum == pytest.approx(data.sum())
    assert histogram.sum_squares == pytest.approx((data ** 2).sum())
    assert set(histogram.bucket_limit) <= set(tensorflow_reference_edges())
    (graph,) = [event.graph_def for event in events if event.graph_def]
    nodes = {node.name: (node.op, list(node.input))
             for node in graph_pb2.GraphDef.FromString(graph).node}
    assert nodes == {"x": ("Placeholder", []), "y": ("Square", ["x"]),
                     "z": ("Identity", ["y:1", "^x"])}


def test_every_event_added_is_on_disk_at_flush(tmp_path):
    writer = EventFileWriter(tmp_path)
    for round_ in range(1, 4):
        for step in range(20):
            writer.add_scalar("x", step, 20 * round_ + step)
        writer.flush()  # not closed: what TensorBoard reads while training runs
        assert len(values(read_events(writer), "x")) == 20 * round_
    writer.close()


def test_bucket_edges_are_tensorflows():
    edges = tensorflow_bucket_edges()
    assert edges.tolist() == tensorflow_reference_edges()  # bit for bit
    assert len(edges) == 1549 and edges[774] == 0.0
    assert not edges.flags.writeable  # one cached array for every caller


def test_writing_starts_no_thread(tmp_path):
    threads = threading.active_count()
    with EventFileWriter(tmp_path) as writer:
        writer.add_histogram("h", [1.0, 2.0, 3.0])
        assert threading.active_count() == threads


def test_file_names_and_close(tmp_path):
    first = EventFileWriter(tmp_path, filename_suffix=".v2")
    second = EventFileWriter(tmp_path)  # made in the same second: a file of its own
    assert first.path != second.path and first.path.endswith(".v2")
    assert Path(first.path).name.startswith("events.out.tfevents.")
    assert first.logdir == str(tmp_path)
    first.close()
    first.close()  # closing again does nothing
    first.flush()
    with pytest.raises(RuntimeError, match="closed"):
        first.add_scalar("x", 1.0)
    second.close()
    assert len(list(tmp_path.iterdir())) == 2


def test_missing_tensorboardx_names_the_user_and_the_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if not installed
    with pytest.raises(ImportError, match=r'^my tool .*pip install "layerkit\[tensorboard\]"$'):
        EventFileWriter(tmp_path, user="my tool")
    assert list(tmp_path.iterdir()) == []


def imported_modules(nodes):
    """The absolute module names the statements ``nodes`` import (``from a import b``: ``a``
    and ``a.b``, as ``b`` may be a module)."""
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def statements(path, everywhere=True):
    """The statements of the module at ``path``: all, or only those run when it is imported."""
    tree = ast.parse(Path(path).read_text())
    return list(ast.walk(tree)) if everywhere else tree.body


def under(name, package):
    return name == package or name.startswith(f"{package}.")


def test_the_writer_is_a_neutral_module():
    imported = imported_modules(statements(summary_writer.__file__))
    assert {name for name in imported if under(name, "layerkit")} == set()
    # tensorboardX is optional: imported when a writer is made, never when this module is.
    at_import = imported_modules(statements(summary_writer.__file__, everywhere=False))
    assert {name for name in at_import if under(name, "tensorboardX")} == set()
