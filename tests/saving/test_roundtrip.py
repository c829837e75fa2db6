"""Saving and loading within layerkit: whole models, weights in both layouts, configs,
compile arguments, optimizer state, and resuming training."""

from __future__ import annotations

import json

import numpy as np
import pytest

RNG = np.random.default_rng(0)


def _functional(keras):
    L = keras.layers
    seq = keras.Input((6, 3), name="seq_in")
    ids = keras.Input((5,), name="ids_in", dtype="int32")
    x = L.LSTM(4, return_sequences=True)(seq)
    x = L.GRU(3)(x)
    e = L.Flatten()(L.Embedding(10, 2)(ids))
    e = L.BatchNormalization()(e)
    c = L.Concatenate()([x, e])
    out = L.Dense(2, activation="softmax", name="out")(c)
    return keras.Model([seq, ids], out)


def _functional_data(n=32):
    x = [RNG.random((n, 6, 3), dtype=np.float32), RNG.integers(0, 10, (n, 5)).astype("int32")]
    return x, RNG.integers(0, 2, n)


def _cnn(keras):
    L = keras.layers
    return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(3, 3, activation="relu"),
                             L.MaxPooling2D(), L.Flatten(), L.Dropout(0.0),
                             L.Dense(4, activation="softmax")])


def _cnn_data(n=24):
    return RNG.random((n, 8, 8, 1), dtype=np.float32), RNG.integers(0, 4, n)


@pytest.mark.parametrize("build, data", [(_functional, _functional_data), (_cnn, _cnn_data)])
def test_save_and_load_model_gives_same_predictions_compile_and_optimizer_state(
        keras, tmp_path, build, data):
    x, y = data()
    model = build(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled and type(loaded.optimizer) is type(model.optimizer)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(loaded.optimizer.iterations.numpy()) == 2 * -(-len(y) // 8)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)


def test_resumed_training_continues_as_if_uninterrupted(keras, tmp_path):
    x, y = _functional_data(48)
    keras.utils.set_random_seed(7)
    model = _functional(keras)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    initial = model.get_weights()
    straight = model.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)

    keras.utils.set_random_seed(7)
    model2 = _functional(keras)
    model2.set_weights(initial)
    model2.compile(optimizer=keras.optimizers.Adam(0.01),
                   loss="sparse_categorical_crossentropy")
    first = model2.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    model2.save(tmp_path / "mid.h5")
    resumed = keras.models.load_model(tmp_path / "mid.h5")
    rest = resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, shuffle=False, verbose=0)
    losses = first.history["loss"] + rest.history["loss"]
    np.testing.assert_allclose(losses, straight.history["loss"], rtol=1e-5)
    for a, b in zip(resumed.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss, metrics", [
    ("mse", ["mae"]),
    ("mean_squared_error", ["mean_absolute_error", "mse"]),
    ("huber", None),
])
def test_string_losses_and_metrics_round_trip(keras, tmp_path, loss, metrics):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss=loss,
                  metrics=metrics)
    x, y = RNG.random((16, 3), dtype=np.float32), RNG.random((16, 2), dtype=np.float32)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()


def test_load_model_without_compile(keras, tmp_path):
    model = _cnn(keras)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5", compile=False)
    assert not loaded.compiled
    x, _ = _cnn_data(4)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("suffix", [".weights.h5", ".h5"])
def test_save_weights_and_load_weights(keras, tmp_path, suffix):
    x, y = _functional_data()
    model = _functional(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / f"w{suffix}")
    other = _functional(keras)
    assert not np.allclose(other.predict(x, verbose=0), model.predict(x, verbose=0))
    other.load_weights(tmp_path / f"w{suffix}")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_h5_carries_the_optimizer_state(keras, tmp_path):
    x, y = _cnn_data()
    model = _cnn(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other = _cnn(keras)
    other.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    other.load_weights(tmp_path / "w.weights.h5")
    assert int(other.optimizer.iterations.numpy()) == 6
    for a, b in zip(other.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_weights_reads_a_whole_model_file(keras, tmp_path):
    model = _cnn(keras)
    model.save(tmp_path / "m.h5")
    other = _cnn(keras)
    other.load_weights(tmp_path / "m.h5")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_legacy_weights_by_name_with_skip_mismatch(keras, tmp_path):
    L = keras.layers
    source = keras.Sequential([keras.Input((4,)), L.Dense(3, name="a"), L.Dense(2, name="b")])
    source.save_weights(tmp_path / "w.h5")
    # 'a' matches by name; 'b' has another shape; 'c' is not in the file.
    target = keras.Sequential([keras.Input((4,)), L.Dense(3, name="a"), L.Dense(5, name="b"),
                               L.Dense(1, name="c")])
    before = target.get_weights()
    with pytest.raises(ValueError, match="Shape mismatch.*'b'"):
        target.load_weights(tmp_path / "w.h5", by_name=True)
    for a, b in zip(target.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # nothing changed on error
    with pytest.warns(UserWarning, match="Skipping"):
        target.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    after = target.get_weights()
    np.testing.assert_array_equal(after[0], source.get_weights()[0])
    np.testing.assert_array_equal(after[2], before[2])  # 'b' skipped
    np.testing.assert_array_equal(after[4], before[4])  # 'c' untouched


def test_positional_loading_checks_layer_counts(keras, tmp_path):
    L = keras.layers
    keras.Sequential([keras.Input((4,)), L.Dense(3)]).save_weights(tmp_path / "w.h5")
    target = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dense(2)])
    with pytest.raises(ValueError, match="Layer count mismatch"):
        target.load_weights(tmp_path / "w.h5")


def test_to_json_and_model_from_json(keras):
    model = _functional(keras)
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Functional"
    rebuilt = keras.models.model_from_json(text)
    assert [type(layer).__name__ for layer in rebuilt.layers] == \
        [type(layer).__name__ for layer in model.layers]
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    assert json.loads(rebuilt.to_json()) == config


def test_functional_layer_order_follows_keras(keras):
    L = keras.layers
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    left = L.Dense(2, name="left")(a)
    right = L.Dense(2, name="right_2")(L.Dense(2, name="right_1")(b))
    out = L.Add(name="add")([left, right])
    model = keras.Model([a, b], out)
    # By decreasing depth from the output, ties in depth-first order from the output.
    assert [layer.name for layer in model.layers] == ["b", "a", "right_1", "left", "right_2",
                                                      "add"]


def test_shared_layer_round_trips(keras):
    L = keras.layers
    a, b = keras.Input((3,)), keras.Input((3,))
    shared = L.Dense(2, name="shared")
    out = L.Concatenate()([shared(a), shared(b)])
    model = keras.Model([a, b], out)
    rebuilt = keras.Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    x = [RNG.random((4, 3), dtype=np.float32), RNG.random((4, 3), dtype=np.float32)]
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))


def test_subclassed_model_saves_weights_but_not_whole(keras, tmp_path):
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    x = RNG.random((3, 4), dtype=np.float32)
    model.predict(x, verbose=0)
    with pytest.raises(NotImplementedError, match="subclassed"):
        model.save(tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()
    model.save_weights(tmp_path / "w.weights.h5")
    other = Tiny()
    other.predict(x, verbose=0)
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["m.keras", "m.txt", "m.weights.h5"])
def test_save_refuses_other_formats(keras, tmp_path, name):
    model = _cnn(keras)
    with pytest.raises((ValueError, NotImplementedError), match=name.split(".", 1)[1]):
        model.save(tmp_path / name)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_optimizer_state_that_does_not_fit_is_skipped_with_a_warning(keras, tmp_path,
                                                                     optimizer):
    untrained = _cnn(keras)  # compiled, never stepped: its optimizer holds no variables yet
    untrained.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    untrained.save_weights(tmp_path / "w.weights.h5")
    other = _cnn(keras)
    other.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="Skipping the optimizer state"):
        other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(other.get_weights(), untrained.get_weights()):
        np.testing.assert_array_equal(a, b)  # the model's own weights did load
