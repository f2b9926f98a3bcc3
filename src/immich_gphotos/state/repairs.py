"""RepairRecords: what `check --repair` writes into the state, each step one transaction.

It records what Google really holds: an album taken over (adopted) or made again, items matched
to assets, items put back, items that must be placed again by the next sync.
"""

from __future__ import annotations

from collections.abc import Sequence

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import transaction, write_album, write_placement
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.state.views import AssetFacts, GooglePart


class RepairRecords(SyncRecords):
    def parts_of(self, album_id: str) -> list[GooglePart]:
        return [
            GooglePart(r["part"], r["google_album_id"], r["title"], r["item_count"])
            for r in self.conn.execute(
                "SELECT part, google_album_id, title, item_count FROM google_albums "
                "WHERE immich_album_id = ? ORDER BY part",
                (album_id,),
            )
        ]

    def adopt(
        self,
        album_id: str,
        name: str,
        google_title: str,
        parts: Sequence[GooglePart],
        client_id: str | None,
    ) -> None:
        """Take over Google albums the app made that the state did not know, as parts 1, 2..."""
        now = iso(utcnow())
        with transaction(self.conn):
            write_album(self.conn, album_id, name, google_title)
            self.conn.executemany(
                "INSERT INTO google_albums(immich_album_id, part, google_album_id, title, "
                "client_id, item_count, created_at, verified_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        album_id,
                        p.part,
                        p.google_album_id,
                        p.title,
                        client_id,
                        p.item_count,
                        now,
                        now,
                    )
                    for p in parts
                ],
            )

    def record_matched(
        self, album_id: str, google_album_id: str, matched: Sequence[tuple[AssetFacts, str]]
    ) -> None:
        """Items found in the Google album, matched to their assets: placed there. An asset that
        already has a media item (from another album) keeps it."""
        now = iso(utcnow())
        with transaction(self.conn):
            for asset, media_id in matched:
                self.conn.execute(
                    "INSERT INTO assets(immich_id, checksum, size, type, mime, google_media_item_id, "
                    "status, attempts, updated_at) VALUES(?, ?, ?, ?, ?, ?, 'uploaded', 0, ?) "
                    "ON CONFLICT(immich_id) DO UPDATE SET google_media_item_id = "
                    "coalesce(google_media_item_id, excluded.google_media_item_id), "
                    "status = 'uploaded', reason = NULL, attempts = 0, updated_at = excluded.updated_at",
                    (asset.id, asset.checksum, asset.size, asset.type, asset.mime, media_id, now),
                )
                write_placement(self.conn, album_id, asset.id, google_album_id, now)

    def replace_google_album(self, album_id: str, part: int, old: str, new: str) -> None:
        """The part was deleted in Google and made again: nothing of it is placed yet."""
        now = iso(utcnow())
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE google_albums SET google_album_id = ?, item_count = 0, created_at = ?, "
                "verified_at = ? WHERE immich_album_id = ? AND part = ?",
                (new, now, now, album_id, part),
            )
            self.conn.execute(
                "UPDATE album_assets SET google_album_id = NULL, added_at = NULL "
                "WHERE album_id = ? AND google_album_id = ?",
                (album_id, old),
            )

    def unplace(self, album_id: str, google_album_id: str, asset_ids: Sequence[str]) -> None:
        """Not in the Google album after all: the next sync places them again."""
        with transaction(self.conn):
            self.conn.executemany(
                "UPDATE album_assets SET google_album_id = NULL, added_at = NULL "
                "WHERE album_id = ? AND asset_id = ? AND google_album_id = ?",
                [(album_id, a, google_album_id) for a in asset_ids],
            )

    def set_item_count(self, google_album_id: str, count: int) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE google_albums SET item_count = ?, verified_at = ? WHERE google_album_id = ?",
                (count, iso(utcnow()), google_album_id),
            )
