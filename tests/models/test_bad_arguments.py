"""Bad arguments to a model's constructor and loops: a ValueError or TypeError that names the
argument and the value, raised before the loop changes any weight."""

from __future__ import annotations

import re

import numpy as np
import pytest

X = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
Y = np.arange(8) % 3


def _model(keras):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _assert_fails_unchanged(model, error, message, call):
    """``call(model)`` raises ``error`` matching ``message`` and leaves the weights and the
    optimizer's variables as they were."""
    weights = [w.copy() for w in model.get_weights()]
    slots = len(model.optimizer.variables)
    with pytest.raises(error, match=message):
        call(model)
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(model.optimizer.variables) == slots


@pytest.mark.parametrize("loop, call", [
    ("fit", lambda m: m.fit(X[:0], Y[:0], verbose=0)),
    ("evaluate", lambda m: m.evaluate(X[:0], Y[:0], verbose=0)),
    ("predict", lambda m: m.predict(X[:0], verbose=0)),
    ("fit", lambda m: m.train_on_batch(X[:0], Y[:0])),
    ("evaluate", lambda m: m.test_on_batch(X[:0], Y[:0])),
    ("predict", lambda m: m.predict_on_batch(X[:0])),
])
def test_empty_data_is_rejected(keras, loop, call):
    message = rf"{loop}\(\): expected non-empty input data, but x has 0 samples \(shape \(0, 4\)\)"
    _assert_fails_unchanged(_model(keras), ValueError, message, call)


BAD_BATCH_SIZES = [(0, ValueError), (-1, ValueError), (2.0, TypeError), ("2", TypeError),
                   (True, TypeError)]


@pytest.mark.parametrize("value, error", BAD_BATCH_SIZES)
@pytest.mark.parametrize("loop, call", [
    ("fit", lambda m, v: m.fit(X, Y, batch_size=v, verbose=0)),
    ("evaluate", lambda m, v: m.evaluate(X, Y, batch_size=v, verbose=0)),
    ("predict", lambda m, v: m.predict(X, batch_size=v, verbose=0)),
])
def test_bad_batch_size(keras, loop, call, value, error):
    message = (rf"{loop}\(batch_size=\.\.\.\) must be a positive integer or None, "
               rf"got {re.escape(repr(value))}$")
    _assert_fails_unchanged(_model(keras), error, message, lambda m: call(m, value))


@pytest.mark.parametrize("value, error", BAD_BATCH_SIZES)
def test_bad_validation_batch_size(keras, value, error):
    message = (r"fit\(validation_batch_size=\.\.\.\) must be a positive integer or None, "
               rf"got {re.escape(repr(value))}$")
    _assert_fails_unchanged(_model(keras), error, message, lambda m: m.fit(
        X, Y, validation_split=0.25, validation_batch_size=value, verbose=0))


@pytest.mark.parametrize("name", ["epochs", "initial_epoch"])
@pytest.mark.parametrize("value, error", [(-1, ValueError), (1.5, TypeError), ("2", TypeError),
                                          (True, TypeError)])
def test_bad_epoch_count(keras, name, value, error):
    message = (rf"fit\({name}=\.\.\.\) must be a non-negative integer, "
               rf"got {re.escape(repr(value))}$")
    _assert_fails_unchanged(_model(keras), error, message,
                            lambda m: m.fit(X, Y, verbose=0, **{name: value}))


def test_zero_epochs_train_nothing(keras):
    model = _model(keras)
    weights = model.get_weights()
    history = model.fit(X, Y, epochs=0, verbose=0)
    assert history.history == {}
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)


def test_numpy_integers_are_counts(keras):
    # A batch size or epoch count computed from an array (len(x) // 4) is a numpy integer.
    model = _model(keras)
    history = model.fit(X, Y, batch_size=np.int64(4), epochs=np.int32(2), verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(X, batch_size=np.int64(3), verbose=0).shape == (8, 3)


@pytest.mark.parametrize("loop, call", [
    ("fit", lambda m, c: m.fit(X, Y, callbacks=c, verbose=0)),
    ("evaluate", lambda m, c: m.evaluate(X, Y, callbacks=c, verbose=0)),
    ("predict", lambda m, c: m.predict(X, callbacks=c, verbose=0)),
])
def test_callbacks_must_be_callbacks(keras, loop, call):
    callbacks = [keras.callbacks.History(), 1]
    message = (rf"{loop}\(callbacks=\.\.\.\): callbacks\[1\] must be a "
               r"keras.callbacks.Callback, got int: 1$")
    _assert_fails_unchanged(_model(keras), TypeError, message, lambda m: call(m, callbacks))


def test_callbacks_must_be_a_list(keras):
    message = r"fit\(callbacks=\.\.\.\) must be a list of keras.callbacks.Callback, got History"
    _assert_fails_unchanged(_model(keras), TypeError, message, lambda m: m.fit(
        X, Y, callbacks=keras.callbacks.History(), verbose=0))


@pytest.mark.parametrize("dtype", ["<U5", object])
def test_string_targets_are_rejected(keras, dtype):
    y = np.array(["cat", "dog"] * 4, dtype=dtype)
    message = (rf"fit\(\): y must hold numbers, got an array of dtype {np.dtype(dtype)}: "
               r"array\(\['cat', 'dog'")
    _assert_fails_unchanged(_model(keras), TypeError, message, lambda m: m.fit(X, y, verbose=0))


def test_long_values_are_cut_in_messages(keras):
    y = np.array([f"label_{i}" for i in range(1000)])
    with pytest.raises(TypeError) as info:
        _model(keras).fit(np.zeros((1000, 4), np.float32), y, verbose=0)
    quoted = str(info.value).split("<U9: ")[1].split(";")[0]
    assert len(quoted) == 80 and quoted.endswith("...")


def test_model_outputs_must_be_tensors(keras):
    with pytest.raises(TypeError, match=r"outputs must be symbolic tensors, got int: 3$"):
        keras.Model(keras.Input(shape=(4,)), 3)


def test_model_inputs_must_be_tensors(keras):
    outputs = keras.layers.Dense(2)(keras.Input(shape=(4,)))
    with pytest.raises(TypeError, match=r"inputs must be symbolic tensors, got str: 'x'$"):
        keras.Model("x", outputs)


def test_model_inputs_must_come_from_input(keras):
    hidden = keras.layers.Dense(2)(keras.Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"inputs must come from layerkit.Input\(\), got "):
        keras.Model(hidden, keras.layers.Dense(1)(hidden))
