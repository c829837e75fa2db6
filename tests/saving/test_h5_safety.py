"""Reading model and weights files we did not write: every promise of ``layerkit.formats.h5_safe``
checked on files damaged or crafted with h5py.

- a file that is not HDF5, truncated or corrupted -> ``FileFormatError`` naming it, never an
  h5py error, ``OSError`` or ``KeyError`` (and never a crash);
- soft links, external links, external and virtual datasets -> refused, naming the object, and
  the file an external link names is never opened;
- a small file declaring a huge array -> refused at once, before anything large is allocated;
- datasets that are not plain numbers -> refused;
- a config naming a class or function that is neither built in nor in ``custom_objects`` ->
  ``ValueError`` naming it; no module a file names is ever imported;
- nothing in a file (or ``safe_mode=False``) turns any of this off;
- a ``load_weights`` that fails changes no weight.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import time
import tracemalloc

import h5py
import numpy as np
import pytest

from layerkit.saving import FileFormatError

RNG = np.random.default_rng(0)
X = RNG.random((5, 4), dtype=np.float32)

# The three kinds of file, each also the end of its files' names: a whole model (legacy layout,
# read by load_model and by load_weights), weights in the legacy layout, weights in Keras 3's
# layout (the name must end in .weights.h5).
LAYOUTS = ["model.h5", "legacy.h5", "model.weights.h5"]
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# -- helpers --------------------------------------------------------------------------------------
def _build(keras, compiled=True):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(2)])
    if compiled:
        model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture(scope="module")
def good_files(tmp_path_factory):
    """Good files of the three layouts, with an optimizer state: written once, on the numpy
    backend (a file is the same whichever backend wrote it), and only ever read or copied."""
    import layerkit
    import layerkit.backend as K
    import layerkit_backend

    previous = layerkit_backend.backend().name
    layerkit_backend.set_backend("numpy")
    try:
        K.clear_session()
        layerkit.utils.set_random_seed(1234)
        model = _build(layerkit)
        model.fit(X, RNG.random((5, 2), dtype=np.float32), epochs=1, verbose=0)
        folder = tmp_path_factory.mktemp("good")
        model.save(folder / "model.h5")
        model.save_weights(folder / "legacy.h5")
        model.save_weights(folder / "model.weights.h5")
    finally:
        K.clear_session()
        layerkit_backend.set_backend(previous)
    return {name: folder / name for name in LAYOUTS}


@pytest.fixture
def saved(keras, good_files):
    """The good files, in a test with a clean Keras session on each backend."""
    return good_files


def _edited(saved, layout, tmp_path, edit, name=None):
    """A copy of the good ``layout`` file, changed by ``edit(h5py.File)``."""
    path = tmp_path / (name or f"edited.{layout}")
    shutil.copy(saved[layout], path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _load(keras, layout, path):
    """Read ``path`` as a file of ``layout``: whole-model files with load_model, the others
    with load_weights into a fresh (compiled, so the optimizer state is read too) model."""
    if layout == "model.h5":
        return keras.models.load_model(path)
    model = _build(keras)
    model.load_weights(path)
    return model


def _load_all_ways(keras, layout, path):
    """Every way of reading ``path``: for a whole-model file, load_model and load_weights."""
    calls = [lambda: _load(keras, layout, path)]
    if layout == "model.h5":
        calls.append(lambda: _build(keras).load_weights(path))
    return calls


def _raised_in_h5py(error: BaseException) -> bool:
    """Whether the innermost frame of ``error``'s traceback is h5py's (a bare h5py error)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__", "").startswith("h5py")


def _assert_refused(call, path, *names, match=None):
    """``call()`` raises FileFormatError whose message names the file and ``names``."""
    with pytest.raises(FileFormatError) as info:
        call()
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert str(path) in message, message
    for name in names:
        assert name in message, message
    if match is not None:
        assert match in message, message
    return info.value


def _assert_clean_failure(error: BaseException, path) -> None:
    """A damaged file may fail as FileFormatError (naming it) or, when the damage lands in the
    model config, as the ValueError/TypeError of rebuilding it; never as an error escaping from
    h5py (OSError, KeyError, ...)."""
    if isinstance(error, FileFormatError):
        assert str(path) in str(error), str(error)
        return
    assert isinstance(error, ValueError | TypeError), repr(error)
    assert not _raised_in_h5py(error), repr(error)


def _layer_group(layout):
    """The group holding the first Dense layer's weights, and its kernel's path."""
    return {"model.h5": ("model_weights/dense", "model_weights/dense/dense/kernel"),
            "legacy.h5": ("dense", "dense/dense/kernel"),
            "model.weights.h5": ("layers/dense", "layers/dense/vars/0")}[layout]


def _last_kernel(layout):
    """The path of the last layer's kernel (the last layer in the file's order)."""
    return {"model.h5": "model_weights/dense_1/dense_1/kernel",
            "legacy.h5": "dense_1/dense_1/kernel",
            "model.weights.h5": "layers/dense_1/vars/0"}[layout]


def _replace_dataset(f, path, **kwargs):
    parent, name = path.rsplit("/", 1)
    del f[path]
    return f[parent].create_dataset(name, **kwargs)


# -- 1. not HDF5 at all ---------------------------------------------------------------------------
def _random_bytes(path):
    path.write_bytes(np.random.default_rng(1).bytes(4096))


def _npz(path):
    with open(path, "wb") as fh:
        np.savez(fh, kernel=np.ones((4, 3), np.float32))


def _empty(path):
    path.write_bytes(b"")


def _json_text(path):
    path.write_text(json.dumps({"class_name": "Sequential", "config": {}}))


@pytest.mark.parametrize("make", [_random_bytes, _npz, _empty, _json_text])
@pytest.mark.parametrize("reader, name", [("load_model", "m.h5"), ("load_model", "m.weights.h5"),
                                          ("load_weights", "m.h5"),
                                          ("load_weights", "m.weights.h5")])
def test_a_file_that_is_not_hdf5_is_a_file_format_error(keras, tmp_path, make, reader, name):
    path = tmp_path / name
    make(path)
    if reader == "load_model":
        _assert_refused(lambda: keras.models.load_model(path), path, match="not an HDF5 file")
    else:
        _assert_refused(lambda: _build(keras).load_weights(path), path,
                        match="not an HDF5 file")


def test_file_format_error_is_a_value_error():
    assert issubclass(FileFormatError, ValueError)


def test_a_weights_only_file_is_not_a_model(keras, saved):
    for layout in ("legacy.h5", "model.weights.h5"):
        path = saved[layout]
        _assert_refused(lambda p=path: keras.models.load_model(p), path,
                        match="no model config")


def test_a_missing_file_is_file_not_found(keras, tmp_path):
    path = tmp_path / "absent.h5"
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        keras.models.load_model(path)
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        _build(keras).load_weights(path)


# -- 2. truncated and corrupted files -------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -100, -8, -1])
def test_a_truncated_file_is_a_file_format_error(keras, saved, tmp_path, layout, keep):
    data = saved[layout].read_bytes()
    cut = int(len(data) * keep) if keep > 0 else len(data) + keep
    path = tmp_path / f"truncated.{layout}"
    path.write_bytes(data[:cut])
    for call in _load_all_ways(keras, layout, path):
        _assert_refused(call, path)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("where", [0.3, 0.5, 0.7])
def test_bytes_flipped_in_the_middle_never_escape_as_h5py_errors(keras, saved, tmp_path, layout,
                                                                 where):
    data = bytearray(saved[layout].read_bytes())
    start = int(len(data) * where)
    for i in range(start, start + 16):
        data[i] ^= 0xFF
    path = tmp_path / f"corrupted.{layout}"
    path.write_bytes(bytes(data))
    for call in _load_all_ways(keras, layout, path):
        try:
            call()  # flipped weight bytes are just other numbers: loading may succeed
        except Exception as error:  # noqa: BLE001 - the point is which errors come out
            _assert_clean_failure(error, path)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_random_corruption_fails_cleanly(keras, saved, tmp_path, layout):
    """A seeded fuzz: a few random bytes changed anywhere, 40 times per layout."""
    good = saved[layout].read_bytes()
    rng = np.random.default_rng(LAYOUTS.index(layout))
    path = tmp_path / f"fuzzed.{layout}"
    outcomes = set()
    for _ in range(40):
        data = bytearray(good)
        for offset in rng.integers(0, len(data), rng.integers(1, 9)):
            data[offset] = rng.integers(0, 256)
        path.write_bytes(bytes(data))
        try:
            _load(keras, layout, path)
            outcomes.add("loaded")
        except Exception as error:  # noqa: BLE001
            _assert_clean_failure(error, path)
            outcomes.add(type(error).__name__)
    assert "FileFormatError" in outcomes


_FUZZ_CHILD = """
import faulthandler, os, sys
import numpy as np
import layerkit as keras
from layerkit import backend as K
from layerkit.saving import FileFormatError

good, work, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(good, "rb").read()
rng = np.random.default_rng(seed)
bad = []
for i in range(int(sys.argv[4])):
    d = bytearray(data)
    for offset in rng.integers(0, len(d), rng.integers(1, 9)):
        d[offset] = rng.integers(0, 256)
    open(work, "wb").write(bytes(d))
    K.clear_session()
    faulthandler.dump_traceback_later(30, exit=True)  # a hang in C: report it and exit
    try:
        keras.models.load_model(work)
    except FileFormatError:
        pass
    except (ValueError, TypeError) as error:  # from rebuilding a damaged config
        tb = error.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        if tb.tb_frame.f_globals.get("__name__", "").startswith("h5py"):
            bad.append((i, repr(error)))
    except Exception as error:
        bad.append((i, repr(error)))
    faulthandler.cancel_dump_traceback_later()
print("BAD", bad)
sys.exit(1 if bad else 0)
"""


@pytest.mark.slow
def test_corrupted_model_files_never_crash_the_process(tmp_path, good_files):
    """HDF5 is C: a corrupted file must not crash (segfault, abort) or hang the interpreter. A
    child process loads 300 randomly damaged copies of a whole-model file."""
    import subprocess

    script = tmp_path / "fuzz_child.py"
    script.write_text(_FUZZ_CHILD)
    env = dict(os.environ, PYTHONPATH=_REPO_ROOT, LAYERKIT_BACKEND="numpy",
               PYTHONWARNINGS="ignore")
    result = subprocess.run([sys.executable, str(script), str(good_files["model.h5"]),
                             str(tmp_path / "fuzzed.h5"), "11", "300"],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.returncode, result.stdout[-2000:],
                                    result.stderr[-2000:])



_LOADER_CHILD = """
import sys
import layerkit as keras
from layerkit.saving import FileFormatError

path, layout = sys.argv[1], sys.argv[2]


def build():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


calls = [lambda: build().load_weights(path)]
if layout == "model.h5":
    calls.insert(0, lambda: keras.models.load_model(path))
for call in calls:
    try:
        call()
        print("LOADED", flush=True)
    except FileFormatError as error:
        print("REFUSED", error, flush=True)
"""


def _load_in_a_child(path, layout, timeout=60):
    """Load ``path`` every way a ``layout`` file loads, in a child process (numpy backend):
    for what would block or loop forever inside HDF5's C code, holding the GIL, so that no
    watchdog thread could stop it. Returns the child's lines, "REFUSED <message>" or "LOADED";
    fails the test on a timeout."""
    import subprocess

    env = dict(os.environ, PYTHONPATH=_REPO_ROOT, LAYERKIT_BACKEND="numpy",
               PYTHONWARNINGS="ignore")
    try:
        result = subprocess.run([sys.executable, "-c", _LOADER_CHILD, str(path), layout],
                                env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"loading {path} blocked for {timeout} s (inside HDF5)")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == (2 if layout == "model.h5" else 1), result.stdout
    return lines


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("damage", ["zero-size free space", "size wrapping around"])
def test_a_damaged_global_heap_is_refused_before_hdf5_loops_on_it(good_files, tmp_path, layout,
                                                                   damage):
    """Variable-length strings (``model_config``, ``layer_names``... as h5py and Keras write
    them) live in a global heap collection. In one whose object claims 0 bytes, HDF5 2.0.0
    loops forever in C reading the attribute (found by the random corruption above); one whose
    object size runs past the collection (here wrapping around 2**64) is refused the same."""
    data = bytearray(good_files[layout].read_bytes())
    heap = data.find(b"GCOL\x01")
    assert heap > 0
    first = heap + 16  # the first object's header: index, refcount, reserved, size
    if damage == "zero-size free space":
        data[first:first + 2] = b"\0\0"
        data[first + 8:first + 16] = bytes(8)
    else:
        data[first + 8:first + 16] = (2**64 - 8).to_bytes(8, "little")
    path = tmp_path / f"heap.{layout}"
    path.write_bytes(bytes(data))
    for line in _load_in_a_child(path, layout):
        assert line.startswith("REFUSED") and "global heap" in line and str(path) in line, line


# -- 3. links, external and virtual datasets ------------------------------------------------------
def _soft_link_group(layout):
    group, _ = _layer_group(layout)

    def edit(f):
        f.move(group, group + "_real")
        f[group] = h5py.SoftLink("/" + group + "_real")
    return edit, "/" + group


def _soft_link_dataset(layout):
    _, kernel = _layer_group(layout)

    def edit(f):
        f.move(kernel, kernel + "_real")
        f[kernel] = h5py.SoftLink("/" + kernel + "_real")
    return edit, "/" + kernel


def _dangling_soft_link(layout):
    group, _ = _layer_group(layout)

    def edit(f):
        del f[group]
        f[group] = h5py.SoftLink("/nowhere")
    return edit, "/" + group


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("make", [_soft_link_group, _soft_link_dataset, _dangling_soft_link])
def test_soft_links_are_refused(keras, saved, tmp_path, layout, make):
    edit, where = make(layout)
    path = _edited(saved, layout, tmp_path, edit)
    for call in _load_all_ways(keras, layout, path):
        _assert_refused(call, path, where, match="SoftLink")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("target", ["group", "dataset"])
def test_external_links_to_a_good_file_are_refused(keras, saved, tmp_path, layout, target):
    """The link points at the very same objects in another, good file: still refused."""
    other = tmp_path / f"other.{layout}"
    shutil.copy(saved[layout], other)
    group, kernel = _layer_group(layout)
    where = group if target == "group" else kernel

    def edit(f):
        del f[where]
        f[where] = h5py.ExternalLink(str(other), "/" + where)
    path = _edited(saved, layout, tmp_path, edit)
    for call in _load_all_ways(keras, layout, path):
        _assert_refused(call, path, "/" + where, match="ExternalLink")


@pytest.mark.parametrize("layout, where", [("model.h5", "model_weights"),
                                           ("model.h5", "optimizer_weights"),
                                           ("model.weights.h5", "optimizer"),
                                           ("model.weights.h5", "layers")])
def test_external_links_at_the_top_are_refused(keras, saved, tmp_path, layout, where):
    other = tmp_path / f"other.{layout}"
    shutil.copy(saved[layout], other)

    def edit(f):
        del f[where]
        f[where] = h5py.ExternalLink(str(other), "/" + where)
    path = _edited(saved, layout, tmp_path, edit)
    _assert_refused(lambda: _load(keras, layout, path), path, "/" + where, match="ExternalLink")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_file_an_external_link_names_is_never_opened(good_files, tmp_path, layout):
    """The link points at a named pipe: opening it blocks (in C, holding the GIL) until someone
    writes, so the loading runs in a child process that must finish on its own."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    group, _ = _layer_group(layout)

    def edit(f):
        del f[group]
        f[group] = h5py.ExternalLink(str(fifo), "/" + group)
    path = _edited(good_files, layout, tmp_path, edit)
    for line in _load_in_a_child(path, layout, timeout=30):
        assert line.startswith("REFUSED") and "ExternalLink" in line and str(path) in line, line


@pytest.mark.parametrize("layout", LAYOUTS)
def test_external_datasets_are_refused(keras, saved, tmp_path, layout):
    raw = tmp_path / "kernel.bin"
    np.ones((4, 3), np.float32).tofile(raw)
    _, kernel = _layer_group(layout)
    path = _edited(saved, layout, tmp_path, lambda f: _replace_dataset(
        f, kernel, shape=(4, 3), dtype="f4", external=[(str(raw), 0, 48)]))
    for call in _load_all_ways(keras, layout, path):
        _assert_refused(call, path, "/" + kernel, match="external")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_virtual_datasets_are_refused(keras, saved, tmp_path, layout):
    _, kernel = _layer_group(layout)

    def edit(f):
        layout_ = h5py.VirtualLayout(shape=(4, 3), dtype="f4")
        layout_[:] = h5py.VirtualSource(str(saved[layout]), kernel, shape=(4, 3))
        del f[kernel]
        parent, name = kernel.rsplit("/", 1)
        f[parent].create_virtual_dataset(name, layout_)
    path = _edited(saved, layout, tmp_path, edit)
    for call in _load_all_ways(keras, layout, path):
        _assert_refused(call, path, "/" + kernel, match="virtual")


# -- 4. implausible sizes -------------------------------------------------------------------------
def _refused_fast_and_small(call, path, *names):
    """Refused as implausible within 2 s, with less than 64 MB allocated on the way."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        error = _assert_refused(call, path, *names)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2
    assert peak < 64 << 20, peak
    assert "implausible" in str(error)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_huge_array_with_no_data_is_refused(keras, saved, tmp_path, layout):
    _, kernel = _layer_group(layout)
    path = _edited(saved, layout, tmp_path,
                   lambda f: _replace_dataset(f, kernel, shape=(10**9,), dtype="f4"))
    assert path.stat().st_size < 1 << 20
    for call in _load_all_ways(keras, layout, path):
        _refused_fast_and_small(call, path, "/" + kernel)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("compression", ["gzip", "lzf"])
def test_a_compressed_array_beyond_the_expansion_limit_is_refused(keras, saved, tmp_path,
                                                                 layout, compression):
    _, kernel = _layer_group(layout)

    def edit(f):
        d = _replace_dataset(f, kernel, shape=(10**9,), dtype="f4", chunks=(2**16,),
                             compression=compression)
        d[: 2**16] = 0.0  # one chunk written: a few hundred bytes in the file
    path = _edited(saved, layout, tmp_path, edit)
    for call in _load_all_ways(keras, layout, path):
        _refused_fast_and_small(call, path, "/" + kernel)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("filters", [{"shuffle": True}, {"fletcher32": True}])
def test_filters_that_do_not_compress_earn_no_expansion_allowance(keras, saved, tmp_path,
                                                                  layout, filters):
    """Shuffle or a checksum alone compress nothing: one 1 MB chunk cannot stand for 1 GB
    (it did, when any filter earned the 1024x allowance of compression)."""
    _, kernel = _layer_group(layout)

    def edit(f):
        d = _replace_dataset(f, kernel, shape=(2**28,), dtype="f4", chunks=(2**18,), **filters)
        d[: 2**18] = 1.0
    path = _edited(saved, layout, tmp_path, edit)
    for call in _load_all_ways(keras, layout, path):
        _refused_fast_and_small(call, path, "/" + kernel)


def test_a_chunk_index_claiming_more_than_the_file_is_refused(keras, saved, tmp_path):
    """Chunks the index lists (1 MB each) but the file no longer holds: the file is cut after
    its metadata and the end-of-file address in its superblock patched to match, so HDF5 opens
    it; the stored size the index claims is more than the whole file."""
    layout = "model.weights.h5"
    _, kernel = _layer_group(layout)
    path = tmp_path / f"claims.{layout}"
    shutil.copy(saved[layout], path)
    with h5py.File(path, "r+") as f:
        d = _replace_dataset(f, kernel, shape=(2**26,), dtype="f4", chunks=(2**18,),
                             compression="gzip")
        for i in range(3):
            d.id.write_direct_chunk((i * 2**18,), b"\0" * (1 << 20))
        first_chunk = d.id.get_chunk_info(0).byte_offset
    with open(path, "r+b") as fh:
        header = fh.read(48)
        assert header[8] == 0 and header[13] == 8  # superblock v0, 8-byte addresses
        fh.truncate(first_chunk)
        fh.seek(40)  # the end-of-file address
        fh.write(struct.pack("<Q", first_chunk))
    with h5py.File(path, "r") as f:  # the precondition: HDF5 opens it, the claim stands
        assert f[kernel].id.get_storage_size() > path.stat().st_size
    _refused_fast_and_small(lambda: _load(keras, layout, path), path, "/" + kernel)


def test_plausible_compressed_weights_still_load(keras, saved, tmp_path):
    """The checks refuse claims, not compression: a compressed, shuffled, checksummed kernel
    written in full loads."""
    model = _build(keras)
    model.load_weights(saved["model.weights.h5"])
    kernel = model.layers[0].get_weights()[0]
    path = _edited(saved, "model.weights.h5", tmp_path, lambda f: _replace_dataset(
        f, "layers/dense/vars/0", data=kernel, chunks=(2, 3), compression="gzip", shuffle=True,
        fletcher32=True))
    loaded = _build(keras)
    loaded.load_weights(path)
    np.testing.assert_array_equal(loaded.layers[0].get_weights()[0], kernel)


# -- 5. datasets that are not plain numbers -------------------------------------------------------
_NOT_NUMBERS = {
    "bytes": {"data": np.array([b"abc"] * 12).reshape(4, 3)},
    "vlen str": {"shape": (4, 3), "dtype": h5py.string_dtype()},
    "vlen float": {"shape": (4, 3), "dtype": h5py.vlen_dtype(np.float32)},
    "compound": {"data": np.zeros((4, 3), dtype=[("a", "f4"), ("b", "i4")])},
    "reference": {"shape": (4, 3), "dtype": h5py.ref_dtype},
    "opaque": {"data": np.void(b"x" * 48)},
    "complex": {"data": np.ones((4, 3), np.complex64)},
    "null dataspace": {"data": h5py.Empty("f4")},
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", list(_NOT_NUMBERS))
def test_datasets_that_are_not_numbers_are_refused(keras, saved, tmp_path, layout, kind):
    _, kernel = _layer_group(layout)
    path = _edited(saved, layout, tmp_path,
                   lambda f: _replace_dataset(f, kernel, **_NOT_NUMBERS[kind]))
    for call in _load_all_ways(keras, layout, path):
        _assert_refused(call, path, "/" + kernel)


def test_attributes_that_are_not_what_they_claim_are_refused(keras, saved, tmp_path):
    layout = "model.h5"
    cases = {
        "not JSON": (lambda f: f.attrs.__setitem__("model_config", b"{not json"), "JSON"),
        "not text": (lambda f: f.attrs.__setitem__("model_config", np.arange(3)), "not text"),
        "not UTF-8": (lambda f: f.attrs.__setitem__("model_config", b"\xff\xfe"),
                      "model_config"),
        "names not names": (lambda f: f["model_weights"].attrs.__setitem__(
            "layer_names", np.arange(2)), "layer_names"),
    }
    for label, (edit, expected) in cases.items():
        path = _edited(saved, layout, tmp_path, edit, name=f"{label}.h5")
        _assert_refused(lambda p=path: keras.models.load_model(p), path, expected)


# -- 6. configs: only built-in classes and custom_objects -----------------------------------------
def _config(model):
    return json.loads(model.to_json())


def _with_model_config(saved, tmp_path, config, name="config.h5"):
    return _edited(saved, "model.h5", tmp_path, lambda f: f.attrs.__setitem__(
        "model_config", json.dumps(config).encode("utf-8")), name=name)


def _dense_entry(config):
    return config["config"]["layers"][1]


@pytest.mark.parametrize("class_name", ["PythonFunction", "os.system", "Evil", "builtins.eval"])
def test_a_config_naming_an_unknown_class_is_refused(keras, saved, tmp_path, class_name):
    config = _config(_build(keras, compiled=False))
    _dense_entry(config)["class_name"] = class_name
    with pytest.raises(ValueError, match=f"Unknown layer class '{class_name}'"):
        keras.models.model_from_json(json.dumps(config))
    path = _with_model_config(saved, tmp_path, config)
    with pytest.raises(ValueError, match=f"Unknown layer class '{class_name}'"):
        keras.models.load_model(path)
    config = _config(_build(keras, compiled=False))
    config["class_name"] = class_name  # the model's own class
    with pytest.raises(ValueError, match=f"Unknown layer class '{class_name}'"):
        keras.models.model_from_json(json.dumps(config))


def test_the_same_class_in_custom_objects_is_accepted(keras, saved, tmp_path):
    class Evil(keras.layers.Dense):
        pass

    config = _config(_build(keras, compiled=False))
    _dense_entry(config)["class_name"] = "Evil"
    model = keras.models.model_from_json(json.dumps(config), custom_objects={"Evil": Evil})
    assert type(model.layers[0]) is Evil
    path = _with_model_config(saved, tmp_path, config)
    loaded = keras.models.load_model(path, custom_objects={"Evil": Evil})
    assert type(loaded.layers[0]) is Evil
    original = keras.models.load_model(saved["model.h5"])
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), original.predict(X, verbose=0))


def test_custom_objects_reach_the_layers_of_a_functional_model(keras):
    class Evil(keras.layers.Dense):
        pass

    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    config = _config(model)
    for entry in config["config"]["layers"]:
        if entry["class_name"] == "Dense":
            entry["class_name"] = "Evil"
    rebuilt = keras.models.model_from_json(json.dumps(config), custom_objects={"Evil": Evil})
    assert any(type(layer) is Evil for layer in rebuilt.layers)


@pytest.mark.parametrize("activation", [
    "evil_function", "os.system", "eval",
    {"module": "builtins", "class_name": "function", "config": "eval",
     "registered_name": "eval"}])
def test_an_activation_that_is_not_built_in_is_refused(keras, saved, tmp_path, activation):
    config = _config(_build(keras, compiled=False))
    _dense_entry(config)["config"]["activation"] = activation
    name = activation if isinstance(activation, str) else "eval"
    with pytest.raises(ValueError, match=f"activation.*{name}"):
        keras.models.model_from_json(json.dumps(config))
    path = _with_model_config(saved, tmp_path, config)
    with pytest.raises(ValueError, match=f"activation.*{name}"):
        keras.models.load_model(path)


def test_a_custom_activation_in_custom_objects_is_accepted(keras):
    def twice(x):
        return x * 2.0

    config = _config(_build(keras, compiled=False))
    _dense_entry(config)["config"]["activation"] = "twice"
    model = keras.models.model_from_json(json.dumps(config), custom_objects={"twice": twice})
    assert model.layers[0].activation is twice


@pytest.fixture
def marker_module(tmp_path, monkeypatch):
    """A module on sys.path that writes a marker file if it is ever imported."""
    name = f"layerkit_test_marker_{os.getpid()}_{time.monotonic_ns()}"
    marker = tmp_path / "imported.txt"
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / f"{name}.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\n"
        "def Evil(*args, **kwargs):\n    raise AssertionError('called')\n"
        "Dense = Evil\nGlorotUniform = Evil\nAdam = Evil\nsystem = Evil\n")
    monkeypatch.syspath_prepend(str(folder))
    yield name
    assert name not in sys.modules, f"{name} was imported"
    assert not marker.exists(), f"{name} was imported"


def _module_everywhere(config, module):
    """Every dict with a ``module`` key (Keras 3 writes them for layers, initializers, dtype
    policies) names ``module``, and ``registered_name`` points into it."""
    if isinstance(config, dict):
        if "class_name" in config:
            config["module"] = module
            config["registered_name"] = f"{module}>{config['class_name']}"
        for value in config.values():
            _module_everywhere(value, module)
    elif isinstance(config, list):
        for value in config:
            _module_everywhere(value, module)
    return config


def test_a_module_named_by_a_config_is_never_imported(keras, saved, tmp_path, marker_module):
    config = _module_everywhere(_config(_build(keras, compiled=False)), marker_module)
    # Built-in class names: the module is ignored, the model builds from built-in classes.
    model = keras.models.model_from_json(json.dumps(config))
    assert type(model.layers[0]).__module__.startswith("layerkit.")
    path = _with_model_config(saved, tmp_path, config)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0),
                                  keras.models.load_model(saved["model.h5"]).predict(
                                      X, verbose=0))
    # A class only that module has: refused by name, still not imported.
    _dense_entry(config)["class_name"] = "Evil"
    with pytest.raises(ValueError, match="Unknown layer class 'Evil'"):
        keras.models.model_from_json(json.dumps(config))
    _dense_entry(config)["class_name"] = "Dense"
    _dense_entry(config)["config"]["activation"] = {"module": marker_module,
                                                    "class_name": "function",
                                                    "config": "Evil", "registered_name": "Evil"}
    with pytest.raises(ValueError, match="Evil"):
        keras.models.model_from_json(json.dumps(config))


def test_a_module_named_by_a_training_config_is_never_imported(keras, saved, tmp_path,
                                                              marker_module):
    with h5py.File(saved["model.h5"], "r") as f:
        training = json.loads(f.attrs["training_config"])
    cases = {
        "optimizer": lambda t: t["optimizer_config"].update(module=marker_module,
                                                           class_name="Evil"),
        "loss": lambda t: t.update(loss={"module": marker_module, "class_name": "Evil",
                                         "config": {}}),
        "metric": lambda t: t.update(metrics=[{"module": marker_module, "class_name": "Evil",
                                               "config": {}}]),
        "loss by dotted name": lambda t: t.update(loss=f"{marker_module}.Evil"),
    }
    for label, change in cases.items():
        config = json.loads(json.dumps(training))
        change(config)
        path = _edited(saved, "model.h5", tmp_path, lambda f, c=config: f.attrs.__setitem__(
            "training_config", json.dumps(c).encode("utf-8")), name=f"{label}.h5")
        with pytest.raises(ValueError, match="Evil"):
            keras.models.load_model(path)
        keras.models.load_model(path, compile=False)  # the architecture alone is fine


# -- 7. nothing in the file turns the checks off --------------------------------------------------
def _switches(f):
    """Everything a file could say to ask for leniency."""
    f.attrs["safe_mode"] = False
    f.attrs["safe_mode_str"] = b"False"
    f.attrs["allow_links"] = True
    f.attrs["allow_external"] = True
    f.attrs["trusted"] = b"true"
    f.attrs["h5_safe"] = b"off"
    if "training_config" in f.attrs:
        training = json.loads(f.attrs["training_config"])
        training.update(safe_mode=False, trust_remote_code=True,
                        custom_objects={"Evil": "os.system"}, allow_pickle=True)
        f.attrs["training_config"] = json.dumps(training).encode("utf-8")


def _bad_edits(layout, tmp_path, saved):
    group, kernel = _layer_group(layout)
    other = tmp_path / f"other.{layout}"
    shutil.copy(saved[layout], other)

    def soft(f):
        f.move(kernel, kernel + "_real")
        f[kernel] = h5py.SoftLink("/" + kernel + "_real")

    def external_link(f):
        del f[group]
        f[group] = h5py.ExternalLink(str(other), "/" + group)

    return {
        "soft link": soft,
        "external link": external_link,
        "huge": lambda f: _replace_dataset(f, kernel, shape=(10**9,), dtype="f4"),
        "strings": lambda f: _replace_dataset(f, kernel, **_NOT_NUMBERS["bytes"]),
        "external dataset": lambda f: _replace_dataset(
            f, kernel, shape=(4, 3), dtype="f4", external=[(str(other), 0, 48)]),
    }


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_attribute_of_a_file_switches_the_checks_off(keras, saved, tmp_path, layout):
    for label, edit in _bad_edits(layout, tmp_path, saved).items():
        def both(f, edit=edit):
            edit(f)
            _switches(f)
            for name in list(f):  # on every group too
                if isinstance(f.get(name, getlink=True), h5py.HardLink):
                    f[name].attrs["safe_mode"] = False
        path = _edited(saved, layout, tmp_path, both, name=f"{label}.{layout}")
        for call in _load_all_ways(keras, layout, path):
            _assert_refused(call, path)
        if layout == "model.h5":
            _assert_refused(lambda p=path: keras.models.load_model(p, safe_mode=False), path)


def test_safe_mode_false_does_not_allow_unknown_classes(keras, saved, tmp_path):
    config = _config(_build(keras, compiled=False))
    _dense_entry(config)["class_name"] = "EvalLayer"
    path = _with_model_config(saved, tmp_path, config)
    with h5py.File(path, "r+") as f:
        _switches(f)
    with pytest.raises(ValueError, match="Unknown layer class 'EvalLayer'"):
        keras.models.load_model(path, safe_mode=False)


# -- 8. a failed load_weights changes nothing -----------------------------------------------------
def _snapshot(model):
    weights = [w.copy() for w in model.get_weights()]
    optimizer = [np.array(v.numpy()) for v in model.optimizer.variables]
    return weights, optimizer


def _assert_unchanged(model, before):
    weights, optimizer = _snapshot(model)
    assert len(weights) == len(before[0])
    for a, b in zip(weights, before[0]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(optimizer, before[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("damage", ["shape", "soft link", "strings"])
def test_a_load_weights_failing_at_the_last_layer_changes_nothing(keras, saved, tmp_path,
                                                                  layout, damage):
    kernel = _last_kernel(layout)

    def edit(f):
        if damage == "shape":
            _replace_dataset(f, kernel, data=np.ones((3, 5), np.float32))
        elif damage == "soft link":
            f.move(kernel, kernel + "_real")
            f[kernel] = h5py.SoftLink("/" + kernel + "_real")
        else:
            _replace_dataset(f, kernel, **_NOT_NUMBERS["bytes"])
    path = _edited(saved, layout, tmp_path, edit)
    model = _build(keras)
    model.fit(X, RNG.random((5, 2), dtype=np.float32), epochs=1, verbose=0)
    before = _snapshot(model)
    with pytest.raises(ValueError) as info:
        model.load_weights(path)
    message = str(info.value)
    if damage == "shape":  # names the layer and the shapes (the legacy message not the file)
        assert "(3, 5)" in message and "dense_1" in message, message
    else:
        assert isinstance(info.value, FileFormatError)
        assert str(path) in message and "/" + kernel in message, message
    _assert_unchanged(model, before)


def test_a_load_weights_failing_in_the_optimizer_state_changes_nothing(keras, saved, tmp_path):
    """In a .weights.h5 file the optimizer's variables are read last, after every layer's: an
    unsafe dataset there still leaves every weight as it was."""
    path = _edited(saved, "model.weights.h5", tmp_path,
                   lambda f: _replace_dataset(f, "optimizer/vars/9", **_NOT_NUMBERS["bytes"]))
    model = _build(keras)
    model.fit(X, RNG.random((5, 2), dtype=np.float32), epochs=1, verbose=0)
    before = _snapshot(model)
    _assert_refused(lambda: model.load_weights(path), path, "/optimizer/vars/9")
    _assert_unchanged(model, before)
