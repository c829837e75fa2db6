"""Metrics against numpy references over the concatenated data: accumulated over several
batches eagerly and in traced programs (``symbolic_scope``), with sample weights, reset, and
the confusion metrics (thresholds, top_k, class_id, AUC curves and summations), on every
backend."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.backend as K
from layerkit import losses, metrics
from layerkit.graph import placeholder

EPS = 1e-7


@pytest.fixture
def session(active_backend):
    K.clear_session()
    yield active_backend
    K.clear_session()


RNG = np.random.default_rng(11)
SIZES = (4, 3, 4)


# -- running metrics over batches, eagerly or symbolically -----------------------------------
def _kwargs(sw):
    return {} if sw is None else {"sample_weight": sw}


def run_eager(metric, batches):
    for yt, yp, sw in batches:
        assert metric.update_state(yt, yp, **_kwargs(sw)) is None
    return metric.result()


def run_symbolic(runs):
    """Trace each metric's update once (batch dimension unknown) into one program, run it per
    batch, and check that ``result()`` in the same run reads the state before the step and
    ``result_after`` the state after it. ``runs`` is a list of (metric, batches); returns the
    final results."""
    traced = []
    with K.symbolic_scope():
        for metric, batches in runs:
            yt0, yp0, sw0 = batches[0]
            t_dtype = yt0.dtype if yt0.dtype.kind in "iub" else np.float32
            yt = placeholder(t_dtype, (None, *yt0.shape[1:]))
            yp = placeholder("float32", (None, *yp0.shape[1:]))
            sw = None if sw0 is None else placeholder("float32", (None, *np.shape(sw0)[1:]))
            updates = metric.update_state(yt, yp, **_kwargs(sw))
            assert isinstance(updates, list) and updates
            traced.append((yt, yp, sw, t_dtype, updates, metric.result(),
                           metric.result_after(updates)))
    session = K.get_session()
    previous = [np.zeros_like(np.asarray(m.result())) for m, _ in runs]
    for step in range(len(runs[0][1])):
        feed, fetches = {}, []
        for (_, batches), (yt, yp, sw, t_dtype, updates, before, after) in zip(runs, traced):
            t, p, w = batches[step]
            feed[yt], feed[yp] = t.astype(t_dtype), p.astype(np.float32)
            if sw is not None:
                feed[sw] = np.asarray(w, np.float32)
            fetches.append((before, after, updates))
        values = session.run(fetches, feed)
        for i, (got_before, got_after, _) in enumerate(values):
            np.testing.assert_allclose(got_before, previous[i], rtol=1e-6, atol=1e-7,
                                       err_msg=runs[i][0].name)
            previous[i] = got_after
    return [np.asarray(v) for v in previous]


def run_all(mode, runs):
    if mode == "eager":
        return [run_eager(m, b) for m, b in runs]
    results = run_symbolic(runs)
    for (metric, _), value in zip(runs, results):  # the state holds what the runs computed
        np.testing.assert_allclose(metric.result(), value, rtol=1e-6, atol=1e-7)
    return results


MODES = ["eager", "symbolic"]


def weighted_mean(values, sw):
    values = np.asarray(values, np.float64)
    if sw is None:
        return values.mean()
    return np.sum(values * sw) / np.sum(sw)


def _concat(batches):
    yt = np.concatenate([b[0] for b in batches])
    yp = np.concatenate([b[1] for b in batches])
    sw = None if batches[0][2] is None else np.concatenate([b[2] for b in batches])
    return yt, yp, sw


def _batches(make_true, make_pred, weighted):
    return [(make_true(n), make_pred(n), RNG.uniform(0, 2, size=n) if weighted else None)
            for n in SIZES]


# -- mean-of-a-function metrics -----------------------------------------------------------------
def _stable_topk(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(x.shape, bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return mask


def _in_top_k(labels, x, k):
    at = x[np.arange(len(x)), labels]
    return ((x > at[:, None]).sum(-1) < k).astype(float)


def _onehot(n, k=4):
    return np.eye(k)[RNG.integers(0, k, size=n)]


def _logsoftmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


WRAPPER_CASES = {
    "accuracy": (lambda: metrics.Accuracy(),
                 lambda n: RNG.integers(0, 3, size=(n, 1)).astype(np.float32),
                 lambda n: RNG.integers(0, 3, size=(n, 1)).astype(np.float32),
                 lambda t, p: (t == p).mean(-1)),
    "binary_accuracy": (lambda: metrics.BinaryAccuracy(threshold=0.3),
                        lambda n: RNG.integers(0, 2, size=(n, 3)),
                        lambda n: RNG.uniform(size=(n, 3)),
                        lambda t, p: (t == (p > 0.3)).mean(-1)),
    "binary_accuracy_1d": (lambda: metrics.BinaryAccuracy(),
                           lambda n: RNG.integers(0, 2, size=(n,)).astype(np.float32),
                           lambda n: RNG.uniform(size=(n, 1)),
                           lambda t, p: (t == (p[:, 0] > 0.5)).astype(float)),
    "categorical_accuracy": (lambda: metrics.CategoricalAccuracy(), _onehot,
                             lambda n: RNG.normal(size=(n, 4)),
                             lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float)),
    "sparse_categorical_accuracy": (lambda: metrics.SparseCategoricalAccuracy(),
                                    lambda n: RNG.integers(0, 4, size=(n,)),
                                    lambda n: RNG.normal(size=(n, 4)),
                                    lambda t, p: (t == p.argmax(-1)).astype(float)),
    "sparse_categorical_accuracy_col": (
        lambda: metrics.SparseCategoricalAccuracy(),
        lambda n: RNG.integers(0, 4, size=(n, 1)).astype(np.float32),
        lambda n: RNG.normal(size=(n, 4)),
        lambda t, p: (t[:, 0] == p.argmax(-1)).astype(float)),
    "top_k": (lambda: metrics.TopKCategoricalAccuracy(k=2), _onehot,
              lambda n: RNG.normal(size=(n, 4)),
              lambda t, p: _in_top_k(t.argmax(-1), p, 2)),
    "sparse_top_k": (lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
                     lambda n: RNG.integers(0, 4, size=(n, 1)),
                     lambda n: RNG.normal(size=(n, 4)),
                     lambda t, p: _in_top_k(t[:, 0], p, 2)),
    "mse": (lambda: metrics.MeanSquaredError(), lambda n: RNG.normal(size=(n, 3)),
            lambda n: RNG.normal(size=(n, 3)), lambda t, p: ((t - p) ** 2).mean(-1)),
    "mae": (lambda: metrics.MeanAbsoluteError(), lambda n: RNG.normal(size=(n, 3)),
            lambda n: RNG.normal(size=(n, 3)), lambda t, p: np.abs(t - p).mean(-1)),
    "bce": (lambda: metrics.BinaryCrossentropy(from_logits=True),
            lambda n: RNG.integers(0, 2, size=(n, 2)).astype(np.float32),
            lambda n: RNG.normal(size=(n, 2)),
            lambda t, p: np.mean(t * np.logaddexp(0, -p) + (1 - t) * np.logaddexp(0, p), -1)),
    "cce": (lambda: metrics.CategoricalCrossentropy(from_logits=True), _onehot,
            lambda n: RNG.normal(size=(n, 4)), lambda t, p: -np.sum(t * _logsoftmax(p), -1)),
    "scce": (lambda: metrics.SparseCategoricalCrossentropy(from_logits=True),
             lambda n: RNG.integers(0, 4, size=(n,)), lambda n: RNG.normal(size=(n, 4)),
             lambda t, p: -_logsoftmax(p)[np.arange(len(t)), t]),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_mean_metrics_accumulate_exactly(session, weighted, mode):
    names = list(WRAPPER_CASES)
    runs = [(WRAPPER_CASES[n][0](), _batches(*WRAPPER_CASES[n][1:3], weighted)) for n in names]
    results = run_all(mode, runs)
    for name, (_, batches), got in zip(names, runs, results):
        ref = WRAPPER_CASES[name][3]
        yt, yp, sw = _concat(batches)
        np.testing.assert_allclose(got, weighted_mean(ref(yt, yp), sw), rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    metric, batches = runs[0]
    metric.reset_state()
    assert all(np.all(v.numpy() == 0) for v in metric.variables)
    np.testing.assert_allclose(metric.result(), 0.0)
    t, p, w = batches[0]  # after a reset, accumulation starts over
    metric.update_state(t, p, **_kwargs(w))
    np.testing.assert_allclose(metric.result(),
                               weighted_mean(WRAPPER_CASES[names[0]][3](t, p), w), rtol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_mean_and_sum_of_values(session, mode):
    values = [RNG.normal(size=(n, 2)) for n in SIZES]
    weights = [RNG.uniform(size=n) for n in SIZES]
    mean, total = metrics.Mean(), metrics.Sum()
    if mode == "eager":
        for v, w in zip(values, weights):
            mean.update_state(v, sample_weight=w)
            total.update_state(v, sample_weight=w)
    else:
        with K.symbolic_scope():
            v_in, w_in = placeholder("float32", (None, 2)), placeholder("float32", (None,))
            updates = [*mean.update_state(v_in, sample_weight=w_in),
                       *total.update_state(v_in, sample_weight=w_in)]
        for v, w in zip(values, weights):
            K.get_session().run(updates, {v_in: v.astype(np.float32),
                                          w_in: w.astype(np.float32)})
    v, w = np.concatenate(values), np.concatenate(weights)
    np.testing.assert_allclose(mean.result(), np.sum(v.mean(-1) * w) / w.sum(), rtol=1e-5)
    np.testing.assert_allclose(total.result(), np.sum(v.sum(-1) * w), rtol=1e-5)


def test_keras_documented_values(session):
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert float(m.result()) == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(s.result()) == 4.0
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    np.testing.assert_allclose(m.result(), 0.3, rtol=1e-6)
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    np.testing.assert_allclose(m.result(), 2 / 3, rtol=1e-6)
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == 0.0  # ties: the first two are the top 2
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    np.testing.assert_allclose(m.result(), 0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    np.testing.assert_allclose(m.result(), 1.0)


def test_call_updates_and_returns_the_result(session):
    m = metrics.Mean()
    np.testing.assert_allclose(m([1.0, 2.0]), 1.5)
    np.testing.assert_allclose(m([4.0]), 7 / 3, rtol=1e-6)
    with K.symbolic_scope():
        v = placeholder("float32", (None,))
        out = m(v)
    # fetching the symbolic call's result applies the update
    np.testing.assert_allclose(K.get_session().run(out, {v: np.array([3.0], np.float32)}), 2.5)
    np.testing.assert_allclose(m.result(), 2.5)


# -- confusion metrics --------------------------------------------------------------------------
def ref_counts(yt, yp, sw, thresholds, top_k=None, class_id=None):
    yt, yp = yt.astype(bool), yp.astype(np.float64)
    w = np.ones(yp.shape) if sw is None else np.broadcast_to(
        np.reshape(sw, sw.shape + (1,) * (yp.ndim - sw.ndim)), yp.shape)
    if top_k is not None:
        yp = np.where(_stable_topk(yp, top_k), yp, -1e10)
    if class_id is not None:
        yt, yp, w = yt[..., class_id], yp[..., class_id], w[..., class_id]
    counts = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for t in thresholds:
        pos = yp > t
        counts["tp"].append(np.sum(w * (pos & yt)))
        counts["fp"].append(np.sum(w * (pos & ~yt)))
        counts["tn"].append(np.sum(w * (~pos & ~yt)))
        counts["fn"].append(np.sum(w * (~pos & yt)))
    return {k: np.array(v) for k, v in counts.items()}


def _ratio(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))


PR_CASES = {
    "default": {},
    "thresholds": {"thresholds": [0.3, 0.5, 0.8]},
    "top_k": {"top_k": 2},
    "class_id": {"class_id": 1},
    "top_k_class_id": {"top_k": 1, "class_id": 2, "thresholds": [0.0, 0.6]},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_precision_and_recall(session, weighted, mode):
    batches = _batches(lambda n: RNG.integers(0, 2, size=(n, 4)),
                       lambda n: RNG.uniform(size=(n, 4)), weighted)
    specs = [(kwargs, cls) for kwargs in PR_CASES.values()
             for cls in (metrics.Precision, metrics.Recall)]
    runs = [(cls(**kwargs), batches) for kwargs, cls in specs]
    results = run_all(mode, runs)
    yt, yp, sw = _concat(batches)
    for (kwargs, _), (metric, _), got in zip(specs, runs, results):
        default = 0.5 if "top_k" not in kwargs else -1e10
        thresholds = kwargs.get("thresholds", [default])
        c = ref_counts(yt, yp, sw, thresholds, kwargs.get("top_k"), kwargs.get("class_id"))
        other = "fp" if isinstance(metric, metrics.Precision) else "fn"
        want = _ratio(c["tp"], c["tp"] + c[other])
        want = want[0] if len(thresholds) == 1 else want
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{type(metric).__name__}({kwargs})")
        assert np.shape(got) == np.shape(want)
    metric.reset_state()
    np.testing.assert_allclose(metric.result(), np.zeros(np.shape(want)))


@pytest.mark.parametrize("cls,key", [(metrics.TruePositives, "tp"),
                                     (metrics.FalsePositives, "fp"),
                                     (metrics.TrueNegatives, "tn"),
                                     (metrics.FalseNegatives, "fn")])
def test_confusion_counts(session, cls, key):
    batches = _batches(lambda n: RNG.integers(0, 2, size=(n,)),
                       lambda n: RNG.uniform(size=(n,)), True)
    m = cls(thresholds=[0.25, 0.5, 0.75])
    got = run_eager(m, batches)
    yt, yp, sw = _concat(batches)
    np.testing.assert_allclose(got, ref_counts(yt, yp, sw, [0.25, 0.5, 0.75])[key], rtol=1e-5)


def auc_thresholds(n):
    return np.array([-EPS, *[(i + 1) / (n - 1) for i in range(n - 2)], 1 + EPS])


def ref_auc(yt, yp, sw, num_thresholds, curve="ROC", summation="interpolation",
            multi_label=False, thresholds=None):
    """Keras's AUC, written from its definition: counts at each threshold, then a Riemann sum
    over the curve. With evenly spaced thresholds (Keras's bucketed path) predictions are
    clipped to [0, 1] first."""
    thr = auc_thresholds(num_thresholds) if thresholds is None else np.array(
        [-EPS, *sorted(thresholds), 1 + EPS])
    inner = thr[1:-1]
    if thresholds is None or np.allclose(inner, np.arange(1, len(thr) - 1) / (len(thr) - 1)):
        yp = np.clip(yp, 0.0, 1.0)
    if multi_label:
        return np.mean([ref_auc(yt[:, j], yp[:, j], sw, num_thresholds, curve, summation,
                                thresholds=thresholds) for j in range(yt.shape[1])])
    c = ref_counts(yt.ravel(), yp.ravel(), None if sw is None else np.broadcast_to(
        np.reshape(sw, sw.shape + (1,) * (yp.ndim - sw.ndim)), yp.shape).ravel(), thr)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    if curve == "PR" and summation == "interpolation":
        return _davis_goadrich(tp, fp, fn)
    recall = _ratio(tp, tp + fn)
    x, y = (_ratio(fp, fp + tn), recall) if curve == "ROC" else (recall, _ratio(tp, tp + fp))
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return np.sum((x[:-1] - x[1:]) * heights)


def _davis_goadrich(tp, fp, fn):
    """Area under the PR curve with TP and P = TP + FP linear between thresholds, by
    numerical integration of precision over recall on each interval."""
    area = 0.0
    for i in range(len(tp) - 1):
        tp_a, tp_b = tp[i], tp[i + 1]
        p_a, p_b = tp_a + fp[i], tp_b + fp[i + 1]
        positives = tp_b + fn[i + 1]
        if positives <= 0 or tp_a == tp_b:
            continue
        if p_a <= p_b:  # no predicted positives added: Keras's slope is 0 here
            continue
        ps = np.linspace(p_b, p_a, 20001)
        tps = tp_b + (tp_a - tp_b) / (p_a - p_b) * (ps - p_b)
        if p_b == 0:  # precision is constant (the slope) along the first bucket
            precision = np.full_like(ps, (tp_a - tp_b) / (p_a - p_b))
        else:
            precision = tps / ps
        recall = tps / positives
        area += np.sum((recall[1:] - recall[:-1]) * (precision[1:] + precision[:-1]) / 2)
    return area


AUC_CASES = {
    "roc": {"num_thresholds": 50},
    "roc_default": {},
    "roc_minoring": {"num_thresholds": 20, "summation_method": "minoring"},
    "roc_majoring": {"num_thresholds": 20, "summation_method": "majoring"},
    "pr": {"num_thresholds": 30, "curve": "PR"},
    "pr_majoring": {"num_thresholds": 30, "curve": "PR", "summation_method": "majoring"},
    "multi_label": {"num_thresholds": 40, "multi_label": True},
    "multi_label_pr": {"num_thresholds": 40, "multi_label": True, "num_labels": 3,
                       "curve": "PR"},
    "thresholds": {"thresholds": [0.1, 0.35, 0.5, 0.9]},
    "even_thresholds": {"thresholds": [0.25, 0.5, 0.75]},
}


@pytest.mark.parametrize("mode,weighted", [("eager", True), ("symbolic", False),
                                           ("symbolic", True)])
def test_auc_matches_reference(session, weighted, mode):
    batches = _batches(lambda n: RNG.integers(0, 2, size=(n, 3)),
                       lambda n: np.clip(RNG.normal(0.5, 0.3, size=(n, 3)), -0.1, 1.1),
                       weighted)
    runs = [(metrics.AUC(**kwargs), batches) for kwargs in AUC_CASES.values()]
    results = run_all(mode, runs)
    yt, yp, sw = _concat(batches)
    for (name, kwargs), (metric, _), got in zip(AUC_CASES.items(), runs, results):
        want = ref_auc(yt, yp, sw, metric.num_thresholds, kwargs.get("curve", "ROC"),
                       kwargs.get("summation_method", "interpolation"),
                       kwargs.get("multi_label", False), kwargs.get("thresholds"))
        tol = 1e-3 if kwargs.get("curve") == "PR" and "summation_method" not in kwargs else 1e-5
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)
    metric.reset_state()
    np.testing.assert_allclose(metric.result(), 0.0)


def test_auc_approaches_the_exact_roc_auc(session):
    """With many thresholds, ROC AUC is the probability that a positive outranks a negative
    (the Mann-Whitney statistic)."""
    yt = RNG.integers(0, 2, size=400)
    yp = np.clip(0.35 * yt + RNG.uniform(0, 0.65, size=400), 0, 1)
    m = metrics.AUC(num_thresholds=2000)
    m.update_state(yt, yp)
    pos, neg = yp[yt == 1], yp[yt == 0]
    exact = np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :])
    np.testing.assert_allclose(m.result(), exact, atol=2e-3)
    separable = metrics.AUC()
    separable.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    np.testing.assert_allclose(separable.result(), 1.0)


def test_auc_from_logits(session):
    yt = RNG.integers(0, 2, size=(20,))
    logits = RNG.normal(size=(20,))
    a, b = metrics.AUC(from_logits=True), metrics.AUC()
    a.update_state(yt, logits)
    b.update_state(yt, 1 / (1 + np.exp(-logits)))
    np.testing.assert_allclose(a.result(), b.result(), rtol=1e-6)


def test_auc_label_weights(session):
    yt = RNG.integers(0, 2, size=(30, 3))
    yp = RNG.uniform(size=(30, 3))
    weights = np.array([1.0, 0.0, 3.0])
    m = metrics.AUC(multi_label=True, label_weights=weights, num_thresholds=25)
    m.update_state(yt, yp)
    per = [ref_auc(yt[:, j], yp[:, j], None, 25) for j in range(3)]
    np.testing.assert_allclose(m.result(), np.dot(per, weights) / weights.sum(), rtol=1e-5)


# -- identifiers, configs, custom metrics ---------------------------------------------------------
def test_get(session):
    assert metrics.get("accuracy") == "accuracy" and metrics.get("acc") == "acc"
    assert metrics.get(None) is None
    for name, cls in [("mae", metrics.MeanAbsoluteError), ("mse", metrics.MeanSquaredError),
                      ("binary_accuracy", metrics.BinaryAccuracy),
                      ("categorical_accuracy", metrics.CategoricalAccuracy),
                      ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
                      ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
                      ("sparse_top_k_categorical_accuracy",
                       metrics.SparseTopKCategoricalAccuracy),
                      ("auc", metrics.AUC), ("precision", metrics.Precision),
                      ("recall", metrics.Recall), ("AUC", metrics.AUC),
                      ("MeanSquaredError", metrics.MeanSquaredError)]:
        assert type(metrics.get(name)) is cls, name
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    obj = metrics.Precision()
    assert metrics.get(obj) is obj
    wrapped = metrics.get(losses.mean_squared_error)
    assert isinstance(wrapped, metrics.MeanMetricWrapper)
    assert wrapped.name == "mean_squared_error"
    got = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}})
    assert got.threshold == 0.7
    with pytest.raises(ValueError, match="Known metrics:.*binary_accuracy"):
        metrics.get("binary_acuracy")


def test_custom_function_metric(session):
    def double_error(y_true, y_pred):
        return 2.0 * losses.mean_absolute_error(y_true, y_pred)

    m = metrics.get(double_error)
    t, p = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2))
    m.update_state(t, p)
    np.testing.assert_allclose(m.result(), 2 * np.abs(t - p).mean(), rtol=1e-5)


@pytest.mark.parametrize("loss,y_shape,out_shape,expected", [
    ("sparse_categorical_crossentropy", None, (None, 10), metrics.SparseCategoricalAccuracy),
    (losses.SparseCategoricalCrossentropy(from_logits=True), None, (None, 10),
     metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", None, (None, 10), metrics.CategoricalAccuracy),
    ("binary_crossentropy", None, (None, 1), metrics.BinaryAccuracy),
    ("mse", None, (None, 1), metrics.BinaryAccuracy),
    (losses.binary_crossentropy, None, (None, 5), metrics.CategoricalAccuracy),
    ("mse", (None,), (None, 10), metrics.SparseCategoricalAccuracy),
    ("mse", (None, 1), (None, 10), metrics.SparseCategoricalAccuracy),
    ("sparse_categorical_crossentropy", (None, 10), (None, 10), metrics.CategoricalAccuracy),
    ("binary_crossentropy", (None,), (None, 1), metrics.BinaryAccuracy),
])
def test_resolve_accuracy(session, loss, y_shape, out_shape, expected):
    got = metrics.resolve_accuracy(loss, out_shape, y_shape)
    assert type(got) is expected and got.name == "accuracy"
    assert metrics.resolve_accuracy(loss, out_shape, y_shape, name="acc").name == "acc"


@pytest.mark.parametrize("make", [
    lambda: metrics.Mean(name="m"), lambda: metrics.Sum(), lambda: metrics.Accuracy(),
    lambda: metrics.BinaryAccuracy(threshold=0.3), lambda: metrics.CategoricalAccuracy(),
    lambda: metrics.SparseCategoricalAccuracy(), lambda: metrics.TopKCategoricalAccuracy(k=3),
    lambda: metrics.SparseTopKCategoricalAccuracy(k=2), lambda: metrics.MeanSquaredError(),
    lambda: metrics.MeanAbsoluteError(), lambda: metrics.Precision(thresholds=[0.2, 0.4]),
    lambda: metrics.Recall(top_k=2, class_id=1), lambda: metrics.TruePositives(),
    lambda: metrics.AUC(curve="PR", num_thresholds=33),
    lambda: metrics.AUC(thresholds=[0.2, 0.7], multi_label=True),
    lambda: metrics.BinaryCrossentropy(from_logits=True),
    lambda: metrics.MeanMetricWrapper(losses.huber, name="h", delta=2.0),
])
def test_config_round_trip(session, make):
    obj = make()
    config = obj.get_config()
    clone = type(obj).from_config(config)
    assert clone.get_config() == config
    assert type(metrics.deserialize(metrics.serialize(obj))) is type(obj)


def test_variables_are_keras_variables_named_after_the_metric(session):
    m = metrics.Mean(name="loss")
    assert [v.path for v in m.variables] == ["loss/total", "loss/count"]
    assert not any(v.trainable for v in m.variables)
    m2 = metrics.Mean(name="loss")
    assert [v.path for v in m2.variables] == ["loss/total_1", "loss/count_1"]
    assert metrics.Mean().name == "mean" and metrics.AUC().name == "auc"
    assert metrics.AUC().name == "auc_1"


def test_custom_metric_in_keras_style(session):
    """A subclass written as in Keras (assign in update_state, nothing returned) works both
    eagerly and symbolically."""
    from layerkit.graph import ops

    class BinaryTruePositives(metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros",
                                                    name="true_positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = ops.cast(ops.logical_and(ops.greater(ops.cast(y_true, "float32"), 0.5),
                                              ops.greater(ops.cast(y_pred, "float32"), 0.5)),
                              "float32")
            if sample_weight is not None:
                values = values * ops.cast(sample_weight, "float32")
            self.true_positives.assign(self.true_positives + ops.sum(values))

        def result(self):
            return self.true_positives * 1.0

    m = BinaryTruePositives()
    m.update_state([1, 1, 0, 1], [1, 0, 1, 1])
    assert float(m.result()) == 2.0
    with K.symbolic_scope():
        t, p = placeholder("float32", (None,)), placeholder("float32", (None,))
        updates = m.update_state(t, p)
    assert len(updates) == 1
    K.get_session().run(updates, {t: np.ones(3, np.float32), p: np.ones(3, np.float32)})
    assert float(m.result()) == 5.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_lazily_built_multi_label_auc(session):
    m = metrics.AUC(multi_label=True, num_thresholds=10)
    assert m.variables == []
    np.testing.assert_allclose(m.result(), 0.0)
    yt, yp = RNG.integers(0, 2, size=(8, 2)), RNG.uniform(size=(8, 2))
    m.update_state(yt, yp)
    assert [tuple(v.shape) for v in m.variables] == [(10, 2)] * 4
    np.testing.assert_allclose(m.result(), ref_auc(yt, yp, None, 10, multi_label=True),
                               rtol=1e-5)


def test_stateless_result(session):
    m = metrics.Mean()
    np.testing.assert_allclose(m.stateless_result([np.float32(6.0), np.float32(4.0)]), 1.5)
    with pytest.raises(ValueError, match="1:1"):
        m.stateless_result([1.0])
