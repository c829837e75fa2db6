"""Metric configs against Keras 3, both ways.

Direction 1: ``layerkit.metrics.deserialize``/``get`` take what Keras 3 writes for a metric (its
``serialize`` output, and the forms of an HDF5 file's ``training_config``: a name, or
``{"class_name", "config"}``) and accumulate Keras's results over two batches. Direction 2:
``keras.metrics.deserialize`` takes ours and accumulates our results. One Keras child process
runs for the module.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from layerkit import metrics


def _batches(kind: str) -> list[list[np.ndarray]]:
    """Two batches of ``[y_true, y_pred]`` (or ``[values]``) of one kind."""
    rng = np.random.default_rng(11)
    batches = []
    for _ in range(2):
        if kind == "values":
            batches.append([rng.normal(size=(4,)).astype("float32")])
        elif kind == "regression":
            batches.append([rng.normal(size=(4, 3)).astype("float32"),
                            rng.normal(size=(4, 3)).astype("float32")])
        elif kind == "equal":
            batches.append([rng.integers(0, 3, (4, 2)).astype("float32"),
                            rng.integers(0, 3, (4, 2)).astype("float32")])
        elif kind == "binary":
            batches.append([rng.integers(0, 2, (4, 2)).astype("float32"),
                            rng.uniform(0.05, 0.95, (4, 2)).astype("float32")])
        else:
            logits = rng.normal(size=(4, 5)).astype("float32")
            probs = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
            labels = rng.integers(0, 5, 4)
            y_true = labels.astype("int32") if kind == "sparse" else np.eye(
                5, dtype="float32")[labels]
            batches.append([y_true, logits if kind == "categorical_logits" else probs])
    return batches


# (id, class, arguments, data kind)
OBJECTS = [
    ("accuracy", "Accuracy", {}, "equal"),
    ("binary_accuracy", "BinaryAccuracy", {"threshold": 0.3}, "binary"),
    ("categorical_accuracy", "CategoricalAccuracy", {}, "categorical"),
    ("sparse_categorical_accuracy", "SparseCategoricalAccuracy", {}, "sparse"),
    ("top_k", "TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("sparse_top_k", "SparseTopKCategoricalAccuracy", {"k": 3}, "sparse"),
    ("mse", "MeanSquaredError", {}, "regression"),
    ("mae", "MeanAbsoluteError", {}, "regression"),
    ("precision", "Precision", {"thresholds": 0.4}, "binary"),
    ("recall", "Recall", {"thresholds": [0.3, 0.6]}, "binary"),
    ("auc", "AUC", {"num_thresholds": 50}, "binary"),
    ("auc_pr", "AUC", {"curve": "PR", "summation_method": "majoring"}, "binary"),
    ("true_positives", "TruePositives", {}, "binary"),
    ("false_positives", "FalsePositives", {"thresholds": 0.7}, "binary"),
    ("true_negatives", "TrueNegatives", {}, "binary"),
    ("false_negatives", "FalseNegatives", {}, "binary"),
    ("mean", "Mean", {}, "values"),
    ("sum", "Sum", {}, "values"),
    ("bce", "BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    ("cce", "CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("scce", "SparseCategoricalCrossentropy", {}, "sparse"),
]
for _id, _cls, _kwargs, _kind in OBJECTS:
    _kwargs["name"] = f"metric_{_id}"

# (name as given to compile, data kind)
NAMES = [
    ("mae", "regression"), ("mse", "regression"), ("mean_squared_error", "regression"),
    ("binary_accuracy", "binary"), ("categorical_accuracy", "categorical"),
    ("sparse_categorical_accuracy", "sparse"), ("top_k_categorical_accuracy", "categorical"),
    ("auc", "binary"), ("precision", "binary"), ("recall", "binary"),
    ("binary_crossentropy", "binary"), ("categorical_crossentropy", "categorical"),
]


def _make(cls: str, kwargs: dict) -> metrics.Metric:
    return getattr(metrics, cls)(**kwargs)


def _result(metric: metrics.Metric, kind: str) -> np.ndarray:
    for batch in _batches(kind):
        metric.update_state(*batch)
    return np.asarray(metric.result(), "float64")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


# -- fast ----------------------------------------------------------------------------------------
# What Keras 3.15.1 wrote: ``keras.metrics.serialize`` of an object, a MeanMetricWrapper's
# config, and an HDF5 file's training_config entries.
KERAS_WRITTEN = [
    ({"module": "keras.metrics", "class_name": "AUC", "config": {
        "name": "auc", "dtype": "float32", "num_thresholds": 200, "curve": "ROC",
        "summation_method": "interpolation", "multi_label": False, "num_labels": None,
        "label_weights": None, "from_logits": False}, "registered_name": None}, "AUC"),
    ({"class_name": "SparseCategoricalCrossentropy", "config": {
        "name": "sparse_categorical_crossentropy", "dtype": "float32", "from_logits": True,
        "ignore_class": None, "axis": -1}}, "SparseCategoricalCrossentropy"),
    ({"module": "keras.metrics", "class_name": "MeanMetricWrapper", "config": {
        "name": "mean_metric_wrapper", "dtype": "float32", "fn": {
            "module": "builtins", "class_name": "function", "config": "mean_squared_error",
            "registered_name": "function"}}, "registered_name": None}, "MeanMetricWrapper"),
    ("mean_squared_error", "MeanSquaredError"),
    ("mae", "MeanAbsoluteError"),
]


@pytest.mark.parametrize("config, expected", KERAS_WRITTEN, ids=lambda v: str(v)[:40])
def test_what_keras_wrote_loads(keras, config, expected):
    metric = metrics.get(config)
    assert type(metric).__name__ == expected
    if isinstance(config, dict):
        assert _jsonable(metric.get_config()) == {
            k: v["config"] if k == "fn" else v for k, v in config["config"].items()}


@pytest.mark.parametrize("case_id, cls, kwargs, kind", OBJECTS, ids=[c[0] for c in OBJECTS])
def test_our_config_round_trips(keras, case_id, cls, kwargs, kind):
    metric = _make(cls, kwargs)
    clone = metrics.deserialize(_jsonable(metrics.serialize(metric)))
    assert type(clone) is type(metric) and clone.get_config() == metric.get_config()
    np.testing.assert_allclose(_result(clone, kind), _result(metric, kind), rtol=1e-6)


def test_metric_dtype_policies():
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"},
              "registered_name": None}
    assert metrics.Mean(dtype=policy).dtype == "float64"
    with pytest.raises(NotImplementedError, match="mixed_bfloat16"):
        metrics.Mean(dtype="mixed_bfloat16")


def test_unknown_names_are_refused_without_imports():
    with pytest.raises(ValueError, match="'system'"):
        metrics.deserialize({"module": "os", "class_name": "function", "config": "system",
                             "registered_name": "function"})
    with pytest.raises(ValueError, match="'R2Score'"):
        metrics.get({"module": "keras.metrics", "class_name": "R2Score", "config": {}})


# -- slow: against real Keras 3 ----------------------------------------------------------------
_KERAS_CODE = """
import json
payload = json.loads(PAYLOAD)
M = keras.metrics

def result(metric, kind):
    for batch in payload["data"][kind]:
        arrays = [np.asarray(a, "int32" if kind == "sparse" and i == 0 else "float32")
                  for i, a in enumerate(batch)]
        metric.update_state(*arrays)
    return np.asarray(metric.result(), "float64").tolist()

def as_json(v):
    return json.loads(json.dumps(v))

def run_object(case):
    reference = getattr(M, case["cls"])(**case["kwargs"])
    config = as_json(M.serialize(reference))
    theirs = M.deserialize(case["ours"])
    h5 = M.deserialize({"class_name": case["ours"]["class_name"],
                        "config": case["ours"]["config"]})
    kind = case["kind"]
    return {"config": config, "result": result(reference, kind),
            "result_reloaded": result(M.deserialize(config), kind),
            "config_from_ours": as_json(M.serialize(theirs)),
            "result_from_ours": result(theirs, kind), "result_from_ours_h5": result(h5, kind)}

def run_name(case):
    metric = M.get(case["name"])
    return {"config": as_json(M.serialize(metric)), "result": result(metric, case["kind"]),
            "result_from_ours": result(M.get(case["ours"]), case["kind"])}

results = {}
for case in payload["cases"]:
    try:
        run = run_object if "cls" in case else run_name
        results[case["id"]] = run(case)
    except Exception as error:
        results[case["id"]] = {"error": f"{type(error).__name__}: {error}"}
emit(results)
"""


@pytest.fixture(scope="module")
def keras_results(keras3) -> dict[str, Any]:
    """Keras 3's configs and results for every case, and what it made of our configs."""
    from layerkit import backend

    backend.clear_session()
    cases = [{"id": case_id, "cls": cls, "kwargs": kwargs, "kind": kind,
              "ours": _jsonable(metrics.serialize(_make(cls, kwargs)))}
             for case_id, cls, kwargs, kind in OBJECTS]
    cases += [{"id": f"name_{name}", "name": name, "kind": kind,
               "ours": _jsonable(metrics.serialize(metrics.get(name)))}
              for name, kind in NAMES]
    backend.clear_session()
    kinds = {kind for *_, kind in OBJECTS} | {kind for _, kind in NAMES}
    payload = {"cases": cases, "data": {kind: [[a.tolist() for a in batch]
                                               for batch in _batches(kind)]
                                        for kind in kinds}}
    return keras3(_KERAS_CODE.replace("PAYLOAD", repr(json.dumps(payload))))


def _record(keras_results: dict, case_id: str) -> dict:
    record = keras_results[case_id]
    assert "error" not in record, f"Keras 3 failed on case {case_id}: {record['error']}"
    return record


@pytest.mark.slow
@pytest.mark.parametrize("case_id, cls, kwargs, kind", OBJECTS, ids=[c[0] for c in OBJECTS])
def test_metric_objects_both_ways(keras, keras_results, case_id, cls, kwargs, kind):
    record = _record(keras_results, case_id)
    config = record["config"]
    ours = _make(cls, kwargs)
    assert set(ours.get_config()) == set(config["config"])
    # Direction 1: Keras's config, in its own form and the HDF5 form.
    for form in (config, {"class_name": cls, "config": config["config"]}):
        loaded = metrics.get(form)
        assert type(loaded) is type(ours)
        np.testing.assert_allclose(_result(loaded, kind), record["result_reloaded"],
                                   rtol=1e-5, atol=1e-6)
    # Direction 2: Keras accumulates from our config what we accumulate.
    expected = _result(ours, kind)
    np.testing.assert_allclose(expected, record["result"], rtol=1e-5, atol=1e-6)
    for key in ("result_from_ours", "result_from_ours_h5"):
        np.testing.assert_allclose(record[key], expected, rtol=1e-5, atol=1e-6)
    assert record["config_from_ours"]["config"] == config["config"]


@pytest.mark.slow
@pytest.mark.parametrize("name, kind", NAMES, ids=[c[0] for c in NAMES])
def test_metric_names_both_ways(keras, keras_results, name, kind):
    record = _record(keras_results, f"name_{name}")
    for form in (record["config"], name):  # Keras's serialize output; the name compile saw
        metric = metrics.get(form)
        np.testing.assert_allclose(_result(metric, kind), record["result"], rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(record["result_from_ours"], record["result"], rtol=1e-5,
                               atol=1e-6)
