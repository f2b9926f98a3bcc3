"""RunLock: one run at a time. flock on <state>/lock, released by the kernel when the process dies,
so a crash or kill -9 leaves no stale lock; the holder's pid, host and start time are written inside."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from pathlib import Path

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.errors import AlreadyRunning
from immich_gphotos.fileio import open_private, private_state_dir, state_writes

LOCK_FILE_NAME = "lock"


class RunLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE_NAME
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        private_state_dir(self.path.parent)
        with state_writes(self.path.parent):
            fd = open_private(
                self.path, os.O_RDWR
            )  # never through a symlink: it would be truncated
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(fd)
            os.close(fd)
            raise AlreadyRunning(
                f"Another immich-gphotos run holds the lock {self.path} ({holder}); wait for it to "
                "finish (this run changed nothing)."
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": iso(utcnow())}
        self._fd = fd
        with state_writes(self.path.parent):
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(info).encode(), 0)
            except OSError:
                self.release()
                raise
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            # a read-only state dir keeps the holder's details; the flock is what counts
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {info['pid']} on {info['host']}, started {info['started']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"
