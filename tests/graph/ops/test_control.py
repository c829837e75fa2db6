"""``scan`` build-time errors and graph size, and ``print_tensors`` output."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.graph as lk
from layerkit.graph import ops


def _ops_in(graph) -> int:
    return len(graph.get_operations())


def test_scan_graph_size_does_not_grow_with_sequence_length():
    sizes = []
    for steps in (3, 300):
        g = lk.Graph()
        with g.as_default():
            x = lk.placeholder("float32", (steps, 4))
            ops.scan(lambda h, xt: (ops.tanh(h + xt), h), lk.constant(np.zeros(4, np.float32)), x)
        sizes.append(_ops_in(g))
    assert sizes[0] == sizes[1]


def test_scan_captures_outer_tensors_as_inputs():
    w = lk.Variable(np.ones(3, np.float32), name="w")
    x = lk.placeholder("float32", (5, 3))
    _, ys = ops.scan(lambda h, xt: (h * w + xt, h), lk.constant(np.zeros(3, np.float32)), x)
    scan_op = ys.op
    assert any(t is w for t in scan_op.inputs)  # by identity: `in` would use element-wise ==
    assert ys.shape == (5, 3)


def test_scan_carry_must_keep_shape_and_dtype():
    x = lk.placeholder("float32", (5, 3))
    h0 = lk.constant(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"scan.*carry of shape \(3,\) float32 into \(\) float32"):
        ops.scan(lambda h, xt: (ops.sum(h + xt), h), h0, x)
    with pytest.raises(ValueError, match="returned 2 carry values for 1"):
        ops.scan(lambda h, xt: ([h, h], h), h0, x)


def test_scan_sequences_must_agree_in_length():
    a = lk.placeholder("float32", (5, 3))
    b = lk.placeholder("float32", (4, 3))
    with pytest.raises(ValueError, match=r"different lengths \[4, 5\]"):
        ops.scan(lambda c, xs: (c, xs[0]), lk.constant(0.0), [a, b])
    with pytest.raises(ValueError, match="give xs or a length"):
        ops.scan(lambda c, _: (c, c), lk.constant(0.0))
    with pytest.raises(ValueError, match="no leading axis"):
        ops.scan(lambda c, x: (c, x), lk.constant(0.0), lk.constant(1.0))


def test_scan_runs_with_unknown_length(backend):
    x = lk.placeholder("float32", (None, 2))
    total, running = ops.scan(lambda c, xt: (c + xt, c + xt), lk.constant(np.zeros(2, np.float32)),
                              x)
    assert running.shape == (None, 2)
    with lk.Session(backend=backend) as s:
        for n in (1, 4):
            data = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
            t, r = s.run([total, running], {x: data})
            np.testing.assert_allclose(t, data.sum(0))
            np.testing.assert_allclose(r, np.cumsum(data, axis=0))


def test_print_tensors_prints_message_and_values(backend, capfd):
    x = lk.placeholder("float32", ())
    f = x * x
    f = ops.print_tensors(f, [x, f], "x, f:")
    with lk.Session(backend=backend) as s:
        assert s.run(f, {x: 3.0}) == pytest.approx(9.0)
    assert "x, f:[3][9]" in capfd.readouterr().err.replace(".0", "")


def test_print_tensors_summarizes_long_tensors(backend, capfd):
    v = lk.constant(np.arange(10, dtype=np.float32))
    with lk.Session(backend=backend) as s:
        s.run(ops.print_tensors(v, [v], "v=", summarize=2))
    assert "v=[0 1...]" in capfd.readouterr().err.replace(".0", "")


def test_print_runs_when_reached_only_through_a_control_dependency(backend, capfd):
    x = lk.placeholder("float32", ())
    printed = ops.print_tensors(x, [x], "seen:")
    with lk.control_dependencies([printed]):
        done = lk.no_op()
    with lk.Session(backend=backend) as s:
        s.run(done, {x: 2.0})
    assert "seen:[2" in capfd.readouterr().err
