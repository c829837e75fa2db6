"""Downloading a file once into layerkit's cache, checked and written atomically (``get_file``).

The cache is ``$LAYERKIT_HOME/<cache_subdir>``, by default ``~/.layerkit/datasets``. A download
streams into a temporary file in the cache folder while its SHA-256 is computed; it is fsynced
and renamed into place only if the hash matches, so the cache never holds a torn or corrupted
file under the real name, and two processes downloading at once each rename a whole file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from layerkit.utils.atomic import fsync_dir

CHUNK_SIZE = 1 << 16
TIMEOUT_S = 60.0


class DownloadError(OSError):
    """The file could not be fetched (no network, a bad URL, a server error)."""


def layerkit_home() -> Path:
    """``$LAYERKIT_HOME``, or ``~/.layerkit``."""
    return Path(os.environ.get("LAYERKIT_HOME") or Path.home() / ".layerkit").expanduser()


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_file(fname: str, origin: str, file_hash: str | None = None,
             cache_subdir: str = "datasets", cache_dir: str | os.PathLike | None = None,
             timeout: float = TIMEOUT_S, verbose: bool = True) -> str:
    """The local path of ``fname``, downloaded from ``origin`` the first time (as Keras's
    ``get_file``, SHA-256 only).

    ``fname`` is relative to the cache folder (``cache_dir`` or ``layerkit_home()``, then
    ``cache_subdir``), or absolute. With ``file_hash`` a cached file is used only if its SHA-256
    matches (otherwise it is downloaded again), and a download whose hash differs is deleted
    and refused with ``ValueError``. A failed download raises ``DownloadError``.
    """
    folder = Path(cache_dir).expanduser() if cache_dir is not None else layerkit_home()
    folder = folder / cache_subdir
    target = folder / fname
    expected = file_hash.lower() if file_hash else None
    if target.exists():
        if expected is None or file_sha256(target) == expected:
            return str(target)
        if verbose:
            print(f"The cached file {target} does not match its expected SHA-256; "
                  "downloading it again.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"Downloading data from {origin}")
    _download(origin, target, expected, timeout)
    return str(target)


def _download(origin: str, target: Path, expected: str | None, timeout: float) -> None:
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", None) or error
                raise DownloadError(
                    f"Could not download {origin}: {reason}. If this machine is offline, fetch "
                    f"the file elsewhere and place it at {target}."
                ) from error
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if expected is not None and actual != expected:
            raise ValueError(
                f"The file downloaded from {origin} has SHA-256 {actual}, not the expected "
                f"{expected}: it is corrupted or not the right file, so it was deleted. "
                "Try again; if this persists, the server is sending a different file."
            )
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_dir(target.parent)
