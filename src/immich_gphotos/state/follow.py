"""FollowRecords: the follow-through's reads and writes of the state (edits replaced, descriptions
patched, albums retitled, the login's end date); each step one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.state.db import in_chunks, read_meta, transaction, write_meta
from immich_gphotos.state.views import FollowView, PlacedFacts, UploadNote

# (asset id, old item, home Google album, rendition, Immich updatedAt, description digest)
Started = tuple[str, str, str, str, str | None, str]


@dataclass(frozen=True)
class OpenReplacement:
    asset_id: str
    old_media_item_id: str
    current_media_item_id: str | None  # the new item once recorded; the old one before
    home_google_album_id: str


REPLACED_ALBUM_KEY = "replaced_album_id"  # meta: the Google album old renditions go to
# meta: when the stored refresh token dies (ISO), if Google said (an app left in "Testing");
# the same value `status`, the sync warning and the metrics file read
LOGIN_EXPIRES_KEY = "google_login_expires_at"
LOGIN_WARNED_KEY = "login_expiry_notified"  # meta: the expiry the notify command was run for


def stamp_placed(
    conn: sqlite3.Connection,
    asset_id: str,
    media_id: str,
    previous: str | None,
    note: UploadNote | None,
) -> None:
    """Inside ``record_batch``'s transaction: what the item just placed shows. An upload says it
    (``note``); an item added by reference shows what the asset that made it recorded; an item
    found again after a crash is not known (NULL), and the follow-through settles it."""
    if note is not None:
        conn.execute(
            "UPDATE assets SET rendition = ?, rendition_tag = ?, seen_updated_at = ?, "
            "description_sent = ? WHERE immich_id = ?",
            (note.rendition, note.tag, note.updated_at, note.description_digest, asset_id),
        )
    elif previous != media_id:
        conn.execute(
            "UPDATE assets SET (rendition, rendition_tag, seen_updated_at, description_sent) = "
            "(SELECT rendition, rendition_tag, seen_updated_at, description_sent FROM assets "
            " WHERE google_media_item_id = ? AND immich_id != ? AND rendition IS NOT NULL LIMIT 1) "
            "WHERE immich_id = ?",
            (media_id, asset_id, asset_id),
        )


class FollowRecords:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def view(self, asset_ids: Collection[str]) -> FollowView:
        """What the state knows of these assets' Google items (the assets a run plans: those
        of the albums it lists), read by id; an empty set reads nothing (the no-op)."""
        followed = self.followed_titles()
        ids = sorted(set(asset_ids))
        if not ids:
            return FollowView(followed_titles=followed)
        placed: dict[str, PlacedFacts] = {}
        albums_of: dict[str, list[tuple[str, str]]] = {}
        for chunk in in_chunks(ids):
            marks = ", ".join("?" * len(chunk))
            for r in self.conn.execute(
                "SELECT immich_id, google_media_item_id, rendition, rendition_tag, "
                "seen_updated_at, description_sent, ref_refused, attempts, status FROM assets "
                f"WHERE google_media_item_id IS NOT NULL AND immich_id IN ({marks})",
                chunk,
            ):
                placed[r["immich_id"]] = PlacedFacts(
                    r["google_media_item_id"],
                    r["rendition"],
                    r["rendition_tag"],
                    r["seen_updated_at"],
                    r["description_sent"],
                    bool(r["ref_refused"]),
                    r["attempts"] if r["status"] == "uploaded" else 0,
                )
            for r in self.conn.execute(
                "SELECT album_id, asset_id, google_album_id FROM album_assets "
                f"WHERE google_album_id IS NOT NULL AND asset_id IN ({marks})",
                chunk,
            ):
                albums_of.setdefault(r["asset_id"], []).append(
                    (r["album_id"], r["google_album_id"])
                )
        return FollowView(
            placed=placed,
            albums_of={k: tuple(sorted(v)) for k, v in albums_of.items()},
            shared_media=self._shared({f.media_item_id for f in placed.values()}),
            followed_titles=followed,
        )

    def _shared(self, media_item_ids: set[str]) -> frozenset[str]:
        """Those of these items that more than one asset shows (duplicate files)."""
        shared: set[str] = set()
        for chunk in in_chunks(sorted(media_item_ids)):
            marks = ", ".join("?" * len(chunk))
            shared.update(
                r[0]
                for r in self.conn.execute(
                    "SELECT google_media_item_id FROM assets "
                    f"WHERE google_media_item_id IN ({marks}) "
                    "GROUP BY google_media_item_id HAVING count(*) > 1",
                    chunk,
                )
            )
        return frozenset(shared)

    # --- baselines: what is known now, recorded without asking Google anything

    def confirm(
        self, rows: Iterable[tuple[str, str | None, str | None, str | None, str | None]]
    ) -> None:
        """(asset id, rendition, tag, seen updatedAt, description digest): what the items show,
        where that was unknown or only updatedAt moved; NULLs keep what was recorded."""
        changes = [(*rest, asset_id) for asset_id, *rest in rows]
        if not changes:
            return
        with transaction(self.conn):
            self.conn.executemany(
                "UPDATE assets SET rendition = coalesce(?, rendition), "
                "rendition_tag = coalesce(?, rendition_tag), "
                "seen_updated_at = coalesce(?, seen_updated_at), "
                "description_sent = coalesce(?, description_sent) WHERE immich_id = ?",
                changes,
            )

    # --- descriptions and titles

    def described(self, asset_id: str, digest: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE assets SET description_sent = ? WHERE immich_id = ?", (digest, asset_id)
            )

    def not_app_created(self, media_item_id: str) -> None:
        """Google will not change this item (bytes the library held before): never ask again."""
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE assets SET ref_refused = 1 WHERE google_media_item_id = ?",
                (media_item_id,),
            )

    def retitled(self, google_album_id: str, title: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE google_albums SET title = ? WHERE google_album_id = ?",
                (title, google_album_id),
            )

    # --- replacements: an edit's new item in, the old one out, across a crash

    def begin_replacements(self, started: Sequence[Started]) -> None:
        """Committed before the new items are created: what each replacement is making."""
        now = iso(utcnow())
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR REPLACE INTO replacements(asset_id, old_media_item_id, "
                "home_google_album_id, rendition, seen_updated_at, description_sent, started_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?)",
                [(*s, now) for s in started],
            )

    def open_replacements(self) -> list[OpenReplacement]:
        """Every replacement started and not finished, oldest first, with the item the state
        records for its asset now (the new one once its batchCreate was recorded)."""
        return [
            OpenReplacement(
                r["asset_id"],
                r["old_media_item_id"],
                r["google_media_item_id"],
                r["home_google_album_id"],
            )
            for r in self.conn.execute(
                "SELECT r.asset_id, r.old_media_item_id, r.home_google_album_id, "
                "a.google_media_item_id FROM replacements r "
                "LEFT JOIN assets a ON a.immich_id = r.asset_id ORDER BY r.started_at, r.asset_id"
            )
        ]

    def settle_made(self, asset_ids: Sequence[str]) -> None:
        """A new item recorded without its upload's note (found again after a crash): it shows
        what its replacement was making."""
        with transaction(self.conn):
            self.conn.executemany(
                "UPDATE assets SET (rendition, seen_updated_at, description_sent) = "
                "(SELECT r.rendition, r.seen_updated_at, r.description_sent FROM replacements r "
                " WHERE r.asset_id = assets.immich_id) "
                "WHERE immich_id = ? AND rendition IS NULL",
                [(a,) for a in asset_ids],
            )

    def drop_replacements(self, asset_ids: Sequence[str]) -> None:
        """The new item was never made: nothing to finish (the asset is planned again)."""
        with transaction(self.conn):
            self.conn.executemany(
                "DELETE FROM replacements WHERE asset_id = ?", [(a,) for a in asset_ids]
            )

    def finish_replacements(self, done: Sequence[tuple[str, str, str]]) -> None:
        """(asset id, old item, new item): the old item is out of every album and in the
        replaced album; the replacement ends."""
        now = iso(utcnow())
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR REPLACE INTO replaced_items(old_media_item_id, asset_id, "
                "new_media_item_id, replaced_at) VALUES(?, ?, ?, ?)",
                [(old, asset, new, now) for asset, old, new in done],
            )
            self.conn.executemany(
                "DELETE FROM replacements WHERE asset_id = ?", [(a,) for a, _, _ in done]
            )

    def media_users(self, media_item_id: str) -> int:
        """How many assets the state records as shown by this item."""
        row = self.conn.execute(
            "SELECT count(*) FROM assets WHERE google_media_item_id = ?", (media_item_id,)
        ).fetchone()
        return int(row[0])

    def replaced_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM replaced_items").fetchone()[0])

    def placements_of(self, asset_id: str) -> list[tuple[str, str]]:
        """(Immich album, Google album) of every album the tool placed this asset in."""
        return [
            (r["album_id"], r["google_album_id"])
            for r in self.conn.execute(
                "SELECT album_id, google_album_id FROM album_assets "
                "WHERE asset_id = ? AND google_album_id IS NOT NULL ORDER BY album_id",
                (asset_id,),
            )
        ]

    def followed_titles(self) -> dict[str, str]:
        """Album -> the config title that only repeats the Immich name (no ``--as``)."""
        return {
            r["immich_id"]: r["followed_title"]
            for r in self.conn.execute(
                "SELECT immich_id, followed_title FROM albums WHERE followed_title IS NOT NULL"
            )
        }

    def media_of(self, asset_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT google_media_item_id FROM assets WHERE immich_id = ?", (asset_id,)
        ).fetchone()
        return None if row is None else row["google_media_item_id"]

    def replaced_in_use(self) -> list[str]:
        """Old items moved to the replaced album that an asset shows again (Google gave the same
        item back for the same bytes, e.g. an edit undone): they must leave that album."""
        # a join, not IN (SELECT ... FROM assets): that list of every item is built each run
        # (20 ms at 20,000 assets) even when nothing was ever replaced
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT r.old_media_item_id FROM replaced_items r "
                "JOIN assets a ON a.google_media_item_id = r.old_media_item_id ORDER BY 1"
            )
        ]

    def unreplace(self, media_item_ids: Sequence[str]) -> None:
        with transaction(self.conn):
            self.conn.executemany(
                "DELETE FROM replaced_items WHERE old_media_item_id = ?",
                [(m,) for m in media_item_ids],
            )

    def get_meta(self, key: str) -> str | None:
        return read_meta(self.conn, key)

    def set_meta(self, key: str, value: str | None) -> None:
        with transaction(self.conn):
            write_meta(self.conn, key, value)
