"""Private files and folders: 0700 / 0600 whatever the umask, atomic writes, no symlink followed.

The state dir holds the secrets file, the lock and the log; if another user could write to it,
they could swap any of those for a symlink to a file of the user's, which the next run would
then truncate or overwrite. So the state dir must be the user's own and writable by no one
else (``private_state_dir``), and the lock and the log are opened with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from immich_gphotos.errors import ConfigError, StateUnwritable

FILE_MODE = 0o600
DIR_MODE = 0o700
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
    make_dirs(path.parent)
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


def make_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents with mode 0700, whatever the umask.

    Folders that already exist keep their mode: they may be shared on purpose (``~/.config``)."""
    missing: list[Path] = []
    current = folder
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for created in reversed(missing):
        try:
            os.mkdir(created, DIR_MODE)
        except FileExistsError:
            continue  # made by someone else meanwhile: not ours to chmod
        os.chmod(created, DIR_MODE)  # mkdir's mode is filtered by the umask


def private_state_dir(folder: Path) -> Path:
    """Create the state dir (0700) or check that the one there is the user's own and private."""
    make_dirs(folder)
    try:
        info = os.stat(folder)
    except OSError as exc:
        raise ConfigError(
            f"Cannot use the state dir {folder} ({exc.strerror}); check the path and its permissions."
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            f"The state dir {folder} is not a folder; set [state] dir to a folder of your own."
        )
    if info.st_uid != os.geteuid():
        me = os.geteuid()  # a number: in a container the user has no name outside it
        raise ConfigError(
            f"The state dir {folder} belongs to uid {info.st_uid}, not to this user (uid {me}); "
            f"use a folder of your own, or give it to this user with `sudo chown -R {me} {folder}` "
            "(a container's volume: run that on the host's folder, or `docker compose run --rm "
            f"--user root --entrypoint chown immich-gphotos -R {me} {folder}`)."
        )
    if info.st_mode & 0o022:
        raise ConfigError(
            f"The state dir {folder} can be written by other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}); run `chmod 700 {folder}`."
        )
    return folder


def open_private(path: Path, flags: int) -> int:
    """Open (creating 0600) without following a symlink; a symlink there is refused (exit 3)."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        if os.path.islink(path):
            raise ConfigError(
                f"{path} is a symbolic link, which immich-gphotos never follows there; remove it "
                "(and check who else can write to that folder)."
            ) from None
        if exc.errno in UNWRITABLE:
            raise  # the file system refuses (full, read-only, permissions): state_writes says so
        raise ConfigError(f"Cannot open {path} ({exc.strerror}); check its permissions.") from None
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)  # made by an older release, or under a loose umask
    except OSError:
        os.close(fd)
        raise
    return fd
