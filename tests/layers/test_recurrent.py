"""SimpleRNN, LSTM, GRU: outputs against a numpy reference of Keras's equations, given the
layer's own weights; the options; unknown time lengths; configs; errors."""

from __future__ import annotations

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture (an assignment, not an import: no F811 below)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _simple_rnn_step(x, states, w):
    kernel, recurrent, bias = w
    (h,) = states
    h = np.tanh(x @ kernel + h @ recurrent + bias)
    return [h], h


def _lstm_step(x, states, w):
    kernel, recurrent, bias = w
    h, c = states
    z = x @ kernel + h @ recurrent + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return [h, c], h


def _gru_step(x, states, w, reset_after=True):
    kernel, recurrent, bias = w
    (h,) = states
    units = h.shape[-1]
    if reset_after:
        xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
        hz, hr, hh = np.split(h @ recurrent + bias[1], 3, axis=-1)
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        candidate = np.tanh(xh + r * hh)
    else:
        xz, xr, xh = np.split(x @ kernel + bias, 3, axis=-1)
        hz, hr = np.split(h @ recurrent[:, :2 * units], 2, axis=-1)
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        candidate = np.tanh(xh + (r * h) @ recurrent[:, 2 * units:])
    h = z * h + (1 - z) * candidate
    return [h], h


_STEPS = {"SimpleRNN": (_simple_rnn_step, 1), "LSTM": (_lstm_step, 2), "GRU": (_gru_step, 1)}


def _reference(name, x, weights, go_backwards=False, initial=None, **step_kwargs):
    """Keras's loop: states start at zeros; go_backwards reads the sequence from its end and
    returns the outputs in that (reversed) order."""
    step, n_states = _STEPS[name]
    units = weights[1].shape[0]
    states = initial or [np.zeros((x.shape[0], units))] * n_states
    seq = x[:, ::-1] if go_backwards else x
    outputs = []
    for t in range(seq.shape[1]):
        states, out = step(seq[:, t].astype(np.float64), states, weights, **step_kwargs)
        outputs.append(out)
    return np.stack(outputs, axis=1), states


def _data(shape=(3, 7, 4), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _randomize(layer, seed=1):
    """Random biases too, so the reference checks every weight's role."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()])
    return [w.astype(np.float64) for w in layer.get_weights()]


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_outputs_match_the_keras_equations(keras, name):
    x = _data()
    layer = getattr(keras.layers, name)(5, return_sequences=True, return_state=True)
    layer(keras.Input(shape=(None, 4)))
    weights = _randomize(layer)
    output, *states = layer(x)
    expected, expected_states = _reference(name, x, weights)
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-5)
    assert len(states) == len(expected_states)
    for got, want in zip(states, expected_states):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_gru_without_reset_after(keras):
    x = _data()
    layer = keras.layers.GRU(5, reset_after=False, return_sequences=True)
    layer(keras.Input(shape=(7, 4)))
    assert [w.shape for w in layer.get_weights()] == [(4, 15), (5, 15), (15,)]
    weights = _randomize(layer)
    expected, _ = _reference("GRU", x, weights, reset_after=False)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, shapes", [
    ("SimpleRNN", [(4, 5), (5, 5), (5,)]),
    ("LSTM", [(4, 20), (5, 20), (20,)]),
    ("GRU", [(4, 15), (5, 15), (2, 15)]),
])
def test_weights_are_laid_out_as_keras(keras, name, shapes):
    layer = getattr(keras.layers, name)(5)
    layer(keras.Input(shape=(3, 4)))
    assert [tuple(w.shape) for w in layer.weights] == shapes
    prefix = layer.name
    assert [w.path for w in layer.weights] == [f"{prefix}/kernel", f"{prefix}/recurrent_kernel",
                                               f"{prefix}/bias"]
    recurrent = layer.get_weights()[1]
    if name == "SimpleRNN":  # orthogonal: U^T U = I
        np.testing.assert_allclose(recurrent.T @ recurrent, np.eye(5), atol=1e-5)


def test_lstm_unit_forget_bias(keras):
    layer = keras.layers.LSTM(3)
    layer(keras.Input(shape=(2, 4)))
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 3 + [1] * 3 + [0] * 6)
    plain = keras.layers.LSTM(3, unit_forget_bias=False)
    plain(keras.Input(shape=(2, 4)))
    np.testing.assert_array_equal(plain.get_weights()[2], np.zeros(12))


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_last_output_go_backwards_and_unknown_time(keras, name):
    layer = getattr(keras.layers, name)(4, go_backwards=True, return_sequences=True)
    symbolic = layer(keras.Input(shape=(None, 3)))
    assert tuple(symbolic.shape) == (None, None, 4)
    weights = _randomize(layer)
    for steps in (2, 9):  # one graph, any length
        x = _data((2, steps, 3), seed=steps)
        expected, _ = _reference(name, x, weights, go_backwards=True)
        np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)
    last = getattr(keras.layers, name)(4)
    assert tuple(last(keras.Input(shape=(None, 3))).shape) == (None, 4)
    last_weights = _randomize(last)
    x = _data((2, 5, 3))
    expected, _ = _reference(name, x, last_weights)
    np.testing.assert_allclose(last(x), expected[:, -1], rtol=1e-4, atol=1e-5)


def test_initial_state(keras):
    x = _data((2, 4, 3))
    h0 = np.random.default_rng(5).normal(size=(2, 6)).astype(np.float32)
    c0 = np.random.default_rng(6).normal(size=(2, 6)).astype(np.float32)
    inputs = keras.Input(shape=(4, 3))
    h_in, c_in = keras.Input(shape=(6,)), keras.Input(shape=(6,))
    layer = keras.layers.LSTM(6)
    model = keras.Model([inputs, h_in, c_in], layer(inputs, initial_state=[h_in, c_in]))
    weights = _randomize(layer)
    expected, _ = _reference("LSTM", x, weights, initial=[h0.astype(np.float64),
                                                          c0.astype(np.float64)])
    np.testing.assert_allclose(model.predict([x, h0, c0], verbose=0), expected[:, -1],
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="expects 2 initial state tensor"):
        layer(inputs, initial_state=[h_in])


def test_gradients_reach_every_weight(keras):
    """One training step of a model with each recurrent layer changes all of its weights."""
    x = _data((8, 5, 3))
    y = np.random.default_rng(2).normal(size=(8, 1)).astype(np.float32)
    for cls in (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU):
        model = keras.Sequential([keras.Input(shape=(5, 3)), cls(4), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        before = model.get_weights()
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        for old, new in zip(before, model.get_weights()):
            assert not np.allclose(old, new), cls.__name__


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_gradients_match_finite_differences_of_the_reference(keras, name):
    """Back-propagation through time (numpy: the scan's VJP; jax: JAX's autodiff of lax.scan)
    against central differences of the float64 reference, for every weight."""
    import layerkit.backend as K
    from layerkit.graph import gradients, ops, placeholder

    x = _data((2, 4, 3))
    layer = getattr(keras.layers, name)(3, return_sequences=True)
    layer(keras.Input(shape=(None, 3)))
    weights = _randomize(layer)
    probe = np.random.default_rng(9).normal(size=(2, 4, 3))
    with K.symbolic_scope():
        inputs = placeholder("float32", (None, None, 3))
        loss = ops.sum(layer(inputs) * probe.astype(np.float32))
        grads = gradients(loss, layer.weights)
    got = K.get_session().run(grads, {inputs: x})

    def reference_loss(ws):
        return float(np.sum(_reference(name, x, ws)[0] * probe))

    eps = 1e-6
    for k, w in enumerate(weights):
        numeric = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            plus = [v.copy() for v in weights]
            minus = [v.copy() for v in weights]
            plus[k][index] += eps
            minus[k][index] -= eps
            numeric[index] = (reference_loss(plus) - reference_loss(minus)) / (2 * eps)
        np.testing.assert_allclose(got[k], numeric, rtol=2e-3, atol=2e-4,
                                   err_msg=layer.weights[k].path)


def test_dropout_masks_inputs_in_training_only(keras):
    """With W = I, U = 0 and a linear activation the outputs are the (dropped-out) inputs:
    each is 0 or scaled by 1 / (1 - rate), with one mask per sequence, the same at every step."""
    x = _data((200, 6, 5)) + 3.0  # away from 0
    layer = keras.layers.SimpleRNN(5, activation="linear", dropout=0.5, return_sequences=True)
    layer(keras.Input(shape=(6, 5)))
    layer.set_weights([np.eye(5), np.zeros((5, 5)), np.zeros(5)])
    np.testing.assert_allclose(layer(x), x, rtol=1e-6)  # inference: no dropout
    ratio = layer(x, training=True) / x
    assert set(np.round(np.unique(ratio), 4)) == {0.0, 2.0}
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :1], ratio.shape), atol=1e-5)
    assert 0.4 < (ratio[:, 0] == 0).mean() < 0.6


def test_config_round_trip(keras):
    layers = [
        keras.layers.SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True),
        keras.layers.LSTM(4, unit_forget_bias=False, return_state=True, dropout=0.2,
                          kernel_regularizer="l2"),
        keras.layers.GRU(5, reset_after=False, recurrent_activation="hard_sigmoid",
                         use_bias=False),
    ]
    for layer in layers:
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
        restored = keras.layers.deserialize(keras.layers.serialize(layer))
        assert type(restored) is type(layer) and restored.get_config() == config
    assert layers[1].get_config()["unit_forget_bias"] is False
    assert layers[2].get_config()["reset_after"] is False


def test_in_a_sequential_model_with_compute_output_shape(keras):
    model = keras.Sequential([keras.Input(shape=(None, 3)),
                              keras.layers.LSTM(4, return_sequences=True),
                              keras.layers.GRU(2)])
    assert model.predict(_data((5, 6, 3)), verbose=0).shape == (5, 2)
    layer = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    assert layer.compute_output_shape((None, 7, 3)) == [(None, 7, 4), (None, 4), (None, 4)]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"recurrent_dropout": 0.1}, NotImplementedError, "recurrent_dropout"),
    ({"stateful": True}, NotImplementedError, "stateful"),
    ({"unroll": True}, NotImplementedError, "unroll"),
    ({"dropout": 1.0}, ValueError, "dropout must be in"),
])
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_unsupported_options_are_refused(keras, name, kwargs, error, message):
    with pytest.raises(error, match=message):
        getattr(keras.layers, name)(3, **kwargs)


def test_bad_units_and_inputs(keras):
    with pytest.raises(ValueError, match="units must be a positive int"):
        keras.layers.LSTM(0)
    with pytest.raises(ValueError, match=r"'lstm_1' \(LSTM\) cannot take inputs of shape "
                                         r"\(None, 4\).*3-D"):
        keras.layers.LSTM(3)(keras.Input(shape=(4,)))
    layer = keras.layers.GRU(3)
    layer(keras.Input(shape=(5, 4)))
    with pytest.raises(ValueError, match=r"GRU 'gru' expects inputs of shape \(batch, time, 4\), "
                                         r"got shape \(None, 5, 2\)"):
        layer(keras.Input(shape=(5, 2)))
