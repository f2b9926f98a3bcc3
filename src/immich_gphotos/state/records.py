"""SyncRecords: the sync's reads and writes of the state, each batch one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import transaction
from immich_gphotos.state.store import StateStore
from immich_gphotos.state.views import AssetFacts, GooglePart, StateView


class SyncRecords:
    """The sync's reads and writes of the state; every batch is one transaction."""

    def __init__(self, store: StateStore) -> None:
        self.conn = store.conn

    def snapshot(self, album_ids: list[str]) -> StateView:
        media: dict[str, str] = {}
        media_of_asset: dict[str, str] = {}
        refused: set[str] = set()
        attempts: dict[str, int] = {}
        rows = self.conn.execute(
            "SELECT immich_id, checksum, google_media_item_id, status, attempts, ref_refused FROM assets"
        )
        for r in rows:
            if r["google_media_item_id"]:
                media.setdefault(r["checksum"], r["google_media_item_id"])
                media_of_asset[r["immich_id"]] = r["google_media_item_id"]
                if r["ref_refused"]:
                    refused.add(r["google_media_item_id"])
            if r["status"] == "failed":
                attempts[r["immich_id"]] = r["attempts"]
        wanted = set(album_ids)
        placed = {
            (r["album_id"], r["asset_id"]): r["google_album_id"]
            for r in self.conn.execute(
                "SELECT album_id, asset_id, google_album_id FROM album_assets WHERE google_album_id IS NOT NULL"
            )
            if r["album_id"] in wanted
        }
        parts: dict[str, list[GooglePart]] = {}
        for r in self.conn.execute(
            "SELECT immich_album_id, part, google_album_id, title, item_count FROM google_albums"
        ):
            parts.setdefault(r["immich_album_id"], []).append(
                GooglePart(r["part"], r["google_album_id"], r["title"], r["item_count"])
            )
        return StateView(
            media_by_checksum=media,
            ref_refused=frozenset(refused),
            placed=placed,
            media_of_asset=media_of_asset,
            parts={k: tuple(sorted(v, key=lambda p: p.part)) for k, v in parts.items()},
            attempts=attempts,
        )

    def verified_at(self, google_album_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT verified_at FROM google_albums WHERE google_album_id = ?", (google_album_id,)
        ).fetchone()
        return None if row is None else row["verified_at"]

    def add_google_album(
        self, album_id: str, part: int, google_album_id: str, title: str, client_id: str | None
    ) -> None:
        now = iso(utcnow())
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO google_albums(immich_album_id, part, google_album_id, title, client_id, created_at, verified_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?)",
                (album_id, part, google_album_id, title, client_id, now, now),
            )

    def mark_verified(self, google_album_id: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE google_albums SET verified_at = ? WHERE google_album_id = ?",
                (iso(utcnow()), google_album_id),
            )

    def forget_google_album(self, album_id: str) -> None:
        """The user deleted the Google album(s): everything in them must be placed again."""
        with transaction(self.conn):
            self.conn.execute("DELETE FROM google_albums WHERE immich_album_id = ?", (album_id,))
            self.conn.execute(
                "UPDATE album_assets SET google_album_id = NULL, added_at = NULL WHERE album_id = ?",
                (album_id,),
            )

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
    ) -> None:
        """One batch's outcome in one transaction: placed items, failed ones, refused references."""
        now = iso(utcnow())
        with transaction(self.conn):
            for asset, media_id in placed:
                self.conn.execute(
                    "INSERT INTO assets(immich_id, checksum, size, type, mime, google_media_item_id, status, attempts, updated_at) "
                    "VALUES(?, ?, ?, ?, ?, ?, 'uploaded', 0, ?) ON CONFLICT(immich_id) DO UPDATE SET "
                    "google_media_item_id = excluded.google_media_item_id, status = 'uploaded', reason = NULL, "
                    "attempts = 0, updated_at = excluded.updated_at",
                    (asset.id, asset.checksum, asset.size, asset.type, asset.mime, media_id, now),
                )
                self.conn.execute(
                    "INSERT INTO album_assets(album_id, asset_id, google_album_id, added_at) VALUES(?, ?, ?, ?) "
                    "ON CONFLICT(album_id, asset_id) DO UPDATE SET google_album_id = excluded.google_album_id, "
                    "added_at = excluded.added_at",
                    (album_id, asset.id, google_album_id, now),
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

    def set_last_synced(self, album_id: str, name: str, google_title: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO albums(immich_id, name, google_title, last_synced) VALUES(?, ?, ?, ?) "
                "ON CONFLICT(immich_id) DO UPDATE SET name = excluded.name, google_title = excluded.google_title, "
                "last_synced = excluded.last_synced",
                (album_id, name, google_title, iso(utcnow())),
            )

    def ensure_album(self, album_id: str, name: str, google_title: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO albums(immich_id, name, google_title) VALUES(?, ?, ?) ON CONFLICT(immich_id) DO UPDATE SET "
                "name = excluded.name, google_title = excluded.google_title",
                (album_id, name, google_title),
            )
