"""Losses against numpy references written here: every loss, reduction and label shape, sample
weights, logits and label smoothing, eagerly and symbolically, on every backend; stability at
extreme logits; gradients against central finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit.backend as K
from layerkit import losses
from layerkit.graph import placeholder
from tests.graph.cases import OpCase
from tests.graph.harness import GradientCheck

EPS = 1e-7
REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]


@pytest.fixture
def session(active_backend):
    K.clear_session()
    yield active_backend
    K.clear_session()


# -- numpy references -------------------------------------------------------------------------
def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def ref_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)), axis=-1)


def ref_bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        log_p, log_q = _log_sigmoid(p), _log_sigmoid(-p)
    else:
        q = np.clip(p, EPS, 1 - EPS)
        log_p, log_q = np.log(q), np.log(1 - q)
    return np.mean(-(t * log_p + (1 - t) * log_q), axis=-1)


def ref_cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        log_p = _log_softmax(p)
    else:
        log_p = np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS))
    return -np.sum(t * log_p, axis=-1)


def ref_scce(labels, p, from_logits=False):
    labels = np.asarray(labels).reshape(p.shape[:-1]).astype(int)
    return ref_cce(np.eye(p.shape[-1])[labels], p, from_logits)


def _align(x1, x2):
    """Keras's squeeze_or_expand_to_same_rank, for the references."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        x1 = x1[..., 0] if x2.ndim != 1 else x1
        x2 = x2[..., None] if x2.ndim == 1 else x2
    elif x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        x2 = x2[..., 0] if x1.ndim != 1 else x2
        x1 = x1[..., None] if x1.ndim == 1 else x1
    return x1, x2


def ref_reduce(values, sample_weight, reduction):
    values = np.asarray(values, np.float64)
    if sample_weight is not None:
        values, sample_weight = _align(values, np.asarray(sample_weight, np.float64))
        values = values * sample_weight
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / sample_weight.sum()
    return total / values.size


# -- cases ------------------------------------------------------------------------------------
RNG = np.random.default_rng(7)
SHAPES = [(5,), (5, 1), (5, 3)]


def _probs(shape):
    return RNG.uniform(0.02, 0.98, size=shape)


def _binary_labels(shape):
    return RNG.integers(0, 2, size=shape).astype(np.float64)


def _onehot(n, k):
    return np.eye(k)[RNG.integers(0, k, size=n)]


def _case_list():
    """(id, loss object factory, y_true, y_pred, per-sample reference values)."""
    cases = []
    for shape in SHAPES:
        t, p = RNG.normal(size=shape), RNG.normal(size=shape)
        cases.append((f"mse{shape}", lambda r: losses.MeanSquaredError(reduction=r), t, p,
                      ref_mse(t, p)))
        cases.append((f"mae{shape}", lambda r: losses.MeanAbsoluteError(reduction=r), t, p,
                      ref_mae(t, p)))
        cases.append((f"huber{shape}", lambda r: losses.Huber(delta=0.7, reduction=r), t, p,
                      ref_huber(t, p, 0.7)))
        t = _binary_labels(shape)
        for logits in (False, True):
            for ls in (0.0, 0.2):
                p = RNG.normal(scale=3, size=shape) if logits else _probs(shape)
                cases.append((
                    f"bce{shape}-logits{logits}-ls{ls}",
                    lambda r, lg=logits, s=ls: losses.BinaryCrossentropy(
                        from_logits=lg, label_smoothing=s, reduction=r),
                    t, p, ref_bce(t, p, logits, ls)))
    for logits in (False, True):
        for ls in (0.0, 0.1):
            t = _onehot(5, 4)
            p = RNG.normal(scale=3, size=(5, 4)) if logits else _probs((5, 4))
            cases.append((f"cce-logits{logits}-ls{ls}",
                          lambda r, lg=logits, s=ls: losses.CategoricalCrossentropy(
                              from_logits=lg, label_smoothing=s, reduction=r),
                          t, p, ref_cce(t, p, logits, ls)))
        for label_shape, label_dtype in [((5,), np.int32), ((5, 1), np.int64),
                                         ((5,), np.float32), ((5, 1), np.float64)]:
            labels = RNG.integers(0, 4, size=label_shape).astype(label_dtype)
            p = RNG.normal(scale=3, size=(5, 4)) if logits else _probs((5, 4))
            cases.append((f"scce-logits{logits}-{label_shape}-{np.dtype(label_dtype).name}",
                          lambda r, lg=logits: losses.SparseCategoricalCrossentropy(
                              from_logits=lg, reduction=r),
                          labels, p, ref_scce(labels, p, logits)))
    return cases


CASES = _case_list()
CASE_IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_loss_matches_reference(session, case):
    """Eagerly on numpy arrays, and symbolically in a traced program, with and without
    sample weights."""
    _, make, t, p, per_sample = case
    sw = RNG.uniform(0.0, 2.0, size=len(p)).astype(np.float32)
    loss = make("sum_over_batch_size")
    for weights in (None, sw):
        got = loss(t, p, sample_weight=weights)
        assert isinstance(got, np.ndarray | np.generic)
        np.testing.assert_allclose(got, ref_reduce(per_sample, weights, "sum_over_batch_size"),
                                   rtol=2e-5, atol=2e-6)
    t_dtype = t.dtype if t.dtype.kind in "iu" else np.float32
    with K.symbolic_scope():
        yt = placeholder(t_dtype, (None, *t.shape[1:]))
        yp = placeholder("float32", (None, *p.shape[1:]))
        w = placeholder("float32", (None,))
        weighted = loss(yt, yp, sample_weight=w)
        per = make("none")(yt, yp)
    got, got_per = K.get_session().run(
        [weighted, per], {yt: t.astype(t_dtype), yp: p.astype(np.float32), w: sw})
    np.testing.assert_allclose(got, ref_reduce(per_sample, sw, "sum_over_batch_size"),
                               rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(got_per, per_sample, rtol=2e-5, atol=2e-6)


REDUCTION_CASES = [c for c in CASES if c[0] in ("mse(5, 3)", "bce(5,)-logitsTrue-ls0.2",
                                                "scce-logitsTrue-(5, 1)-int64")]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reductions(session, reduction):
    assert len(REDUCTION_CASES) == 3
    for _, make, t, p, per_sample in REDUCTION_CASES:
        loss = make(reduction)
        for weights in (None, RNG.uniform(0.0, 2.0, size=len(p))):
            np.testing.assert_allclose(loss(t, p, sample_weight=weights),
                                       ref_reduce(per_sample, weights, reduction),
                                       rtol=2e-5, atol=2e-6)


def test_functions_return_per_sample_values(session):
    t, p = _binary_labels((4, 3)), _probs((4, 3))
    np.testing.assert_allclose(losses.mse(t, p), ref_mse(t, p), rtol=1e-5)
    np.testing.assert_allclose(losses.mae(t, p), ref_mae(t, p), rtol=1e-5)
    np.testing.assert_allclose(losses.huber(t, p, delta=0.3), ref_huber(t, p, 0.3), rtol=1e-5)
    np.testing.assert_allclose(losses.binary_crossentropy(t, p, label_smoothing=0.1),
                               ref_bce(t, p, False, 0.1), rtol=1e-5)
    onehot = _onehot(4, 3)
    np.testing.assert_allclose(losses.categorical_crossentropy(onehot, p, from_logits=True),
                               ref_cce(onehot, p, True), rtol=1e-5)
    labels = onehot.argmax(-1)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, p),
                               ref_scce(labels, p), rtol=1e-5)
    assert losses.mean_squared_error(t, p).shape == (4,)


def test_keras_documented_values(session):
    y_true, y_pred = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    cce = losses.CategoricalCrossentropy()
    np.testing.assert_allclose(cce(y_true, y_pred), 1.177, atol=1e-3)
    np.testing.assert_allclose(cce(y_true, y_pred, sample_weight=np.array([0.3, 0.7])), 0.814,
                               atol=1e-3)
    np.testing.assert_allclose(losses.SparseCategoricalCrossentropy(reduction=None)(
        [1, 2], y_pred), [0.0513, 2.303], atol=1e-3)
    bce = losses.BinaryCrossentropy(from_logits=True)
    np.testing.assert_allclose(bce([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]), 0.8654,
                               atol=1e-3)
    np.testing.assert_allclose(bce([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]],
                                   sample_weight=[0.8, 0.2]), 0.243, atol=1e-3)
    np.testing.assert_allclose(losses.binary_crossentropy([[0, 1], [0, 0]],
                                                          [[0.6, 0.4], [0.4, 0.6]]),
                               [0.916, 0.714], atol=1e-3)
    np.testing.assert_allclose(losses.Huber()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]),
                               0.155, atol=1e-3)


def test_rank_alignment_of_labels_and_predictions(session):
    """(batch,) labels against (batch, 1) predictions, and the other way round."""
    t, p = _binary_labels((6,)), _probs((6, 1))
    for loss, per in [(losses.BinaryCrossentropy(), ref_bce(t[:, None], p)),
                      (losses.MeanSquaredError(), ref_mse(t[:, None], p))]:
        np.testing.assert_allclose(loss(t, p), per.mean(), rtol=1e-5)
        np.testing.assert_allclose(loss(t[:, None], p[:, 0]), per.mean(), rtol=1e-5)


def test_sample_weight_shapes(session):
    t, p = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    loss = losses.MeanSquaredError()
    per = ref_mse(t, p)
    np.testing.assert_allclose(loss(t, p, sample_weight=2.0), 2 * per.mean(), rtol=1e-5)
    sw = np.array([1.0, 0.0, 2.0, 0.5])
    np.testing.assert_allclose(loss(t, p, sample_weight=sw[:, None]), (per * sw).mean(),
                               rtol=1e-5)
    # element-wise weights on a reduction="none" function loss of (batch, k) values
    wrapper = losses.LossFunctionWrapper(lambda a, b: (a - b) ** 2, reduction="sum")
    w = RNG.uniform(size=(4, 3))
    np.testing.assert_allclose(wrapper(t, p, sample_weight=w), np.sum((t - p) ** 2 * w),
                               rtol=1e-5)


def test_ignore_class_masks_samples(session):
    labels = np.array([0, 2, -1, 1, -1])
    p = _probs((5, 3))
    valid = labels != -1
    per = ref_scce(np.where(valid, labels, 0), p)
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    np.testing.assert_allclose(loss(labels, p), per[valid].mean(), rtol=1e-5)
    none = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="none")(labels, p)
    np.testing.assert_allclose(none, np.where(valid, per, 0.0), rtol=1e-5)
    summed = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="sum")
    np.testing.assert_allclose(summed(labels, p), per[valid].sum(), rtol=1e-5)
    sw = np.array([1.0, 2.0, 3.0, 0.5, 1.0])
    np.testing.assert_allclose(loss(labels, p, sample_weight=sw),
                               (per * sw)[valid].sum() / valid.sum(), rtol=1e-5)


@pytest.mark.parametrize("kind", ["bce", "cce", "scce"])
def test_extreme_logits_stay_finite(session, kind):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    if kind == "bce":
        t = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
        loss, want = losses.BinaryCrossentropy(from_logits=True, reduction="none"), \
            np.mean(t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x), -1)
    elif kind == "cce":
        t = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        loss, want = losses.CategoricalCrossentropy(from_logits=True, reduction="none"), \
            np.array([2000.0, 1.0 + np.log1p(np.exp(-1.0))])
    else:
        t = np.array([1, 2])
        loss, want = losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none"), \
            np.array([2000.0, 1.0 + np.log1p(np.exp(-1.0))])
    got = loss(t, x)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    # and the gradient is finite too
    with K.symbolic_scope():
        from layerkit.graph import gradients

        yp = placeholder("float32", (2, 3))
        total = loss.__class__(from_logits=True)(t, yp)
        (grad,) = gradients(total, [yp])
    value = K.get_session().run(grad, {yp: x.astype(np.float32)})
    assert np.all(np.isfinite(value))


def test_probability_inputs_are_clipped(session):
    t = np.array([[1.0, 0.0]])
    p = np.array([[0.0, 1.0]])  # confidently wrong: log(0) without the clip
    got = losses.binary_crossentropy(t, p)
    assert np.isfinite(got).all()
    # clipped to [eps, 1 - eps] in float32, as Keras does
    np.testing.assert_allclose(got, ref_bce(t.astype(np.float32), p.astype(np.float32)),
                               rtol=1e-5)
    assert np.isfinite(losses.categorical_crossentropy(t, p)).all()


# -- gradients --------------------------------------------------------------------------------
def _grad_cases():
    rng = np.random.default_rng(3)

    def labels01(shape):
        return rng.integers(0, 2, size=shape).astype(np.float64)

    def away(shape, kinks=(0.0,), gap=0.1):
        """Errors at least ``gap`` from the kinks of mae (0) and huber (0, +-delta)."""
        x = rng.uniform(-2, 2, size=shape)
        for k in kinks:
            near = np.abs(x - k) < gap
            x = np.where(near, k + np.sign(x - k + 1e-12) * (gap + 0.05), x)
        return x

    cases = []

    def add(name, build, make_inputs):
        cases.append(OpCase(name, name, build, make_inputs, grad=[1]))

    for shape in [(4,), (4, 1), (3, 4)]:
        add(f"mse{shape}", losses.mean_squared_error,
            lambda r, dt, s=shape: [rng.normal(size=s), rng.normal(size=s)])
        add(f"mae{shape}", losses.mean_absolute_error,
            lambda r, dt, s=shape: [np.zeros(s), away(s)])
        add(f"huber{shape}", lambda t, p: losses.huber(t, p, delta=0.5),
            lambda r, dt, s=shape: [np.zeros(s), away(s, (0.0, 0.5, -0.5))])
        for logits in (False, True):
            add(f"bce{shape}-logits{logits}",
                lambda t, p, lg=logits: losses.binary_crossentropy(t, p, from_logits=lg,
                                                                   label_smoothing=0.1),
                lambda r, dt, s=shape, lg=logits: [
                    labels01(s), rng.normal(scale=2, size=s) if lg else rng.uniform(
                        0.05, 0.95, size=s)])
    for logits in (False, True):
        add(f"cce-logits{logits}",
            lambda t, p, lg=logits: losses.categorical_crossentropy(t, p, from_logits=lg,
                                                                    label_smoothing=0.1),
            lambda r, dt, lg=logits: [np.eye(4)[rng.integers(0, 4, 3)],
                                      rng.normal(size=(3, 4)) if lg else rng.uniform(
                                          0.1, 0.9, size=(3, 4))])
        cases.append(OpCase(
            f"scce-logits{logits}", "scce",
            lambda t, p, lg=logits: losses.sparse_categorical_crossentropy(t, p, from_logits=lg),
            lambda r, dt, lg=logits: [rng.integers(0, 4, size=(3, 1)),
                                      rng.normal(size=(3, 4)) if lg else rng.uniform(
                                          0.1, 0.9, size=(3, 4))], grad=[1]))
    # Loss objects: weighted reductions, float64 compute dtype
    for name, make in [("BCE", lambda: losses.BinaryCrossentropy(from_logits=True,
                                                                 dtype="float64")),
                       ("CCE", lambda: losses.CategoricalCrossentropy(from_logits=True,
                                                                      dtype="float64"))]:
        cases.append(OpCase(
            f"{name}-weighted", name,
            lambda t, p, w, make=make: make()(t, p, sample_weight=w),
            lambda r, dt: [np.eye(3)[rng.integers(0, 3, 4)], rng.normal(size=(4, 3)),
                           rng.uniform(size=4)], grad=[1]))
    return cases


@pytest.mark.parametrize("case", _grad_cases(), ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case, backend):
    from tests.graph.harness import case_rng

    arrays = [np.asarray(a) for a in case.inputs(case_rng(case), np.dtype("float64"))]
    arrays = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    check = GradientCheck(case, arrays, backend)
    for analytic, numeric in zip(check.analytic(arrays), check.numeric(arrays)):
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


# -- objects ----------------------------------------------------------------------------------
def test_get_resolves_names_functions_classes_and_configs(session):
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MAE") is losses.mean_absolute_error
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    obj = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(obj) is obj
    assert losses.get(None) is None
    got = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(got, losses.CategoricalCrossentropy) and got.from_logits
    with pytest.raises(ValueError, match="Known losses:.*mean_squared_error"):
        losses.get("mean_sqared_error")


@pytest.mark.parametrize("cls", [losses.MeanSquaredError, losses.MeanAbsoluteError,
                                 losses.Huber, losses.BinaryCrossentropy,
                                 losses.CategoricalCrossentropy,
                                 losses.SparseCategoricalCrossentropy])
def test_config_round_trip(session, cls):
    obj = cls(reduction="sum", name="custom")
    config = obj.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    clone = cls.from_config(config)
    assert clone.get_config() == config
    again = losses.deserialize(losses.serialize(obj))
    assert type(again) is cls and again.get_config() == config


def test_defaults_match_keras(session):
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"
    bce = losses.BinaryCrossentropy()
    assert bce.get_config() == {"name": "binary_crossentropy",
                                "reduction": "sum_over_batch_size", "from_logits": False,
                                "label_smoothing": 0.0, "axis": -1}
    scce = losses.SparseCategoricalCrossentropy()
    assert scce.get_config()["ignore_class"] is None
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="auto")


def test_function_wrapper_config_and_serialized_functions(session):
    wrapper = losses.LossFunctionWrapper(losses.huber, delta=2.0, name="h")
    config = wrapper.get_config()
    assert config["fn"] == "huber" and config["delta"] == 2.0
    clone = losses.LossFunctionWrapper.from_config(config)
    assert clone.fn is losses.huber
    assert losses.deserialize(losses.serialize(losses.mse)) is losses.mean_squared_error


def test_custom_loss_subclass(session):
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return losses.mean_squared_error(y_true, y_pred) * 3.0

    t, p = RNG.normal(size=(4, 2)), RNG.normal(size=(4, 2))
    np.testing.assert_allclose(Scaled()(t, p), 3 * ref_mse(t, p).mean(), rtol=1e-5)
    assert Scaled().name.startswith("scaled")


def test_eager_graphs_are_cached(session):
    from layerkit.losses import runtime
    from layerkit.ops import eager

    loss = losses.CategoricalCrossentropy()
    t, p = _onehot(4, 3), _probs((4, 3))
    for _ in range(3):
        loss(t, p)
    assert len(runtime.object_cache(loss)) == 1
    loss(t[:2], p[:2])
    assert len(runtime.object_cache(loss)) == 2
    losses.mse(t, p)
    size = len(eager._CACHE)
    losses.mse(t, p)
    assert len(eager._CACHE) == size
