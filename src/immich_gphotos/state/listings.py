"""Listings: what the no-op reads and writes, so an album Immich shows unchanged goes unlisted.

``album_listings`` is one read of the whole table; a listing is saved (one transaction each) only
after its album synced well, and forgotten (one transaction) before an album is synced from a
new listing, so a run that fails midway lists it again. ``set_last_synced`` writes every album
this run synced in one bookkeeping transaction: the backup need not follow the times.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import transaction
from immich_gphotos.state.views import AlbumListing


class Listings:
    """The albums' saved listings and when each was last synced."""

    conn: sqlite3.Connection

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
