"""Reading HDF5 files we did not write, defensively.

A model file is data, never code: nothing here unpickles, imports or follows anything a file
names. Every object is reached through hard links inside the file (soft and external links are
refused), datasets must keep their bytes in the file itself (external and virtual datasets are
refused) and hold plain numbers, and a dataset must not claim more data than the file can hold
(a tiny file declaring a huge array). A truncated or corrupted file, or one that is not HDF5 at
all, raises ``FileFormatError`` naming the file, never a crash deep inside h5py (nor a hang:
the global heap, which HDF5 decodes without bounds checks, is checked first). No attribute of
a file can turn any of these checks off.
"""

from __future__ import annotations

import contextlib
import json
import mmap
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
# Of those, the ones that compress (deflate, lzf).
COMPRESSING_FILTERS = {1, 32000}


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
    _check_global_heaps(path)
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
        with self._reading(_join(group.name, name)):
            return name in group

    def has_path(self, group: Any, path: str) -> bool:
        """Whether ``path`` exists below ``group``. Like ``child``, it never follows a soft or
        external link (one on the way is refused): testing ``group[part]`` instead would open
        whatever file an external link names before any check."""
        node = group
        for part in [p for p in path.split("/") if p]:
            with self._reading(_join(node.name, part)):
                if not isinstance(node, _h5py().Group) or part not in node:
                    return False
            node = self._step(node, part, path)
        return True

    def child(self, group: Any, path: str, kind: str = "group") -> Any:
        """The group or dataset at ``path`` below ``group``, reached only through hard links."""
        h5py = _h5py()
        node = group
        for part in [p for p in path.split("/") if p]:
            with self._reading(_join(node.name, part)):
                if not isinstance(node, h5py.Group) or part not in node:
                    raise FileFormatError(f"{self.path!r}: {_join(node.name, part)} is missing")
            node = self._step(node, part, path)
        wanted = h5py.Group if kind == "group" else h5py.Dataset
        if not isinstance(node, wanted):
            raise FileFormatError(f"{self.path!r}: {node.name} is not a {kind}")
        return node

    def _step(self, node: Any, part: str, path: str) -> Any:
        """``node[part]``, only through a hard link."""
        h5py = _h5py()
        if part in (".", ".."):
            raise FileFormatError(f"{self.path!r}: refusing the path {path!r}")
        where = _join(node.name, part)
        with self._reading(where):
            link = node.get(part, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise FileFormatError(f"{self.path!r}: {where} is a {type(link).__name__}; "
                                      "soft and external links are refused")
            return node[part]

    def members(self, group: Any) -> list[str]:
        """The names of ``group``'s members, in the file's (alphabetical) order."""
        with self._reading(group.name):
            return list(group)

    @contextlib.contextmanager
    def _reading(self, where: str) -> Iterator[None]:
        """Errors h5py raises on a damaged object (a broken header, datatype or attribute
        gives OSError, KeyError, RuntimeError, and also TypeError or ValueError, e.g. "Unknown
        string encoding", "Insufficient precision...") become ``FileFormatError`` naming the
        file and the object. Only wraps our own reads of the file, never layerkit code."""
        try:
            yield
        except FileFormatError:
            raise
        except (OSError, RuntimeError, KeyError, TypeError, ValueError) as error:
            raise FileFormatError(f"{self.path!r}: {where} could not be read (truncated or "
                                  f"corrupted?): {error}") from None

    # -- data ------------------------------------------------------------------------------
    def array(self, group: Any, path: str) -> np.ndarray:
        """The numeric array stored at ``path`` below ``group``, after the safety checks."""
        dataset = self.child(group, path, kind="dataset")
        with self._reading(dataset.name):
            self._check_dataset(dataset)
            return np.asarray(dataset[()])

    def _check_dataset(self, dataset: Any) -> None:
        where = f"{self.path!r}: dataset {dataset.name}"
        if dataset.is_virtual or dataset.external:
            raise FileFormatError(f"{where} keeps its data in other files (virtual or external "
                                  "storage); refused")
        if dataset.dtype.kind not in "biuf":
            raise FileFormatError(f"{where} has dtype {dataset.dtype}; only numbers are read")
        if dataset.shape is None:  # an HDF5 null dataspace (h5py.Empty): no array at all
            raise FileFormatError(f"{where} has an empty (null) dataspace; refused")
        declared = int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
        stored = int(dataset.id.get_storage_size())
        filters = set(_filter_ids(dataset))
        if filters - ALLOWED_FILTERS:
            raise FileFormatError(f"{where} uses HDF5 filters {sorted(filters)}; only deflate, "
                                  "shuffle, lzf and fletcher32 are read")
        # The chunk index says how many bytes the data occupies; a crafted index can claim
        # more than the whole file, which would pass the expansion limit below.
        if stored > self.file_size:
            raise FileFormatError(f"{where} claims {stored} bytes of storage but the file has "
                                  f"only {self.file_size}; refused as implausible")
        # Unfiltered data occupies exactly its size in the file; data never written (the file
        # only declares the shape) occupies nothing and is refused like any other shortfall.
        # Only compressing filters earn the expansion allowance: shuffle and fletcher32 alone
        # store (at least) every byte, so they are held to the unfiltered rule.
        compressed = filters & COMPRESSING_FILTERS
        limit = stored * MAX_EXPANSION + SMALL_ARRAY_BYTES if compressed else stored
        if declared > limit:
            raise FileFormatError(f"{where} claims shape {tuple(dataset.shape)} "
                                  f"({declared} bytes) but the file stores {stored} bytes for "
                                  "it; refused as implausible")

    # -- attributes ------------------------------------------------------------------------
    def text_attr(self, obj: Any, name: str) -> str | None:
        """A string attribute (bytes are decoded as UTF-8), or None when absent."""
        with self._reading(f"attribute {name!r} of {obj.name}"):
            if name not in obj.attrs:
                return None
            value = obj.attrs[name]
            if isinstance(value, np.ndarray) and value.shape == ():
                value = value[()]
            if isinstance(value, bytes | np.bytes_):
                return value.decode("utf-8")  # a UnicodeDecodeError becomes FileFormatError
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
        with self._reading(f"attribute {name!r} of {obj.name}"):
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
                    with self._reading(f"attribute {name!r} of {obj.name}"):
                        item = item.decode("utf-8")
                if not isinstance(item, str):
                    raise FileFormatError(f"{self.path!r}: attribute {name!r} of {obj.name} "
                                          "holds something other than names")
                names.append(item)
        return names


def _check_global_heaps(path: str) -> None:
    """Refuse a file whose global heap collections (where HDF5 keeps variable-length strings,
    e.g. the ``model_config`` attribute h5py and Keras write) are malformed. HDF5 (2.0.0, as
    bundled with h5py 3.16) does not check every object it decodes: one that claims 0 bytes
    stops its cursor, and reading the attribute then loops forever, in C, holding the GIL
    (found by flipping random bytes in a saved model). The collection layout
    (HDF5 file format spec, "Global Heap"): "GCOL", version 1, 3 reserved bytes, the
    collection size, then objects (index u16, refcount u16, 4 reserved, size, data padded to
    8 bytes; index 0 is the free space, whose size includes its header). Every "GCOL" + version
    1 in the file with a plausible size is parsed the way HDF5 parses it, in Python integers;
    one that does not tile its collection exactly is refused."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        lengths = _size_of_lengths(data)
        header = 8 + lengths  # a collection's header; an object's header has the same size
        end_of_file = len(data)
        start = data.find(b"GCOL\x01")
        while start != -1:
            size = int.from_bytes(data[start + 8:start + 8 + lengths], "little")
            if 4096 <= size <= end_of_file - start:  # else HDF5 refuses it itself
                end, p = start + size, start + header
                while p + header <= end:  # a shorter tail is free space
                    index = int.from_bytes(data[p:p + 2], "little")
                    size_ = int.from_bytes(data[p + 8:p + 8 + lengths], "little")
                    need = header + -(-size_ // 8) * 8 if index else size_
                    if need <= 0 or p + need > end:
                        raise FileFormatError(
                            f"{path!r} has a damaged global heap collection at byte {start} "
                            f"(an object at byte {p} claims {size_} bytes); refused")
                    p += need
            start = data.find(b"GCOL\x01", start + 1)


def _size_of_lengths(data: Any) -> int:
    """The width of length fields, from the superblock (at 0, 512, 1024... after a user
    block); 8, as h5py writes, when it cannot be read."""
    offset = 0
    while offset + 16 <= len(data):
        if data[offset:offset + 8] == b"\x89HDF\r\n\x1a\n":
            width = data[offset + (14 if data[offset + 8] < 2 else 10)]
            return width if width in (2, 4, 8, 16, 32) else 8
        offset = 512 if offset == 0 else offset * 2
    return 8


def _join(parent: str, name: str) -> str:
    """An object's full name in the file, for messages (``/`` + ``a`` is ``/a``, not ``//a``)."""
    return f"{parent.rstrip('/')}/{name}"


def _filter_ids(dataset: Any) -> list[int]:
    plist = dataset.id.get_create_plist()
    return [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
