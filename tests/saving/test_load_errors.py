"""Loading a model file whose config is hostile or odd: the error says what is wrong with the
config (not "corrupted"), names the file, and quotes a value at a readable length (issue 24)."""

from __future__ import annotations

import json

import h5py
import pytest

from layerkit.saving import FileFormatError


def _saved(keras, tmp_path, compiled=False):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="dense")])
    if compiled:
        model.compile(optimizer="sgd", loss="mse")
    path = str(tmp_path / "model.h5")
    model.save(path)
    return path


def _rewrite_attr(path, name, value):
    with h5py.File(path, "r+") as f:
        f.attrs[name] = json.dumps(value).encode("utf-8")


def _model_config(path):
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["model_config"])


def test_a_huge_class_name_is_not_echoed_whole(keras, tmp_path):
    path = _saved(keras, tmp_path)
    config = _model_config(path)
    config["config"]["layers"][-1]["class_name"] = "X" * 1_000_000
    _rewrite_attr(path, "model_config", config)
    with pytest.raises(ValueError, match=r"Unknown layer class 'XXX+\.\.\.") as caught:
        keras.models.load_model(path)
    assert len(str(caught.value)) < 1000
    assert "model.h5" in str(caught.value)


def test_json_nested_past_the_recursion_limit_is_not_called_corruption(keras, tmp_path):
    path = _saved(keras, tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = ("[" * 100_000 + "]" * 100_000).encode("utf-8")
    with pytest.raises(ValueError, match="'model_config' is nested too deeply") as caught:
        keras.models.load_model(path)
    assert not isinstance(caught.value, FileFormatError)
    assert "model.h5" in str(caught.value)


def test_a_recursion_limit_met_while_rebuilding_is_not_called_corruption(tmp_path):
    # A config deep enough to exhaust the stack while layers are rebuilt (after JSON parsed
    # it) ends in a RecursionError inside the open file; h5py's damage is a RuntimeError too.
    from layerkit.formats.h5_safe import open_h5

    path = tmp_path / "any.h5"
    with h5py.File(path, "w") as f:
        f.attrs["x"] = 1
    with pytest.raises(ValueError, match="nested too deeply") as caught, open_h5(path):
        raise RecursionError("maximum recursion depth exceeded")
    assert not isinstance(caught.value, FileFormatError)
    with pytest.raises(FileFormatError, match="truncated or corrupted"), open_h5(path):
        raise RuntimeError("Unable to get group info")  # what h5py raises for damage


def test_an_unsupported_dtype_policy_is_not_called_corruption(keras, tmp_path):
    path = _saved(keras, tmp_path)
    config = _model_config(path)
    config["config"]["layers"][-1]["config"]["dtype"] = {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}
    _rewrite_attr(path, "model_config", config)
    with pytest.raises(NotImplementedError, match=r"model\.h5.*mixed_float16.*not supported"):
        keras.models.load_model(path)


@pytest.mark.parametrize("argument", ["loss", "metrics"])
def test_a_number_as_a_compile_argument_names_the_argument(keras, tmp_path, argument):
    path = _saved(keras, tmp_path, compiled=True)
    with h5py.File(path, "r") as f:
        training = json.loads(f.attrs["training_config"])
    training[argument] = 3 if argument == "loss" else [3]
    _rewrite_attr(path, "training_config", training)
    with pytest.raises(ValueError, match=rf"compile argument '{argument}'.*3 is not a name"):
        keras.models.load_model(path)
    keras.models.load_model(path, compile=False)  # the architecture and weights still load
