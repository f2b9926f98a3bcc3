"""The state database is the only record of what went where: it is checked when opened, never
rebuilt silently, and copied after every run that finishes.

A state that cannot be read (an empty file, a truncated one, garbage, a damaged page deep
inside, a missing table or column, a newer schema) stops the command with exit 3, naming the
file and the last good copy. Starting afresh instead would make every Google album a second
time and upload everything again, so that is the user's decision, made with the backup or with
``check --repair`` in view.

The copy (``state.db.bak`` beside the state) is made with SQLite's online backup API, which
copies a consistent snapshot of a live WAL database (a file copy would not), into a temp file
that is renamed over the old copy only when complete: a crash while copying keeps the last one.
A state that fails its check is never copied over a good backup.

Every finished run copies the state (shared/SPEC.md: "a consistent copy made after each
successful run"); with the steady-state no-op's other costs gone, the copy is most of what it
writes. Every transaction that changes the state, but for a run's own bookkeeping (its record,
when its albums were synced), writes a new change mark (``db.transaction``), and the copy carries
the mark it was made with: ``status`` says whether the backup holds every change (it does not
after a run that failed, or whose copy could not be made).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from immich_gphotos.errors import StateError
from immich_gphotos.fileio import _fsync_dir, open_private
from immich_gphotos.state.db import CHANGE_MARK_KEY, mark_changed, read_meta, transaction
from immich_gphotos.state.migrations import MIGRATIONS, migrate

BACKUP_FILE_NAME = "state.db.bak"  # the name shared/SPEC.md gives it, whatever the state's own


def backup_path(path: Path) -> Path:
    return path.with_name(BACKUP_FILE_NAME)


def backup_time(path: Path) -> datetime | None:
    """When the state's backup was made (None: there is none yet)."""
    try:
        return datetime.fromtimestamp(backup_path(path).stat().st_mtime, UTC)
    except OSError:
        return None


def backup_holds_all(conn: sqlite3.Connection, path: Path) -> bool:
    """The backup carries the state's change mark: it holds every change but the run records
    made since. False when there is no backup, or it cannot be read."""
    mark = read_meta(conn, CHANGE_MARK_KEY)
    bak = backup_path(path)
    if mark is None or not bak.is_file():
        return False
    try:  # read-only and immutable: no lock, no -wal or -shm left beside the copy
        copy = sqlite3.connect(f"{bak.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            copy.row_factory = sqlite3.Row
            return read_meta(copy, CHANGE_MARK_KEY) == mark
        finally:
            copy.close()
    except sqlite3.Error:
        return False


def damaged(path: Path, why: str) -> StateError:
    """The exit-3 error for a state that cannot be read: what is wrong, and the way back."""
    why = why.rstrip(".")
    bak = backup_path(path)
    made = backup_time(path)
    if made is not None:
        way_back = (
            f"The last good copy is {bak} (made {made.isoformat(timespec='seconds')}): with no "
            f"run going, move {path} (and any {path.name}-wal and -shm beside it) aside, copy "
            f"the backup to {path}, and run `immich-gphotos check`."
        )
    else:
        way_back = (
            f"There is no backup ({bak} does not exist yet): move {path} (and any "
            f"{path.name}-wal and -shm beside it) aside and run `immich-gphotos check --repair`, "
            "which takes over the Google albums this tool made."
        )
    return StateError(
        f"The state database {path} cannot be used: {why}. It is left as it is and never "
        f"rebuilt silently (a new state would make every Google album again). {way_back}"
    )


def check_file(path: Path) -> None:
    """Before SQLite sees it: an existing empty file is a damaged state, not a new one."""
    if path.stat().st_size == 0:
        raise damaged(path, "the file is empty (0 bytes)")


def check_sound(conn: sqlite3.Connection, path: Path) -> None:
    """SQLite's own structure check (every page of every b-tree; a few ms per MB)."""
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None
    if problems != ["ok"]:
        raise damaged(path, f"SQLite's check reports {problems[0].splitlines()[-1]}")


def check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Every table and column the migrations make is there (a table dropped by hand, say)."""
    want = _columns(_reference())
    have = _columns(conn)
    for table, columns in want.items():
        if table not in have:
            raise damaged(path, f"the table {table} is missing")
        missing = sorted(columns - have[table])
        if missing:
            raise damaged(path, f"the table {table} lacks the column(s) {', '.join(missing)}")


def open_checks(conn: sqlite3.Connection, path: Path) -> None:
    """Check the structure, bring the schema up to date, check the schema: all or exit 3."""
    check_sound(conn, path)
    try:
        migrate(conn)
    except StateError as exc:  # a newer schema: the backup is no older
        raise damaged(path, exc.message) from None
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "no such" not in str(exc):
            raise  # busy, read-only, I/O: not damage
        raise damaged(path, str(exc)) from None
    check_schema(conn, path)


def backup(conn: sqlite3.Connection, path: Path) -> Path:
    """A consistent copy of the live database beside it, replacing the last one only when
    complete and only when the state passes its check (a StateError says why not)."""
    check_sound(conn, path)
    if read_meta(conn, CHANGE_MARK_KEY) is None:  # a state from before the marks: the first one
        with transaction(conn, bookkeeping=True):  # (marked here, not a second time by it)
            mark_changed(conn)
    target = backup_path(path)
    partial = target.with_name(target.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    os.close(open_private(partial, os.O_RDWR))  # 0600 before SQLite writes a page into it
    try:
        copy = sqlite3.connect(str(partial))
        try:
            conn.backup(copy)
        finally:
            copy.close()
        fd = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    _fsync_dir(path.parent)
    return target


def _reference() -> sqlite3.Connection:
    """A fresh database made by this release's migrations: what every state must hold."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn, list(MIGRATIONS))
    return conn


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')} for t in tables}
