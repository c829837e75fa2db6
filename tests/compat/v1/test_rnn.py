"""tf.nn RNNs (static/dynamic/bidirectional) against a float64 numpy transcription of TF1."""

import numpy as np
import pytest

import layerkit.compat.v1 as tf


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_lstm(x, lengths, kernel, bias, units, reverse=False):
    """TF1 BasicLSTMCell over [batch, time, depth], copy-through past each row's length."""
    b, t_len, _ = x.shape
    c = np.zeros((b, units))
    h = np.zeros((b, units))
    out = np.zeros((b, t_len, units))
    steps = range(t_len - 1, -1, -1) if reverse else range(t_len)
    for t in steps:
        z = np.concatenate([x[:, t], h], 1) @ kernel + bias
        i, j, f, o = np.split(z, 4, axis=1)
        nc = c * _sig(f + 1.0) + _sig(i) * np.tanh(j)
        nh = np.tanh(nc) * _sig(o)
        m = (t < lengths)[:, None]
        c, h = np.where(m, nc, c), np.where(m, nh, h)
        out[:, t] = np.where(m, nh, 0.0)
    return out, c, h


def _run(fetches, feeds=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed_dict=feeds)


@pytest.mark.parametrize("kind", ["dynamic", "static"])
def test_lstm_matches_numpy_with_sequence_length(active_backend, kind):
    tf.reset_default_graph()
    rng = np.random.default_rng(0)
    xv = rng.normal(size=(3, 5, 4)).astype(np.float32)
    lengths = np.array([5, 2, 3], np.int32)
    x = tf.placeholder(tf.float32, [None, 5, 4])
    cell = tf.nn.rnn_cell.BasicLSTMCell(6)
    if kind == "dynamic":
        out, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
    else:
        outs, state = tf.nn.static_rnn(cell, [x[:, t] for t in range(5)], sequence_length=lengths,
                                       dtype=tf.float32)
        out = tf.transpose(tf.stack(outs), (1, 0, 2))
    names = sorted(v.name for v in tf.global_variables())
    assert names[0].startswith("rnn/basic_lstm_cell/bias")
    assert names[1].startswith("rnn/basic_lstm_cell/kernel")
    loss = tf.reduce_sum(out ** 2) + tf.reduce_sum(state.c)
    grads = tf.gradients(loss, [cell.kernel])
    ov, cv, hv, kv, bv, (gk,) = _run([out, state.c, state.h, cell.kernel, cell.bias, grads],
                                      {x: xv})
    k64, b64 = kv.astype(np.float64), bv.astype(np.float64)
    ro, rc, rh = _np_lstm(xv.astype(np.float64), lengths, k64, b64, 6)
    np.testing.assert_allclose(ov, ro, atol=1e-5)
    np.testing.assert_allclose(cv, rc, atol=1e-5)
    np.testing.assert_allclose(hv, rh, atol=1e-5)
    # Central finite differences of the float64 transcription on a few kernel entries.
    for idx in [(0, 0), (5, 7), (9, 23)]:
        eps = 1e-6
        kp, km = k64.copy(), k64.copy()
        kp[idx] += eps
        km[idx] -= eps

        def f(k):
            o, c, _ = _np_lstm(xv.astype(np.float64), lengths, k, b64, 6)
            return (o ** 2).sum() + c.sum()
        np.testing.assert_allclose(gk[idx], (f(kp) - f(km)) / (2 * eps), rtol=1e-3, atol=1e-4)


def test_bidirectional_dynamic_rnn_matches_numpy(active_backend):
    tf.reset_default_graph()
    rng = np.random.default_rng(1)
    xv = rng.normal(size=(2, 4, 3)).astype(np.float32)
    lengths = np.array([4, 2], np.int32)
    cf, cb = tf.nn.rnn_cell.BasicLSTMCell(5), tf.nn.rnn_cell.BasicLSTMCell(5)
    (of, ob), (sf, sb) = tf.nn.bidirectional_dynamic_rnn(cf, cb, tf.constant(xv),
                                                         sequence_length=lengths,
                                                         dtype=tf.float32)
    ofv, obv, kf, bf, kb, bb = _run([of, ob, cf.kernel, cf.bias, cb.kernel, cb.bias])
    rf, _, _ = _np_lstm(xv.astype(np.float64), lengths, kf, bf, 5)
    rb, _, _ = _np_lstm(xv.astype(np.float64), lengths, kb, bb, 5, reverse=True)
    np.testing.assert_allclose(ofv, rf, atol=1e-5)
    np.testing.assert_allclose(obv, rb, atol=1e-5)
    assert any(v.name.startswith("bidirectional_rnn/bw/basic_lstm_cell/kernel")
               for v in tf.global_variables())


def test_bad_inputs_are_named(active_backend):
    tf.reset_default_graph()
    cell = tf.nn.rnn_cell.BasicRNNCell(3)
    with pytest.raises(ValueError, match=r"static_rnn.*\(2, 4\).*\(2, 5\)"):
        tf.nn.static_rnn(cell, [tf.zeros([2, 4]), tf.zeros([2, 5])], dtype=tf.float32)
    with pytest.raises(ValueError, match=r"dynamic_rnn.*rank 3.*\(2, 4\)"):
        tf.nn.dynamic_rnn(cell, tf.zeros([2, 4]), dtype=tf.float32)


def test_gru_and_basic_rnn_stack_match_numpy(active_backend):
    tf.reset_default_graph()
    rng = np.random.default_rng(2)
    xv = rng.normal(size=(2, 3, 4)).astype(np.float32)
    gru, simple = tf.contrib.rnn.GRUCell(3), tf.nn.rnn_cell.BasicRNNCell(2)
    out, (s0, s1) = tf.nn.dynamic_rnn(tf.contrib.rnn.MultiRNNCell([gru, simple]),
                                      tf.constant(xv), dtype=tf.float32)
    names = sorted(v.name.split(":")[0] for v in tf.global_variables())
    assert names == ["rnn/multi_rnn_cell/cell_0/gru_cell/candidate/bias",
                     "rnn/multi_rnn_cell/cell_0/gru_cell/candidate/kernel",
                     "rnn/multi_rnn_cell/cell_0/gru_cell/gates/bias",
                     "rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel",
                     "rnn/multi_rnn_cell/cell_1/basic_rnn_cell/bias",
                     "rnn/multi_rnn_cell/cell_1/basic_rnn_cell/kernel"]
    ov, wg, bg, wc, bc, wr, br = _run([out, gru.gate_kernel, gru.gate_bias, gru.cand_kernel,
                                       gru.cand_bias, simple.kernel, simple.bias])
    np.testing.assert_allclose(bg, 1.0)  # TF1's GRU gate bias starts at 1
    h, g = np.zeros((2, 3)), np.zeros((2, 2))
    for t in range(3):
        x = xv[:, t].astype(np.float64)
        r, u = np.split(_sig(np.concatenate([x, h], 1) @ wg + bg), 2, axis=1)
        c = np.tanh(np.concatenate([x, r * h], 1) @ wc + bc)
        h = u * h + (1 - u) * c
        g = np.tanh(np.concatenate([h, g], 1) @ wr + br)
        np.testing.assert_allclose(ov[:, t], g, atol=1e-5)
