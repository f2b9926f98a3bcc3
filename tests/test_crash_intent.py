"""No batch is created twice: a run that ends between Google creating a batch and the state
recording it is settled by the next run, which asks Google before creating again (issue 10,
item 1). New uploads go where they belong in capture order (item 6).

The stand-in Google keeps an item created twice apart, so every duplicate shows in an album.
"""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from immich_gphotos.gphotos.models import MediaItem
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.state.views import IntentAsset
from immich_gphotos.sync.matching import match
from tests.helpers import ROOT, run_cli, set_config
from tests.world import SYNCED, World

MANY = 230  # five batches of 50 and one of 30: enough batches to kill in, run after run


def _with_many(world: World) -> list[str]:
    """An album "Many" whose photos share 20 file names (told apart by capture time only)."""
    lib = world.scenario.library
    album = lib.add_album("Many", world.scenario.me)
    for i in range(MANY):
        lib.add_asset(world.scenario.me, f"IMG_{i % 20:04d}.jpg", size=64, albums=[album])
    assert run_cli("albums", "add", "Many").returncode == 0
    return [*SYNCED, "Many"]


def _start_sync(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _kill_in_the_window(world: World, *args: str) -> None:
    """Run a real sync and SIGKILL it once Google has acted on a batchCreate but before its
    answer reaches the process (``hold_batch_answers`` must be on)."""
    world.google.batch_processed.clear()
    proc = _start_sync(*args)
    try:
        assert world.google.batch_processed.wait(120), "the run sent a batchCreate"
    finally:
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait(timeout=30)
    assert proc.returncode == -9


def _open_intents(world: World) -> int:
    with world.state() as db:
        return int(db.execute("SELECT count(*) FROM batch_intents").fetchone()[0])


def _assert_state_agrees(world: World, names: list[str]) -> None:
    """The state's media ids per album are exactly what the Google album holds; no intent left."""
    with world.state() as db:
        for name in names:
            google_album = world.google_album(name)
            rows = db.execute(
                "SELECT a.google_media_item_id FROM album_assets aa "
                "JOIN assets a ON a.immich_id = aa.asset_id WHERE aa.google_album_id = ?",
                (google_album.id,),
            ).fetchall()
            assert sorted(r[0] for r in rows) == sorted(google_album.items), name
    assert _open_intents(world) == 0


def _batch_creates(world: World) -> int:
    return sum(1 for _, path in world.google.requests if path.endswith(":batchCreate"))


def test_kill_9_between_google_acting_and_the_state_recording_duplicates_nothing(
    world3: World,
) -> None:
    names = _with_many(world3)
    world3.google.hold_batch_answers()
    created = []
    for kill in range(6):  # six kills in a row, each in the window, each after a recovery
        before = len(world3.google.media)
        _kill_in_the_window(world3)
        created.append(len(world3.google.media) - before)
        assert _open_intents(world3) == 1, f"kill {kill}: the intent outlived the process"
    assert all(created), "every killed run had Google create a batch first"
    world3.google.release_batch_answers()

    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr + result.stdout
    world3.assert_mirrored(*names)  # each eligible asset exactly once, in capture order
    eligible = sum(len(world3.eligible(n)) for n in names)
    assert len(world3.google.media) == eligible, "no item was created twice, in any album"
    _assert_state_agrees(world3, names)
    again = world3.sync("--json")
    assert json.loads(again.stdout)["google_requests"] == 0, "settled: steady state again"


def test_a_full_disk_at_the_commit_duplicates_nothing(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Google created the batch; the transaction recording it fails as SQLite does on a full
    disk. The intent, committed before the call, survives; the next run settles it."""
    real = SyncRecords.record_batch

    def disk_full(self, album_id, google_album_id, placed, failed, refused=(), intent=None):  # type: ignore[no-untyped-def]
        if placed and intent is not None:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, album_id, google_album_id, placed, failed, refused, intent)

    with monkeypatch.context() as patched:
        patched.setattr(SyncRecords, "record_batch", disk_full)
        failed = world3.sync()
    assert failed.returncode != 0
    assert len(world3.google.media) > 0 and _open_intents(world3) == 1

    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)
    assert len(world3.google.media) == sum(len(world3.eligible(n)) for n in SYNCED)
    _assert_state_agrees(world3, list(SYNCED))


def test_an_answer_lost_after_google_acted_is_settled_in_the_same_run(world3: World) -> None:
    """The connection drops after Google created the batch; the retry finds its upload tokens
    spent. The run looks in the album instead of calling the items failed (or creating them)."""
    world3.google.faults.batch_answers_lost = 2
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr + result.stdout
    assert json.loads(result.stdout)["failed"] == 0
    world3.assert_mirrored(*SYNCED)
    assert len(world3.google.media) == sum(len(world3.eligible(n)) for n in SYNCED)
    _assert_state_agrees(world3, list(SYNCED))


def test_recovery_counts_against_the_budget_and_waits_for_it(world3: World) -> None:
    names = _with_many(world3)
    assert world3.sync("--album", "Many", "--limit", "150").returncode == 0
    world3.google.hold_batch_answers()
    world3.scenario.library.add_asset(
        world3.scenario.me, "LATE.jpg", size=64, albums=[world3.album("Many")]
    )
    _kill_in_the_window(world3, "--album", "Many")  # the first 50 of the 81 left
    world3.google.release_batch_answers()
    at_recovery = len(world3.google_album("Many").items)
    assert at_recovery == 200
    with world3.state() as db:
        used = db.execute("SELECT coalesce(sum(count), 0) FROM google_requests").fetchone()[0]

    set_config(world3.config, "google", "daily_request_budget", used)  # nothing left today
    creates = _batch_creates(world3)
    stopped = world3.sync("--json")
    assert stopped.returncode == 6, stopped.stderr + stopped.stdout
    assert json.loads(stopped.stdout)["stopped"] == "budget"
    assert _open_intents(world3) == 1, "the intent waits for the next run"
    assert _batch_creates(world3) == creates, "nothing is created before the intent is settled"

    set_config(world3.config, "google", "daily_request_budget", 9500)
    searches = sum(1 for _, p in world3.google.requests if p.endswith(":search"))
    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr + result.stdout
    cost = sum(1 for _, p in world3.google.requests if p.endswith(":search")) - searches
    assert cost == math.ceil(at_recovery / 100), "one search request per 100 items of the album"
    world3.assert_mirrored(*names)
    assert len(world3.google.media) == sum(len(world3.eligible(n)) for n in names)
    _assert_state_agrees(world3, names)


def test_items_placed_on_a_later_run_take_their_place_in_capture_order(world3: World) -> None:
    holidays = world3.album("Holidays").asset_ids
    broken = {holidays[0], holidays[1], holidays[3]}  # the first, and two with one between
    world3.immich.broken_assets.update(broken)
    assert world3.sync().returncode == 1
    assert len(world3.contents("Holidays")) == 2
    world3.immich.broken_assets.clear()
    world3.add_photo("Holidays")  # newest: goes last
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)  # ordered: Holidays reads oldest first, as in Immich


def _asset(asset_id: str, name: str, minute: int) -> IntentAsset:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minute)
    return IntentAsset(asset_id, f"sum-{asset_id}", 64, "IMAGE", "image/jpeg", name, moment)


def _item(item_id: str, name: str, minute: int | None) -> MediaItem:
    moment = (
        None
        if minute is None
        else datetime(2024, 5, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minute, seconds=1)
    )
    return MediaItem(item_id, name, "image/jpeg", None, moment)


def test_matching_by_name_then_capture_time() -> None:
    assets = [
        _asset("a", "IMG_1.jpg", 0),
        _asset("b", "IMG_1.jpg", 5),
        _asset("c", "IMG_1.jpg", 9),
        _asset("d", "ONLY.jpg", 1),
        _asset("e", "ABSENT.jpg", 2),
    ]
    items = [
        _item("m-old", "IMG_1.jpg", 5),  # the state knows it: placed long ago, not this batch
        _item("m-c", "IMG_1.jpg", 9),
        _item("m-a", "IMG_1.jpg", 0),
        _item("m-d", "ONLY.jpg", None),  # one name, one item: no time needed
        _item("m-x", "OTHER.jpg", 2),
    ]
    assert match(assets, items, known={"m-old"}) == {"a": "m-a", "c": "m-c", "d": "m-d"}


def test_matching_pairs_timeless_items_only_when_the_counts_agree() -> None:
    assets = [_asset("a", "X.jpg", 0), _asset("b", "X.jpg", 3)]
    both = [_item("m1", "X.jpg", None), _item("m2", "X.jpg", None)]
    assert set(match(assets, both, set())) == {"a", "b"}
    assert match(assets, both[:1], set()) == {}, "one of two: which one is unknowable"


def test_a_smart_album_killed_in_the_window_duplicates_nothing(world3: World) -> None:
    """The intent and its recovery key on the smart album's id as on an Immich album's."""
    lib = world3.scenario.library
    for i in range(MANY):
        lib.add_asset(world3.scenario.me, f"FAV_{i % 20:04d}.jpg", size=64, favorite=True)
    assert run_cli("albums", "smart", "Favs", "--favorite").returncode == 0
    world3.google.hold_batch_answers()
    for _ in range(2):
        _kill_in_the_window(world3, "--album", "Favs")
        assert _open_intents(world3) == 1
    world3.google.release_batch_answers()

    result = world3.sync("--album", "Favs", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    favourites = sorted(
        (a for a in lib.assets.values() if a.favorite and a.visibility == "timeline"),
        key=lambda a: (a.created, a.file_name, a.id),
    )
    assert world3.contents("Favs") == [a.content.sha1_base64 for a in favourites]
    assert len(world3.google.media) == len(favourites), "no item was created twice"
    assert _open_intents(world3) == 0
    assert json.loads(world3.sync("--album", "Favs", "--json").stdout)["google_requests"] == 0


def test_kill_9_between_google_making_an_album_and_the_state_recording_it(
    world3: World,
) -> None:
    """The album-creation window: the next run takes the album over, never makes a second one."""
    world3.google.hold_album_answers()
    for _ in range(3):  # the same window, hit again by the run after each kill
        world3.google.album_processed.clear()
        proc = _start_sync()
        try:
            assert world3.google.album_processed.wait(120), "the run sent albums.create"
        finally:
            proc.kill()
            proc.wait(timeout=30)
        assert proc.returncode == -9
    world3.google.release_album_answers()

    result = world3.sync("--json")
    assert result.returncode == 0, result.stderr + result.stdout
    titles = [a.title for a in world3.google.albums.values() if not a.deleted]
    assert sorted(titles) == sorted(set(titles)), f"an album was made twice: {titles}"
    world3.assert_mirrored(*SYNCED)
    with world3.state() as db:
        left = db.execute("SELECT count(*) FROM meta WHERE key LIKE 'album_intent:%'").fetchone()
    assert left[0] == 0, "every creation intent ended with its album recorded"
