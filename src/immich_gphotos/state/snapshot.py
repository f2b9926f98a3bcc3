"""PlanReads: what the planner and the placing read of the state; reads only, no transaction.

``snapshot`` reads what a run plans and no more: with no album listed (the no-op) no asset is
read at all. The other reads answer one question each for recovery and placing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence

from immich_gphotos.state.views import GooglePart, StateView


class PlanReads:
    """The plan's snapshot, the library's items, and what sits in a Google album."""

    conn: sqlite3.Connection

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
