"""Atomic, private file writes: the config and the secrets file are never half-written or world-readable."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from immich_gphotos.errors import StateUnwritable

# What an OSError on a state file means when it is the file system's answer, not a bug of ours
UNWRITABLE = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "read-only",
    errno.EACCES: "permission",
    errno.EPERM: "permission",
}


@contextlib.contextmanager
def state_writes(state_dir: Path) -> Iterator[None]:
    """An OSError meaning the state dir cannot be written (full, read-only, permissions) becomes
    ``StateUnwritable`` (exit 9) naming the dir; any other OSError stays what it is."""
    try:
        yield
    except OSError as exc:
        kind = UNWRITABLE.get(exc.errno or 0)
        if kind is None:
            raise
        raise StateUnwritable.at(state_dir, kind, exc.strerror or str(exc)) from None


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a power cut must not bring back the old file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
