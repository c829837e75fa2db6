"""tf.metrics: (value, update_op) pairs over local variables, streamed over batches, against
numpy transcriptions of TF 1.15's definitions."""

import numpy as np
import pytest

import layerkit.compat.v1 as tf

RNG = np.random.default_rng(5)
LABELS = RNG.integers(0, 2, size=40)
SCORES = np.clip(LABELS * 0.3 + RNG.uniform(size=40) * 0.7, 0, 1).astype(np.float32)
PREDICTED = (SCORES > 0.5).astype(np.int64)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _tf1_auc(labels, scores, num_thresholds=200, curve="ROC"):
    eps = 1e-7
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([-eps, *inner, 1 + eps], np.float32)
    above = scores[:, None] > thresholds[None, :]
    y = labels[:, None].astype(bool)
    tp, fn = (above & y).sum(0), (~above & y).sum(0)
    tn, fp = (~above & ~y).sum(0), (above & ~y).sum(0)
    recall = (tp + eps) / (tp + fn + eps)
    if curve == "ROC":
        x, yy = fp / (fp + tn + eps), recall
    else:
        x, yy = recall, (tp + eps) / (tp + fp + eps)
    return float(np.sum((x[:-1] - x[1:]) * (yy[:-1] + yy[1:]) / 2))


def test_streaming_metrics_match_numpy(active_backend):
    labels = tf.placeholder(tf.int64, [None])
    predicted = tf.placeholder(tf.int64, [None])
    scores = tf.placeholder(tf.float32, [None])
    metrics = {
        "accuracy": tf.metrics.accuracy(labels, predicted),
        "precision": tf.metrics.precision(labels, predicted),
        "recall": tf.metrics.recall(labels, predicted),
        "auc": tf.metrics.auc(labels, scores),
        "pr_auc": tf.metrics.auc(labels, scores, curve="PR"),
        "mean": tf.metrics.mean(scores),
        "mse": tf.metrics.mean_squared_error(tf.cast(labels, tf.float32), scores),
    }
    assert len(tf.local_variables()) == 2 + 2 + 2 + 4 + 4 + 2 + 2
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for start in range(0, 40, 16):  # three batches: 16, 16, 8
            rows = slice(start, start + 16)
            feed = {labels: LABELS[rows], predicted: PREDICTED[rows], scores: SCORES[rows]}
            updates = sess.run({k: update for k, (_, update) in metrics.items()}, feed)
        values = sess.run({k: value for k, (value, _) in metrics.items()})
    tp = np.sum((PREDICTED == 1) & (LABELS == 1))
    want = {
        "accuracy": np.mean(PREDICTED == LABELS),
        "precision": tp / np.sum(PREDICTED == 1),
        "recall": tp / np.sum(LABELS == 1),
        "auc": _tf1_auc(LABELS, SCORES),
        "pr_auc": _tf1_auc(LABELS, SCORES, curve="PR"),
        "mean": SCORES.astype(np.float64).mean(),
        "mse": np.mean((LABELS - SCORES.astype(np.float64)) ** 2),
    }
    for name, value in want.items():
        assert values[name] == pytest.approx(value, rel=1e-4), name
        assert updates[name] == pytest.approx(value, rel=1e-4), name  # the last update's value


def test_weights_and_reset(active_backend):
    values = tf.placeholder(tf.float32, [None])
    weights = tf.placeholder(tf.float32, [None])
    mean, update = tf.metrics.mean(values, weights=weights)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(update, {values: [1.0, 2.0, 3.0], weights: [1.0, 0.0, 3.0]})
        assert sess.run(mean) == pytest.approx((1.0 + 9.0) / 4.0)
        sess.run(tf.local_variables_initializer())  # starting over
        assert sess.run(mean) == 0.0  # no division by zero before any update


def test_bad_metric_inputs_are_named(active_backend):
    with pytest.raises(ValueError, match=r"tf.metrics.accuracy: labels \(3,\) and predictions "
                       r"\(4,\) must have the same shape"):
        tf.metrics.accuracy(tf.constant([1, 0, 1]), tf.constant([1, 0, 1, 1]))
    with pytest.raises(ValueError, match="curve must be 'ROC' or 'PR'"):
        tf.metrics.auc(tf.constant([1, 0]), tf.constant([0.3, 0.2]), curve="XY")
