"""``mnist.load_data``: download once into the cache, checked and written atomically.

No test touches the network: each serves a small npz it makes itself, from ``http.server`` on
127.0.0.1 in a thread (stopped by the fixture) or as a ``file://`` URL.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from layerkit.datasets import mnist
from layerkit.utils import file_utils
from layerkit.utils.file_utils import DownloadError, get_file


def _archive(n_train=6, n_test=3, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test, dtype=np.uint8),
    )
    return buffer.getvalue()


class Server:
    """Serves ``body`` at every path, counting the requests."""

    def __init__(self, body: bytes):
        self.body = body
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/mnist.npz"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty LAYERKIT_HOME; a short download timeout so no test can hang."""
    monkeypatch.setenv("LAYERKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(file_utils, "TIMEOUT_S", 5.0)
    return tmp_path / "home"


@pytest.fixture
def served(monkeypatch):
    """A local server of a small MNIST-like archive, with mnist's URL and hash pointed at it."""
    body = _archive()
    server = Server(body)
    monkeypatch.setattr(mnist, "ORIGIN", server.url)
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(body).hexdigest())
    yield server
    server.stop()


def test_keras_origin_and_hash():
    assert mnist.ORIGIN == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert mnist.FILE_HASH == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def test_first_call_downloads_and_caches_second_does_not(home, served, capsys):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert served.requests == 1
    assert "Downloading data from" in capsys.readouterr().out
    cached = home / "datasets" / "mnist.npz"
    assert cached.read_bytes() == served.body
    assert [p.name for p in cached.parent.iterdir()] == ["mnist.npz"]  # no temporary left
    (x_train2, _), _ = mnist.load_data()
    assert served.requests == 1
    np.testing.assert_array_equal(x_train, x_train2)
    assert x_train.shape == (6, 28, 28) and x_test.shape == (3, 28, 28)
    assert y_train.shape == (6,) and y_test.shape == (3,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}


def test_corrupted_download_is_refused_and_leaves_no_file(home, served, monkeypatch):
    monkeypatch.setattr(mnist, "FILE_HASH", "0" * 64)
    with pytest.raises(ValueError, match="SHA-256") as info:
        mnist.load_data()
    assert "0" * 64 in str(info.value)
    folder = home / "datasets"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_truncated_transfer_is_refused(home, served):
    served.body = served.body[: len(served.body) // 2]
    with pytest.raises(ValueError, match="SHA-256"):
        mnist.load_data()
    assert list((home / "datasets").iterdir()) == []


def test_corrupted_cache_is_downloaded_again(home, served):
    mnist.load_data()
    cached = home / "datasets" / "mnist.npz"
    cached.write_bytes(b"torn")
    mnist.load_data()
    assert served.requests == 2 and cached.read_bytes() == served.body


def test_custom_path(home, served, tmp_path):
    mnist.load_data(path="other.npz")
    assert (home / "datasets" / "other.npz").exists()
    absolute = tmp_path / "elsewhere" / "m.npz"
    mnist.load_data(path=str(absolute))
    assert absolute.exists()


def test_file_url(home, tmp_path, monkeypatch):
    body = _archive(n_train=2, n_test=1, seed=1)
    source = tmp_path / "source.npz"
    source.write_bytes(body)
    monkeypatch.setattr(mnist, "ORIGIN", source.as_uri())
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(body).hexdigest())
    (x_train, _), (x_test, _) = mnist.load_data()
    assert x_train.shape == (2, 28, 28) and x_test.shape == (1, 28, 28)


def test_offline_is_a_clear_error(home, monkeypatch):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(mnist, "ORIGIN", f"http://127.0.0.1:{port}/mnist.npz")
    with pytest.raises(DownloadError, match="Could not download .*offline"):
        mnist.load_data()
    folder = home / "datasets"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_missing_file_url_is_a_clear_error(home, tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "ORIGIN", (tmp_path / "absent.npz").as_uri())
    with pytest.raises(DownloadError, match="absent.npz"):
        mnist.load_data()


def test_archive_without_mnist_keys_is_refused(home, tmp_path, monkeypatch):
    buffer = io.BytesIO()
    np.savez(buffer, images=np.zeros((1, 28, 28), np.uint8))
    source = tmp_path / "wrong.npz"
    source.write_bytes(buffer.getvalue())
    monkeypatch.setattr(mnist, "ORIGIN", source.as_uri())
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(buffer.getvalue()).hexdigest())
    with pytest.raises(ValueError, match="lacks x_train"):
        mnist.load_data()


def test_pickled_objects_are_never_loaded(home, tmp_path, monkeypatch):
    buffer = io.BytesIO()
    objects = np.array([{"a": 1}], dtype=object)
    np.savez(buffer, x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    source = tmp_path / "pickled.npz"
    source.write_bytes(buffer.getvalue())
    monkeypatch.setattr(mnist, "ORIGIN", source.as_uri())
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(buffer.getvalue()).hexdigest())
    with pytest.raises(ValueError, match="allow_pickle"):
        mnist.load_data()


def test_get_file_without_hash_and_default_home(tmp_path, monkeypatch):
    monkeypatch.delenv("LAYERKIT_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert file_utils.layerkit_home() == tmp_path / ".layerkit"
    source = tmp_path / "data.bin"
    source.write_bytes(b"abc")
    path = get_file("data.bin", source.as_uri(), verbose=False)
    assert Path(path) == tmp_path / ".layerkit" / "datasets" / "data.bin"
    assert Path(path).read_bytes() == b"abc"
