"""``Lambda``: calls, configs of named functions and of Python lambdas, and the safe mode that
keeps a file's bytecode from running unless the user opts in (as Keras 3)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from layerkit import config as layerkit_config
from tests import keras_fixtures

keras = keras_fixtures.keras


@pytest.fixture(autouse=True)
def _safe_by_default(monkeypatch):
    monkeypatch.setitem(layerkit_config._flags, "safe_mode", True)  # restored after each test


def _x(shape=(3, 4)):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


def _double(x):
    return x * 2.0


def test_calls_the_function_with_arguments_and_training(keras):
    x = _x()
    np.testing.assert_allclose(keras.layers.Lambda(lambda t: t ** 2)(x), x ** 2, rtol=1e-6)
    scaled = keras.layers.Lambda(lambda t, factor: t * factor, arguments={"factor": 3.0})
    np.testing.assert_allclose(scaled(x), 3 * x, rtol=1e-6)
    flags = []
    seen = keras.layers.Lambda(lambda t, training=None: flags.append(training) or t)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(seen(inputs)))
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((3, 1)), verbose=0)
    assert True in flags


def test_output_shape(keras):
    layer = keras.layers.Lambda(lambda t: keras.ops.concatenate([t, t], axis=-1))
    assert layer.compute_output_shape((None, 4)) == (None, 8)  # traced
    given = keras.layers.Lambda(lambda t: t, output_shape=(5,))
    assert given.compute_output_shape((None, 4)) == (None, 5)
    fn = keras.layers.Lambda(lambda t: t, output_shape=lambda s: (s[0], 7))
    assert fn.compute_output_shape((2, 4)) == (2, 7)


def test_named_functions_round_trip_by_name(keras):
    layer = keras.layers.Lambda(keras.ops.square, name="sq")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"] == {"module": "keras.ops", "class_name": "function",
                                  "config": "square", "registered_name": None}
    restored = keras.layers.Lambda.from_config(config)
    assert restored.function is keras.ops.square
    custom = keras.layers.Lambda(_double)
    config = json.loads(json.dumps(custom.get_config()))
    with pytest.raises(ValueError, match="unknown function '_double'"):
        keras.layers.Lambda.from_config(config)
    with keras.utils.custom_object_scope({"_double": _double}):
        assert keras.layers.deserialize(keras.layers.serialize(custom)).function is _double


def test_python_lambdas_are_refused_unless_the_user_opts_in(keras):
    layer = keras.layers.Lambda(lambda t, k=2.0: t * k + 1.0)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="refused by default.*safe_mode=False"):
        keras.layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="refused by default"):
        keras.layers.deserialize({"class_name": "Lambda", "config": config})
    x = _x()
    restored = keras.layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(restored(x), x * 2.0 + 1.0, rtol=1e-6)
    with layerkit_config.safe_mode_scope(False):
        assert keras.layers.Lambda.from_config(config).function(3.0) == 7.0
    keras.config.enable_unsafe_deserialization()
    assert keras.layers.Lambda.from_config(config).function(1.0) == 3.0


def test_closures_survive(keras):
    offset = 5.0
    layer = keras.layers.Lambda(lambda t: t + offset)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["config"]["closure"] == [5.0]
    assert keras.layers.Lambda.from_config(config, safe_mode=False).function(1.0) == 6.0


def test_saved_model_with_a_lambda(keras, tmp_path):
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2)(keras.layers.Lambda(lambda t: t * 0.5 - 1.0)(inputs))
    model = keras.Model(inputs, outputs)
    path = tmp_path / "lambda.h5"
    model.save(path)
    with pytest.raises(ValueError, match="refused by default"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, safe_mode=False)
    x = _x()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    # A load in unsafe mode leaves the process safe.
    with pytest.raises(ValueError, match="refused by default"):
        keras.models.load_model(path)


def test_bad_arguments(keras):
    with pytest.raises(TypeError, match="Lambda 'l': function must be callable"):
        keras.layers.Lambda(3, name="l")
    with pytest.raises(ValueError, match="not a function config"):
        keras.layers.Lambda.from_config({"function": {"class_name": "Dense", "config": {}}})


# -- slow: against real Keras 3 ----------------------------------------------------------------
@pytest.mark.slow
def test_lambda_configs_load_both_ways_with_keras(keras, keras3):
    x = _x((2, 3))
    # No defaults: Keras 3.15 cannot reload a lambda's defaults after JSON (a list where
    # FunctionType wants a tuple), so neither side uses them here.
    ours = keras.layers.Lambda(lambda t: t * 3.0 - 2.0, name="ours")
    named = keras.layers.Lambda(keras.ops.square, name="named")
    payload = json.dumps({"ours": ours.get_config(), "named": named.get_config(),
                          "x": x.tolist()})
    record = keras3(f"""
        import json
        payload = json.loads({payload!r})
        x = np.asarray(payload["x"], "float32")
        theirs = keras.layers.Lambda(lambda t: t * 0.5 + 1.0, name="theirs")
        named = keras.layers.Lambda(keras.ops.square, name="named")
        loaded = keras.layers.Lambda.from_config(payload["ours"], safe_mode=False)
        loaded_named = keras.layers.Lambda.from_config(payload["named"])
        emit({{"theirs": json.loads(json.dumps(theirs.get_config())),
               "named": json.loads(json.dumps(named.get_config())),
               "ours_there": np.asarray(loaded(x)).tolist(),
               "named_there": np.asarray(loaded_named(x)).tolist()}})
    """)
    np.testing.assert_allclose(record["ours_there"], x * 3.0 - 2.0, rtol=1e-6)
    np.testing.assert_allclose(record["named_there"], x ** 2, rtol=1e-6)
    assert record["named"]["function"]["module"] == "builtins"  # how Keras writes it
    with pytest.raises(ValueError, match="refused by default"):
        keras.layers.Lambda.from_config(record["theirs"])
    theirs = keras.layers.Lambda.from_config(record["theirs"], safe_mode=False)
    np.testing.assert_allclose(theirs(x), x * 0.5 + 1.0, rtol=1e-6)
    assert keras.layers.Lambda.from_config(record["named"]).function is keras.ops.square


def test_a_refused_load_runs_none_of_the_files_code(keras, tmp_path):
    marker = tmp_path / "ran"
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(
        lambda t, path=str(marker): open(path, "w").close() or t)(inputs))
    marker.unlink()  # the call while building the model made it
    path = tmp_path / "model.h5"
    model.save(path)
    assert not marker.exists()
    for load in (lambda: keras.models.load_model(path),
                 lambda: keras.models.model_from_json(model.to_json())):
        with pytest.raises(ValueError, match="refused by default"):
            load()
        assert not marker.exists()
