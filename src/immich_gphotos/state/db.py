"""SQLite connection settings and the one transaction helper every write goes through."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from immich_gphotos.errors import StateError


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
        raise StateError(
            f"The state database {path} cannot be opened ({exc}); restore it from a backup."
        ) from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:  # a signal may land anywhere in here, even right after the COMMIT
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
