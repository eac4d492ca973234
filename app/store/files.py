"""Writing files so that a crash leaves either the old version or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a rename or creation in directory `path` durable (where the platform allows opening it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not every platform can open a directory
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` (file mode `mode`): temp file in the same directory, fsync, `os.replace`,
    fsync the directory. Raises `OSError` naming `path` (never the temp file: a missing folder, a name too
    long, no room); the temp file is removed on failure."""
    path = Path(path)
    try:
        _write_atomic(path, data, mode)
    except OSError as exc:
        if exc.filename is None or str(exc.filename) == str(path):
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)
