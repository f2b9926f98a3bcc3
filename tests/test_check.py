"""`check` and `check --repair` (issue 16), and what keeps a lost state from doubling albums."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import set_config
from tests.inprocess import run_in_process
from tests.standins.google import Album
from tests.world import SYNCED, World


def _lose_state(world: World) -> None:
    """The state database is gone (a new machine, a deleted file); the secrets file stays."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{world.state_dir / 'state.sqlite3'}{suffix}").unlink(missing_ok=True)
    (world.state_dir / "state.db.bak").unlink(missing_ok=True)


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


def _check(*args: str) -> tuple[int, dict]:
    result = run_in_process("check", "--json", *args)
    assert result.stdout.strip(), result.stderr
    return result.returncode, json.loads(result.stdout)


def _album(report: dict, title: str) -> dict:
    return next(a for a in report["albums"] if a["google_title"] == title)


def _uploads(world: World) -> int:
    return sum(1 for verb, path in world.google.requests if (verb, path) == ("POST", "/v1/uploads"))


def test_check_after_a_sync_agrees_and_costs_a_listing_and_a_search_per_album(
    world3: World,
) -> None:
    assert world3.sync().returncode == 0
    before = world3.google.library_requests
    code, report = _check()
    assert code == 0, report
    assert world3.google.library_requests - before == 4 == report["google_requests"]
    assert report["estimate"] == 4, "one albums.list and one search per album under 100 items"
    assert report["unknown_albums"] == [] and report["stopped"] is None
    for title in SYNCED:
        [part] = _album(report, title)["parts"]
        assert part["found"] == "ok" and part["removed"] == [] and part["unknown"] == []
        assert part["items"] == len(world3.eligible(title))
    text = run_in_process("check")
    assert text.returncode == 0 and "check: all agrees" in text.stdout


def test_check_names_every_difference_and_changes_nothing(world3: World) -> None:
    assert world3.sync().returncode == 0
    google = world3.google
    garden = world3.google_album("Garden")
    google.delete_album(garden.id)
    holidays = google.albums[world3.google_album("Holidays").id]
    removed = holidays.items.pop(2)  # the user removes HOL_2.jpg from the album
    mixed = google.albums[world3.google_album("Mixed Bag").id]
    mixed.items.append(holidays.items[0])  # and adds HOL_0.jpg to another album of the app
    stray = Album("alb-stray", "Stray", google.client_id, [holidays.items[1]])
    google.albums[stray.id] = stray
    snapshot = {a.id: list(a.items) for a in google.albums.values()}

    code, report = _check()
    assert code == 1
    assert _album(report, "Garden")["parts"][0]["found"] == "deleted"
    [gone] = _album(report, "Holidays")["parts"][0]["removed"]
    assert (gone["media_item_id"], gone["file_name"]) == (removed, "HOL_2.jpg")
    [stranger] = _album(report, "Mixed Bag")["parts"][0]["unknown"]
    assert stranger["file_name"] == "HOL_0.jpg"
    assert [u["title"] for u in report["unknown_albums"]] == ["Stray"]
    assert {a.id: list(a.items) for a in google.albums.values()} == snapshot, (
        "check changes nothing"
    )
    text = run_in_process("check").stdout
    assert "deleted in Google Photos" in text and "HOL_2.jpg" in text and "Stray" in text

    code, report = _check("--repair")
    assert code == 1, "the stray album and the stray item still need a human"
    garden_now = world3.google_album("Garden")
    assert (
        garden_now.id != garden.id and _album(report, "Garden")["parts"][0]["found"] == "recreated"
    )
    world3.assert_mirrored("Garden", "Holidays", ordered=False)
    assert _album(report, "Holidays")["parts"][0]["put_back"] == 1
    assert [u["file_name"] for u in _album(report, "Mixed Bag")["parts"][0]["unknown"]] == [
        "HOL_0.jpg"
    ], "an item of another album matches no asset of this one: named, not recorded"

    code, report = _check()
    assert code == 1
    assert all(
        p["found"] == "ok" and not p["removed"] for a in report["albums"] for p in a["parts"]
    )
    uploads = _uploads(world3)
    again = run_in_process("sync", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["uploaded"] == 0 and _uploads(world3) == uploads


def test_a_repair_that_leaves_nothing_for_a_human_is_exit_0(world3: World) -> None:
    assert world3.sync().returncode == 0
    world3.google.delete_album(world3.google_album("Holidays").id)
    world3.google.albums[world3.google_album("Garden").id].items.pop(0)
    code, report = _check("--repair")
    assert code == 0, report
    world3.assert_mirrored("Holidays")  # put back in capture order
    world3.assert_mirrored("Garden", ordered=False)  # by reference: at the end
    assert _check()[0] == 0


def test_after_a_lost_state_repair_adopts_and_sync_uploads_nothing(world3: World) -> None:
    assert world3.sync().returncode == 0
    albums, media, uploads = len(world3.google.albums), len(world3.google.media), _uploads(world3)
    _lose_state(world3)
    code, report = _check("--repair")
    assert code == 0, report
    for title in SYNCED:
        adoption = _album(report, title)["adoption"]
        assert adoption["adopted"] == [world3.google_album(title).id]
        assert adoption["matched"] == len(world3.eligible(title)) and adoption["unmatched"] == []
    assert report["unknown_albums"] == []
    again = run_in_process("sync", "--json")
    assert again.returncode == 0, again.stderr + again.stdout
    summary = json.loads(again.stdout)
    assert summary["uploaded"] == 0 and summary["added"] == 0
    assert _uploads(world3) == uploads, "not one byte upload after adoption"
    assert len(world3.google.albums) == albums and len(world3.google.media) == media
    world3.assert_mirrored(*SYNCED)
    assert _check()[0] == 0


def test_adoption_matches_by_capture_time_and_names_what_it_cannot_match(world3: World) -> None:
    assert world3.sync().returncode == 0
    google = world3.google
    holidays = google.albums[world3.google_album("Holidays").id]
    renamed = google.media[holidays.items[3]]
    renamed.creation_time = "2001-01-01T00:00:00Z"  # HOL_3.jpg: same name, another moment
    _lose_state(world3)
    code, report = _check("--repair", "--album", "Holidays")
    assert code == 1
    adoption = _album(report, "Holidays")["adoption"]
    assert adoption["matched"] == 4 and adoption["left_for_sync"] == 1
    assert [u["file_name"] for u in adoption["unmatched"]] == ["HOL_3.jpg"]
    assert [a["google_title"] for a in report["albums"]] == ["Holidays"], "--album restricts"
    assert "HOL_3.jpg" in run_in_process("check").stdout


def test_two_albums_of_one_title_adopt_nothing_and_are_both_named(world3: World) -> None:
    assert world3.sync().returncode == 0
    google = world3.google
    twin = Album("alb-twin", "Garden", google.client_id)
    google.albums[twin.id] = twin
    _lose_state(world3)
    code, report = _check("--repair")
    assert code == 1
    adoption = _album(report, "Garden")["adoption"]
    assert adoption["adopted"] == [] and len(adoption["candidates"]) == 2
    assert (
        twin.id in adoption["problem"] and world3.google_album("Garden").id in adoption["problem"]
    )
    assert _album(report, "Holidays")["adoption"]["adopted"], "the other albums are taken over"
    again = world3.sync("--json")
    assert again.returncode == 1, "sync still makes no third Garden"
    assert sum(1 for a in google.albums.values() if a.title == "Garden") == 2


def test_check_stops_at_the_budget_with_exit_6_and_says_what_it_did_not_check(
    world3: World,
) -> None:
    assert world3.sync().returncode == 0
    with world3.state() as db:
        used = db.execute("SELECT sum(count) FROM google_requests").fetchone()[0]
    set_config(world3.config, "google", "daily_request_budget", used + 2)
    code, report = _check()
    assert code == 6 and report["stopped"] == "budget"
    assert report["google_requests"] == 2
    assert report["not_checked"] == ["Garden", "Mixed Bag"]


def test_an_item_this_client_did_not_create_is_not_reported_missing(world3: World) -> None:
    lib = world3.scenario.library
    shared = lib.assets[world3.album("Holidays").asset_ids[1]]
    world3.google.add_preexisting(shared.checksum, shared.content.size, shared.file_name)
    assert world3.sync().returncode == 0
    code, report = _check()
    assert code == 0, report
    part = _album(report, "Holidays")["parts"][0]
    assert part["removed"] == [] and part["not_visible"] == 1


def test_pages_that_never_end_make_an_album_unreadable_not_a_hang(world3: World) -> None:
    assert world3.sync().returncode == 0
    world3.google.faults.pages = "repeat"
    code, report = run_in_process("check", "--json").returncode, None
    assert code == 1
    report = json.loads(run_in_process("check", "--json").stdout)
    assert "same page twice" in report["error"]


def test_check_on_a_state_of_another_oauth_client_is_exit_3(world3: World) -> None:
    assert world3.sync().returncode == 0
    with world3.state() as db:
        db.execute(
            "UPDATE meta SET value = 'other.apps.googleusercontent.com' WHERE key = 'oauth_client_id'"
        )
    code, report = _check()
    assert code == 3 and "auth --new-client" in report["error"]


def test_check_prints_its_estimate_first_on_a_terminal(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world3.sync().returncode == 0
    monkeypatch.setattr("immich_gphotos.ui.console.is_tty", lambda stream=None: True)
    out = run_in_process("check").stdout.splitlines()
    assert out[0].startswith("check: about 4 Google request(s)"), out


def test_a_smart_album_is_checked_and_adopted_by_its_id_after_a_lost_state(
    world3: World,
) -> None:
    made = run_in_process("albums", "smart", "Alice (from Immich)", "--person", "Alice")
    assert made.returncode == 0, made.stderr + made.stdout
    assert world3.sync().returncode == 0
    code, report = _check("--album", "Alice (from Immich)")
    smart = _album(report, "Alice (from Immich)")
    assert code == 0 and smart["kind"] == "smart" and smart["smart_id"].startswith("smart-")
    assert smart["parts"][0]["found"] == "ok" and smart["parts"][0]["items"] >= 2
    uploads, albums = _uploads(world3), len(world3.google.albums)
    _lose_state(world3)
    code, report = _check("--repair")
    assert code == 0, report
    adoption = _album(report, "Alice (from Immich)")["adoption"]
    assert adoption["adopted"] == [world3.google_album("Alice (from Immich)").id]
    again = run_in_process("sync", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["uploaded"] == 0 and _uploads(world3) == uploads
    assert len(world3.google.albums) == albums
