"""A cheap no-op (issue 13, item 3): an album Immich shows unchanged since its last complete sync
is not listed again; a change, a new setting, or a day passing lists it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from immich_gphotos.state import store as store_module
from tests.helpers import set_config
from tests.standins.immich import EPOCH
from tests.world import SYNCED, World


def _searches(world: World) -> int:
    return world.immich.count("/api/search/metadata")


def _album_reads(world: World) -> int:
    return sum(1 for _, p in world.immich.requests if p.startswith("/api/albums/"))


def test_a_no_op_asks_immich_for_the_album_list_only(world3: World) -> None:
    """The album list, the server version and the key's permissions (checked every run)."""
    assert world3.sync().returncode == 0
    before = world3.immich.count()
    google = world3.google.library_requests
    again = world3.sync("--json")
    assert again.returncode == 0, again.stderr
    asked = [p for _, p in world3.immich.requests[before:]]
    assert sorted(asked) == ["/api/albums", "/api/api-keys/me", "/api/server/version"], asked
    assert world3.google.library_requests == google
    data = json.loads(again.stdout)
    assert data["uploaded"] == 0 and data["failed"] == 0
    world3.assert_mirrored(*SYNCED)


def test_a_changed_album_is_listed_and_the_others_are_not(world3: World) -> None:
    assert world3.sync().returncode == 0
    searches, reads = _searches(world3), _album_reads(world3)
    world3.add_photo("Garden")
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["uploaded"] == 1
    assert _searches(world3) - searches <= 2, "one album listed (with and without exif)"
    assert _album_reads(world3) == reads, "the album list already said what the album is"
    world3.assert_mirrored(*SYNCED)


def test_a_removed_item_is_noticed_by_the_count(world3: World) -> None:
    set_config(world3.config, "sync", "remove_missing", True)
    lib = world3.scenario.library
    big = lib.add_album("Many", world3.scenario.me)
    for i in range(20):
        lib.add_asset(world3.scenario.me, f"MANY_{i:02d}.jpg", albums=[big])
    from tests.homes import select_albums

    select_albums(world3.config, [big])
    assert world3.sync().returncode == 0
    lib.remove_from_album(big, lib.assets[big.asset_ids[0]])
    assert world3.sync().returncode == 0
    assert len(world3.contents("Many")) == 19


def test_a_setting_change_lists_again(world3: World) -> None:
    assert world3.sync().returncode == 0
    searches = _searches(world3)
    set_config(world3.config, "sync", "archived", True)
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr
    assert _searches(world3) > searches
    assert json.loads(result.stdout)["uploaded"] == 1, "ARCHIVED.jpg, skipped until now"


def test_the_album_is_listed_at_least_once_a_day(world3: World) -> None:
    assert world3.sync().returncode == 0
    # a change Immich's album list does not show (same count, same times): only the daily
    # listing finds it
    lib = world3.scenario.library
    garden = world3.album("Garden")
    late = lib.add_asset(world3.scenario.me, "LATE.jpg", created=EPOCH)
    garden.asset_ids.remove(garden.asset_ids[0])
    garden.asset_ids.append(late.id)  # behind the album's back: updatedAt stays
    assert world3.sync().returncode == 0
    assert late.content.sha1_base64 not in world3.contents("Garden"), "unlisted within the day"
    with world3.state() as db:
        db.execute("UPDATE album_listings SET listed_at = '2000-01-01T00:00:00Z'")
    assert world3.sync().returncode == 0
    assert late.content.sha1_base64 in world3.contents("Garden")


def test_a_failed_item_keeps_its_album_listed(world3: World) -> None:
    broken = world3.album("Holidays").asset_ids[1]
    world3.immich.broken_assets.add(broken)
    assert world3.sync().returncode == 1
    world3.immich.broken_assets.clear()
    assert world3.sync().returncode == 0, "retried: the album was listed although unchanged"
    world3.assert_mirrored(*SYNCED)


def test_an_unchanged_album_deleted_in_google_is_placed_again_whole(world3: World) -> None:
    assert world3.sync().returncode == 0
    old = world3.google_album("Holidays")
    world3.google.delete_album(old.id)
    world3.day_passes()  # the daily check of idle albums is due
    result = world3.sync()
    assert result.returncode == 0, result.stderr + result.stdout
    assert world3.google_album("Holidays").id != old.id
    world3.assert_mirrored(*SYNCED)


def test_an_edit_in_an_unchanged_album_is_not_hidden_by_the_no_op(world3: World) -> None:
    """An edit moves the asset's updatedAt, so the album's lastModifiedAssetTimestamp: the
    album is listed and the edit followed; after the replacement it is listed once more (its
    follow-through was open), then the no-op holds again."""
    assert world3.sync().returncode == 0
    assert world3.sync().returncode == 0  # the no-op is in force
    hol1 = next(a for a in world3.scenario.library.assets.values() if a.file_name == "HOL_1.jpg")
    world3.scenario.library.edit(hol1)
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["replaced"] == 1
    assert world3.sync().returncode == 0
    before = world3.immich.count()
    again = world3.sync("--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["replaced"] == 0
    asked = [p for _, p in world3.immich.requests[before:]]
    assert sorted(asked) == ["/api/albums", "/api/api-keys/me", "/api/server/version"], asked


def test_a_no_op_commits_three_transactions_whatever_the_number_of_albums(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each commit is an fsync (synchronous=FULL): a no-op writes its run record (opened, then
    closed) and when its albums were synced, all of them at once; nothing per album."""
    assert world3.sync().returncode == 0
    commits: list[str] = []
    real = store_module.connect

    def traced(path: Path | str) -> sqlite3.Connection:
        conn = real(path)
        conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
        return conn

    monkeypatch.setattr(store_module, "connect", traced)
    assert world3.sync().returncode == 0
    assert len(commits) == 3, commits
