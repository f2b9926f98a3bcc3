"""Outcomes: what the sync records of an album's members, its batches and its removals.

One transaction per call: a batch's placed items, failed ones, refused references, the notes
of its uploads (``follow.stamp_placed``) and the end of its intent (``intents.end_batch_intent``)
are committed together, so the state never says an item is placed without the rest.
``note_upload`` only keeps the note in memory (from an upload thread) for that transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import transaction, write_album, write_placement
from immich_gphotos.state.follow import stamp_placed
from immich_gphotos.state.intents import end_batch_intent
from immich_gphotos.state.views import AssetFacts, UploadNote


class Outcomes:
    """An album's row and members, each batch's outcome, the items taken out of Google albums."""

    conn: sqlite3.Connection
    # what each upload sent (rendition, description), recorded with its batch (follow.py)
    notes: dict[str, UploadNote]

    def note_upload(self, asset_id: str, note: UploadNote) -> None:
        """From an upload thread: what the upload sent, for the transaction that records it."""
        self.notes[asset_id] = note

    def ensure_album(self, album_id: str, name: str, google_title: str) -> None:
        """The album's row, before anything is recorded for it; no write when it is as it was."""
        row = self.conn.execute(
            "SELECT name, google_title FROM albums WHERE immich_id = ?", (album_id,)
        ).fetchone()
        if row is not None and (row["name"], row["google_title"]) == (name, google_title):
            return
        with transaction(self.conn):
            write_album(self.conn, album_id, name, google_title)

    def note_members(
        self, album_id: str, assets: Sequence[AssetFacts], skips: Sequence[tuple[AssetFacts, str]]
    ) -> None:
        """Record the album's current members (for status) and the skips decided for them."""
        now = iso(utcnow())
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO assets(immich_id, checksum, size, type, mime, updated_at) VALUES(?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(immich_id) DO UPDATE SET checksum = excluded.checksum, "
                "size = coalesce(excluded.size, size), type = excluded.type, mime = excluded.mime, "
                "status = CASE WHEN status = 'skipped' THEN 'pending' ELSE status END, "
                "reason = CASE WHEN status = 'skipped' THEN NULL ELSE reason END",
                [(a.id, a.checksum, a.size, a.type, a.mime, now) for a in assets],
            )
            self.conn.executemany(
                "UPDATE assets SET status = 'skipped', reason = ? WHERE immich_id = ? AND status != 'uploaded'",
                [(reason, a.id) for a, reason in skips],
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO album_assets(album_id, asset_id) VALUES(?, ?)",
                [(album_id, a.id) for a in assets],
            )
            current = {a.id for a in assets}
            stale = [
                r["asset_id"]
                for r in self.conn.execute(
                    "SELECT asset_id FROM album_assets WHERE album_id = ? AND google_album_id IS NULL",
                    (album_id,),
                )
                if r["asset_id"] not in current
            ]
            self.conn.executemany(
                "DELETE FROM album_assets WHERE album_id = ? AND asset_id = ?",
                [(album_id, a) for a in stale],
            )

    def record_batch(
        self,
        album_id: str,
        google_album_id: str,
        placed: Sequence[tuple[AssetFacts, str]],
        failed: Sequence[tuple[AssetFacts, str]],
        refused: Sequence[str] = (),
        intent: int | None = None,
    ) -> None:
        """One batch's outcome in one transaction: placed items, failed ones, refused references,
        and the end of the batch's intent (``intent``), so the two can never disagree."""
        now = iso(utcnow())
        with transaction(self.conn):
            if intent is not None:
                end_batch_intent(self.conn, intent)
            for asset, media_id in placed:
                before = self.conn.execute(
                    "SELECT google_media_item_id FROM assets WHERE immich_id = ?", (asset.id,)
                ).fetchone()
                self.conn.execute(
                    "INSERT INTO assets(immich_id, checksum, size, type, mime, google_media_item_id, status, attempts, updated_at) "
                    "VALUES(?, ?, ?, ?, ?, ?, 'uploaded', 0, ?) ON CONFLICT(immich_id) DO UPDATE SET "
                    "google_media_item_id = excluded.google_media_item_id, status = 'uploaded', reason = NULL, "
                    "attempts = 0, updated_at = excluded.updated_at",
                    (asset.id, asset.checksum, asset.size, asset.type, asset.mime, media_id, now),
                )
                write_placement(self.conn, album_id, asset.id, google_album_id, now)
                previous = before["google_media_item_id"] if before else None
                stamp_placed(
                    self.conn, asset.id, media_id, previous, self.notes.pop(asset.id, None)
                )
            if placed:
                self.conn.execute(
                    "UPDATE google_albums SET item_count = item_count + ? WHERE google_album_id = ?",
                    (len(placed), google_album_id),
                )
            for asset, reason in failed:
                self.conn.execute(
                    "INSERT INTO assets(immich_id, checksum, size, type, mime, status, reason, attempts, updated_at) "
                    "VALUES(?, ?, ?, ?, ?, 'failed', ?, 1, ?) ON CONFLICT(immich_id) DO UPDATE SET "
                    "status = CASE WHEN status = 'uploaded' THEN status ELSE 'failed' END, "
                    "reason = excluded.reason, attempts = attempts + 1, updated_at = excluded.updated_at",
                    (asset.id, asset.checksum, asset.size, asset.type, asset.mime, reason, now),
                )
            for media_id in refused:
                self.conn.execute(
                    "UPDATE assets SET ref_refused = 1 WHERE google_media_item_id = ?", (media_id,)
                )

    def record_removed(self, album_id: str, google_album_id: str, asset_ids: list[str]) -> None:
        with transaction(self.conn):
            self.conn.executemany(
                "DELETE FROM album_assets WHERE album_id = ? AND asset_id = ?",
                [(album_id, a) for a in asset_ids],
            )
            self.conn.execute(
                "UPDATE google_albums SET item_count = max(0, item_count - ?) WHERE google_album_id = ?",
                (len(asset_ids), google_album_id),
            )
