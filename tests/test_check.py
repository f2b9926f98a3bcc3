"""`check` and `check --repair` (issue 16), and what keeps a lost state from doubling albums."""

from __future__ import annotations

import json
from pathlib import Path

from tests.world import SYNCED, World


def _lose_state(world: World) -> None:
    """The state database is gone (a new machine, a deleted file); the secrets file stays."""
    for suffix in ("", "-wal", "-shm", ".bak"):
        Path(f"{world.state_dir / 'state.sqlite3'}{suffix}").unlink(missing_ok=True)


def _list_calls(world: World) -> int:
    return sum(1 for verb, path in world.google.requests if (verb, path) == ("GET", "/v1/albums"))


def test_a_first_sync_looks_once_for_albums_it_made_before(world3: World) -> None:
    first = world3.sync()
    assert first.returncode == 0, first.stderr
    assert _list_calls(world3) == 1, "one albums.list for the whole run, before the first create"
    world3.add_photo("Holidays")
    assert world3.sync().returncode == 0
    assert _list_calls(world3) == 1, "no album to make: no listing"


def test_a_lost_state_does_not_double_the_albums(world3: World) -> None:
    assert world3.sync().returncode == 0
    albums, media = len(world3.google.albums), len(world3.google.media)
    _lose_state(world3)
    again = world3.sync("--json")
    assert again.returncode == 1, again.stderr
    assert len(world3.google.albums) == albums and len(world3.google.media) == media
    report = json.loads(again.stdout)
    assert report["uploaded"] == 0
    assert {a["google_title"] for a in report["albums"] if a["needs_repair"]} == set(SYNCED)
    assert "check --repair" in again.stderr
