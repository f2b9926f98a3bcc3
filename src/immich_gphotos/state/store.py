"""StateStore: the only SQL outside the migrations; typed rows in and out."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from immich_gphotos.clock import iso, pacific_day, utcnow
from immich_gphotos.errors import StateError
from immich_gphotos.fileio import open_private, private_state_dir, state_writes
from immich_gphotos.state import safety
from immich_gphotos.state.db import connect, read_meta, transaction, write_meta
from immich_gphotos.text import clean, clean_opt

STATE_FILE_NAME = "state.sqlite3"


@dataclass(frozen=True)
class AlbumCounts:
    immich_id: str
    name: str | None
    google_title: str | None
    google_album_id: str | None
    in_sync: int
    pending: int
    failed: int
    skipped: int
    skipped_reasons: dict[str, int]
    last_synced: str | None
    google_url: str | None = None  # part 1's link in Google Photos, when Google gave one


@dataclass(frozen=True)
class RunRecord:
    started: str
    finished: str | None
    exit_code: int | None
    uploaded: int
    added: int
    removed: int
    skipped: int
    failed: int
    bytes: int
    google_requests: int
    stopped: str | None


class StateStore:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, state_dir: Path) -> StateStore:
        """Open (creating it, mode 0700, if needed), check and migrate the state database; one
        that cannot be read is exit 3 naming it and its backup, never rebuilt (``safety``)."""
        private_state_dir(state_dir)
        path = state_dir / STATE_FILE_NAME
        with state_writes(state_dir):
            if not path.exists():  # created 0600 before SQLite opens it (-wal/-shm copy the mode)
                os.close(open_private(path, os.O_RDWR))
            else:
                safety.check_file(path)
            try:
                conn = connect(path)
            except StateError as exc:
                cause = exc.__context__  # what SQLite said (connect words it for other callers)
                if type(exc) is not StateError or isinstance(cause, sqlite3.OperationalError):
                    raise  # not damage: busy, read-only, I/O (another error's business)
                raise safety.damaged(path, str(cause or exc.message)) from None
        try:
            safety.open_checks(conn, path)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def backup(self) -> Path:
        """A consistent copy beside the state (``state.db.bak``), after a finished run."""
        return safety.backup(self.conn, self.path)

    def backup_holds_all(self) -> bool:
        """The backup holds every change the state has but the run records since (``safety``)."""
        return safety.backup_holds_all(self.conn, self.path)

    def close(self) -> None:
        self.conn.close()

    # --- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        return read_meta(self.conn, key)

    def set_meta(self, key: str, value: str | None) -> None:
        with transaction(self.conn):
            write_meta(self.conn, key, value)

    def forget_google_objects(self) -> None:
        """A new OAuth client sees none of the old one's albums or items: start the Google side afresh."""
        with transaction(self.conn):
            self.conn.execute("DELETE FROM google_albums")
            self.conn.execute("UPDATE album_assets SET google_album_id = NULL, added_at = NULL")
            self.conn.execute(
                "UPDATE assets SET google_media_item_id = NULL, status = 'pending', attempts = 0 "
                "WHERE status = 'uploaded'"
            )
            # the replaced album and half-done replacements belonged to the old client too
            self.conn.execute("DELETE FROM replacements")
            self.conn.execute("DELETE FROM meta WHERE key = 'replaced_album_id'")

    # --- albums -------------------------------------------------------------------------------

    def upsert_album(
        self,
        immich_id: str,
        name: str | None,
        google_title: str | None,
        follows_name: bool | None = None,
    ) -> None:
        """``follows_name``: the title only repeats the Immich name (no ``--as``), so a rename in
        Immich renames the Google album; False: an explicit title; None: as it was."""
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO albums(immich_id, name, google_title) VALUES(?, ?, ?) "
                "ON CONFLICT(immich_id) DO UPDATE SET name = coalesce(excluded.name, name), "
                "google_title = coalesce(excluded.google_title, google_title)",
                (immich_id, name, google_title),
            )
            if follows_name is not None:
                self.conn.execute(
                    "UPDATE albums SET followed_title = ? WHERE immich_id = ?",
                    (google_title if follows_name else None, immich_id),
                )

    def album_counts(self, immich_id: str) -> AlbumCounts:
        album = self.conn.execute(
            "SELECT name, google_title, last_synced FROM albums WHERE immich_id = ?", (immich_id,)
        ).fetchone()
        google = self.conn.execute(
            "SELECT google_album_id, product_url FROM google_albums WHERE immich_album_id = ? "
            "ORDER BY part LIMIT 1",
            (immich_id,),
        ).fetchone()
        totals = {"in_sync": 0, "pending": 0, "failed": 0, "skipped": 0}
        reasons: dict[str, int] = {}
        rows = self.conn.execute(
            """
            SELECT CASE
                     WHEN aa.google_album_id IS NOT NULL THEN 'in_sync'
                     WHEN a.status = 'skipped' THEN 'skipped'
                     WHEN a.status = 'failed' THEN 'failed'
                     ELSE 'pending' END AS bucket,
                   CASE WHEN a.status = 'skipped' THEN a.reason END AS reason,
                   count(*) AS n
            FROM album_assets aa LEFT JOIN assets a ON a.immich_id = aa.asset_id
            WHERE aa.album_id = ? GROUP BY bucket, reason
            """,
            (immich_id,),
        ).fetchall()
        for row in rows:
            totals[row["bucket"]] += row["n"]
            if row["bucket"] == "skipped":
                reasons[row["reason"] or "unknown"] = (
                    reasons.get(row["reason"] or "unknown", 0) + row["n"]
                )
        return AlbumCounts(
            immich_id=immich_id,
            # names written by releases before text was made inert at the boundary: inert here too
            name=clean_opt(album["name"]) if album else None,
            google_title=clean_opt(album["google_title"]) if album else None,
            google_album_id=google["google_album_id"] if google else None,
            google_url=google["product_url"] if google else None,
            skipped_reasons={clean(r): n for r, n in reasons.items()},
            last_synced=album["last_synced"] if album else None,
            **totals,
        )

    def google_urls(self) -> dict[str, str]:
        """Each Immich album's Google album link (its first part), where Google gave one."""
        rows = self.conn.execute(
            "SELECT immich_album_id, product_url FROM google_albums "
            "WHERE part = 1 AND product_url IS NOT NULL"
        )
        return {r["immich_album_id"]: r["product_url"] for r in rows}

    def last_synced(self) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT immich_id, last_synced FROM albums WHERE last_synced IS NOT NULL"
        )
        return {r["immich_id"]: r["last_synced"] for r in rows}

    # --- runs ---------------------------------------------------------------------------------

    def start_run(self) -> int:
        with transaction(self.conn, bookkeeping=True):  # the run's own record: no new backup
            cur = self.conn.execute("INSERT INTO runs(started) VALUES(?)", (iso(utcnow()),))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, exit_code: int, **counts: int | str | None) -> None:
        allowed = {
            "uploaded",
            "added",
            "removed",
            "skipped",
            "failed",
            "bytes",
            "google_requests",
            "stopped",
        }
        unknown = set(counts) - allowed
        if unknown:
            raise ValueError(f"unknown run fields {sorted(unknown)}")
        assignments = "".join(f", {name} = :{name}" for name in counts)
        with transaction(self.conn, bookkeeping=True):
            self.conn.execute(
                f"UPDATE runs SET finished = :finished, exit_code = :exit_code{assignments} WHERE id = :id",
                {"finished": iso(utcnow()), "exit_code": exit_code, "id": run_id, **counts},
            )

    def recent_runs(self, limit: int = 5) -> list[RunRecord]:
        rows = self.conn.execute(
            "SELECT started, finished, exit_code, uploaded, added, removed, skipped, failed, bytes, "
            "google_requests, stopped FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [RunRecord(**dict(r)) for r in rows]

    def last_finished(self, exit_codes: tuple[int, ...]) -> str | None:
        """When the newest run that ended with one of ``exit_codes`` finished (ISO), or None."""
        marks = ", ".join("?" for _ in exit_codes)
        row = self.conn.execute(
            f"SELECT max(finished) AS at FROM runs WHERE exit_code IN ({marks})", exit_codes
        ).fetchone()
        return None if row is None else row["at"]

    # --- Google request counting --------------------------------------------------------------

    def requests_on(self, day: date | None = None) -> int:
        row = self.conn.execute(
            "SELECT count FROM google_requests WHERE day = ?", ((day or pacific_day()).isoformat(),)
        ).fetchone()
        return 0 if row is None else int(row["count"])

    def add_requests(self, n: int = 1, day: date | None = None) -> int:
        key = (day or pacific_day()).isoformat()
        with transaction(self.conn, bookkeeping=True):  # counts, not what went where
            self.conn.execute(
                "INSERT INTO google_requests(day, count) VALUES(?, ?) "
                "ON CONFLICT(day) DO UPDATE SET count = count + excluded.count",
                (key, n),
            )
            row = self.conn.execute(
                "SELECT count FROM google_requests WHERE day = ?", (key,)
            ).fetchone()
        return int(row["count"])
