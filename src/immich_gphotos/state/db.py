"""SQLite connection settings and the one transaction helper every write goes through."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from immich_gphotos.errors import StateError, StateUnwritable

# SQLite's primary result codes that mean the file system refuses the write, and what to fix
_UNWRITABLE = {
    "SQLITE_FULL": "full",
    "SQLITE_IOERR": "full",  # a failed write or fsync: on a full disk, as often as SQLITE_FULL
    "SQLITE_READONLY": "read-only",
    "SQLITE_CANTOPEN": "permission",
    "SQLITE_PERM": "permission",
}


def unwritable(exc: sqlite3.Error, where: Path | str) -> StateUnwritable | None:
    """The StateUnwritable (exit 9) an SQLite error means, or None when it means something else.
    ``where``: the database file (its dir is named) or the connection's path."""
    name = getattr(exc, "sqlite_errorname", "") or ""  # an extended code: SQLITE_IOERR_WRITE
    kind = _UNWRITABLE.get("_".join(name.split("_")[:2]))
    if kind is None:
        return None
    state_dir = Path(where).parent if str(where) not in ("", ":memory:") else "(in memory)"
    return StateUnwritable.at(state_dir, kind, str(exc))


def connect(path: Path | str) -> sqlite3.Connection:
    """WAL (readers never block the writer), foreign keys on, wait for a busy writer, autocommit."""
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
    except sqlite3.DatabaseError as exc:
        refused = unwritable(exc, path)
        if refused is not None:
            raise refused from None
        raise StateError(
            f"The state database {path} cannot be opened ({exc}); restore it from a backup."
        ) from None
    return conn


def _path_of(conn: sqlite3.Connection) -> str:
    with suppress(sqlite3.Error):
        for row in conn.execute("PRAGMA database_list"):
            if row[1] == "main":
                return str(row[2])
    return ""


# meta: a new random token from every transaction that changed the state, but for a run's own
# bookkeeping; the backup holds the token of what it copied (``safety.backup_holds_all``)
CHANGE_MARK_KEY = "change_mark"


@contextmanager
def transaction(
    conn: sqlite3.Connection, *, bookkeeping: bool = False
) -> Iterator[sqlite3.Connection]:
    """All or nothing: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error. A write the file system
    refuses (full, read-only, permissions) is ``StateUnwritable`` (exit 9), not a bug.

    A transaction that changed a row writes a new change mark in the same commit, so ``status``
    can tell whether the backup holds every change. ``bookkeeping``: what a run writes about itself (its record, when its
    albums were synced), which the backup need not follow: no new mark. Anything else is marked,
    a new kind of write included, so a copy is never skipped by forgetting to mark it."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = conn.total_changes
            yield conn
            if not bookkeeping and conn.total_changes != before:
                mark_changed(conn)
            conn.execute("COMMIT")
        except BaseException:  # a signal may land anywhere in here, even right after the COMMIT
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # a failed COMMIT's rollback may fail as well
                    conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        refused = unwritable(exc, _path_of(conn))
        if refused is not None:
            raise refused from None
        raise


def write_album(conn: sqlite3.Connection, immich_id: str, name: str, google_title: str) -> None:
    """An album's row with its Immich name and Google title, inside the caller's transaction."""
    conn.execute(
        "INSERT INTO albums(immich_id, name, google_title) VALUES(?, ?, ?) "
        "ON CONFLICT(immich_id) DO UPDATE SET name = excluded.name, "
        "google_title = excluded.google_title",
        (immich_id, name, google_title),
    )


def write_placement(
    conn: sqlite3.Connection, album_id: str, asset_id: str, google_album_id: str, at: str
) -> None:
    """The asset placed in the album's Google album (part), inside the caller's transaction."""
    conn.execute(
        "INSERT INTO album_assets(album_id, asset_id, google_album_id, added_at) VALUES(?, ?, ?, ?) "
        "ON CONFLICT(album_id, asset_id) DO UPDATE SET google_album_id = excluded.google_album_id, "
        "added_at = excluded.added_at",
        (album_id, asset_id, google_album_id, at),
    )


def mark_changed(conn: sqlite3.Connection) -> None:
    """A new change mark, inside the caller's transaction."""
    write_meta(conn, CHANGE_MARK_KEY, os.urandom(8).hex())


# ids bound into one ``IN (...)``: well under SQLITE_MAX_VARIABLE_NUMBER (999 before 3.32)
CHUNK = 500


def in_chunks(ids: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    """``ids`` in slices small enough for one ``IN (?, ?, ...)`` each."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def read_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """A value of the ``meta`` table (None: not set)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row["value"])


def write_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    """Set (or, with None, delete) a ``meta`` value, inside the caller's transaction."""
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
