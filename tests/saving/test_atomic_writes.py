"""Every save is atomic: a reader, or a process killed mid-save, sees the previous file or the
whole new one, never a torn one; a failed save leaves no temporary file behind; and
``overwrite=False`` never touches an existing file."""

from __future__ import annotations

import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# How each kind of file is saved; the key is also the file's name.
SAVES = {
    "model.h5": lambda model, path, **kw: model.save(path, **kw),
    "legacy.h5": lambda model, path, **kw: model.save_weights(path, **kw),
    "model.weights.h5": lambda model, path, **kw: model.save_weights(path, **kw),
}


def _model(keras, compiled=True):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    if compiled:
        model.compile(optimizer="adam", loss="mse")
    return model


def _bump(model):
    model.set_weights([w + 1.0 for w in model.get_weights()])


def _temp_name(target: str) -> str:
    """What a temporary file for ``target`` looks like (see layerkit/utils/atomic.py)."""
    return rf"\.{re.escape(target)}\.[0-9a-f]{{12}}\.tmp"


# -- a save that raises midway --------------------------------------------------------------------
def _break_the_writer(monkeypatch, name, error):
    """Make the next save of ``name`` raise ``error`` after writing part (legacy layouts: the
    first layer's group) or all (Keras 3 layout) of the new file, before it is closed."""
    from layerkit.formats import legacy_h5, weights_h5

    if name == "model.weights.h5":
        real = weights_h5.write

        def broken(f, model):
            real(f, model)
            f.flush()
            raise error("disk full (simulated)")
        monkeypatch.setattr(weights_h5, "write", broken)
    else:
        real = legacy_h5._write_subset
        calls = []

        def broken(group, weights):
            calls.append(group.name)
            if len(calls) == 2:
                raise error("disk full (simulated)")
            real(group, weights)
        monkeypatch.setattr(legacy_h5, "_write_subset", broken)


@pytest.mark.parametrize("name", list(SAVES))
@pytest.mark.parametrize("error", [RuntimeError, OSError, KeyboardInterrupt])
def test_a_save_that_fails_midway_leaves_the_previous_file(keras, tmp_path, monkeypatch, name,
                                                          error):
    model = _model(keras)
    path = tmp_path / name
    SAVES[name](model, path)
    before = path.read_bytes()
    _bump(model)
    _break_the_writer(monkeypatch, name, error)
    with pytest.raises(error, match="simulated"):
        SAVES[name](model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [name]  # no temporary file left behind
    monkeypatch.undo()
    reloaded = _model(keras, compiled=False)
    reloaded.load_weights(path)  # still a good file


@pytest.mark.parametrize("name", list(SAVES))
def test_a_first_save_that_fails_leaves_nothing(keras, tmp_path, monkeypatch, name):
    model = _model(keras)
    _break_the_writer(monkeypatch, name, RuntimeError)
    with pytest.raises(RuntimeError, match="simulated"):
        SAVES[name](model, tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_a_model_that_cannot_describe_itself_fails_before_any_file_is_made(keras, tmp_path):
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Subclassed()
    model(np.ones((1, 4), np.float32))
    path = tmp_path / "model.h5"
    path.write_bytes(b"previous")
    with pytest.raises(NotImplementedError):
        model.save(path)
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["model.h5"]


# -- how the new file gets there ------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SAVES))
def test_the_new_file_is_written_beside_the_target_synced_then_renamed(keras, tmp_path,
                                                                      monkeypatch, name):
    from layerkit.utils import atomic

    events = []
    real_replace, real_fsync_file, real_fsync_dir = os.replace, atomic.fsync_file, \
        atomic.fsync_dir

    def replace(src, dst, *args, **kwargs):
        events.append(("replace", os.fspath(src), os.fspath(dst)))
        return real_replace(src, dst, *args, **kwargs)

    def fsync_file(path):
        if not os.path.isdir(path):  # fsync_dir syncs the folder through fsync_file
            events.append(("fsync_file", os.fspath(path), os.path.getsize(path)))
        return real_fsync_file(path)

    def fsync_dir(folder):
        events.append(("fsync_dir", os.fspath(folder)))
        return real_fsync_dir(folder)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(atomic, "fsync_file", fsync_file)
    monkeypatch.setattr(atomic, "fsync_dir", fsync_dir)
    path = tmp_path / name
    SAVES[name](_model(keras), path)
    kinds = [event[0] for event in events]
    assert kinds == ["fsync_file", "replace", "fsync_dir"], events
    (_, synced, size), (_, src, dst), (_, folder) = events
    assert synced == src and dst == str(path) and folder == str(tmp_path)
    assert os.path.dirname(src) == str(tmp_path)  # same folder: same file system, atomic rename
    assert re.fullmatch(_temp_name(name), os.path.basename(src)), src
    assert size == path.stat().st_size > 0  # synced once complete


def test_leftover_temporary_files_are_never_taken_for_the_target(keras, tmp_path):
    """What a killed save leaves: a hidden, partial temporary file. It is not the target, a new
    save does not trip over it, and it is left alone."""
    model = _model(keras)
    path = tmp_path / "model.h5"
    model.save(path)
    leftover = tmp_path / ".model.h5.0123456789ab.tmp"
    partial = path.read_bytes()[:1000]
    leftover.write_bytes(partial)
    _bump(model)
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert leftover.read_bytes() == partial
    assert sorted(os.listdir(tmp_path)) == [leftover.name, "model.h5"]


# -- overwrite=False ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SAVES))
def test_overwrite_false_refuses_an_existing_file_and_leaves_it(keras, tmp_path, name):
    model = _model(keras)
    path = tmp_path / name
    SAVES[name](model, path)
    before, stat = path.read_bytes(), path.stat()
    _bump(model)
    with pytest.raises(FileExistsError) as info:
        SAVES[name](model, path, overwrite=False)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_ino == stat.st_ino
    assert os.listdir(tmp_path) == [name]


def test_overwrite_false_through_the_saving_functions(keras, tmp_path):
    model = _model(keras)
    for name, save in [("model.h5", keras.saving.save_model),
                       ("legacy.h5", keras.saving.save_weights),
                       ("model.weights.h5", keras.saving.save_weights)]:
        path = tmp_path / name
        path.write_bytes(b"something else entirely")
        with pytest.raises(FileExistsError, match=re.escape(str(path))):
            save(model, path, overwrite=False)
        assert path.read_bytes() == b"something else entirely"


@pytest.mark.parametrize("name", list(SAVES))
def test_overwrite_false_writes_a_new_file(keras, tmp_path, name):
    model = _model(keras)
    path = tmp_path / name
    SAVES[name](model, path, overwrite=False)
    reloaded = _model(keras, compiled=False)
    reloaded.load_weights(path)
    for a, b in zip(reloaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- the kill test --------------------------------------------------------------------------------
UNITS = 1024  # a 1024x1024 float32 kernel: 4 MB per save

_SAVER = """
import sys
import numpy as np
import layerkit as keras

path, units = sys.argv[1], int(sys.argv[2])
model = keras.Sequential([keras.Input((units,)), keras.layers.Dense(units)])
k = 0
while True:
    k += 1
    model.set_weights([np.full(w.shape, k, w.dtype) for w in model.get_weights()])
    model.save(path)
    print(k, flush=True)  # save number k is complete
"""


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put((time.monotonic(), line.strip()))
    into.put((time.monotonic(), None))


@pytest.mark.parametrize("rounds", [1, pytest.param(6, marks=pytest.mark.slow)])
def test_killing_a_process_mid_save_never_leaves_a_torn_file(tmp_path, rounds):
    """A child saves a model (all weights = k for save number k, 4 MB) to the same path in a
    loop; it is killed with SIGKILL at a random moment of a save. The file must then load and
    be exactly one completed save: the last one the child reported, or the one it finished
    (renamed) without living to report it; never a mix of two."""
    import layerkit
    import layerkit.backend as K

    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    path = tmp_path / "model.h5"
    env = dict(os.environ, PYTHONPATH=_REPO_ROOT, LAYERKIT_BACKEND="numpy",
               PYTHONWARNINGS="ignore")
    rng = random.Random(20240611)
    for round_ in range(rounds):
        child = subprocess.Popen([sys.executable, str(script), str(path), str(UNITS)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 env=env)
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_lines, args=(child.stdout, lines), daemon=True)
        reader.start()
        printed, times = [], []
        try:
            while len(printed) < 3 + round_ % 3:  # a few completed saves
                at, line = lines.get(timeout=120)
                assert line is not None, "the saving process died"
                printed.append(int(line))
                times.append(at)
            interval = (times[-1] - times[0]) / (len(times) - 1)
            time.sleep(rng.uniform(0.0, interval))  # somewhere in the next save
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        reader.join(timeout=30)
        while not lines.empty():  # what it reported before dying
            _, line = lines.get()
            if line:
                printed.append(int(line))
        assert child.returncode == -signal.SIGKILL
        last = printed[-1]

        K.clear_session()
        model = layerkit.models.load_model(path)
        values = np.unique(np.concatenate([w.ravel() for w in model.get_weights()]))
        assert len(values) == 1, f"round {round_}: a mix of saves {values}"
        k = int(values[0])
        assert k in (last, last + 1), (k, last)
        prediction = model.predict(np.ones((1, UNITS), np.float32), verbose=0)
        np.testing.assert_allclose(prediction, np.full((1, UNITS), (UNITS + 1) * k), rtol=1e-6)
        for name in set(os.listdir(tmp_path)) - {"model.h5", "saver.py"}:
            assert re.fullmatch(_temp_name("model.h5"), name), name
    K.clear_session()
