"""compile / fit / evaluate / predict: learning for real, the options of fit, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerkit.backend as K
from layerkit.datasets import digits


def _digits():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    return ((x_train.reshape(-1, 64) / 16.0).astype(np.float32), y_train,
            (x_test.reshape(-1, 64) / 16.0).astype(np.float32), y_test)


def _mlp(keras, dropout=0.0, hidden=64):
    layers = [keras.Input(shape=(64,)), keras.layers.Dense(hidden, activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(layers)


def test_mlp_learns_digits(keras):
    x_train, y_train, x_test, y_test = _digits()
    model = _mlp(keras, dropout=0.1, hidden=128)
    model.compile(optimizer=keras.optimizers.Adam(0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=15, verbose=0,
                        validation_split=0.1)
    # As in Keras 3, the metric is logged under the name it was compiled with.
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 15
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.96, accuracy
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test) == pytest.approx(accuracy, abs=1e-6)


def test_loss_curves_agree_across_backends():
    """Same seed, so the same initial weights (initialized on the host): the numpy and jax
    backends follow the same loss curve within float32 tolerance."""
    import layerkit
    import layerkit_backend
    from layerkit import utils

    x_train, y_train, _, _ = _digits()
    curves = {}
    previous = layerkit_backend.backend().name
    for name in ("numpy", "jax"):
        layerkit_backend.set_backend(name)
        K.clear_session()
        utils.set_random_seed(7)
        model = _mlp(layerkit)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        history = model.fit(x_train[:512], y_train[:512], batch_size=64, epochs=4,
                            shuffle=False, verbose=0)
        curves[name] = history.history["loss"]
    layerkit_backend.set_backend(previous)
    K.clear_session()
    np.testing.assert_allclose(curves["numpy"], curves["jax"], rtol=2e-5)
    assert curves["numpy"][-1] < curves["numpy"][0]


def test_train_on_batch_evaluate_and_return_dict(keras):
    x_train, y_train, _, _ = _digits()
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = model.train_on_batch(x_train[:32], y_train[:32], return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    result = model.evaluate(x_train[:64], y_train[:64], verbose=0, return_dict=True)
    assert result["loss"] > 0
    assert model.test_on_batch(x_train[:8], y_train[:8])[0] > 0
    assert model.predict_on_batch(x_train[:8]).shape == (8, 10)


def test_sample_weight_zero_ignores_samples(keras):
    """A zero sample weight removes a sample from the loss: training on (good + weighted-out
    garbage) gives the same weights as training on the good samples alone."""
    from layerkit import utils

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    garbage_x = rng.normal(size=(32, 3)).astype(np.float32)
    garbage_y = rng.normal(size=(32, 1)).astype(np.float32) * 100
    results = []
    for xs, ys, sw in [(x, y, None),
                       (np.concatenate([x, garbage_x]), np.concatenate([y, garbage_y]),
                        np.concatenate([np.ones(32), np.zeros(32)]))]:
        K.clear_session()
        utils.set_random_seed(3)
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        model.fit(xs, ys, sample_weight=sw, batch_size=len(xs), epochs=5, shuffle=False,
                  verbose=0)
        results.append(model.get_weights()[0])
    # The weighted mean divides by the batch size (64 vs 32): Keras's sum_over_batch_size.
    assert np.all(np.isfinite(results[1]))
    assert np.abs(results[1]).max() < 10


def test_class_weight_scales_the_loss(keras):
    x = np.ones((4, 2), np.float32)
    y = np.array([0, 1, 1, 1])
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2,
                                                                          activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    plain = model.evaluate(x, y, verbose=0)
    weighted = model.fit(x, y, class_weight={0: 0.0, 1: 1.0}, epochs=1, batch_size=4,
                         verbose=0).history["loss"][0]
    assert weighted < plain  # class 0's sample no longer counts
    with pytest.raises(ValueError, match="no weight for class"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)


def test_validation_data_and_verbose_two(keras, capsys):
    x_train, y_train, x_test, y_test = _digits()
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x_train[:200], y_train[:200], epochs=2, verbose=2,
                        validation_data=(x_test[:50], y_test[:50]))
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 2 and "val_loss" in out
    assert len(history.history["val_loss"]) == 2


# -- bad input ---------------------------------------------------------------------------------
def test_fit_before_compile(keras):
    model = _mlp(keras)
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((4, 64)), np.zeros(4), verbose=0)


def test_x_and_y_of_different_lengths(keras):
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="x sizes: 10; y sizes: 9"):
        model.fit(np.ones((10, 64)), np.zeros(9), verbose=0)


def test_features_of_the_wrong_shape(keras):
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 64\), got an array "
                                         r"of shape \(10, 32\)"):
        model.fit(np.ones((10, 32)), np.zeros(10), verbose=0)


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "mean_squared_errror"}, "mean_squared_errror"),
    ({"loss": "mse", "optimizer": "adamm"}, "adamm"),
])
def test_unknown_names_in_compile(keras, kwargs, message):
    model = _mlp(keras)
    with pytest.raises(ValueError, match=message):
        model.compile(**kwargs)


def test_unknown_activation(keras):
    with pytest.raises(ValueError, match="relux"):
        keras.layers.Dense(3, activation="relux")


def test_sparse_labels_out_of_range_leave_the_model_untouched(keras):
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Sparse labels must be in \[0, 10\).*from 0 to 12"):
        model.fit(np.ones((10, 64)), np.array([0] * 9 + [12]), verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_sparse_labels_are_checked_before_any_callback_runs(keras):
    """The check uses the train program's static output shapes: no callback has started (and
    so written anything) when it fails, and no test program is traced for it."""
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy")
    started = []
    hook = keras.callbacks.LambdaCallback(on_train_begin=lambda logs: started.append(True))
    with pytest.raises(ValueError, match=r"Sparse labels must be in \[0, 10\).*from -1 to 3"):
        model.fit(np.ones((4, 64)), np.array([0, 3, -1, 2]), callbacks=[hook], verbose=0)
    assert started == []
    model.fit(np.ones((4, 64)), np.array([0, 3, 9, 2]), callbacks=[hook], verbose=0)
    assert started == [True]
    assert {key[0] for key in model._programs} == {"train"}


def test_sparse_labels_of_a_subclassed_model_are_checked(keras):
    """A subclassed model has no outputs before it is traced: the train program's give the
    number of classes."""
    class Classifier(keras.Model):
        def __init__(self):
            super().__init__()
            self.head = keras.layers.Dense(4, activation="softmax")

        def call(self, inputs, training=None):
            return self.head(inputs)

    model = Classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"Sparse labels must be in \[0, 4\).*from 0 to 4"):
        model.fit(np.ones((3, 2)), np.array([0, 4, 1]), verbose=0)
    assert model.built  # traced, and so built, before the callbacks would start


def test_evaluate_checks_sparse_labels_of_each_sparse_output(keras):
    inputs = keras.Input(shape=(4,))
    value = keras.layers.Dense(1, name="value")(inputs)
    label = keras.layers.Dense(3, activation="softmax", name="label")(inputs)
    model = keras.Model(inputs, [value, label])
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"])
    x = np.ones((2, 4), np.float32)
    # mse targets far outside [0, 3) are fine: only a sparse loss's labels are checked.
    model.evaluate(x, [np.array([[50.0], [-7.0]]), np.array([0, 2])], verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 3\) for output '.*' of 3 classes; y has "
                                         r"values from 1 to 3"):
        model.evaluate(x, [np.zeros((2, 1)), np.array([1, 3])], verbose=0)


def test_nan_in_the_data_warns(keras):
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.ones((8, 64), np.float32)
    x[3, 5] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, np.zeros(8), verbose=0)
    assert any("contains 1 NaN" in str(w.message) for w in caught)


def test_jax_train_step_is_one_program_compiled_once():
    """On jax, each step of fit is one run of one compiled program (forward, gradients,
    optimizer update and metric accumulation together), compiled once for all epochs."""
    import layerkit
    import layerkit_backend
    from layerkit import utils
    from layerkit.graph.session import PreparedRun

    previous = layerkit_backend.backend().name
    layerkit_backend.set_backend("jax")
    try:
        K.clear_session()
        utils.set_random_seed(0)
        x_train, y_train, _, _ = _digits()
        model = _mlp(layerkit)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        runs = []
        original = PreparedRun._execute
        PreparedRun._execute = lambda *a, **k: runs.append(1) or original(*a, **k)
        jax_backend = layerkit_backend.get_backend("jax")
        before = jax_backend.compilations
        model.fit(x_train[:128], y_train[:128], batch_size=32, epochs=3, verbose=0)
        assert jax_backend.compilations - before == 1
        assert len(runs) == 3 * 4  # one run per step
    finally:
        PreparedRun._execute = original
        layerkit_backend.set_backend(previous)
        K.clear_session()


def test_verbose_one_shows_a_progress_bar_with_live_metrics(keras, capsys):
    x_train, y_train, _, _ = _digits()
    model = _mlp(keras)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:64], y_train[:64], batch_size=32, epochs=2, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err
    assert "2/2" in err and "loss:" in err and "accuracy:" in err


def test_two_outputs_with_per_output_losses_and_loss_weights(keras):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y_reg = x.sum(axis=1, keepdims=True)
    y_cls = (x[:, 0] > 0).astype(np.int32)
    inputs = keras.Input(shape=(4,), name="features")
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    value = keras.layers.Dense(1, name="value")(hidden)
    label = keras.layers.Dense(2, activation="softmax", name="label")(hidden)
    model = keras.Model(inputs, [value, label])
    model.compile(keras.optimizers.Adam(0.01),
                  loss={"value": "mse", "label": "sparse_categorical_crossentropy"},
                  loss_weights={"value": 0.5, "label": 2.0},
                  metrics={"label": ["accuracy"]})
    history = model.fit(x, [y_reg, y_cls], epochs=3, initial_epoch=1, batch_size=16, verbose=0)
    logs = model.evaluate(x, [y_reg, y_cls], verbose=0, return_dict=True)
    assert set(logs) == {"loss", "value_loss", "label_loss", "label_accuracy"}
    assert logs["loss"] == pytest.approx(0.5 * logs["value_loss"] + 2.0 * logs["label_loss"],
                                         rel=1e-4)
    assert history.epoch == [1, 2]  # training resumed at initial_epoch
    value_out, label_out = model(x[:5])  # calling the model on arrays
    assert value_out.shape == (5, 1) and label_out.shape == (5, 2)


def test_metrics_given_by_name_are_logged_under_that_name(keras):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae", keras.metrics.MeanSquaredError()])
    logs = model.evaluate(np.ones((4, 3)), np.ones((4, 1)), verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae", "mean_squared_error"}


def test_callbacks_always_receive_a_logs_dict(keras):
    seen = []

    class Strict(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            seen.append(type(logs))

        def on_epoch_begin(self, epoch, logs):
            seen.append(type(logs))

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), callbacks=[Strict()], verbose=0)
    assert seen == [dict, dict]


def test_step_limits_run_only_that_many_batches(keras):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((100, 3), "float32"), np.zeros((100, 1), "float32")
    seen = {"train": 0, "test": 0, "predict": 0}
    counter = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: seen.__setitem__("train", seen["train"] + 1),
        on_test_batch_end=lambda b, logs: seen.__setitem__("test", seen["test"] + 1))
    model.fit(x, y, batch_size=10, epochs=2, steps_per_epoch=3, validation_split=0.5,
              validation_steps=2, callbacks=[counter], verbose=0)
    assert seen == {"train": 6, "test": 4, "predict": 0}
    assert int(model.optimizer.iterations.numpy()) == 6
    assert model.predict(x, batch_size=10, steps=2, verbose=0).shape == (20, 1)
    model.evaluate(x, y, batch_size=10, steps=4, callbacks=[counter], verbose=0)
    assert seen["test"] == 8
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive integer"):
        model.fit(x, y, steps_per_epoch=0, verbose=0)


def test_fit_feeds_its_own_batches_without_a_private_copy(keras, monkeypatch):
    """``fit``, ``evaluate`` and ``predict`` slice a fresh array per batch, so the backend needs
    no copy of it (a copy of a 128x784 float32 batch costs ~40 µs per step)."""
    x_train, y_train, _, _ = _digits()
    model = _mlp(keras)
    model.compile("sgd", "sparse_categorical_crossentropy")
    backend = K.get_session().backend
    copies = []
    feed = backend.feed

    def recording_feed(value, dtype, batch_axis=0, copy=True):
        copies.append(copy)
        return feed(value, dtype, batch_axis, copy)

    monkeypatch.setattr(backend, "feed", recording_feed)
    model.fit(x_train[:64], y_train[:64], batch_size=32, epochs=1, verbose=0)
    model.evaluate(x_train[:64], y_train[:64], batch_size=32, verbose=0)
    model.predict(x_train[:64], batch_size=32, verbose=0)
    assert copies and not any(copies)
