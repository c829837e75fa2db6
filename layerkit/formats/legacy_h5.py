"""Keras's legacy HDF5 layout (``model.save("m.h5")``, ``save_weights("w.h5")``).

A whole-model file holds, at its root, the attributes ``model_config`` (the architecture as
JSON), ``training_config`` (the compile arguments and optimizer config, as JSON),
``keras_version`` and ``backend``; the group ``model_weights`` with one group per layer (attribute
``weight_names``; datasets at those names) and the attribute ``layer_names``; and the group
``optimizer_weights`` (attribute ``weight_names``; the optimizer's variables in order). A
weights-only ``.h5`` file is the content of ``model_weights`` at the root.

Weights load by position, as Keras does: the layers that have weights, in ``model.layers``
order, take the saved layers that have weights, in ``layer_names`` order; each layer's weights
are its trainable weights, then its non-trainable ones. ``by_name=True`` matches layers by name
instead. Everything is read and checked before any weight changes.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.formats.h5_safe import FileFormatError, SafeFile
from layerkit.formats.staging import mismatch, stage

# The Keras file layout we write (Keras 3's legacy HDF5 format); readers only compare the
# major version. The writer itself is named by `layerkit_version`.
KERAS_LAYOUT_VERSION = "3.0.0"
# Attributes larger than this do not fit one HDF5 object header; Keras splits them.
HDF5_OBJECT_HEADER_LIMIT = 64512


# -- writing ----------------------------------------------------------------------------------
def write_model(f: Any, model: Any, include_optimizer: bool = True) -> None:
    """Write ``model`` whole into the open, empty HDF5 file ``f``."""
    from layerkit import __version__
    from layerkit.formats.config import serialize_model, training_config

    config = serialize_model(model)
    _write_root_attrs(f, __version__)
    f.attrs["model_config"] = json.dumps(config).encode("utf-8")
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(model, "compiled", False):
        f.attrs["training_config"] = json.dumps(training_config(model)).encode("utf-8")
    write_weights(f.create_group("model_weights"), model)
    if include_optimizer and optimizer is not None and optimizer.variables:
        group = f.create_group("optimizer_weights")
        _write_subset(group, optimizer.variables)


def write_weights(group: Any, model: Any) -> None:
    """Each layer's weights in its own group, plus ``layer_names``: the ``model_weights``
    group of a model file, or the root of a weights-only ``.h5`` file."""
    from layerkit import __version__

    layers = model.layers
    names = [layer.name for layer in layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Model '{model.name}' has several layers named {duplicates}; layer "
                         "names must be unique to save in the HDF5 format")
    _write_names(group, "layer_names", names)
    _write_root_attrs(group, __version__)
    for layer in sorted(layers, key=lambda layer: layer.name):
        _write_subset(group.create_group(layer.name), legacy_weights(layer))
    _write_subset(group.create_group("top_level_model_weights"), _top_level_weights(model))


def _write_root_attrs(obj: Any, version: str) -> None:
    obj.attrs["backend"] = K.backend().encode("utf-8")
    obj.attrs["keras_version"] = KERAS_LAYOUT_VERSION.encode("utf-8")
    obj.attrs["layerkit_version"] = version.encode("utf-8")


def _write_subset(group: Any, weights: list) -> None:
    """``weight_names`` and one dataset per weight, named by its path."""
    values = _values(weights)
    names = [w.key for w in weights]
    _write_names(group, "weight_names", names)
    for name, value in zip(names, values):
        group.create_dataset(name, data=value)


def _values(weights: list) -> list[np.ndarray]:
    if not weights:
        return []
    stored = K.get_session().variable_values([w.key for w in weights])
    return [np.asarray(stored[w.key]) for w in weights]


def _write_names(obj: Any, name: str, names: list[str]) -> None:
    """A list-of-names attribute, split into ``name0``, ``name1``... when too large (Keras's
    convention); an empty list is stored as an empty float array, as Keras stores it."""
    data = np.asarray([n.encode("utf-8") for n in names]) if names else np.asarray([])
    chunks = 1
    while data.nbytes / chunks > HDF5_OBJECT_HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        obj.attrs[name] = data
        return
    for index, chunk in enumerate(np.array_split(data, chunks)):
        obj.attrs[f"{name}{index}"] = chunk


# -- which weights, in which order --------------------------------------------------------------
def legacy_weights(layer: Any) -> list:
    """A layer's weights in the legacy file order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _top_level_weights(model: Any) -> list:
    """Weights a model creates itself (``add_weight`` on the model), not its layers'."""
    return list(getattr(model, "_weights", []))


# -- reading ----------------------------------------------------------------------------------
def read_subset(sf: SafeFile, group: Any) -> list[np.ndarray]:
    """The arrays a layer group lists in ``weight_names``, in that order."""
    return [sf.array(group, name) for name in sf.name_list_attr(group, "weight_names")]


def staged_weights(sf: SafeFile, group: Any, model: Any, skip_mismatch: bool = False,
                   by_name: bool = False) -> dict[str, np.ndarray]:
    """Variable key -> value for loading the weights in ``group`` into ``model``: every
    layer matched and checked (counts, shapes), nothing assigned yet."""
    saved = [(name, read_subset(sf, sf.child(group, name)))
             for name in sf.name_list_attr(group, "layer_names")]
    staged: dict[str, np.ndarray] = {}
    if by_name:
        by_layer_name = dict(saved)
        for layer in model.layers:
            if layer.name in by_layer_name:
                _stage(staged, legacy_weights(layer), by_layer_name[layer.name],
                       skip_mismatch, f"layer '{layer.name}'", count_skippable=True)
    else:
        saved = [(name, values) for name, values in saved if values]
        layers = [layer for layer in model.layers if legacy_weights(layer)]
        if len(saved) != len(layers):
            raise ValueError(
                f"Layer count mismatch when loading weights from {sf.path!r}: model "
                f"'{model.name}' has {len(layers)} layers with weights "
                f"({[layer.name for layer in layers]}), the file has {len(saved)} "
                f"({[name for name, _ in saved]})")
        for k, (layer, (name, values)) in enumerate(zip(layers, saved)):
            _stage(staged, legacy_weights(layer), values, skip_mismatch,
                   f"layer #{k} (named '{layer.name}' in the model, '{name}' in the file)")
    if "top_level_model_weights" in group:
        values = read_subset(sf, sf.child(group, "top_level_model_weights"))
        _stage(staged, _top_level_weights(model), values, skip_mismatch,
               f"the top-level weights of model '{model.name}'", count_skippable=by_name)
    return staged


def _stage(staged: dict, weights: list, values: list[np.ndarray], skip_mismatch: bool,
           what: str, count_skippable: bool = False) -> None:
    if len(values) != len(weights):
        mismatch(f"Weight count mismatch for {what}: it expects {len(weights)} weight(s), "
                 f"the file has {len(values)}", skip_mismatch and count_skippable)
        return
    for weight, value in zip(weights, values):
        stage(staged, weight, value, skip_mismatch, what)


def read_model(sf: SafeFile, custom_objects: dict | None, compile: bool) -> Any:
    """The model stored whole in the open file: architecture, weights and, when ``compile``,
    its compile arguments and optimizer state."""
    from layerkit.formats.config import compile_from_training_config, deserialize_model

    config = sf.json_attr(sf.root, "model_config")
    if config is None:
        raise FileFormatError(f"{sf.path!r} holds no model config (a weights-only file? load "
                              "it with model.load_weights)")
    try:
        model = deserialize_model(config, custom_objects)
    except (TypeError, ValueError, KeyError) as error:  # name the file, keep the error's type
        raise type(error)(f"{sf.path!r}: the model in this file cannot be rebuilt: "
                          f"{error}") from error
    weights = sf.child(sf.root, "model_weights") if "model_weights" in sf.root else sf.root
    K.get_session().load_variable_values(staged_weights(sf, weights, model))
    training = sf.json_attr(sf.root, "training_config")
    if compile and training is not None:
        compile_from_training_config(model, training, custom_objects)
        if "optimizer_weights" in sf.root:
            _load_optimizer_state(sf, sf.child(sf.root, "optimizer_weights"), model)
    return model


def _load_optimizer_state(sf: SafeFile, group: Any, model: Any) -> None:
    """Restore the optimizer's variables by position, as Keras does; a state that does not fit
    the optimizer (another optimizer or model) is skipped with a warning, as in Keras."""
    values = read_subset(sf, group)
    optimizer = model.optimizer
    optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    fits = len(values) == len(variables) and all(
        tuple(v.shape) == tuple(var.shape) for v, var in zip(values, variables))
    if not fits:
        warnings.warn(f"The optimizer state in {sf.path!r} ({len(values)} arrays) does not fit "
                      f"optimizer '{optimizer.name}' ({len(variables)} variables); the model "
                      "starts with a freshly initialized optimizer", stacklevel=3)
        return
    K.get_session().load_variable_values(
        {var.key: value.astype(var.dtype) for var, value in zip(variables, values)})
