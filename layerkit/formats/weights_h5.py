"""Keras 3's weights-only layout (``model.save_weights("m.weights.h5")``).

Objects are addressed by where they sit in the model, not by their (auto-generated) names: a
model's layers are ``layers/<class name in snake case>`` with ``_1``, ``_2``... for repeats, in
``model.layers`` order; each object's own variables are the datasets ``vars/0``, ``vars/1``...
(trainable ones first, as created); a recurrent layer keeps its weights in its ``cell``
(``layers/lstm/cell/vars``); a nested model has its own ``layers``; the optimizer's variables
are ``optimizer/vars``. Each ``vars`` group names its object in an attribute ``name``.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from layerkit import backend as K
from layerkit.formats.h5_safe import FileFormatError, SafeFile
from layerkit.formats.staging import mismatch, stage

# Layers whose weights Keras keeps in a cell sublayer (``cell/vars``).
_CELLS = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def own_variables(layer: Any) -> list:
    """The variables a layer created itself, trainable ones first (Keras's ``vars`` order)."""
    own = list(getattr(layer, "_weights", []))
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def _entries(model: Any, path: str = "") -> Iterator[tuple[str, str, list]]:
    """``(path of a vars group, object name, variables)`` for the model and all it holds."""
    yield f"{path}vars", model.name, own_variables(model) if path == "" else []
    used: dict[str, int] = {}
    for layer in model.layers:
        base = _snake(type(layer).__name__)
        if type(layer).__name__ == "Model" and getattr(layer, "_functional", False):
            base = "functional"
        count = used.get(base, 0)
        used[base] = count + 1
        prefix = f"{path}layers/{base if count == 0 else f'{base}_{count}'}/"
        yield from _layer_entries(layer, prefix)


def _layer_entries(layer: Any, prefix: str) -> Iterator[tuple[str, str, list]]:
    if hasattr(layer, "layers") and hasattr(layer, "compile"):  # a nested model
        yield f"{prefix}vars", layer.name, own_variables(layer)
        for sub_path, name, variables in _entries(layer, prefix):
            if sub_path != f"{prefix}vars":
                yield sub_path, name, variables
        return
    cell = _CELLS.get(type(layer).__name__)
    if cell is None:
        yield f"{prefix}vars", layer.name, own_variables(layer)
    else:
        yield f"{prefix}vars", layer.name, []
        yield f"{prefix}cell/vars", cell, own_variables(layer)
    for attribute, child in _sublayers(layer):
        if isinstance(child, list):
            yield from _container_entries(child, f"{prefix}{attribute}/")
        else:
            yield from _layer_entries(child, f"{prefix}{attribute}/")


def _container_entries(layers: list, prefix: str) -> Iterator[tuple[str, str, list]]:
    """A list of sublayers, each under its snake-cased class name (``_1``... for repeats)."""
    used: dict[str, int] = {}
    for layer in layers:
        base = _snake(type(layer).__name__)
        count = used.get(base, 0)
        used[base] = count + 1
        yield from _layer_entries(layer, f"{prefix}{base if count == 0 else f'{base}_{count}'}/")


@functools.cache
def _base_attributes() -> frozenset[str]:
    """What every layer has (never a sublayer): the names of a bare ``Layer``."""
    from layerkit.layers import Layer

    return frozenset(dir(Layer(name="weights_h5_probe")))


def _sublayers(layer: Any) -> list[tuple[str, Any]]:
    """``(attribute, layer or list of layers)`` for the sublayers a layer holds, in the order
    Keras 3 walks them (public attributes, then private ones, each sorted by name); a layer
    reachable under two names (a property over a private attribute) counts under the first."""
    from layerkit.layers import Layer

    names = sorted((n for n in dir(layer) if not n.startswith("__")
                    and n not in _base_attributes()),
                   key=lambda n: (n.startswith("_"), n))
    seen: set[int] = {id(layer)}
    found = []
    for name in names:
        try:
            value = getattr(layer, name)
        except Exception:  # a property that cannot be read now holds no sublayer
            continue
        if isinstance(value, Layer) and id(value) not in seen:
            seen.add(id(value))
            found.append((name, value))
        elif isinstance(value, list | tuple) and value and all(
                isinstance(v, Layer) for v in value) and not any(id(v) in seen for v in value):
            seen.update(id(v) for v in value)
            found.append((name, list(value)))
    return found


def _optimizer_of(model: Any) -> Any:
    optimizer = getattr(model, "optimizer", None)
    return optimizer if optimizer is not None and getattr(model, "compiled", False) else None


# -- writing ----------------------------------------------------------------------------------
def write(f: Any, model: Any) -> None:
    """Write the model's (and its optimizer's) variables into the open, empty file ``f``."""
    session = K.get_session()
    entries = list(_entries(model))
    optimizer = _optimizer_of(model)
    if optimizer is not None:
        entries.append(("optimizer/vars", optimizer.name, list(optimizer.variables)))
    keys = [v.key for _, _, variables in entries for v in variables]
    values = session.variable_values(keys) if keys else {}
    for path, name, variables in entries:
        group = f.require_group(path)
        group.attrs["name"] = name
        for index, var in enumerate(variables):
            group.create_dataset(str(index), data=np.asarray(values[var.key]))


# -- reading ----------------------------------------------------------------------------------
def staged(sf: SafeFile, model: Any, skip_mismatch: bool = False) -> dict[str, np.ndarray]:
    """Variable key -> value for every variable of the model (and its optimizer, when the model
    is compiled and the file holds an optimizer state), all checked, none assigned yet."""
    result: dict[str, np.ndarray] = {}
    for path, _, variables in _entries(model):
        if variables:
            _stage_group(sf, path, variables, skip_mismatch, result)
    optimizer = _optimizer_of(model)
    if optimizer is not None and _has_path(sf, "optimizer/vars"):
        _stage_optimizer(sf, model, optimizer, result)
    return result


def _stage_optimizer(sf: SafeFile, model: Any, optimizer: Any, result: dict) -> None:
    """The optimizer's state, when it fits; a state that does not (another optimizer, or one
    saved before its first step) is skipped with a warning, as Keras does."""
    optimizer.build(model.trainable_weights)
    staged: dict[str, np.ndarray] = {}
    try:
        _stage_group(sf, "optimizer/vars", list(optimizer.variables), False, staged,
                     what=f"optimizer '{optimizer.name}'")
    except FileFormatError:
        raise  # unsafe or damaged data is refused, never skipped
    except ValueError as error:
        warnings.warn(f"Skipping the optimizer state in {sf.path!r}: it does not fit optimizer "
                      f"'{optimizer.name}' ({len(optimizer.variables)} variables); {error}",
                      stacklevel=3)
        return
    result.update(staged)


def _has_path(sf: SafeFile, path: str) -> bool:
    # Through SafeFile: a plain ``group[part]`` walk followed soft and external links before
    # any check (opening whatever file an external link names; a dangling link escaped as an
    # h5py KeyError).
    return sf.has_path(sf.root, path)


def _stage_group(sf: SafeFile, path: str, variables: list, skip_mismatch: bool,
                 result: dict, what: str | None = None) -> None:
    what = what or f"'{path[:-len('/vars')] or 'the model'}'"
    if not _has_path(sf, path):
        mismatch(f"{sf.path!r} has no weights for {what} (expected the group /{path})",
                 skip_mismatch)
        return
    group = sf.child(sf.root, path)
    count = len([name for name in sf.members(group) if name.isdigit()])
    if count != len(variables):
        mismatch(f"{what} expects {len(variables)} variables, but {sf.path!r} holds {count} "
                 f"at /{path}", skip_mismatch)
        return
    for index, var in enumerate(variables):
        stage(result, var, sf.array(group, str(index)), skip_mismatch,
              f"{what} ({sf.path!r} at /{path}/{index})")
