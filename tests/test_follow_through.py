"""The follow-through, end to end against the stand-ins: edits made in Immich after upload
replace the Google item in place (once across albums, the old one moved to the replaced album),
changed descriptions are patched, renamed albums retitled; what Google will not let us change is
left alone and counted; the budget stops it cleanly."""

from __future__ import annotations

import json

import pytest

from immich_gphotos.gphotos import limits
from immich_gphotos.sync.followplan import REPLACED_TITLE
from tests.helpers import set_config
from tests.inprocess import run_in_process
from tests.standins.immich import Asset
from tests.world import World


def _asset(world: World, name: str) -> Asset:
    return next(a for a in world.scenario.library.assets.values() if a.file_name == name)


def _uploads(world: World) -> int:
    return sum(1 for m, p in world.google.requests if m == "POST" and p == "/v1/uploads")


def _in_two_albums(world: World, name: str = "HOL_2.jpg") -> Asset:
    """An asset of Holidays that is in Mixed Bag too (placed there by reference)."""
    asset = _asset(world, name)
    world.scenario.library.add_to_album(world.album("Mixed Bag"), asset)
    return asset


def test_an_edit_after_placing_replaces_the_item_in_place_in_every_album(world: World) -> None:
    hol2 = _in_two_albums(world)
    assert world.sync().returncode == 0
    world.assert_mirrored("Holidays")
    old = world.google.album_files(world.google_album("Holidays").id)[2]
    assert old.sha1 == hol2.content.sha1_base64

    world.scenario.library.edit(hol2)
    uploads = _uploads(world)
    result = world.sync("--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["replaced"] == 1
    assert _uploads(world) - uploads == 1, "uploaded once for both albums"
    world.assert_mirrored("Holidays")  # in the old one's place, in capture order
    world.assert_mirrored("Mixed Bag", ordered=False)
    for title in ("Holidays", "Mixed Bag"):
        assert old.id not in world.google_album(title).items, title
    replaced = world.google.album_by_title(REPLACED_TITLE)
    assert replaced is not None and replaced.items == [old.id]

    # and again: a second edit replaces the first
    first_edit = world.google.album_files(world.google_album("Holidays").id)[2]
    world.scenario.library.edit(hol2)
    assert world.sync().returncode == 0
    world.assert_mirrored("Holidays")
    world.assert_mirrored("Mixed Bag", ordered=False)
    assert replaced.items == [old.id, first_edit.id]

    # then nothing: no upload, no look at the edit while Immich's updatedAt stays
    uploads, looks = _uploads(world), len(world.immich.edited_requests)
    result = world.sync("--json")
    assert json.loads(result.stdout)["replaced"] == 0
    assert (_uploads(world), len(world.immich.edited_requests)) == (uploads, looks)


def test_an_asset_edited_before_its_upload_goes_up_as_the_edit(world3: World) -> None:
    hol1 = _asset(world3, "HOL_1.jpg")
    world3.scenario.library.edit(hol1)
    assert world3.sync().returncode == 0
    world3.assert_mirrored("Holidays")  # shown(): the edited rendition's bytes
    assert world3.google.album_by_title(REPLACED_TITLE) is None


def test_a_moved_updated_at_looks_at_the_edit_once_and_replaces_only_a_new_one(
    world3: World,
) -> None:
    hol1 = _asset(world3, "HOL_1.jpg")
    world3.scenario.library.edit(hol1)
    assert world3.sync().returncode == 0
    uploads, looks = _uploads(world3), len(world3.immich.edited_requests)

    world3.scenario.library.touch(hol1)  # a favourite, a metadata job: updatedAt moves
    result = world3.sync("--json")
    assert json.loads(result.stdout)["replaced"] == 0
    assert len(world3.immich.edited_requests) == looks + 1, "one look at the edit"
    assert _uploads(world3) == uploads, "its bytes were never sent again"
    assert world3.sync().returncode == 0
    assert len(world3.immich.edited_requests) == looks + 1, "updatedAt is recorded: no look"

    world3.scenario.library.edit(hol1)  # edited again: another size and ETag
    result = world3.sync("--json")
    assert json.loads(result.stdout)["replaced"] == 1
    world3.assert_mirrored("Holidays")


def test_an_undone_edit_brings_the_original_back_out_of_the_replaced_album(
    world3: World,
) -> None:
    """Google keeps one copy of identical bytes: the original uploaded again is the very item
    that went to the replaced album, which must then leave it (the user empties that album)."""
    world3.google.duplicates_apart = False
    hol3 = _asset(world3, "HOL_3.jpg")
    assert world3.sync().returncode == 0
    world3.scenario.library.edit(hol3)
    assert world3.sync().returncode == 0
    world3.scenario.library.undo_edit(hol3)
    assert world3.sync().returncode == 0
    world3.assert_mirrored("Holidays")
    replaced = world3.google_album(REPLACED_TITLE)
    shown = set(world3.google_album("Holidays").items)
    assert replaced.items and not shown & set(replaced.items)


def test_edits_original_keeps_the_untouched_original(world3: World) -> None:
    set_config(world3.config, "sync", "edits", "original")
    world3.edits = "original"
    hol1 = _asset(world3, "HOL_1.jpg")
    world3.scenario.library.edit(hol1)
    assert world3.sync().returncode == 0
    world3.scenario.library.edit(hol1)
    assert world3.sync().returncode == 0
    world3.assert_mirrored("Holidays")
    assert world3.immich.edited_requests == []
    assert world3.google.album_by_title(REPLACED_TITLE) is None


def test_an_edit_that_fails_to_download_fails_that_item_only_and_is_tried_next_run(
    world3: World,
) -> None:
    hol1, hol3 = _asset(world3, "HOL_1.jpg"), _asset(world3, "HOL_3.jpg")
    assert world3.sync().returncode == 0
    world3.scenario.library.edit(hol1)
    world3.scenario.library.edit(hol3)
    world3.immich.faults.broken_status = 404  # fails at once, no retries
    world3.immich.broken_edits.add(hol1.id)
    result = world3.sync("--json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["replaced"] == 1 and summary["failed"] == 1
    holidays = [m.sha1 for m in world3.google.album_files(world3.google_album("Holidays").id)]
    assert hol3.edited is not None and hol3.edited.sha1_base64 in holidays
    assert hol1.content.sha1_base64 in holidays, "the old rendition stays until the new one is in"
    assert len(holidays) == 5

    world3.immich.broken_edits.clear()
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["replaced"] == 1
    world3.assert_mirrored("Holidays")


def test_a_changed_description_is_patched_not_uploaded(world3: World) -> None:
    hol0 = _asset(world3, "HOL_0.jpg")
    assert world3.sync().returncode == 0
    uploads = _uploads(world3)
    world3.scenario.library.describe(hol0, "Day 0, at the beach\nwith everyone")
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["descriptions_patched"] == 1
    assert _uploads(world3) == uploads
    first = world3.google.album_files(world3.google_album("Holidays").id)[0]
    assert first.description == "Day 0, at the beach\nwith everyone"
    patches = sum(1 for m, _ in world3.google.requests if m == "PATCH")
    assert world3.sync().returncode == 0
    assert sum(1 for m, _ in world3.google.requests if m == "PATCH") == patches


def test_a_description_on_an_item_not_created_by_the_tool_is_left_alone_and_counted(
    world3: World,
) -> None:
    hol4 = _asset(world3, "HOL_4.jpg")
    # the user had put these bytes in their library by phone before the first sync
    world3.google.add_preexisting(hol4.content.sha1_base64, hol4.content.size, "HOL_4.jpg")
    assert world3.sync().returncode == 0
    world3.scenario.library.describe(hol4, "changed later")
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["not_app_created"] == 1
    patches = sum(1 for m, _ in world3.google.requests if m == "PATCH")
    again = world3.sync("--json")
    assert json.loads(again.stdout)["not_app_created"] == 0, "said once"
    assert sum(1 for m, _ in world3.google.requests if m == "PATCH") == patches, "never again"


def test_a_renamed_immich_album_renames_every_part_of_its_google_album(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "ALBUM_LIMIT", 3)  # Google's 20,000, made small
    world3.google.album_limit = 3  # Holidays (5 items) takes two parts
    assert world3.sync().returncode == 0
    assert world3.google.album_by_title("Holidays (2)") is not None
    world3.album("Holidays").name = "Summer 2024"
    result = world3.sync("--json")
    assert json.loads(result.stdout)["albums_renamed"] == 2
    titles = sorted(a.title for a in world3.google.albums.values() if not a.deleted)
    assert "Summer 2024" in titles and "Summer 2024 (2)" in titles
    assert not any(t.startswith("Holidays") for t in titles)
    assert world3.sync().returncode == 0
    assert sum(1 for m, _ in world3.google.requests if m == "PATCH") == 2, "once"
    status = json.loads(run_in_process("status", "--json").stdout)
    listed = json.loads(run_in_process("albums", "--json").stdout)
    holidays = world3.album("Summer 2024").id
    assert {a["google_title"] for a in status["albums"] if a["immich_id"] == holidays} == {
        "Summer 2024"
    }
    assert {a["google_title"] for a in listed if a["id"] == holidays} == {"Summer 2024"}


def test_albums_add_as_on_a_selected_album_renames_and_a_rename_in_immich_then_does_not(
    world3: World,
) -> None:
    assert world3.sync().returncode == 0
    added = run_in_process("albums", "add", "Garden", "--as", "Our Garden")
    assert added.returncode == 0, added.stderr
    assert world3.sync().returncode == 0
    assert world3.google.album_by_title("Our Garden") is not None
    assert world3.google.album_by_title("Garden") is None
    world3.album("Garden").name = "Backyard"  # the explicit title stays
    assert world3.sync().returncode == 0
    assert world3.google.album_by_title("Our Garden") is not None


def test_dry_run_lists_the_follow_through_and_changes_nothing(world3: World) -> None:
    hol2 = _in_two_albums(world3)
    assert world3.sync().returncode == 0
    world3.scenario.library.edit(hol2)
    world3.scenario.library.describe(_asset(world3, "HOL_0.jpg"), "new words")
    world3.album("Garden").name = "Backyard"
    requests = len(world3.google.requests)
    result = world3.sync("--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [r["file_name"] for r in plan["replacements"]] == ["HOL_2.jpg"]
    assert plan["replacements"][0]["albums"] == 2
    assert [d["file_name"] for d in plan["description_patches"]] == ["HOL_0.jpg"]
    assert [(r["from"], r["to"]) for r in plan["renames"]] == [("Garden", "Backyard")]
    # upload + batchGet + replaced album + batchCreate + add elsewhere + add to replaced
    # + 2 removals, one description patch, one album patch
    assert plan["google_requests"] == 10
    text = world3.sync("--dry-run")
    assert "replace HOL_2.jpg" in text.stdout and "Backyard" in text.stdout
    assert len(world3.google.requests) == requests, "nothing reached Google"

    result = world3.sync("--json")
    assert json.loads(result.stdout)["google_requests"] <= plan["google_requests"]


def test_the_budget_stops_the_follow_through_cleanly_with_exit_6(world3: World) -> None:
    names = [f"HOL_{i}.jpg" for i in range(5)]
    assert world3.sync().returncode == 0
    for name in names:
        world3.scenario.library.edit(_asset(world3, name))
    with world3.state() as db:
        used = db.execute("SELECT sum(count) FROM google_requests").fetchone()[0]
    set_config(world3.config, "google", "daily_request_budget", used + 6)
    result = world3.sync("--json")
    assert result.returncode == 6, result.stderr
    summary = json.loads(result.stdout)
    assert summary["stopped"] == "budget" and 0 < summary["replaced"] < 5
    holidays = world3.google_album("Holidays")
    assert len(holidays.items) == 5, "never both renditions in the album"
    set_config(world3.config, "google", "daily_request_budget", 9500)
    assert world3.sync().returncode == 0
    world3.assert_mirrored("Holidays")
    assert len(world3.google_album(REPLACED_TITLE).items) == 5


def test_an_edit_of_an_item_not_created_by_the_tool_is_left_alone_never_doubled(
    world3: World,
) -> None:
    """Google would not let the old item leave the album, so no new one goes in beside it."""
    hol4 = _asset(world3, "HOL_4.jpg")
    world3.google.add_preexisting(hol4.content.sha1_base64, hol4.content.size, "HOL_4.jpg")
    assert world3.sync().returncode == 0
    world3.scenario.library.edit(hol4)
    uploads = _uploads(world3)
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["replaced"] == 0 and summary["not_app_created"] == 1
    assert _uploads(world3) == uploads
    holidays = world3.google.album_files(world3.google_album("Holidays").id)
    assert len(holidays) == 5 and holidays[4].sha1 == hol4.content.sha1_base64


def test_check_knows_the_replaced_album_and_finds_nothing_amiss_after_a_replacement(
    world3: World,
) -> None:
    """The "replaced" album is the tool's own (its id kept in the state), not an unknown album
    a lost state forgot: `check` after a replacement reports no difference."""
    hol2 = _in_two_albums(world3)
    assert world3.sync().returncode == 0
    world3.scenario.library.edit(hol2)
    assert world3.sync().returncode == 0
    assert world3.google.album_by_title(REPLACED_TITLE) is not None
    result = run_in_process("check", "--json")
    report = json.loads(result.stdout)
    assert report["unknown_albums"] == [], report["unknown_albums"]
    assert result.returncode == 0, result.stdout
