"""File formats: models and weights in HDF5, in Keras's layouts (below ``layerkit.models``).

- ``save_model(model, "m.h5")`` / ``load_model("m.h5")``: the whole model in Keras's legacy
  HDF5 layout (architecture, weights, compile arguments, optimizer state).
- ``save_weights(model, "m.weights.h5")``: Keras 3's weights-only layout; ``"m.h5"``: the
  legacy layout. ``load_weights`` reads both (and whole-model files).

Every write is atomic (see ``atomic``); every read is checked (see ``h5_safe``) and nothing in
a file is ever executed. Submodules load on first use.

The functions here take a model and read or write it through its public face (``layers``,
``weights``, ``get_config``), so ``Model.save`` can call them; ``layerkit.saving`` is the public
API (Keras's ``keras.saving``) that re-exports them. Building a model from a file's config needs
the model classes, which ``layerkit.models`` registers with ``layerkit.layers`` when it loads.
"""

from __future__ import annotations

import json
import os
from typing import Any

from layerkit.formats.h5_safe import FileFormatError

__all__ = ["FileFormatError", "load_model", "load_weights", "model_from_json", "save_model",
           "save_weights", "serialize_model"]

_H5_SUFFIXES = (".h5", ".hdf5")


def _is_weights_h5(path: str) -> bool:
    return path.endswith(".weights.h5")


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")


def _ensure_folder(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)


def _write_h5(path: str, write: Any) -> None:
    """Create the HDF5 file at ``path`` atomically with ``write(file)``."""
    import h5py

    from layerkit.utils.atomic import atomic_path

    _ensure_folder(path)
    with atomic_path(path) as temp, h5py.File(temp, "x") as f:
        write(f)


def save_model(model: Any, filepath: str | os.PathLike, overwrite: bool = True,
               include_optimizer: bool = True, **kwargs: Any) -> None:
    """Save ``model`` whole to an ``.h5``/``.hdf5`` file (Keras's legacy layout), atomically."""
    from layerkit.formats import legacy_h5

    path = os.fspath(filepath)
    if kwargs:
        raise TypeError(f"save_model: unexpected argument(s) {sorted(kwargs)}")
    if path.endswith(".keras"):
        raise NotImplementedError(f"Cannot save to {path!r}: the .keras (zip) format is not "
                                  "supported; save to a .h5 file")
    if not path.endswith(_H5_SUFFIXES) or _is_weights_h5(path):
        raise ValueError(f"Cannot save a model to {path!r}: the file name must end in .h5 or "
                         ".hdf5 (use save_weights for .weights.h5)")
    _check_overwrite(path, overwrite)
    model.get_config()  # a model that cannot describe itself fails before any file is made
    _write_h5(path, lambda f: legacy_h5.write_model(f, model, include_optimizer))


def load_model(filepath: str | os.PathLike, custom_objects: dict[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """A model saved by ``save_model`` (or by Keras 3 as ``.h5``): built from its config,
    with its weights, and compiled with its optimizer state when ``compile`` and the file
    holds a training config. Only built-in classes and ``custom_objects`` are instantiated,
    and no module a file names is imported; ``safe_mode=False`` allows one thing more, as in
    Keras 3: the Python lambda of a ``Lambda`` layer, saved as bytecode, is loaded (and so runs
    code from the file)."""
    from layerkit import config
    from layerkit.formats import legacy_h5
    from layerkit.formats.h5_safe import open_h5
    from layerkit.utils.object_registration import custom_object_scope

    path = os.fspath(filepath)
    if path.endswith(".keras"):
        raise NotImplementedError(f"Cannot load {path!r}: the .keras (zip) format is not "
                                  "supported; save models as .h5")
    with open_h5(path) as sf, custom_object_scope(custom_objects), \
            config.safe_mode_scope(safe_mode):
        return legacy_h5.read_model(sf, custom_objects, compile)


def save_weights(model: Any, filepath: str | os.PathLike, overwrite: bool = True) -> None:
    """Save the model's weights (and its optimizer's state) to ``.weights.h5`` (Keras 3's
    layout) or ``.h5``/``.hdf5`` (the legacy layout), atomically."""
    from layerkit.formats import legacy_h5, weights_h5

    path = os.fspath(filepath)
    if not path.endswith(_H5_SUFFIXES):
        raise ValueError(f"Cannot save weights to {path!r}: the file name must end in "
                         ".weights.h5 (Keras 3's layout) or .h5 (the legacy layout)")
    _check_overwrite(path, overwrite)
    if _is_weights_h5(path):
        _write_h5(path, lambda f: weights_h5.write(f, model))
    else:
        _write_h5(path, lambda f: legacy_h5.write_weights(f, model))


def load_weights(model: Any, filepath: str | os.PathLike, skip_mismatch: bool = False,
                 by_name: bool = False, **kwargs: Any) -> None:
    """Load weights into ``model`` from a ``.weights.h5`` file or a legacy ``.h5`` file
    (weights-only or whole-model). Everything is read and checked first; on any error no
    weight has changed."""
    from layerkit import backend as K
    from layerkit.formats import legacy_h5, weights_h5
    from layerkit.formats.h5_safe import open_h5

    if kwargs:
        raise TypeError(f"load_weights: unexpected argument(s) {sorted(kwargs)}")
    path = os.fspath(filepath)
    if not path.endswith(_H5_SUFFIXES):
        raise ValueError(f"Cannot load weights from {path!r}: expected a .weights.h5 or .h5 "
                         "file")
    if by_name and _is_weights_h5(path):
        raise ValueError("by_name=True applies to legacy .h5 files only; .weights.h5 files "
                         "address layers by position in the model")
    with open_h5(path) as sf:
        if _is_weights_h5(path):
            values = weights_h5.staged(sf, model, skip_mismatch)
        else:
            group = sf.child(sf.root, "model_weights") if "model_weights" in sf.root \
                else sf.root
            values = legacy_h5.staged_weights(sf, group, model, skip_mismatch, by_name)
    K.get_session().load_variable_values(values)


def serialize_model(model: Any) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` of a model, as Keras writes ``model_config``."""
    from layerkit.formats.config import serialize_model as serialize

    return serialize(model)


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """A model (new weights) from the architecture ``model.to_json()`` wrote."""
    from layerkit.formats.config import deserialize_model
    from layerkit.utils.object_registration import custom_object_scope

    with custom_object_scope(custom_objects):
        return deserialize_model(json.loads(json_string), custom_objects)
