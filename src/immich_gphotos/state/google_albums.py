"""GoogleParts: the Google albums (parts) the state records for each album, and their checks.

Each write is one transaction: ``add_google_album`` records the album and ends its creation
intent (``intents.end_album_intent``) in the same one, so the two never disagree;
``forget_google_album`` drops the parts and unplaces their items together. Reads take no
transaction.
"""

from __future__ import annotations

import sqlite3

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import read_meta, transaction
from immich_gphotos.state.follow import REPLACED_ALBUM_KEY
from immich_gphotos.state.intents import end_album_intent


class GoogleParts:
    """Google albums made or taken over, when each was last seen, which ones the tool owns."""

    conn: sqlite3.Connection

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
            end_album_intent(self.conn, album_id, part)

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

    def known_google_albums(self) -> set[str]:
        """Every Google album id the state records (for any album, selected or not), and the
        follow-through's "replaced" album: the tool's own, never one a lost state forgot."""
        known = {r[0] for r in self.conn.execute("SELECT google_album_id FROM google_albums")}
        replaced = read_meta(self.conn, REPLACED_ALBUM_KEY)
        return known | ({replaced} if replaced else set())
