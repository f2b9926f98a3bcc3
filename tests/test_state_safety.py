"""The state is the only record of what went where: a damaged one stops every command that needs
it (exit 3, naming the file and the backup) and is never rebuilt; a finished run leaves a
consistent copy beside it, made with SQLite's backup API."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from immich_gphotos.errors import StateError
from immich_gphotos.state.migrations import MIGRATIONS
from immich_gphotos.state.store import StateStore
from tests.inprocess import run_in_process
from tests.world import SYNCED, World


def _state(world: World) -> Path:
    return world.state_dir / "state.sqlite3"


def _backup(world: World) -> Path:
    return world.state_dir / "state.db.bak"


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _damaged_page(path: Path) -> None:
    """Scribble over one b-tree page in the middle of the file (not the header page)."""
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'album_assets'"
        ).fetchone()[0]
    db.close()
    assert root > 1
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xa5" * 64)


def _missing_table(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE album_assets")
    db.close()


def _newer_schema(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "empty": _empty,
    "truncated": _truncated,
    "garbage": _garbage,
    "damaged-page": _damaged_page,
    "missing-table": _missing_table,
    "newer-schema": _newer_schema,
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_state_stops_every_command_with_exit_3_and_is_left_alone(
    world3: World, kind: str
) -> None:
    assert world3.sync().returncode == 0
    assert _backup(world3).exists()
    state = _state(world3)
    DAMAGE[kind](state)
    damaged = state.read_bytes()
    uploads = len(world3.google.media)
    for args in (
        ("sync", "--json"),
        ("status", "--json"),
        ("albums", "--json"),
        ("check", "--json"),
        ("check", "--repair", "--json"),
    ):
        result = run_in_process(*args)
        assert result.returncode == 3, (args, result.stdout, result.stderr)
        error = json.loads(result.stdout)["error"]
        assert str(state) in error and str(_backup(world3)) in error, error
        assert "copy the backup" in error
        assert state.read_bytes() == damaged, f"{args[0]} changed the damaged state"
    assert len(world3.google.media) == uploads and len(world3.google.albums) == len(SYNCED)


def test_with_no_backup_the_message_points_at_check_repair(tmp_path: Path) -> None:
    (tmp_path / "state.sqlite3").write_bytes(b"")
    with pytest.raises(StateError) as caught:
        StateStore.open(tmp_path)
    assert caught.value.exit_code == 3
    assert "no backup" in caught.value.message and "check --repair" in caught.value.message
    assert (tmp_path / "state.sqlite3").read_bytes() == b"", "the empty file stays empty"


def test_restoring_the_backup_as_the_message_says_needs_no_upload(world3: World) -> None:
    assert world3.sync().returncode == 0
    _garbage(_state(world3))
    requests = world3.google.library_requests
    shutil.copyfile(_backup(world3), _state(world3))  # what the message tells the user to do
    for extra in ("-wal", "-shm"):
        Path(f"{_state(world3)}{extra}").unlink(missing_ok=True)
    again = run_in_process("sync", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["uploaded"] == 0
    assert world3.google.library_requests == requests


def test_a_finished_sync_leaves_a_consistent_private_backup_and_status_shows_it(
    world3: World,
) -> None:
    assert not _backup(world3).exists()
    assert world3.sync().returncode == 0
    backup = _backup(world3)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as copy, world3.state() as live:
        assert copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        query = "SELECT asset_id, google_album_id FROM album_assets ORDER BY 1, 2"
        assert copy.execute(query).fetchall() == live.execute(query).fetchall()
        assert copy.execute(query).fetchall(), "the copy holds the placements"
    status = run_in_process("status", "--json")
    data = json.loads(status.stdout)
    assert data["state_backup_file"] == str(backup) and data["state_backup"] is not None
    assert "Backup:" in run_in_process("status").stdout


def _placements(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT asset_id, google_album_id FROM album_assets ORDER BY 1, 2")
        return [tuple(r) for r in rows]


def _backup_status(world: World) -> tuple[str | None, bool]:
    data = json.loads(run_in_process("status", "--json").stdout)
    return data["state_backup"], data["state_backup_complete"]


def test_every_finished_run_copies_the_state_a_no_op_too(world3: World) -> None:
    """shared/SPEC.md: "a consistent copy made after each successful run"."""
    assert world3.sync().returncode == 0
    backup = _backup(world3)
    old = backup.stat().st_mtime - 3600
    os.utime(backup, (old, old))
    assert world3.sync().returncode == 0  # nothing to do
    assert backup.stat().st_mtime > old + 1800, "copied again"
    assert _backup_status(world3)[1] is True
    assert "holds every change" in run_in_process("status").stdout
    world3.add_photo("Garden")
    assert world3.sync().returncode == 0
    assert _placements(backup) == _placements(_state(world3))


def test_a_copy_a_run_missed_is_made_by_the_next_run_even_a_no_op(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that placed items but made no copy (it failed to) leaves the backup behind: the
    next finished run copies, although it changes nothing itself."""
    assert world3.sync().returncode == 0
    world3.add_photo("Garden")

    def refused(*args: object, **kwargs: object) -> Path:
        raise OSError("no space left on device")

    with monkeypatch.context() as patched:
        patched.setattr("immich_gphotos.state.safety.backup", refused)
        assert world3.sync().returncode == 0, "a copy that fails never changes the exit code"
    assert _placements(_backup(world3)) != _placements(_state(world3))
    assert _backup_status(world3)[1] is False
    assert "behind the state" in run_in_process("status").stdout
    assert world3.sync().returncode == 0  # a no-op in Google
    assert _placements(_backup(world3)) == _placements(_state(world3))
    assert _backup_status(world3)[1] is True


def test_the_backup_holds_what_is_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    """A file copy of a live WAL database misses what is not checkpointed; the backup API does not."""
    store = StateStore.open(tmp_path)
    store.upsert_album("album-1", "Holidays", "Holidays")  # in the -wal file, not the main one
    naive = tmp_path / "naive-copy.sqlite3"
    shutil.copyfile(tmp_path / "state.sqlite3", naive)
    store.backup()
    with sqlite3.connect(tmp_path / "state.db.bak") as copy:
        assert copy.execute("SELECT name FROM albums").fetchall() == [("Holidays",)]
    with sqlite3.connect(naive) as copy:  # the point of the API: this one has lost the album
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master")}
        assert "albums" not in tables or not copy.execute("SELECT * FROM albums").fetchall()
    store.close()


def test_a_damaged_state_never_replaces_a_good_backup(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path)
    for i in range(400):
        store.upsert_album(f"album-{i}", f"Album {i}" * 8, None)
    store.backup()
    good = (tmp_path / "state.db.bak").read_bytes()
    store.close()
    _damaged_page_of(tmp_path / "state.sqlite3", "albums")
    conn = sqlite3.connect(tmp_path / "state.sqlite3", isolation_level=None)
    with pytest.raises(StateError):
        StateStore(conn, tmp_path / "state.sqlite3").backup()
    assert (tmp_path / "state.db.bak").read_bytes() == good


def _damaged_page_of(path: Path, table: str) -> None:
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[
            0
        ]
    db.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xa5" * 64)
