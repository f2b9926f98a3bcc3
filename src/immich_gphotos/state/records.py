"""SyncRecords: the sync's reads and writes of the state, each batch one transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import read_meta, transaction, write_meta
from immich_gphotos.state.follow import REPLACED_ALBUM_KEY, stamp_placed
from immich_gphotos.state.store import StateStore
from immich_gphotos.state.views import (
    AlbumListing,
    AssetFacts,
    BatchAssetFacts,
    BatchIntent,
    GooglePart,
    IntentAsset,
    StateView,
    UploadNote,
)


class SyncRecords:
    """The sync's reads and writes of the state; every batch is one transaction."""

    def __init__(self, store: StateStore) -> None:
        self.conn = store.conn
        # what each upload sent (rendition, description), recorded with its batch (follow.py)
        self.notes: dict[str, UploadNote] = {}

    def note_upload(self, asset_id: str, note: UploadNote) -> None:
        """From an upload thread: what the upload sent, for the transaction that records it."""
        self.notes[asset_id] = note

    def snapshot(
        self, album_ids: Sequence[str], listed: Collection[str] | None = None
    ) -> StateView:
        """What the planner needs of these albums. ``listed``: those whose contents are planned
        this run (default: all); of the others only their Google albums and how many items sit
        in them are read, and with none listed no asset is read at all (the no-op)."""
        listed = set(album_ids) if listed is None else set(listed) & set(album_ids)
        media, media_of_asset, refused, attempts = (
            self._library() if listed else ({}, {}, set(), {})
        )
        placed: dict[tuple[str, str], str] = {}
        for album_id in sorted(listed):
            for r in self.conn.execute(
                "SELECT asset_id, google_album_id FROM album_assets "
                "WHERE album_id = ? AND google_album_id IS NOT NULL",
                (album_id,),
            ):
                placed[(album_id, r["asset_id"])] = r["google_album_id"]
        placed_count = {
            album_id: int(
                self.conn.execute(
                    "SELECT count(*) FROM album_assets "
                    "WHERE album_id = ? AND google_album_id IS NOT NULL",
                    (album_id,),
                ).fetchone()[0]
            )
            for album_id in album_ids
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
            placed_count=placed_count,
        )

    def _library(self) -> tuple[dict[str, str], dict[str, str], set[str], dict[str, int]]:
        """Every asset's item: by checksum (dedup across albums), by asset, the items Google
        refused by reference, and the failed runs of failed assets."""
        media: dict[str, str] = {}
        media_of_asset: dict[str, str] = {}
        refused: set[str] = set()
        attempts: dict[str, int] = {}
        for r in self.conn.execute(
            "SELECT immich_id, checksum, google_media_item_id, status, attempts, ref_refused "
            "FROM assets"
        ):
            if r["google_media_item_id"]:
                media.setdefault(r["checksum"], r["google_media_item_id"])
                media_of_asset[r["immich_id"]] = r["google_media_item_id"]
                if r["ref_refused"]:
                    refused.add(r["google_media_item_id"])
            if r["status"] == "failed":
                attempts[r["immich_id"]] = r["attempts"]
        return media, media_of_asset, refused, attempts

    def verified_at(self, google_album_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT verified_at FROM google_albums WHERE google_album_id = ?", (google_album_id,)
        ).fetchone()
        return None if row is None else row["verified_at"]

    def add_google_album(
        self,
        album_id: str,
        part: int,
        google_album_id: str,
        title: str,
        client_id: str | None,
        product_url: str | None = None,
    ) -> None:
        """Record a Google album made (or taken over) for this part; its creation intent ends in
        the same transaction."""
        now = iso(utcnow())
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO google_albums(immich_album_id, part, google_album_id, title, client_id, "
                "created_at, verified_at, product_url) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                (album_id, part, google_album_id, title, client_id, now, now, product_url),
            )
            write_meta(self.conn, _album_intent_key(album_id, part), None)

    def begin_album_intent(self, album_id: str, part: int, title: str) -> None:
        """Before albums.create: a run that ends before the album is recorded leaves this behind,
        so the next run takes the album over instead of making a second one (committed alone)."""
        with transaction(self.conn):
            write_meta(self.conn, _album_intent_key(album_id, part), title)

    def album_intent(self, album_id: str, part: int) -> str | None:
        """The title of an albums.create for this part that a run began but never recorded."""
        return read_meta(self.conn, _album_intent_key(album_id, part))

    def mark_verified(self, google_album_id: str, product_url: str | None = None) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE google_albums SET verified_at = ?, product_url = coalesce(?, product_url) "
                "WHERE google_album_id = ?",
                (iso(utcnow()), product_url, google_album_id),
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
        intent: int | None = None,
    ) -> None:
        """One batch's outcome in one transaction: placed items, failed ones, refused references,
        and the end of the batch's intent (``intent``), so the two can never disagree."""
        now = iso(utcnow())
        with transaction(self.conn):
            if intent is not None:
                self.conn.execute("DELETE FROM batch_intents WHERE id = ?", (intent,))
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
                self.conn.execute(
                    "INSERT INTO album_assets(album_id, asset_id, google_album_id, added_at) VALUES(?, ?, ?, ?) "
                    "ON CONFLICT(album_id, asset_id) DO UPDATE SET google_album_id = excluded.google_album_id, "
                    "added_at = excluded.added_at",
                    (album_id, asset.id, google_album_id, now),
                )
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

    def set_last_synced(self, albums: Sequence[tuple[str, str, str]]) -> None:
        """(album id, name, Google title) of each album this run synced: one transaction."""
        if not albums:
            return
        now = iso(utcnow())
        with transaction(self.conn, bookkeeping=True):  # the backup need not follow the times
            self.conn.executemany(
                "INSERT INTO albums(immich_id, name, google_title, last_synced) VALUES(?, ?, ?, ?) "
                "ON CONFLICT(immich_id) DO UPDATE SET name = excluded.name, google_title = excluded.google_title, "
                "last_synced = excluded.last_synced",
                [(album_id, name, title, now) for album_id, name, title in albums],
            )

    def ensure_album(self, album_id: str, name: str, google_title: str) -> None:
        """The album's row, before anything is recorded for it; no write when it is as it was."""
        row = self.conn.execute(
            "SELECT name, google_title FROM albums WHERE immich_id = ?", (album_id,)
        ).fetchone()
        if row is not None and (row["name"], row["google_title"]) == (name, google_title):
            return
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO albums(immich_id, name, google_title) VALUES(?, ?, ?) ON CONFLICT(immich_id) DO UPDATE SET "
                "name = excluded.name, google_title = excluded.google_title",
                (album_id, name, google_title),
            )

    # --- batchCreate intents: the crash window between Google creating and the state recording

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
        with transaction(self.conn):
            self.conn.execute("DELETE FROM batch_intents WHERE id = ?", (intent,))

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

    def known_google_albums(self) -> set[str]:
        """Every Google album id the state records (for any album, selected or not), and the
        follow-through's "replaced" album: the tool's own, never one a lost state forgot."""
        known = {r[0] for r in self.conn.execute("SELECT google_album_id FROM google_albums")}
        replaced = read_meta(self.conn, REPLACED_ALBUM_KEY)
        return known | ({replaced} if replaced else set())

    def known_media_ids(self) -> set[str]:
        """Every Google media item the state knows it created (from any album)."""
        return {
            r[0]
            for r in self.conn.execute(
                "SELECT google_media_item_id FROM assets WHERE google_media_item_id IS NOT NULL"
            )
        }

    def placed_in(self, album_id: str, google_album_id: str) -> dict[str, str]:
        """Asset id -> media item id of what the state says sits in that Google album now."""
        return {
            r["asset_id"]: r["google_media_item_id"]
            for r in self.conn.execute(
                "SELECT aa.asset_id, a.google_media_item_id FROM album_assets aa "
                "JOIN assets a ON a.immich_id = aa.asset_id "
                "WHERE aa.album_id = ? AND aa.google_album_id = ? AND a.google_media_item_id IS NOT NULL",
                (album_id, google_album_id),
            )
        }

    # --- album listings: skip listing an album Immich says is unchanged ------------------------

    def album_listings(self) -> dict[str, AlbumListing]:
        return {
            r["album_id"]: AlbumListing(
                r["asset_count"],
                r["updated_at"],
                r["last_modified"],
                r["settings"],
                datetime.fromisoformat(r["listed_at"].replace("Z", "+00:00")),
            )
            for r in self.conn.execute(
                "SELECT album_id, asset_count, updated_at, last_modified, settings, listed_at "
                "FROM album_listings"
            )
        }

    def save_album_listing(self, album_id: str, listing: AlbumListing) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO album_listings(album_id, asset_count, updated_at, "
                "last_modified, settings, listed_at) VALUES(?, ?, ?, ?, ?, ?)",
                (
                    album_id,
                    listing.asset_count,
                    listing.updated_at,
                    listing.last_modified,
                    listing.settings,
                    iso(listing.listed_at),
                ),
            )

    def forget_album_listing(self, album_id: str) -> None:
        """The album is being synced from a new listing: until that ends well, list it again."""
        with transaction(self.conn):
            self.conn.execute("DELETE FROM album_listings WHERE album_id = ?", (album_id,))


def _album_intent_key(album_id: str, part: int) -> str:
    return f"album_intent:{album_id}:{part}"
