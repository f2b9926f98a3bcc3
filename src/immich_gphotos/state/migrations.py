"""Forward-only schema migrations, numbered by ``PRAGMA user_version``.

Each migration runs in one transaction together with the bump of user_version, so a failing
one leaves the database at the previous version. State is never thrown away: it is the only
record of what we placed in Google Photos.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from immich_gphotos.errors import StateError
from immich_gphotos.state.db import mark_changed, transaction

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    """Albums and the Google albums made for them, assets by Immich id (checksum indexed for
    dedup), which asset sits in which Google album, runs, and Google requests per Pacific day."""
    db.executescript(
        """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE albums (
            immich_id    TEXT PRIMARY KEY,
            name         TEXT,
            google_title TEXT,
            last_synced  TEXT
        );
        -- One row per Google album made for an Immich album: part 1, then "TITLE (2)" past
        -- Google's 20,000 items per album. Remembered by id, never looked up by title.
        CREATE TABLE google_albums (
            immich_album_id TEXT NOT NULL REFERENCES albums(immich_id) ON DELETE CASCADE,
            part            INTEGER NOT NULL DEFAULT 1,
            google_album_id TEXT NOT NULL UNIQUE,
            title           TEXT NOT NULL,
            client_id       TEXT,
            item_count      INTEGER NOT NULL DEFAULT 0,
            created_at      TEXT NOT NULL,
            verified_at     TEXT,          -- when albums.get last saw it (checked at most daily)
            PRIMARY KEY (immich_album_id, part)
        );
        CREATE TABLE assets (
            immich_id            TEXT PRIMARY KEY,
            checksum             TEXT NOT NULL,
            size                 INTEGER,
            type                 TEXT,
            mime                 TEXT,
            google_media_item_id TEXT,
            status               TEXT NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'uploaded', 'failed', 'skipped')),
            reason               TEXT,
            attempts             INTEGER NOT NULL DEFAULT 0,
            -- batchAddMediaItems refused the item (bytes Google held before we uploaded them
            -- are not app-created): place it in further albums by uploading again
            ref_refused          INTEGER NOT NULL DEFAULT 0,
            updated_at           TEXT
        );
        CREATE INDEX assets_checksum ON assets(checksum);
        CREATE TABLE album_assets (
            album_id        TEXT NOT NULL REFERENCES albums(immich_id) ON DELETE CASCADE,
            asset_id        TEXT NOT NULL,
            google_album_id TEXT,          -- NULL until the item is in the Google album
            added_at        TEXT,
            PRIMARY KEY (album_id, asset_id)
        );
        CREATE INDEX album_assets_asset ON album_assets(asset_id);
        CREATE TABLE runs (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            started         TEXT NOT NULL,
            finished        TEXT,
            exit_code       INTEGER,
            uploaded        INTEGER NOT NULL DEFAULT 0,
            added           INTEGER NOT NULL DEFAULT 0,
            removed         INTEGER NOT NULL DEFAULT 0,
            skipped         INTEGER NOT NULL DEFAULT 0,
            failed          INTEGER NOT NULL DEFAULT 0,
            bytes           INTEGER NOT NULL DEFAULT 0,
            google_requests INTEGER NOT NULL DEFAULT 0,
            stopped         TEXT
        );
        CREATE TABLE google_requests (
            day   TEXT PRIMARY KEY,        -- YYYY-MM-DD in Pacific time, as Google's quota resets
            count INTEGER NOT NULL DEFAULT 0
        );
        """
    )


@migration
def m002_batch_intents(db: sqlite3.Connection) -> None:
    """A batchCreate in flight: written (and committed) before the call, deleted in the same
    transaction that records the batch's outcome. One left behind means the process ended
    between Google creating the batch and the state recording it: the next run asks Google what
    the album holds before creating anything again. Each asset keeps what matching needs (the
    file name Google was given, the capture time) and what recording it needs (checksum, size,
    type, mime), so recovery reads no Immich."""
    db.executescript(
        """
        CREATE TABLE batch_intents (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            album_id        TEXT NOT NULL,   -- the Immich album
            google_album_id TEXT NOT NULL,   -- the Google album the batch names
            started_at      TEXT NOT NULL
        );
        CREATE TABLE batch_intent_assets (
            intent_id   INTEGER NOT NULL REFERENCES batch_intents(id) ON DELETE CASCADE,
            asset_id    TEXT NOT NULL,
            checksum    TEXT NOT NULL,
            size        INTEGER,
            type        TEXT,
            mime        TEXT,
            file_name   TEXT NOT NULL,       -- as sent in batchCreate (Google's filename)
            captured_at TEXT NOT NULL,       -- Immich fileCreatedAt, ISO 8601 UTC
            PRIMARY KEY (intent_id, asset_id)
        );
        """
    )


@migration
def m003_google_album_url(db: sqlite3.Connection) -> None:
    """The Google album's link (Google's productUrl from albums.create/get), for `albums` and
    `status` to show. NULL for albums made before, until the next albums.get fills it in."""
    db.executescript("ALTER TABLE google_albums ADD COLUMN product_url TEXT;")


@migration
def m004_follow_through(db: sqlite3.Connection) -> None:
    """What a Google item shows, so a later edit, description or rename in Immich can follow.

    Per asset: which rendition its Google item holds (``original`` | ``edited``; every item an
    older release made holds the original, so existing rows say so), the edited rendition's
    size and ETag as uploaded, Immich's ``updatedAt`` when that was last confirmed (only a moved
    ``updatedAt`` makes a run look closer), and a digest of the description Google has (NULL:
    unknown, taken as it is now). Per album: the config title that only repeats the Immich name
    (``albums add`` without ``--as``), so a rename in Immich renames the Google album too.
    ``replacements``: an edit's replacement in progress (written before the new item is created,
    deleted when the old one is out of every album), which the next run finishes after a crash;
    ``replaced_items``: old items moved to the "immich-gphotos: replaced" album."""
    db.executescript(
        """
        ALTER TABLE assets ADD COLUMN rendition TEXT;
        ALTER TABLE assets ADD COLUMN rendition_tag TEXT;
        ALTER TABLE assets ADD COLUMN seen_updated_at TEXT;
        ALTER TABLE assets ADD COLUMN description_sent TEXT;
        UPDATE assets SET rendition = 'original' WHERE google_media_item_id IS NOT NULL;
        ALTER TABLE albums ADD COLUMN followed_title TEXT;
        UPDATE albums SET followed_title = google_title WHERE google_title = name;
        CREATE TABLE replacements (
            asset_id             TEXT PRIMARY KEY,
            old_media_item_id    TEXT NOT NULL,
            home_google_album_id TEXT NOT NULL,  -- where the new item is created in place
            rendition            TEXT NOT NULL,  -- what the new item shows
            seen_updated_at      TEXT,
            description_sent     TEXT,
            started_at           TEXT NOT NULL
        );
        CREATE TABLE replaced_items (
            old_media_item_id TEXT PRIMARY KEY,
            asset_id          TEXT NOT NULL,
            new_media_item_id TEXT NOT NULL,
            replaced_at       TEXT NOT NULL
        );
        """
    )


@migration
def m005_album_listings(db: sqlite3.Connection) -> None:
    """What ``GET /api/albums`` said of an album (assetCount, updatedAt,
    lastModifiedAssetTimestamp) when it was last listed and synced completely, with the sync
    settings of that run and when the listing was made: a run that finds all of it unchanged
    (and the listing less than a day old) does not list the album again."""
    db.executescript(
        """
        CREATE TABLE album_listings (
            album_id      TEXT PRIMARY KEY,
            asset_count   INTEGER NOT NULL,
            updated_at    TEXT,
            last_modified TEXT,
            settings      TEXT NOT NULL,   -- the run's sync settings and the Google title
            listed_at     TEXT NOT NULL    -- ISO 8601 UTC: a full listing at least daily
        );
        """
    )


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; refuse a database written by a newer version."""
    steps = MIGRATIONS if migrations is None else migrations
    current = schema_version(conn)
    if current > len(steps):
        raise StateError(
            f"The state database has schema version {current}, newer than this immich-gphotos "
            f"understands ({len(steps)}); upgrade immich-gphotos (`pipx upgrade immich-gphotos`)."
        )
    for number in range(current, len(steps)):
        with transaction(conn):
            _run_statements(conn, steps[number])
            conn.execute(f"PRAGMA user_version = {number + 1}")
            mark_changed(conn)  # a new schema: the backup copies it
    return len(steps)


def _run_statements(conn: sqlite3.Connection, step: Migration) -> None:
    """executescript() would COMMIT our transaction, so feed scripts statement by statement."""
    step(_InTransaction(conn))  # type: ignore[arg-type]


class _InTransaction:
    """A thin view of the connection whose executescript keeps to the open transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def executescript(self, script: str) -> None:
        buffer = ""
        for line in script.splitlines(keepends=True):
            buffer += line
            if sqlite3.complete_statement(buffer):
                self._conn.execute(buffer)
                buffer = ""
        if buffer.strip():
            self._conn.execute(buffer)

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)
