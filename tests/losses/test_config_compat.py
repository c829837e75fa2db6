"""Loss configs against Keras 3, both ways.

Direction 1: ``layerkit.losses.deserialize``/``get`` take what Keras 3 writes for a loss (its
``serialize`` output for objects and functions, and the forms of an HDF5 file's
``training_config``: a name, or ``{"class_name", "config"}``) and compute Keras's values.
Direction 2: ``keras.losses.deserialize`` takes ours and computes our values. One Keras child
process runs for the module.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from layerkit import losses


def _data(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)`` of one kind, 5 samples."""
    rng = np.random.default_rng(7)
    if kind == "regression":
        return rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype(
            "float32")
    if kind in ("binary", "binary_logits"):
        y_true = rng.integers(0, 2, (5, 3)).astype("float32")
        logits = rng.normal(size=(5, 3)).astype("float32")
        return y_true, logits if kind == "binary_logits" else 1 / (1 + np.exp(-logits))
    logits = rng.normal(size=(5, 4)).astype("float32")
    probs = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
    y_pred = logits if kind.endswith("logits") else probs
    labels = rng.integers(0, 4, 5)
    if kind.startswith("sparse"):
        return labels.astype("int32"), y_pred
    return np.eye(4, dtype="float32")[labels], y_pred


# (id, class, arguments, data kind)
OBJECTS = [
    ("mse", "MeanSquaredError", {}, "regression"),
    ("mae_sum", "MeanAbsoluteError", {"reduction": "sum"}, "regression"),
    ("huber", "Huber", {"delta": 0.5}, "regression"),
    ("bce", "BinaryCrossentropy", {}, "binary"),
    ("bce_logits", "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
     "binary_logits"),
    ("cce", "CategoricalCrossentropy", {"label_smoothing": 0.2}, "categorical"),
    ("scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("scce_ignore", "SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse"),
]
# (name as given to compile, data kind)
FUNCTIONS = [
    ("mse", "regression"), ("mae", "regression"), ("mean_squared_error", "regression"),
    ("mean_absolute_error", "regression"), ("huber", "regression"),
    ("binary_crossentropy", "binary"), ("categorical_crossentropy", "categorical"),
    ("sparse_categorical_crossentropy", "sparse"),
]


def _make(cls: str, kwargs: dict) -> losses.Loss:
    return getattr(losses, cls)(**kwargs)


def _function_value(fn: Any, kind: str) -> float:
    return float(np.mean(fn(*_data(kind))))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


# -- fast ----------------------------------------------------------------------------------------
# What Keras 3.15.1 wrote: ``keras.losses.serialize`` of an object and of a function, and an
# HDF5 file's training_config entries.
KERAS_WRITTEN = [
    ({"module": "keras.losses", "class_name": "SparseCategoricalCrossentropy",
      "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
                 "from_logits": True, "ignore_class": None}, "registered_name": None},
     "SparseCategoricalCrossentropy"),
    ({"module": "builtins", "class_name": "function", "config": "mean_squared_error",
      "registered_name": "function"}, "mean_squared_error"),
    ({"class_name": "MeanSquaredError", "config": {"name": "mean_squared_error",
                                                   "reduction": "sum_over_batch_size"}},
     "MeanSquaredError"),
    ("mean_absolute_error", "mean_absolute_error"),
    ("mse", "mean_squared_error"),
]


@pytest.mark.parametrize("config, expected", KERAS_WRITTEN, ids=lambda v: str(v)[:40])
def test_what_keras_wrote_loads(config, expected):
    for loss in (losses.deserialize(config), losses.get(config)):
        name = type(loss).__name__ if isinstance(loss, losses.Loss) else loss.__name__
        assert name == expected
    if isinstance(config, dict) and isinstance(config["config"], dict):
        assert losses.get(config).get_config() == config["config"]


@pytest.mark.parametrize("case_id, cls, kwargs, kind", OBJECTS, ids=[c[0] for c in OBJECTS])
def test_our_config_round_trips(keras, case_id, cls, kwargs, kind):
    loss = _make(cls, kwargs)
    clone = losses.deserialize(_jsonable(losses.serialize(loss)))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()
    np.testing.assert_allclose(clone(*_data(kind)), loss(*_data(kind)), rtol=1e-6)


def test_loss_dtype_policies():
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"},
              "registered_name": None}
    assert losses.MeanSquaredError(dtype=policy).dtype == "float64"
    with pytest.raises(NotImplementedError, match="mixed_float16"):
        losses.MeanSquaredError(dtype="mixed_float16")


def test_unknown_names_are_refused_without_imports():
    with pytest.raises(ValueError, match="'system'"):
        losses.deserialize({"module": "os", "class_name": "function", "config": "system",
                            "registered_name": "function"})
    with pytest.raises(ValueError, match="'Poisson'"):
        losses.get({"module": "keras.losses", "class_name": "Poisson", "config": {}})


# -- slow: against real Keras 3 ----------------------------------------------------------------
_KERAS_CODE = """
import json
payload = json.loads(PAYLOAD)
L = keras.losses

def data(kind):
    y_true, y_pred = payload["data"][kind]
    return (np.asarray(y_true, "int32" if kind.startswith("sparse") else "float32"),
            np.asarray(y_pred, "float32"))

def value(loss, kind):
    return float(np.mean(np.asarray(loss(*data(kind)))))

def as_json(v):
    return json.loads(json.dumps(v))

def run_object(case):
    reference = getattr(L, case["cls"])(**case["kwargs"])
    config = as_json(L.serialize(reference))
    theirs = L.deserialize(case["ours"])
    h5 = L.deserialize({"class_name": case["ours"]["class_name"],
                        "config": case["ours"]["config"]})
    kind = case["kind"]
    return {"config": config, "value": value(reference, kind),
            "value_reloaded": value(L.deserialize(config), kind),
            "config_from_ours": as_json(L.serialize(theirs)),
            "value_from_ours": value(theirs, kind), "value_from_ours_h5": value(h5, kind)}

def run_function(case):
    fn = L.get(case["name"])
    theirs = L.deserialize(case["ours"])
    kind = case["kind"]
    return {"config": as_json(L.serialize(fn)), "value": value(fn, kind),
            "value_from_ours": value(theirs, kind), "value_from_ours_get": value(
                L.get(case["ours"]), kind)}

results = {}
for case in payload["cases"]:
    try:
        run = run_object if "cls" in case else run_function
        results[case["id"]] = run(case)
    except Exception as error:
        results[case["id"]] = {"error": f"{type(error).__name__}: {error}"}
emit(results)
"""


@pytest.fixture(scope="module")
def keras_results(keras3) -> dict[str, Any]:
    """Keras 3's configs and values for every case, and what it made of our configs."""
    cases = [{"id": case_id, "cls": cls, "kwargs": kwargs, "kind": kind,
              "ours": _jsonable(losses.serialize(_make(cls, kwargs)))}
             for case_id, cls, kwargs, kind in OBJECTS]
    cases += [{"id": f"fn_{name}", "name": name, "kind": kind,
               "ours": _jsonable(losses.serialize(losses.get(name)))}
              for name, kind in FUNCTIONS]
    kinds = {kind for *_, kind in OBJECTS} | {kind for _, kind in FUNCTIONS}
    payload = {"cases": cases,
               "data": {kind: [a.tolist() for a in _data(kind)] for kind in kinds}}
    return keras3(_KERAS_CODE.replace("PAYLOAD", repr(json.dumps(payload))))


def _record(keras_results: dict, case_id: str) -> dict:
    record = keras_results[case_id]
    assert "error" not in record, f"Keras 3 failed on case {case_id}: {record['error']}"
    return record


@pytest.mark.slow
@pytest.mark.parametrize("case_id, cls, kwargs, kind", OBJECTS, ids=[c[0] for c in OBJECTS])
def test_loss_objects_both_ways(keras, keras_results, case_id, cls, kwargs, kind):
    record = _record(keras_results, case_id)
    config = record["config"]
    ours = _make(cls, kwargs)
    # Keras writes these keys; we write the same (Huber's delta too, which Keras 3.15 omits).
    assert set(ours.get_config()) - {"delta"} == set(config["config"])
    # Direction 1: Keras's config, in its own form and the HDF5 form.
    for form in (config, {"class_name": cls, "config": config["config"]}):
        loaded = losses.get(form)
        assert type(loaded) is type(ours)
        np.testing.assert_allclose(loaded(*_data(kind)), record["value_reloaded"], rtol=1e-5)
    # Direction 2: Keras computes from our config what we compute.
    expected = float(ours(*_data(kind)))
    np.testing.assert_allclose(expected, record["value"], rtol=1e-5)
    for key in ("value_from_ours", "value_from_ours_h5"):
        np.testing.assert_allclose(record[key], expected, rtol=1e-5)
    assert record["config_from_ours"]["class_name"] == cls


@pytest.mark.slow
@pytest.mark.parametrize("name, kind", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_loss_functions_both_ways(keras, keras_results, name, kind):
    record = _record(keras_results, f"fn_{name}")
    for form in (record["config"], name):  # Keras's serialize output; the name compile saw
        fn = losses.get(form)
        np.testing.assert_allclose(_function_value(fn, kind), record["value"], rtol=1e-5)
    ours = _function_value(losses.get(name), kind)
    for key in ("value_from_ours", "value_from_ours_get"):
        np.testing.assert_allclose(record[key], ours, rtol=1e-5)
