"""Reading HDF5 files we did not write, defensively.

A model file is data, never code: nothing here unpickles, imports or follows anything a file
names. Every object is reached through hard links inside the file (soft and external links are
refused), datasets must keep their bytes in the file itself (external and virtual datasets are
refused) and hold plain numbers, and a dataset must not claim more data than the file can hold
(a tiny file declaring a huge array). A truncated or corrupted file, or one that is not HDF5 at
all, raises ``FileFormatError`` naming the file, never a crash deep inside h5py. No attribute
of a file can turn any of these checks off.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["FileFormatError", "SafeFile", "open_h5"]

# A compressed dataset may expand, but not without bound: at most this many times the bytes
# it occupies in the file (plus a small allowance for tiny arrays).
MAX_EXPANSION = 1024
SMALL_ARRAY_BYTES = 1 << 20
# HDF5 filters a dataset may use (deflate, shuffle, fletcher32, lzf); anything else would need
# a plugin and is refused.
ALLOWED_FILTERS = {1, 2, 3, 32000}


class FileFormatError(ValueError):
    """A file is not a model/weights file we can read safely: not HDF5, truncated, corrupted,
    or holding something refused (links, external data, implausible shapes)."""


def _h5py():
    import h5py  # a core dependency; imported here to keep `import layerkit` light

    return h5py


@contextlib.contextmanager
def open_h5(path: str | os.PathLike) -> Iterator[SafeFile]:
    """Open ``path`` for reading; errors inside the block that come from a damaged file are
    re-raised as ``FileFormatError`` naming it."""
    h5py = _h5py()
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    if not h5py.is_hdf5(path):
        raise FileFormatError(f"{path!r} is not an HDF5 file (is it truncated, or another "
                              "format such as .keras or .npz?)")
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        raise FileFormatError(f"{path!r} cannot be opened as HDF5 (truncated or corrupted?): "
                              f"{error}") from None
    try:
        yield SafeFile(f, path)
    except (OSError, RuntimeError, KeyError) as error:
        raise FileFormatError(f"{path!r} could not be read (truncated or corrupted?): "
                              f"{error}") from None
    finally:
        with contextlib.suppress(Exception):
            f.close()


class SafeFile:
    """Checked access to the objects of one open HDF5 file."""

    def __init__(self, f: Any, path: str):
        self.root = f
        self.path = path
        self.file_size = os.path.getsize(path)

    # -- navigation ------------------------------------------------------------------------
    def has(self, group: Any, name: str) -> bool:
        """Whether ``group`` has a member ``name`` (a plain name, no ``/``)."""
        return name in group

    def child(self, group: Any, path: str, kind: str = "group") -> Any:
        """The group or dataset at ``path`` below ``group``, reached only through hard links."""
        h5py = _h5py()
        node = group
        for part in [p for p in path.split("/") if p]:
            if part in (".", ".."):
                raise FileFormatError(f"{self.path!r}: refusing the path {path!r}")
            if not isinstance(node, h5py.Group) or part not in node:
                raise FileFormatError(f"{self.path!r}: {node.name}/{path} is missing")
            link = node.get(part, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise FileFormatError(f"{self.path!r}: {node.name}/{part} is a "
                                      f"{type(link).__name__}; soft and external links are "
                                      "refused")
            node = node[part]
        wanted = h5py.Group if kind == "group" else h5py.Dataset
        if not isinstance(node, wanted):
            raise FileFormatError(f"{self.path!r}: {node.name} is not a {kind}")
        return node

    def members(self, group: Any) -> list[str]:
        """The names of ``group``'s members, in the file's (alphabetical) order."""
        return list(group)

    # -- data ------------------------------------------------------------------------------
    def array(self, group: Any, path: str) -> np.ndarray:
        """The numeric array stored at ``path`` below ``group``, after the safety checks."""
        dataset = self.child(group, path, kind="dataset")
        self._check_dataset(dataset)
        return np.asarray(dataset[()])

    def _check_dataset(self, dataset: Any) -> None:
        where = f"{self.path!r}: dataset {dataset.name}"
        if dataset.is_virtual or dataset.external:
            raise FileFormatError(f"{where} keeps its data in other files (virtual or external "
                                  "storage); refused")
        if dataset.dtype.kind not in "biuf":
            raise FileFormatError(f"{where} has dtype {dataset.dtype}; only numbers are read")
        declared = int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
        stored = int(dataset.id.get_storage_size())
        filters = set(_filter_ids(dataset))
        if filters - ALLOWED_FILTERS:
            raise FileFormatError(f"{where} uses HDF5 filters {sorted(filters)}; only deflate, "
                                  "shuffle, lzf and fletcher32 are read")
        # Unfiltered data occupies exactly its size in the file; data never written (the file
        # only declares the shape) occupies nothing and is refused like any other shortfall.
        limit = stored * MAX_EXPANSION + SMALL_ARRAY_BYTES if filters else stored
        if declared > limit:
            raise FileFormatError(f"{where} claims shape {tuple(dataset.shape)} "
                                  f"({declared} bytes) but the file stores {stored} bytes for "
                                  "it; refused as implausible")

    # -- attributes ------------------------------------------------------------------------
    def text_attr(self, obj: Any, name: str) -> str | None:
        """A string attribute (bytes are decoded as UTF-8), or None when absent."""
        if name not in obj.attrs:
            return None
        value = obj.attrs[name]
        if isinstance(value, np.ndarray) and value.shape == ():
            value = value[()]
        if isinstance(value, bytes | np.bytes_):
            return value.decode("utf-8")
        if isinstance(value, str):
            return value
        raise FileFormatError(f"{self.path!r}: attribute {name!r} of {obj.name} is not text")

    def json_attr(self, obj: Any, name: str) -> Any:
        """A JSON attribute, parsed (plain data only), or None when absent."""
        text = self.text_attr(obj, name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            raise FileFormatError(f"{self.path!r}: attribute {name!r} is not valid JSON: "
                                  f"{error}") from None

    def name_list_attr(self, obj: Any, name: str) -> list[str]:
        """A list-of-names attribute as Keras writes them: bytes or str, possibly split over
        ``name0``, ``name1``... when too long for one HDF5 object header."""
        if name in obj.attrs:
            chunks = [obj.attrs[name]]
        else:
            chunks = []
            while f"{name}{len(chunks)}" in obj.attrs:
                chunks.append(obj.attrs[f"{name}{len(chunks)}"])
        names = []
        for chunk in chunks:
            for item in np.atleast_1d(chunk):
                if isinstance(item, bytes | np.bytes_):
                    item = item.decode("utf-8")
                if not isinstance(item, str):
                    raise FileFormatError(f"{self.path!r}: attribute {name!r} of {obj.name} "
                                          "holds something other than names")
                names.append(item)
        return names


def _filter_ids(dataset: Any) -> list[int]:
    plist = dataset.id.get_create_plist()
    return [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
