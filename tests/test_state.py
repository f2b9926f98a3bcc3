"""The state database: WAL, forward migrations from version 0, refusal of a newer schema."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from immich_gphotos.clock import pacific_day
from immich_gphotos.errors import StateError
from immich_gphotos.state.db import CHANGE_MARK_KEY, connect, read_meta, transaction
from immich_gphotos.state.migrations import MIGRATIONS, migrate, migration, schema_version
from immich_gphotos.state.store import StateStore

EXPECTED_COLUMNS = {
    "meta": {"key", "value"},
    "albums": {"immich_id", "name", "google_title", "last_synced", "followed_title"},
    "google_albums": {
        "immich_album_id",
        "part",
        "google_album_id",
        "title",
        "client_id",
        "item_count",
        "created_at",
        "verified_at",
        "product_url",
    },
    "assets": {
        "immich_id",
        "checksum",
        "size",
        "type",
        "mime",
        "google_media_item_id",
        "status",
        "reason",
        "attempts",
        "ref_refused",
        "updated_at",
        "rendition",
        "rendition_tag",
        "seen_updated_at",
        "description_sent",
    },
    "album_assets": {"album_id", "asset_id", "google_album_id", "added_at"},
    "runs": {
        "id",
        "started",
        "finished",
        "exit_code",
        "uploaded",
        "added",
        "removed",
        "skipped",
        "failed",
        "bytes",
        "google_requests",
        "stopped",
    },
    "google_requests": {"day", "count"},
    "batch_intents": {"id", "album_id", "google_album_id", "started_at"},
    "batch_intent_assets": {
        "intent_id",
        "asset_id",
        "checksum",
        "size",
        "type",
        "mime",
        "file_name",
        "captured_at",
    },
    "replacements": {
        "asset_id",
        "old_media_item_id",
        "home_google_album_id",
        "rendition",
        "seen_updated_at",
        "description_sent",
        "started_at",
    },
    "replaced_items": {"old_media_item_id", "asset_id", "new_media_item_id", "replaced_at"},
    "album_listings": {
        "album_id",
        "asset_count",
        "updated_at",
        "last_modified",
        "settings",
        "listed_at",
    },
}


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}


def test_migrates_a_blank_database_from_version_0(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    assert schema_version(conn) == 0
    assert migrate(conn) == len(MIGRATIONS)
    assert schema_version(conn) == len(MIGRATIONS)
    assert _columns(conn) == EXPECTED_COLUMNS
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    migrate(conn)  # running again is a no-op
    assert schema_version(conn) == len(MIGRATIONS)


def test_the_follow_through_migration_keeps_what_older_releases_placed(tmp_path: Path) -> None:
    """Every item an older release made shows the original (it never uploaded an edit); a
    title saved from the Immich name (no --as) follows that name from now on."""
    from immich_gphotos.state.migrations import m004_follow_through

    conn = connect(tmp_path / "s.db")
    before = MIGRATIONS[: MIGRATIONS.index(m004_follow_through)]
    migrate(conn, before)
    conn.executescript(
        """
        INSERT INTO assets(immich_id, checksum, google_media_item_id, status)
            VALUES ('placed', 'c1', 'mi-1', 'uploaded'), ('waiting', 'c2', NULL, 'pending');
        INSERT INTO albums(immich_id, name, google_title)
            VALUES ('named', 'Summer', 'Summer'), ('titled', 'Summer', 'Our summer');
        """
    )
    migrate(conn)
    rendition = dict(conn.execute("SELECT immich_id, rendition FROM assets").fetchall())
    assert rendition == {"placed": "original", "waiting": None}
    followed = dict(conn.execute("SELECT immich_id, followed_title FROM albums").fetchall())
    assert followed == {"named": "Summer", "titled": None}


def test_open_creates_a_private_state_dir(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    store = StateStore.open(state_dir)
    store.close()
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((state_dir / "state.sqlite3").stat().st_mode) == 0o600


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate(conn)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 3}")
    with pytest.raises(StateError, match="newer than this immich-gphotos") as caught:
        migrate(conn)
    assert "upgrade" in str(caught.value)


def test_a_failing_migration_rolls_back(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    steps = list(MIGRATIONS)

    def m_bad(db: sqlite3.Connection) -> None:
        db.executescript("CREATE TABLE half_done (x INTEGER);\nSELECT * FROM no_such_table;")

    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, [*steps, m_bad])
    assert schema_version(conn) == len(steps), "the good migrations stay applied"
    assert "half_done" not in _columns(conn), "the failed one left nothing behind"


def test_an_upgrade_applies_only_the_new_migrations_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release adds migrations with @migration: opening an existing state database applies
    the new ones, in the order they were written, once each, and user_version follows."""
    store = StateStore.open(tmp_path)  # a database written by the current release
    store.upsert_album("album-1", "Holidays", "Holidays")
    store.close()
    released = len(MIGRATIONS)
    monkeypatch.setattr("immich_gphotos.state.migrations.MIGRATIONS", list(MIGRATIONS))
    ran: list[str] = []

    @migration
    def m_add_log(db: sqlite3.Connection) -> None:
        ran.append("add_log")
        db.executescript("CREATE TABLE upgrade_log (step TEXT NOT NULL);")

    @migration
    def m_fill_log(db: sqlite3.Connection) -> None:  # needs the table made by the one before
        ran.append("fill_log")
        db.execute("INSERT INTO upgrade_log (step) SELECT name FROM albums")

    for _ in range(2):  # the second open finds nothing left to do
        StateStore.open(tmp_path).close()
    assert ran == ["add_log", "fill_log"]
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert schema_version(db) == released + 2
        assert db.execute("SELECT step FROM upgrade_log").fetchall() == [("Holidays",)]


def test_runs_and_request_counts(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path)
    run = store.start_run()
    store.finish_run(run, 0, uploaded=3, bytes=1234, google_requests=4)
    second = store.start_run()
    store.finish_run(second, 6, stopped="budget")
    runs = store.recent_runs()
    assert [r.exit_code for r in runs] == [6, 0]  # newest first
    assert runs[1].uploaded == 3 and runs[1].bytes == 1234
    assert store.add_requests(2) == 2
    assert store.add_requests(3) == 5
    assert store.requests_on(pacific_day()) == 5
    store.close()
    assert StateStore.open(tmp_path).requests_on() == 5, "counts survive a restart"


def test_album_counts_by_bucket(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path)
    store.upsert_album("alb", "Holidays", "Holidays")
    conn = store.conn
    conn.execute(
        "INSERT INTO assets(immich_id, checksum, status) VALUES ('a1','c1','uploaded'), "
        "('a2','c2','pending'), ('a3','c3','failed'), ('a4','c4','skipped')"
    )
    conn.execute("UPDATE assets SET reason = 'unsupported type' WHERE immich_id = 'a4'")
    conn.execute(
        "INSERT INTO album_assets(album_id, asset_id, google_album_id) VALUES "
        "('alb','a1','g1'), ('alb','a2',NULL), ('alb','a3',NULL), ('alb','a4',NULL)"
    )
    counts = store.album_counts("alb")
    assert (counts.in_sync, counts.pending, counts.failed, counts.skipped) == (1, 1, 1, 1)
    assert counts.skipped_reasons == {"unsupported type": 1}
    assert counts.name == "Holidays"


def test_pacific_day_rolls_over_at_pacific_midnight() -> None:
    from datetime import UTC, datetime

    assert str(pacific_day(datetime(2026, 7, 2, 6, 59, tzinfo=UTC))) == "2026-07-01"  # 23:59 PDT
    assert str(pacific_day(datetime(2026, 7, 2, 7, 0, tzinfo=UTC))) == "2026-07-02"
    assert str(pacific_day(datetime(2026, 1, 2, 7, 59, tzinfo=UTC))) == "2026-01-01"  # 23:59 PST


def test_a_version_2_state_gains_the_google_link_and_keeps_its_albums(tmp_path: Path) -> None:
    """A state written before links were kept: its Google albums stay, the link is just empty."""
    conn = connect(tmp_path / "s.db")
    migrate(conn, MIGRATIONS[:2])
    conn.execute("INSERT INTO albums(immich_id, name) VALUES('a', 'Family')")
    conn.execute(
        "INSERT INTO google_albums(immich_album_id, google_album_id, title, created_at) "
        "VALUES('a', 'g1', 'Family', '2024-01-01T00:00:00Z')"
    )
    conn.commit()
    migrate(conn)
    row = conn.execute("SELECT google_album_id, product_url FROM google_albums").fetchone()
    assert tuple(row) == ("g1", None)


def test_a_change_writes_a_new_mark_and_a_run_record_or_a_write_of_nothing_does_not(
    tmp_path: Path,
) -> None:
    """The mark tells a backup it is behind (``safety.backup_holds_all``)."""
    store = StateStore.open(tmp_path)

    def mark() -> str | None:
        return read_meta(store.conn, CHANGE_MARK_KEY)

    first = mark()
    assert first is not None, "a new schema is a change"
    store.finish_run(store.start_run(), 0, uploaded=0)
    assert mark() == first, "a run's own record"
    with transaction(store.conn):
        store.conn.execute("UPDATE albums SET name = 'x' WHERE immich_id = 'none'")
    assert mark() == first, "nothing changed"
    store.upsert_album("a", "A", "A")
    second = mark()
    assert second not in (None, first)
    store.set_meta("anything", "1")
    assert mark() not in (None, first, second)
    store.close()
