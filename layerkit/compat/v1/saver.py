"""``tf.train.Saver``: variable checkpoints as HDF5 files, written atomically.

A checkpoint is one HDF5 file holding one dataset per variable, under ``/variables``, named by
the variable's key (``/`` and ``.`` percent-encoded, since HDF5 reads them as paths). It is
written to a temporary file in the same folder, flushed and fsync'ed, then renamed over the
target, so a crash never leaves a torn checkpoint where a good one was. A small JSON file named
``checkpoint`` in that folder lists the latest checkpoints, for ``latest_checkpoint``.

Restoring reads and checks everything (links, names, shapes, dtypes) before it changes a single
value in the session; nothing in a file is ever unpickled or executed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from layerkit.compat.v1.errors import DataLossError, NotFoundError
from layerkit.graph.errors import FailedPreconditionError, InvalidArgumentError
from layerkit.graph.graph import Tensor
from layerkit.graph.variables import Variable, global_variables
from layerkit.utils.atomic import atomic_path

__all__ = [
    "CheckpointState", "Saver", "checkpoint_exists", "get_checkpoint_state", "latest_checkpoint",
]

FORMAT = "layerkit.compat.v1.Saver"
FORMAT_VERSION = 1
GROUP = "variables"
INDEX_FILE = "checkpoint"


class Saver:
    """Saves and restores variables (by default all global variables when it is created).

    ``var_list`` is a list of variables (stored under their keys) or a dict mapping checkpoint
    names to variables. ``max_to_keep`` most recent checkpoints are kept; older ones written by
    this saver are deleted (``None`` or 0 keeps all).
    """

    def __init__(self, var_list: Sequence[Variable] | Mapping[str, Variable] | None = None,
                 reshape: bool = False, sharded: bool = False, max_to_keep: int | None = 5,
                 keep_checkpoint_every_n_hours: float = 10000.0, name: str | None = None,
                 restore_sequentially: bool = False, saver_def: Any = None, builder: Any = None,
                 defer_build: bool = False, allow_empty: bool = False, write_version: int = 2,
                 pad_step_number: bool = False, save_relative_paths: bool = False,
                 filename: str | None = None):
        if reshape:
            raise NotImplementedError("Saver(reshape=True) is not supported")
        self._entries = _entries(var_list if var_list is not None else global_variables())
        if not self._entries and not allow_empty:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._last: list[str] = []

    # -- saving ----------------------------------------------------------------------------------
    def save(self, sess: Any, save_path: str, global_step: Any = None,
             latest_filename: str | None = None, meta_graph_suffix: str = "meta",
             write_meta_graph: bool = True, write_state: bool = True,
             strip_default_attrs: bool = False, save_debug_info: bool = False) -> str:
        """Write the variables' values in ``sess`` to ``save_path`` (``save_path-<step>`` with a
        ``global_step``, an int or a variable); returns the path written."""
        path = os.fspath(save_path)
        if global_step is not None:
            step = sess.run(global_step) if isinstance(global_step, Tensor) else global_step
            path = f"{path}-{int(step)}"
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ValueError(f"Parent directory of {path} doesn't exist, can't save.")
        _atomic_write_h5(path, self._values(sess))
        self._remember(path)
        if write_state:
            _write_index(folder, self._last, latest_filename or INDEX_FILE)
        return path

    def _values(self, sess: Any) -> dict[str, np.ndarray]:
        values = sess.variable_values()
        result = {}
        for name, var in self._entries.items():
            _check_graph(var, sess)
            if var.key not in values:
                raise FailedPreconditionError(
                    f"Attempting to save uninitialized variable {var.key}: run its initializer "
                    "in this session first"
                )
            result[name] = np.asarray(values[var.key])
        return result

    def _remember(self, path: str) -> None:
        if path in self._last:
            self._last.remove(path)
        self._last.append(path)
        if not self._max_to_keep:
            return
        while len(self._last) > self._max_to_keep:
            old = self._last.pop(0)
            with contextlib.suppress(FileNotFoundError):
                os.remove(old)

    @property
    def last_checkpoints(self) -> list[str]:
        """The paths of the checkpoints this saver wrote and kept, oldest first."""
        return list(self._last)

    def set_last_checkpoints(self, last_checkpoints: list[str]) -> None:
        self._last = list(last_checkpoints)

    def recover_last_checkpoints(self, checkpoint_paths: list[str]) -> None:
        """Adopt existing checkpoints (e.g. after a restart) so ``max_to_keep`` counts them."""
        self._last = [p for p in checkpoint_paths if os.path.exists(p)]

    # -- restoring -------------------------------------------------------------------------------
    def restore(self, sess: Any, save_path: str) -> None:
        """Set the variables in ``sess`` from the checkpoint at ``save_path``. Every entry is
        checked first; on any error the session's values are left as they were."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        for var in self._entries.values():
            _check_graph(var, sess)
        stored = read_checkpoint(os.fspath(save_path), self._entries)
        sess.load_variable_values({self._entries[n].key: v for n, v in stored.items()})


def _entries(var_list: Sequence[Variable] | Mapping[str, Variable]) -> dict[str, Variable]:
    """Checkpoint name -> variable."""
    if isinstance(var_list, Mapping):
        pairs = list(var_list.items())
    else:
        pairs = [(getattr(v, "key", None), v) for v in var_list]
    entries: dict[str, Variable] = {}
    for name, var in pairs:
        if not isinstance(var, Variable):
            raise TypeError(f"Saver: {var!r} is not a Variable")
        if name in entries:
            raise ValueError(f"Saver: two variables are saved under the name {name!r}")
        entries[name] = var
    return entries


def _check_graph(var: Variable, sess: Any) -> None:
    if var.graph is not sess.graph:
        raise ValueError(f"Variable '{var.key}' belongs to another graph than the session's")


# -- the file format -----------------------------------------------------------------------------
def _dataset_name(key: str) -> str:
    return quote(key, safe="").replace(".", "%2E")


def _h5py():
    import h5py  # a core dependency; imported here to keep `import layerkit` light

    return h5py


def _write_entries(f: Any, values: Mapping[str, np.ndarray]) -> None:
    f.attrs["format"] = FORMAT
    f.attrs["format_version"] = FORMAT_VERSION
    group = f.create_group(GROUP)
    for name, value in values.items():
        dataset = group.create_dataset(_dataset_name(name), data=value)
        dataset.attrs["name"] = name


def _atomic_write_h5(path: str, values: Mapping[str, np.ndarray]) -> None:
    """Write ``values`` to ``path`` so that it holds either the old file or the whole new one."""
    h5py = _h5py()
    with atomic_path(path) as temp, h5py.File(temp, "x") as f:
        _write_entries(f, values)


def read_checkpoint(path: str, expected: Mapping[str, Variable]) -> dict[str, np.ndarray]:
    """The values stored in the checkpoint at ``path`` for ``expected`` (name -> variable),
    after checking the file holds exactly those entries with matching shapes and dtypes."""
    if not os.path.exists(path):
        raise NotFoundError(f"Unable to restore from checkpoint {path!r}: no such file")
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        raise DataLossError(f"Unable to restore from checkpoint {path!r}: it is not a valid "
                            f"checkpoint file (truncated or corrupted?): {error}") from None
    with f:
        group = _checked_group(f, path)
        datasets = _checked_datasets(group, path)
        _check_names(set(datasets), expected, path)
        for name, dataset in datasets.items():
            _check_dataset(dataset, expected[name], name, path)
        try:
            return {name: dataset[()] for name, dataset in datasets.items()}
        except OSError as error:
            raise DataLossError(f"Unable to read checkpoint {path!r} (truncated or corrupted?): "
                                f"{error}") from None


def _checked_group(f: Any, path: str) -> Any:
    h5py = _h5py()
    if f.attrs.get("format") != FORMAT:
        raise DataLossError(f"{path!r} is an HDF5 file but not a layerkit checkpoint (its "
                            "'format' attribute is missing or different)")
    link = f.get(GROUP, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise InvalidArgumentError(f"Checkpoint {path!r}: /{GROUP} is missing or is a link; "
                                   "soft and external links are refused")
    group = f[GROUP]
    if not isinstance(group, h5py.Group):
        raise InvalidArgumentError(f"Checkpoint {path!r}: /{GROUP} is not a group")
    return group


def _checked_datasets(group: Any, path: str) -> dict[str, Any]:
    """Checkpoint name -> dataset; only plain datasets stored in the file itself are accepted."""
    h5py = _h5py()
    datasets = {}
    for entry in group:
        name = unquote(entry)
        if _dataset_name(name) != entry:  # only the encoding `save` writes, so names are unique
            raise InvalidArgumentError(f"Checkpoint {path!r}: entry {entry!r} is not a name "
                                       "this saver writes")
        link = group.get(entry, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise InvalidArgumentError(f"Checkpoint {path!r}: entry {name!r} is a "
                                       f"{type(link).__name__}; soft and external links are "
                                       "refused")
        dataset = group[entry]
        if not isinstance(dataset, h5py.Dataset):
            raise InvalidArgumentError(f"Checkpoint {path!r}: entry {name!r} is not a dataset")
        if dataset.is_virtual or dataset.external:
            raise InvalidArgumentError(f"Checkpoint {path!r}: entry {name!r} keeps its data in "
                                       "other files (virtual or external storage); refused")
        datasets[name] = dataset
    return datasets


def _check_names(found: set[str], expected: Mapping[str, Variable], path: str) -> None:
    missing = sorted(set(expected) - found)
    if missing:
        raise NotFoundError(f"Key {missing[0]} not found in checkpoint {path!r}"
                            + (f" (missing: {', '.join(missing)})" if len(missing) > 1 else ""))
    extra = sorted(found - set(expected))
    if extra:
        raise InvalidArgumentError(f"Checkpoint {path!r} holds variable(s) the saver does not "
                                   f"restore: {', '.join(extra)}")


def _check_dataset(dataset: Any, var: Variable, name: str, path: str) -> None:
    if tuple(dataset.shape) != tuple(var.shape):
        raise InvalidArgumentError(
            f"Cannot restore variable {var.key}: checkpoint {path!r} has shape "
            f"{tuple(dataset.shape)} for {name!r}, the variable has shape {tuple(var.shape)}"
        )
    if dataset.dtype != var.dtype:
        raise InvalidArgumentError(
            f"Cannot restore variable {var.key}: checkpoint {path!r} has dtype {dataset.dtype} "
            f"for {name!r}, the variable has dtype {var.dtype.name}"
        )


# -- the index of latest checkpoints -------------------------------------------------------------
@dataclass(frozen=True)
class CheckpointState:
    """What the ``checkpoint`` index file of a folder says."""

    model_checkpoint_path: str
    all_model_checkpoint_paths: list[str] = field(default_factory=list)


def _write_index(folder: str, paths: list[str], filename: str) -> None:
    def rel(p: str) -> str:
        # Relative to the folder when inside it, so the folder can be moved.
        absolute = os.path.abspath(p)
        return os.path.relpath(absolute, folder) if os.path.dirname(absolute) == folder \
            else absolute

    state = {"model_checkpoint_path": rel(paths[-1]),
             "all_model_checkpoint_paths": [rel(p) for p in paths]}
    with atomic_path(os.path.join(folder, filename)) as temp, open(temp, "x") as f:
        json.dump(state, f, indent=1)


def get_checkpoint_state(checkpoint_dir: str,
                         latest_filename: str | None = None) -> CheckpointState | None:
    """The ``checkpoint`` index of ``checkpoint_dir``, or None if there is none (or it is not
    one this module wrote)."""
    index = os.path.join(checkpoint_dir, latest_filename or INDEX_FILE)
    try:
        with open(index) as f:
            state = json.load(f)
        latest = state["model_checkpoint_path"]
        every = state.get("all_model_checkpoint_paths", [latest])
        if not isinstance(latest, str) or not all(isinstance(p, str) for p in every):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None

    def absolute(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)

    return CheckpointState(absolute(latest), [absolute(p) for p in every])


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The path of the newest checkpoint saved in ``checkpoint_dir``, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not os.path.exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


def checkpoint_exists(checkpoint_prefix: str) -> bool:
    """Whether a checkpoint file exists at ``checkpoint_prefix``."""
    return os.path.isfile(checkpoint_prefix)
