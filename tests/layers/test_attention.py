"""Attention, AdditiveAttention and MultiHeadAttention against numpy references (masks, causal
masks, several attention axes, dropout), in models, and weights files exchanged with real
Keras 3 in the slow step."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests import keras_fixtures
from tests.keras3 import build_with_random_weights

keras = keras_fixtures.keras


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _softmax(s, mask=None):
    if mask is not None:
        s = np.where(mask, s, -1e9)
    e = np.exp(s - s.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    return p if mask is None else np.where(mask, p, 0.0)


# -- Attention / AdditiveAttention --------------------------------------------------------------
def test_dot_product_attention(keras):
    q, v, k = _x(2, 4, 3), _x(2, 5, 2, seed=1), _x(2, 5, 3, seed=2)
    weights = _softmax(q @ k.transpose(0, 2, 1))
    np.testing.assert_allclose(keras.layers.Attention()([q, v, k]), weights @ v, rtol=1e-5,
                               atol=1e-6)
    out, scores = keras.layers.Attention()([q, v, k], return_attention_scores=True)
    np.testing.assert_allclose(scores, weights, rtol=1e-5, atol=1e-7)


def test_attention_masks(keras):
    q, v = _x(2, 4, 3), _x(2, 5, 3, seed=1)
    q_mask = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], bool)
    v_mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], bool)
    out = keras.layers.Attention()([q, v], mask=[q_mask, v_mask])
    expected = _softmax(q @ v.transpose(0, 2, 1), v_mask[:, None, :]) @ v
    np.testing.assert_allclose(out, np.where(q_mask[..., None], expected, 0), rtol=1e-5,
                               atol=1e-6)
    causal = keras.layers.Attention()([q, q], use_causal_mask=True)
    lower = np.tril(np.ones((4, 4), bool))[None]
    np.testing.assert_allclose(causal, _softmax(q @ q.transpose(0, 2, 1), lower) @ q,
                               rtol=1e-5, atol=1e-6)


def test_additive_attention(keras):
    q, v = _x(2, 4, 3), _x(2, 5, 3, seed=1)
    layer = keras.layers.AdditiveAttention()
    out = layer([q, v])
    scale = layer.scale.numpy()
    scores = np.sum(scale * np.tanh(q[:, :, None, :] + v[:, None, :, :]), -1)
    np.testing.assert_allclose(out, _softmax(scores) @ v, rtol=1e-5, atol=1e-6)
    assert layer.scale.shape == (3,)


def test_attention_errors(keras):
    with pytest.raises(ValueError, match=r"Attention 'a' must be called on a list \[query, "
                                         r"value\]"):
        keras.layers.Attention(name="a")(keras.Input((3, 2)))
    with pytest.raises(ValueError, match="score_mode must be 'dot' or 'concat'"):
        keras.layers.Attention(score_mode="general")


# -- MultiHeadAttention -----------------------------------------------------------------------
def _weights(layer):
    return {w.path.split("/", 1)[1]: w.numpy() for w in layer.weights}


def _mha_reference(layer, q, v, k=None, mask=None, key_dim=None):
    """Keras's multi-head attention, over the steps axis, in numpy."""
    w = _weights(layer)
    k = v if k is None else k

    def project(x, name):
        y = np.einsum("btd,dhk->bthk", x, w[f"{name}/kernel"])
        return y + w[f"{name}/bias"] if f"{name}/bias" in w else y

    query = project(q, "query") / np.sqrt(key_dim or layer.key_dim)
    scores = np.einsum("bshk,bthk->bhts", project(k, "key"), query)
    probs = _softmax(scores, None if mask is None else mask[:, None])
    out = np.einsum("bhts,bshk->bthk", probs, project(v, "value"))
    out = np.einsum("bthk,hkd->btd", out, w["attention_output/kernel"])
    return out + w.get("attention_output/bias", 0.0), probs


def test_multi_head_attention_against_numpy(keras):
    q, v, k = _x(2, 4, 6), _x(2, 5, 3, seed=1), _x(2, 5, 2, seed=2)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    out, scores = layer(q, v, k, return_attention_scores=True)
    expected, probs = _mha_reference(layer, q, v, k)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores, probs, rtol=1e-4, atol=1e-6)
    shapes = {name: value.shape for name, value in _weights(layer).items()}
    assert shapes == {"query/kernel": (6, 2, 3), "query/bias": (2, 3),
                      "key/kernel": (2, 2, 3), "key/bias": (2, 3),
                      "value/kernel": (3, 2, 4), "value/bias": (2, 4),
                      "attention_output/kernel": (2, 4, 6), "attention_output/bias": (6,)}


def test_multi_head_attention_masks(keras):
    q, v = _x(2, 4, 6), _x(2, 5, 6, seed=1)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    mask = np.random.default_rng(3).random((2, 4, 5)) > 0.3
    mask[:, :, 0] = True
    out = layer(q, v, attention_mask=mask)
    np.testing.assert_allclose(out, _mha_reference(layer, q, v, mask=mask)[0], rtol=1e-4,
                               atol=1e-5)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 0, 1]], bool)
    out = layer(q, v, value_mask=v_mask)
    both = np.broadcast_to(v_mask[:, None, :], (2, 4, 5))
    np.testing.assert_allclose(out, _mha_reference(layer, q, v, mask=both)[0], rtol=1e-4,
                               atol=1e-5)
    causal = layer(q, q, use_causal_mask=True)
    lower = np.broadcast_to(np.tril(np.ones((4, 4), bool)), (2, 4, 4))
    np.testing.assert_allclose(causal, _mha_reference(layer, q, q, mask=lower)[0], rtol=1e-4,
                               atol=1e-5)


def test_multi_head_attention_by_keyword_and_in_a_model(keras):
    x = _x(16, 5, 4)
    inputs = keras.Input((5, 4))
    attended = keras.layers.MultiHeadAttention(2, 4, dropout=0.1)(query=inputs, value=inputs,
                                                                    use_causal_mask=True)
    h = keras.layers.LayerNormalization()(keras.layers.Add()([inputs, attended]))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(h)))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    y = x.sum(axis=(1, 2))[:, None]
    history = model.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_multi_head_attention_dropout_acts_in_training_only(keras):
    q = _x(2, 6, 4)
    layer = keras.layers.MultiHeadAttention(2, 2, dropout=0.5)
    inference = np.asarray(layer(q, q))
    np.testing.assert_allclose(layer(q, q), inference, rtol=1e-6)
    trained = np.asarray(layer(q, q, training=True))
    assert not np.allclose(trained, inference)


def test_multi_head_attention_over_two_axes(keras):
    x = _x(2, 3, 4, 5)
    layer = keras.layers.MultiHeadAttention(2, 2, attention_axes=(1, 2))
    out = np.asarray(layer(x, x))
    w = _weights(layer)
    proj = {n: np.einsum("bijd,dhk->bijhk", x, w[f"{n}/kernel"]) + w[f"{n}/bias"]
            for n in ("query", "key", "value")}
    scores = np.einsum("bxyhk,bijhk->bhijxy", proj["key"], proj["query"] / np.sqrt(2))
    flat = scores.reshape(2, 2, 3, 4, 12)
    probs = _softmax(flat).reshape(scores.shape)
    attended = np.einsum("bhijxy,bxyhk->bijhk", probs, proj["value"])
    expected = np.einsum("bijhk,hkd->bijd", attended, w["attention_output/kernel"]) \
        + w["attention_output/bias"]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_grouped_query_attention_against_numpy(keras):
    q, v = _x(2, 4, 6), _x(2, 5, 6, seed=1)
    layer = keras.layers.GroupQueryAttention(head_dim=3, num_query_heads=4,
                                             num_key_value_heads=2)
    out, scores = layer(q, v, return_attention_scores=True, use_causal_mask=False)
    w = _weights(layer)
    query = np.einsum("bqm,muh->bquh", q, w["query/kernel"]) + w["query/bias"]
    key = np.repeat(np.einsum("bkm,mvh->bkvh", v, w["key/kernel"]) + w["key/bias"], 2, axis=2)
    value = np.repeat(np.einsum("bkm,mvh->bkvh", v, w["value/kernel"]) + w["value/bias"], 2,
                      axis=2)
    probs = _softmax(np.einsum("bquh,bkuh->buqk", query / np.sqrt(3), key))
    expected = np.einsum("bquh,uhm->bqm", np.einsum("buqk,bkuh->bquh", probs, value),
                         w["attention_output/kernel"]) + w["attention_output/bias"]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores, probs, rtol=1e-4, atol=1e-6)
    assert w["key/kernel"].shape == (6, 2, 3) and w["query/kernel"].shape == (6, 4, 3)
    with pytest.raises(ValueError, match="num_query_heads \\(3\\) must be a multiple of "
                                         "num_key_value_heads \\(2\\)"):
        keras.layers.GroupQueryAttention(2, 3, 2)


def test_multi_head_attention_errors(keras):
    with pytest.raises(ValueError, match="MultiHeadAttention 'm': num_heads must be a positive"):
        keras.layers.MultiHeadAttention(0, 2, name="m")
    with pytest.raises(ValueError, match="value and key must agree on every axis but the last"):
        keras.layers.MultiHeadAttention(2, 2)(keras.Input((4, 3)), keras.Input((5, 3)),
                                              keras.Input((6, 3)))
    with pytest.raises(NotImplementedError, match="flash_attention"):
        keras.layers.MultiHeadAttention(2, 2, flash_attention=True)


def test_weights_file_layout_round_trip(keras, tmp_path):
    def build():
        inputs = keras.Input((4, 6))
        x = keras.layers.MultiHeadAttention(2, 3)(inputs, inputs)
        return keras.Model(inputs, keras.layers.Attention(use_scale=True)([x, inputs]))

    model = build()
    model.set_weights([np.random.default_rng(i).normal(size=w.shape).astype("float32")
                       for i, w in enumerate(model.get_weights())])
    path = tmp_path / "mha.weights.h5"
    model.save_weights(path)
    import h5py

    with h5py.File(path) as f:
        assert f["layers/multi_head_attention/query_dense/vars/0"].shape == (6, 2, 3)
        assert f["layers/multi_head_attention/output_dense/vars/1"].shape == (6,)
        assert f["layers/attention/vars/0"].shape == ()
    clone = build()
    clone.load_weights(path)
    x = _x(3, 4, 6)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


# -- slow: against real Keras 3 ----------------------------------------------------------------
_KERAS_MODEL = """
def build():
    inputs = keras.Input((4, 6))
    # (value_dim != key_dim with a causal mask fails inside Keras 3.15 on jax.)
    x = keras.layers.MultiHeadAttention(2, 3, name="mha")(inputs, inputs,
                                                                        use_causal_mask=True)
    x = keras.layers.Attention(use_scale=True, name="att")([x, inputs])
    x = keras.layers.AdditiveAttention(name="add_att")([x, inputs])
    x = keras.layers.GroupQueryAttention(2, 4, 2, name="gqa")(x, inputs)
    x = keras.layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d", name="ein")(x)
    return keras.Model(inputs, x)
"""


@pytest.mark.slow
def test_weights_files_move_both_ways_with_keras(keras, keras3, tmp_path):
    x = _x(3, 4, 6)
    ours = build_with_random_weights(keras, _KERAS_MODEL, tmp_path / "ours.weights.h5", 10)
    record = keras3(_KERAS_MODEL + f"""
import json
x = np.asarray(json.loads({json.dumps(x.tolist())!r}), "float32")
theirs = build()
theirs.load_weights({str(tmp_path / "ours.weights.h5")!r})
from_ours = theirs.predict(x, verbose=0)
rng = np.random.default_rng(0)
theirs.set_weights([rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()])
theirs.save_weights({str(tmp_path / "theirs.weights.h5")!r})
emit({{"from_ours": from_ours.tolist(), "theirs": theirs.predict(x, verbose=0).tolist(),
       "paths": [w.path for w in theirs.weights]}})
""")
    np.testing.assert_allclose(record["from_ours"], ours.predict(x, verbose=0), rtol=1e-4,
                               atol=1e-5)
    ours.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), record["theirs"], rtol=1e-4,
                               atol=1e-5)
    assert [w.path for w in ours.weights] == record["paths"]
