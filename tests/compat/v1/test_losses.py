"""tf.losses against a float64 numpy transcription of TF 1.15's formulas and reductions."""

import numpy as np
import pytest

import layerkit.compat.v1 as tf

RNG = np.random.default_rng(3)
LOGITS = RNG.normal(size=(6, 4)).astype(np.float32)
LABELS = RNG.integers(0, 4, size=6)
ONEHOT = np.eye(4, dtype=np.float32)[LABELS]
PRED = RNG.uniform(0.05, 0.95, size=(6, 4)).astype(np.float32)
TARGET = RNG.uniform(size=(6, 4)).astype(np.float32)
WEIGHTS = np.array([1.0, 0.0, 2.0, 1.0, 0.0, 0.5], np.float32)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _log_softmax(z):
    z = z.astype(np.float64)
    return z - z.max(1, keepdims=True) - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1,
                                                                              keepdims=True))


def _nonzero_mean(losses, weights):
    weights = np.broadcast_to(weights, losses.shape)
    return (losses * weights).sum() / max(np.count_nonzero(weights), 1)


def _run(tensor):
    with tf.Session() as sess:
        return sess.run(tensor)


def test_losses_match_numpy(active_backend):
    x = PRED.astype(np.float64)
    t = TARGET.astype(np.float64)
    per_example_ce = -(ONEHOT * _log_softmax(LOGITS)).sum(1)
    smoothed = ONEHOT * 0.8 + 0.2 / 4
    z = LOGITS.astype(np.float64)
    sigmoid = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    error = np.abs(x - t)
    quad = np.minimum(error, 0.3)
    cases = {
        "softmax": (tf.losses.softmax_cross_entropy(ONEHOT, LOGITS), per_example_ce.mean()),
        "softmax weighted": (tf.losses.softmax_cross_entropy(ONEHOT, LOGITS, weights=WEIGHTS),
                             _nonzero_mean(per_example_ce, WEIGHTS)),
        "softmax smoothed": (tf.losses.softmax_cross_entropy(ONEHOT, LOGITS,
                                                             label_smoothing=0.2),
                             -(smoothed * _log_softmax(LOGITS)).sum(1).mean()),
        "sparse": (tf.losses.sparse_softmax_cross_entropy(LABELS, LOGITS), per_example_ce.mean()),
        "sigmoid": (tf.losses.sigmoid_cross_entropy(TARGET, LOGITS), sigmoid.mean()),
        "mse": (tf.losses.mean_squared_error(TARGET, PRED), ((x - t) ** 2).mean()),
        "mse weighted per row": (
            tf.losses.mean_squared_error(TARGET, PRED, weights=WEIGHTS[:, None]),
            _nonzero_mean((x - t) ** 2, WEIGHTS[:, None])),
        "absolute": (tf.losses.absolute_difference(TARGET, PRED), error.mean()),
        "huber": (tf.losses.huber_loss(TARGET, PRED, delta=0.3),
                  (0.5 * quad ** 2 + 0.3 * (error - quad)).mean()),
        "log": (tf.losses.log_loss(TARGET, PRED),
                (-t * np.log(x + 1e-7) - (1 - t) * np.log(1 - x + 1e-7)).mean()),
        "sum": (tf.losses.mean_squared_error(TARGET, PRED, reduction=tf.losses.Reduction.SUM),
                ((x - t) ** 2).sum()),
    }
    results = _run({name: tensor for name, (tensor, _) in cases.items()})
    for name, (_, want) in cases.items():
        assert results[name] == pytest.approx(want, rel=1e-5), name


def test_collection_and_total_loss(active_backend):
    a = tf.losses.mean_squared_error(TARGET, PRED)
    b = tf.losses.absolute_difference(TARGET, PRED, loss_collection=None)  # not collected
    tf.losses.add_loss(tf.constant(2.0))
    assert tf.losses.get_losses()[0] is a and len(tf.losses.get_losses()) == 2
    total = tf.losses.get_total_loss()
    got_total, got_a, _ = _run([total, a, b])
    assert got_total == pytest.approx(got_a + 2.0, rel=1e-6)
    none = tf.losses.mean_squared_error(TARGET, PRED, reduction=tf.losses.Reduction.NONE)
    assert none.shape == (6, 4)


def test_bad_losses_are_named(active_backend):
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: onehot_labels \(6, 4\) and "
                       r"logits \(6, 3\) must have the same shape"):
        tf.losses.softmax_cross_entropy(ONEHOT, LOGITS[:, :3])
    with pytest.raises(ValueError, match="Invalid reduction 'avg'"):
        tf.losses.mean_squared_error(TARGET, PRED, reduction="avg")
    with pytest.raises(ValueError, match="No losses found"):
        tf.losses.get_total_loss()
