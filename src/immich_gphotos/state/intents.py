"""Intents: the crash window between a call to Google and the state recording its answer.

Before albums.create or batchCreate the sync commits an intent, in a transaction of its own, so
a run that dies before the answer is recorded leaves it behind; the next run settles it (takes the
album over, or matches the items it made) instead of making anything twice. An intent ends in
the same transaction that records the outcome (``add_google_album``, ``record_batch``, through
``end_album_intent`` and ``end_batch_intent``), never in one of its own, except ``clear_intent``
when nothing of the batch is kept. Album intents are meta keys; batch intents their own tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import read_meta, transaction, write_meta
from immich_gphotos.state.views import BatchAssetFacts, BatchIntent, IntentAsset


def end_album_intent(conn: sqlite3.Connection, album_id: str, part: int) -> None:
    """Inside the caller's transaction: the albums.create for this part is recorded."""
    write_meta(conn, _album_intent_key(album_id, part), None)


def end_batch_intent(conn: sqlite3.Connection, intent: int) -> None:
    """Inside the caller's transaction: the batchCreate of this intent is recorded."""
    conn.execute("DELETE FROM batch_intents WHERE id = ?", (intent,))


class Intents:
    """Begin, read and end the intents; each begin is committed alone, before the call."""

    conn: sqlite3.Connection

    def begin_album_intent(self, album_id: str, part: int, title: str) -> None:
        """Before albums.create: a run that ends before the album is recorded leaves this behind,
        so the next run takes the album over instead of making a second one (committed alone)."""
        with transaction(self.conn):
            write_meta(self.conn, _album_intent_key(album_id, part), title)

    def album_intent(self, album_id: str, part: int) -> str | None:
        """The title of an albums.create for this part that a run began but never recorded."""
        return read_meta(self.conn, _album_intent_key(album_id, part))

    def begin_intent(
        self, album_id: str, google_album_id: str, assets: Sequence[BatchAssetFacts]
    ) -> int:
        """Record, committed before the call, that a batchCreate of these assets is starting."""
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO batch_intents(album_id, google_album_id, started_at) VALUES(?, ?, ?)",
                (album_id, google_album_id, iso(utcnow())),
            )
            intent = int(cursor.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO batch_intent_assets(intent_id, asset_id, checksum, size, type, mime, "
                "file_name, captured_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        intent,
                        a.id,
                        a.checksum,
                        a.size,
                        a.type,
                        a.mime,
                        a.file_name,
                        a.file_created_at.astimezone(UTC).isoformat(),
                    )
                    for a in assets
                ],
            )
        return intent

    def clear_intent(self, intent: int) -> None:
        """Nothing of the batch is kept: the intent ends in a transaction of its own."""
        with transaction(self.conn):
            end_batch_intent(self.conn, intent)

    def open_intents(self) -> list[BatchIntent]:
        """Every batchCreate that started and was never recorded, oldest first."""
        assets: dict[int, list[IntentAsset]] = {}
        for r in self.conn.execute(
            "SELECT intent_id, asset_id, checksum, size, type, mime, file_name, captured_at "
            "FROM batch_intent_assets ORDER BY intent_id, rowid"
        ):
            assets.setdefault(r["intent_id"], []).append(
                IntentAsset(
                    r["asset_id"],
                    r["checksum"],
                    r["size"],
                    r["type"] or "",
                    r["mime"],
                    r["file_name"],
                    datetime.fromisoformat(r["captured_at"]),
                )
            )
        return [
            BatchIntent(
                r["id"], r["album_id"], r["google_album_id"], tuple(assets.get(r["id"], ()))
            )
            for r in self.conn.execute(
                "SELECT id, album_id, google_album_id FROM batch_intents ORDER BY id"
            )
        ]


def _album_intent_key(album_id: str, part: int) -> str:
    return f"album_intent:{album_id}:{part}"
