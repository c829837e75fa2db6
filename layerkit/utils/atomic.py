"""Atomic file writes: a reader (or a crash) sees the old file or the whole new one, never a
torn one.

The new content goes to a hidden temporary file in the target's folder (same file system, so
the final rename is atomic), is flushed and fsync'ed, then renamed over the target; the folder
is fsync'ed too so that the rename itself survives a power cut. If writing fails, or the process
is killed, the temporary file is all that is lost.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

__all__ = ["atomic_path", "fsync_dir", "fsync_file"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yields a temporary path to write the new content of ``path`` to; on a normal exit the
    file there is made durable and renamed to ``path``, on an exception it is removed."""
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {os.fspath(path)!r}: the folder {folder!r} does "
                                "not exist")
    # Created by the writer itself (not mkstemp), so the file gets the usual permissions.
    temp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    try:
        yield temp
        fsync_file(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    fsync_dir(folder)


def fsync_file(path: str | os.PathLike) -> None:
    """Flush a closed file's content to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename in ``folder`` durable (best effort: not every platform can open a
    folder, e.g. Windows)."""
    with contextlib.suppress(OSError):
        fsync_file(folder)
