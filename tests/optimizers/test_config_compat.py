"""Optimizer configs against Keras 3, both ways.

Direction 1: ``layerkit.optimizers.deserialize``/``get`` take what Keras 3 writes (its
``serialize`` output, and the ``{"class_name", "config"}`` form of an HDF5 file's
``training_config``), and the optimizer takes the steps Keras's takes. Direction 2:
``keras.optimizers.deserialize`` takes ours and gives the optimizer Keras builds from the same
arguments, taking the steps ours takes. One Keras child process runs for the module.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from layerkit import backend, optimizers
from layerkit.optimizers import schedules

_EXPONENTIAL = {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5,
                           "staircase": True, "name": "ExponentialDecay"},
                "registered_name": None}
_PIECEWISE = {"module": "keras.optimizers.schedules", "class_name": "PiecewiseConstantDecay",
              "config": {"boundaries": [1], "values": [0.2, 0.05],
                         "name": "PiecewiseConstant"},
              "registered_name": None}

# (id, class, arguments: JSON; a dict learning_rate is a serialized schedule)
CASES = [
    ("sgd", "SGD", {}),
    ("sgd_nesterov", "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True,
                             "clipvalue": 0.5}),
    ("sgd_piecewise", "SGD", {"learning_rate": _PIECEWISE, "momentum": 0.5}),
    ("adam", "Adam", {}),
    ("adam_amsgrad", "Adam", {"learning_rate": 0.01, "amsgrad": True, "clipnorm": 1.0,
                              "beta_1": 0.8}),
    ("adam_schedule", "Adam", {"learning_rate": _EXPONENTIAL, "global_clipnorm": 2.0}),
    ("adamw", "AdamW", {"weight_decay": 0.01, "learning_rate": 0.02}),
    ("rmsprop", "RMSprop", {"momentum": 0.5, "centered": True, "rho": 0.8}),
    ("adagrad", "Adagrad", {"initial_accumulator_value": 0.2, "learning_rate": 0.1,
                            "loss_scale_factor": 4.0}),
    ("adadelta", "Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}),
]
for _id, _cls, _kwargs in CASES:
    _kwargs["name"] = f"opt_{_id}"

W0 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], "float32")
B0 = np.array([0.1, -0.2], "float32")
GRADS = [[np.array([[0.3, -0.6], [1.2, 0.1], [-0.4, 0.9]], "float32"),
          np.array([0.5, -0.25], "float32")],
         [np.array([[-0.2, 0.4], [0.8, -1.5], [0.6, 0.2]], "float32"),
          np.array([-0.1, 0.3], "float32")],
         [np.array([[0.05, 0.1], [-0.3, 0.7], [1.1, -0.9]], "float32"),
          np.array([0.2, 0.2], "float32")]]


def _make(kwargs: dict[str, Any], cls: str) -> optimizers.Optimizer:
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = schedules.deserialize(kwargs["learning_rate"])
    return getattr(optimizers, cls)(**kwargs)


def _steps(opt: optimizers.Optimizer) -> list[np.ndarray]:
    """The variables after the optimizer's steps on GRADS."""
    variables = [backend.variable(W0, "dense/kernel"), backend.variable(B0, "dense/bias")]
    for grads in GRADS:
        opt.apply_gradients(zip(grads, variables))
    return [v.numpy() for v in variables]


def _assert_same_config(ours: Any, expected: Any) -> None:
    """Equal nested configs, floats to float32 precision (Keras stores the learning rate as a
    float32 variable: 0.001 comes back as 0.0010000000474974513)."""
    if isinstance(expected, dict):
        assert isinstance(ours, dict) and set(ours) == set(expected), (ours, expected)
        for key in expected:
            _assert_same_config(ours[key], expected[key])
    elif isinstance(expected, float):
        assert ours == pytest.approx(expected, rel=1e-6)
    else:
        assert ours == expected


# -- fast ----------------------------------------------------------------------------------------
# What Keras 3.15.1 wrote: ``keras.optimizers.serialize(Adam(ExponentialDecay(...)))``, and an
# HDF5 file's ``training_config["optimizer_config"]`` (no module).
KERAS_ADAM = {"module": "keras.optimizers", "class_name": "Adam", "config": {
    "name": "adam", "learning_rate": {
        "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9,
                   "staircase": False, "name": "ExponentialDecay"}, "registered_name": None},
    "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
    "loss_scale_factor": None, "gradient_accumulation_steps": None, "beta_1": 0.9,
    "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}, "registered_name": None}
KERAS_H5_SGD = {"class_name": "SGD", "config": {
    "name": "sgd", "learning_rate": 0.009999999776482582, "weight_decay": None,
    "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
    "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
    "gradient_accumulation_steps": None, "momentum": 0.0, "nesterov": False}}


@pytest.mark.parametrize("config", [KERAS_ADAM, KERAS_H5_SGD], ids=["adam", "sgd_h5"])
def test_configs_keras_wrote_load(config):
    for opt in (optimizers.deserialize(config), optimizers.get(config)):
        assert type(opt).__name__ == config["class_name"]
        assert optimizers.serialize(opt) == {"module": "keras.optimizers",
                                             "registered_name": None, **config}


@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=[c[0] for c in CASES])
def test_our_config_round_trips(keras_session, case_id, cls, kwargs):
    opt = _make(kwargs, cls)
    serialized = json.loads(json.dumps(optimizers.serialize(opt)))
    clone = optimizers.deserialize(serialized)
    assert type(clone) is type(opt)
    assert json.loads(json.dumps(optimizers.serialize(clone))) == serialized
    for ours, theirs in zip(_steps(opt), _steps(clone)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta",
                                  "Adam", "RMSprop"])
def test_names_keras_accepts(name):
    assert type(optimizers.get(name)).__name__.lower() == name.lower()


@pytest.mark.parametrize("key, value", [("use_ema", True), ("ema_momentum", 0.9),
                                        ("ema_overwrite_frequency", 10),
                                        ("gradient_accumulation_steps", 4)])
def test_unsupported_non_default_values_are_refused(key, value):
    config = {**KERAS_ADAM["config"], key: value}
    with pytest.raises(NotImplementedError, match=key):
        optimizers.deserialize({**KERAS_ADAM, "config": config})


def test_unknown_classes_are_refused_by_name_without_imports():
    with pytest.raises(ValueError, match="'Lion'"):
        optimizers.deserialize({"module": "keras.optimizers", "class_name": "Lion",
                                "config": {}, "registered_name": None})
    with pytest.raises(ValueError, match="'system'"):
        optimizers.deserialize({"module": "os", "class_name": "system", "config": {}})
    schedule = {**KERAS_ADAM["config"]["learning_rate"], "class_name": "CosineDecay"}
    with pytest.raises(ValueError, match="'CosineDecay'"):
        optimizers.deserialize({**KERAS_ADAM, "config": {**KERAS_ADAM["config"],
                                                         "learning_rate": schedule}})


# -- slow: against real Keras 3 ----------------------------------------------------------------
_KERAS_CODE = """
import json
payload = json.loads(PAYLOAD)
O = keras.optimizers

def make(cls, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = O.schedules.deserialize(kwargs["learning_rate"])
    return getattr(O, cls)(**kwargs)

def steps(opt):
    variables = [keras.Variable(np.asarray(payload["w0"], "float32")),
                 keras.Variable(np.asarray(payload["b0"], "float32"))]
    for grads in payload["grads"]:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(np.asarray(g, "float32"))
                                 for g in grads], variables))
    return [np.asarray(v.numpy()).tolist() for v in variables]

def as_json(value):
    return json.loads(json.dumps(value))

def run(case):
    record = {}
    reference = make(case["cls"], case["kwargs"])
    record["config"] = as_json(O.serialize(reference))
    record["steps"] = steps(reference)
    theirs = O.deserialize(case["ours"])
    record["config_from_ours"] = as_json(O.serialize(theirs))
    record["steps_from_ours"] = steps(theirs)
    legacy = O.deserialize({"class_name": case["ours"]["class_name"],
                            "config": case["ours"]["config"]})
    record["config_from_ours_h5"] = as_json(O.serialize(legacy))
    record["get_from_ours"] = as_json(O.serialize(O.get(case["ours"])))
    return record

results = {}
for case in payload["cases"]:
    try:
        results[case["id"]] = run(case)
    except Exception as error:
        results[case["id"]] = {"error": f"{type(error).__name__}: {error}"}
emit(results)
"""


@pytest.fixture(scope="module")
def keras_results(keras3) -> dict[str, Any]:
    """Keras 3's configs and steps for every case, and what it made of our configs."""
    cases = [{"id": case_id, "cls": cls, "kwargs": kwargs,
              "ours": json.loads(json.dumps(optimizers.serialize(_make(kwargs, cls))))}
             for case_id, cls, kwargs in CASES]
    payload = {"cases": cases, "w0": W0.tolist(), "b0": B0.tolist(),
               "grads": [[g.tolist() for g in grads] for grads in GRADS]}
    return keras3(_KERAS_CODE.replace("PAYLOAD", repr(json.dumps(payload))))


def _record(keras_results: dict, case_id: str) -> dict:
    record = keras_results[case_id]
    assert "error" not in record, f"Keras 3 failed on case {case_id}: {record['error']}"
    return record


def _key_paths(config: Any, path: str = "") -> set[str]:
    if not isinstance(config, dict):
        return set()
    return {f"{path}{k}" for k in config} | {
        p for k, v in config.items() for p in _key_paths(v, f"{path}{k}.")}


@pytest.mark.slow
@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=[c[0] for c in CASES])
def test_our_config_has_the_keys_keras_writes(keras_results, case_id, cls, kwargs):
    record = _record(keras_results, case_id)
    assert _key_paths(optimizers.serialize(_make(kwargs, cls))) == _key_paths(record["config"])


@pytest.mark.slow
@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=[c[0] for c in CASES])
def test_keras_config_loads_here_and_steps_the_same(keras_session, keras_results, case_id, cls,
                                                    kwargs):
    record = _record(keras_results, case_id)
    for config in (record["config"], {"class_name": cls, "config": record["config"]["config"]}):
        opt = optimizers.deserialize(config)
        _assert_same_config(json.loads(json.dumps(optimizers.serialize(opt))), record["config"])
    assert type(optimizers.get(record["config"])) is type(opt)
    for ours, theirs in zip(_steps(opt), record["steps"]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=[c[0] for c in CASES])
def test_our_config_loads_in_keras_and_steps_the_same(keras_session, keras_results, case_id,
                                                      cls, kwargs):
    record = _record(keras_results, case_id)
    # Keras builds from our config (its own form and the HDF5 form) what it builds from the
    # same arguments.
    for key in ("config_from_ours", "config_from_ours_h5", "get_from_ours"):
        _assert_same_config(record[key], record["config"])
    for ours, theirs in zip(_steps(_make(kwargs, cls)), record["steps_from_ours"]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=1e-6)
