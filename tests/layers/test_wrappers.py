"""TimeDistributed and Bidirectional against numpy references built from the inner layers,
in models, and their configs and weights layout."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures
from tests.keras3 import build_with_random_weights

keras = keras_fixtures.keras


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def test_time_distributed_applies_one_layer_to_every_step(keras):
    x = _x(2, 5, 3)
    wrapped = keras.layers.TimeDistributed(keras.layers.Dense(4))
    out = np.asarray(wrapped(x))
    kernel, bias = wrapped.layer.get_weights()
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert [w.path for w in wrapped.weights] == ["time_distributed/dense/kernel",
                                                 "time_distributed/dense/bias"]
    images = _x(2, 3, 6, 6, 2)
    conv = keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3))
    out = np.asarray(conv(images))
    assert out.shape == (2, 3, 4, 4, 4)
    per_step = np.stack([np.asarray(conv.layer(images[:, t])) for t in range(3)], axis=1)
    np.testing.assert_allclose(out, per_step, rtol=1e-5, atol=1e-6)
    assert conv.compute_output_shape((None, 3, 6, 6, 2)) == (None, 3, 4, 4, 4)


def test_time_distributed_in_a_model_with_unknown_steps(keras):
    inputs = keras.Input((None, 3))
    out = keras.layers.TimeDistributed(keras.layers.Dense(2))(inputs)
    model = keras.Model(inputs, out)
    assert tuple(out.shape) == (None, None, 2)
    for steps in (4, 7):
        assert model.predict(_x(2, steps, 3), verbose=0).shape == (2, steps, 2)


def _lstm_reference(x, kernel, recurrent, bias, reverse=False):
    """Keras's LSTM (gates i, f, c, o), all steps, in numpy."""
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    steps = range(x.shape[1])
    outs = []
    for t in (reversed(steps) if reverse else steps):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, axis=1), h, c


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_a_forward_and_a_backward_pass(keras, merge_mode):
    x = _x(2, 5, 3)
    layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True),
                                       merge_mode=merge_mode)
    out = layer(x)
    forward, _, _ = _lstm_reference(x, *layer.forward_layer.get_weights())
    backward, _, _ = _lstm_reference(x, *layer.backward_layer.get_weights(), reverse=True)
    backward = backward[:, ::-1]  # back in time order
    expected = {"concat": lambda: np.concatenate([forward, backward], -1),
                "sum": lambda: forward + backward, "mul": lambda: forward * backward,
                "ave": lambda: (forward + backward) / 2,
                None: lambda: [forward, backward]}[merge_mode]()
    for got, want in zip(out if merge_mode is None else [out],
                         expected if merge_mode is None else [expected]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_bidirectional_states_and_names(keras):
    x = _x(2, 5, 3)
    layer = keras.layers.Bidirectional(keras.layers.GRU(3, return_state=True))
    out, h_forward, h_backward = layer(x)
    assert np.asarray(out).shape == (2, 6)
    np.testing.assert_allclose(np.asarray(out)[:, :3], h_forward, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out)[:, 3:], h_backward, rtol=1e-6)
    assert layer.forward_layer.name == "forward_gru" and layer.backward_layer.name == "backward_gru"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert layer.compute_output_shape((None, 5, 3)) == [(None, 6), (None, 3), (None, 3)]
    assert layer.weights[0].path == "bidirectional/forward_gru/kernel"


def test_bidirectional_trains_and_round_trips(keras, tmp_path):
    inputs = keras.Input((6, 2))
    h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))(inputs)
    h = keras.layers.TimeDistributed(keras.layers.Dense(1))(h)
    model = keras.Model(inputs, h)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    x = _x(32, 6, 2)
    y = np.cumsum(x[..., :1], axis=1) * 0.3  # needs the past: the forward half
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    path = tmp_path / "bi.h5"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    weights = tmp_path / "bi.weights.h5"
    model.save_weights(weights)
    import h5py

    with h5py.File(weights) as f:
        assert "layers/bidirectional/forward_layer/cell/vars/0" in f
        assert "layers/bidirectional/backward_layer/cell/vars/2" in f
        assert "layers/time_distributed/layer/vars/0" in f


def test_wrapper_errors(keras):
    with pytest.raises(ValueError, match="Bidirectional 'b' wraps a recurrent layer"):
        keras.layers.Bidirectional(keras.layers.Dense(2), name="b")
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        keras.layers.Bidirectional(keras.layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match=r"TimeDistributed 't' expects inputs of rank 3 or "
                                         r"more"):
        keras.layers.TimeDistributed(keras.layers.Dense(2), name="t")(keras.Input((3,)))


# -- slow: against real Keras 3 ----------------------------------------------------------------
_KERAS_MODEL = """
def build():
    inputs = keras.Input((6, 2))
    h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True),
                                   name="bi")(inputs)
    h = keras.layers.Bidirectional(keras.layers.GRU(3), merge_mode="sum", name="bi_gru")(h)
    h = keras.layers.RepeatVector(2)(h)
    return keras.Model(inputs, keras.layers.TimeDistributed(keras.layers.Dense(2),
                                                            name="td")(h))
"""


@pytest.mark.slow
def test_wrappers_move_both_ways_with_keras(keras, keras3, tmp_path):
    import json

    x = _x(3, 6, 2)
    ours = build_with_random_weights(keras, _KERAS_MODEL, tmp_path / "ours.weights.h5", 20)
    configs = {name: ours.get_layer(name).get_config() for name in ("bi", "bi_gru", "td")}
    record = keras3(_KERAS_MODEL + f"""
import json
x = np.asarray(json.loads({json.dumps(x.tolist())!r}), "float32")
ours = json.loads({json.dumps(configs)!r})
theirs = build()
theirs.load_weights({str(tmp_path / "ours.weights.h5")!r})
from_ours = theirs.predict(x, verbose=0)
rebuilt = {{}}
for name, config in ours.items():
    cls = type(theirs.get_layer(name))
    rebuilt[name] = json.loads(json.dumps(cls.from_config(config).get_config()))
rng = np.random.default_rng(1)
theirs.set_weights([rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()])
theirs.save_weights({str(tmp_path / "theirs.weights.h5")!r})
emit({{"from_ours": from_ours.tolist(), "theirs": theirs.predict(x, verbose=0).tolist(),
       "configs": {{name: json.loads(json.dumps(theirs.get_layer(name).get_config()))
                   for name in ours}}, "rebuilt": rebuilt}})
""")
    np.testing.assert_allclose(record["from_ours"], ours.predict(x, verbose=0), rtol=1e-4,
                               atol=1e-5)
    ours.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), record["theirs"], rtol=1e-4,
                               atol=1e-5)
    for name, config in record["configs"].items():
        layer = type(ours.get_layer(name)).from_config(config)  # Keras's config loads here
        assert layer.get_config()["name"] == name
        # and Keras rebuilt the same wrapper from ours
        assert record["rebuilt"][name]["layer"]["class_name"] == config["layer"]["class_name"]
