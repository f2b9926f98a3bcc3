"""A replacement killed (-9) at each step leaves, after the next run, neither a duplicate in an
album nor a lost item: the new rendition is where the old one was, the old one is in the
replaced album once, and the state agrees with Google."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from immich_gphotos.sync.followplan import REPLACED_TITLE
from tests.test_crash_intent import _start_sync
from tests.test_follow_through import _asset, _in_two_albums
from tests.world import World


def _hold_create(world: World) -> threading.Event:
    world.google.hold_batch_answers()
    return world.google.batch_processed


def _hold(method: str) -> Callable[[World], threading.Event]:
    def arm(world: World) -> threading.Event:
        world.google.hold_method_answers(method)
        return world.google.method_processed

    return arm


def _hold_download(world: World) -> threading.Event:
    """The edited rendition's download stops half-way: nothing reached Google yet."""
    world.immich.faults.hold_body = threading.Event()
    world.immich.faults.hold_from = len(world.immich.ranges) + 1
    return world.immich.body_held


STEPS = {
    "downloading the edit": _hold_download,
    "batchCreate made the new item": _hold_create,
    "the new item joined the other album": _hold(":batchAddMediaItems"),
    "the old item went out of an album": _hold(":batchRemoveMediaItems"),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_replacement_killed_at_each_step_is_finished_by_the_next_run(
    world3: World, step: str
) -> None:
    hol2 = _in_two_albums(world3)
    assert world3.sync().returncode == 0
    old = world3.google.album_files(world3.google_album("Holidays").id)[2].id
    world3.scenario.library.edit(hol2)

    acted = STEPS[step](world3)
    acted.clear()
    proc = _start_sync()
    try:
        assert acted.wait(120), f"the run reached: {step}"
    finally:
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait(timeout=30)
    assert proc.returncode == -9
    world3.google.release_batch_answers()
    world3.google.hold_method = None
    if world3.immich.faults.hold_body is not None:
        world3.immich.faults.hold_body.set()
        world3.immich.faults.hold_body = None

    result = world3.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    world3.assert_mirrored("Holidays")  # the edit, in the old one's place, once
    world3.assert_mirrored("Mixed Bag", ordered=False)
    for title in ("Holidays", "Mixed Bag"):
        items = world3.google_album(title).items
        assert len(items) == len(set(items)) and old not in items, title
    assert world3.google_album(REPLACED_TITLE).items == [old]
    with world3.state() as db:
        assert db.execute("SELECT count(*) FROM replacements").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM batch_intents").fetchone()[0] == 0
        for title in ("Holidays", "Mixed Bag"):
            google_album = world3.google_album(title)
            rows = db.execute(
                "SELECT a.google_media_item_id FROM album_assets aa "
                "JOIN assets a ON a.immich_id = aa.asset_id WHERE aa.google_album_id = ?",
                (google_album.id,),
            ).fetchall()
            assert sorted(r[0] for r in rows) == sorted(google_album.items), title
    again = world3.sync("--json")
    assert '"google_requests": 0' in again.stdout, "settled: steady state again"


def test_a_kill_while_the_old_item_goes_to_the_replaced_album(world3: World) -> None:
    """With no other album, the first addition by reference is the old item's, to "replaced"."""
    hol1 = _asset(world3, "HOL_1.jpg")
    assert world3.sync().returncode == 0
    old = world3.google.album_files(world3.google_album("Holidays").id)[1].id
    world3.scenario.library.edit(hol1)
    acted = _hold(":batchAddMediaItems")(world3)
    acted.clear()
    proc = _start_sync()
    try:
        assert acted.wait(120)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    world3.google.release_batch_answers()
    world3.google.hold_method = None
    assert world3.sync().returncode == 0
    world3.assert_mirrored("Holidays")
    assert world3.google_album(REPLACED_TITLE).items == [old]
