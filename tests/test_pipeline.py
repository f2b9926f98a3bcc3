"""The upload pipeline (issue 13, item 1): uploads flow across batches while batchCreate runs one
at a time in capture order; big files start early; a stop or the budget wastes no upload."""

from __future__ import annotations

import json
import threading

import pytest

from tests.helpers import run_cli, set_config
from tests.standins.immich import Asset
from tests.world import SYNCED, World

MB = 1_000_000


def _album(world: World, name: str, count: int, size: int = 64) -> list[Asset]:
    lib = world.scenario.library
    album = lib.add_album(name, world.scenario.me)
    assets = [
        lib.add_asset(world.scenario.me, f"{name}_{i:03d}.jpg", size=size, albums=[album])
        for i in range(count)
    ]
    assert run_cli("albums", "add", name).returncode == 0
    return assets


def _creates(world: World) -> int:
    return sum(1 for _, path in world.google.requests if path.endswith(":batchCreate"))


def _watch(world: World, asset_id: str, then: threading.Event) -> list[bool]:
    """Whether the original of ``asset_id`` was asked for before ``then`` was set; ``then`` is
    set once it was, or after 30 s (so a run that never gets there still ends)."""
    reached = threading.Event()
    before: list[bool] = []
    world.immich.on_original = lambda seen: reached.set() if seen == asset_id else None

    def release() -> None:
        before.append(reached.wait(30))
        then.set()

    threading.Thread(target=release, daemon=True).start()
    return before


def test_a_slow_first_item_does_not_hold_back_the_next_batchs_uploads(world3: World) -> None:
    """The oldest photo's download stalls; the other workers go on into the next batch's items
    (no barrier per 50), and the album still reads in capture order."""
    assets = _album(world3, "Many", 60)
    held = threading.Event()
    world3.immich.held_assets[assets[0].id] = held
    reached = _watch(world3, assets[55].id, then=held)
    result = world3.sync("--album", "Many", "--concurrency", "2", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    assert reached == [True], "an item of the second batch started while the first one waited"
    world3.assert_mirrored("Many")
    assert _creates(world3) == 2, "still full batches of 50: one of 50, one of 10"


def test_big_files_start_first_and_land_in_capture_order(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from immich_gphotos.gphotos import uploads as google_uploads
    from immich_gphotos.sync import transfer, uploads

    monkeypatch.setattr(transfer, "RAW_UPLOAD_LIMIT", 10_000)  # "big": the resumable protocol
    monkeypatch.setattr(google_uploads, "RAW_UPLOAD_LIMIT", 10_000)
    taken: list[str] = []  # in the order the workers took them (under the pool's lock)
    real_next = uploads.Transfers._next

    def next_taken(self: uploads.Transfers) -> object:
        asset = real_next(self)
        if asset is not None:
            taken.append(asset.id)
        return asset

    monkeypatch.setattr(uploads.Transfers, "_next", next_taken)
    lib = world3.scenario.library
    album = lib.add_album("Trip", world3.scenario.me)
    small = [lib.add_asset(world3.scenario.me, f"P{i}.jpg", albums=[album]) for i in range(12)]
    video = lib.add_asset(world3.scenario.me, "LAST.mp4", size=50_000, albums=[album])
    assert run_cli("albums", "add", "Trip").returncode == 0
    result = world3.sync("--album", "Trip", "--concurrency", "2")
    assert result.returncode == 0, result.stderr + result.stdout
    # (when Immich sees each download is a race: a worker may finish the small video before
    # the other one's first request arrives; what the workers took first is not)
    assert taken[:2] == [video.id, small[0].id], "the newest item, a big file, went first"
    assert sorted(taken) == sorted(a.id for a in [*small, video]), "each taken once"
    world3.assert_mirrored("Trip")  # batchCreate order keeps the album in capture order


def test_a_short_original_fails_that_item_only(world3: World) -> None:
    holidays = world3.album("Holidays").asset_ids
    world3.immich.short_assets.add(holidays[2])
    result = world3.sync("--json")
    assert result.returncode == 1, result.stderr + result.stdout
    data = json.loads(result.stdout)
    assert (
        data["failed"] == 1 and data["uploaded"] == sum(len(world3.eligible(n)) for n in SYNCED) - 1
    )
    world3.immich.short_assets.clear()
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)  # the late item took its place between its neighbours


def test_the_budget_stops_new_uploads_and_wastes_none(world3: World) -> None:
    """At the budget no upload is made whose batchCreate the budget cannot cover: every token
    made is used, and the next day finishes the job."""
    _album(world3, "Many", 60)
    set_config(world3.config, "google", "daily_request_budget", 30)
    result = world3.sync("--album", "Many", "--json")
    assert result.returncode == 6, result.stderr + result.stdout
    assert json.loads(result.stdout)["stopped"] == "budget"
    assert world3.google.library_requests <= 30
    assert world3.google.uploads and all(u.used for u in world3.google.uploads.values()), (
        "every upload made went into a batch"
    )
    with world3.state() as db:  # midnight Pacific passes
        db.execute("UPDATE google_requests SET day = '2000-01-01'")
    set_config(world3.config, "google", "daily_request_budget", 9500)
    assert world3.sync("--album", "Many").returncode == 0
    world3.assert_mirrored("Many")


def test_a_signal_while_uploads_run_ahead_places_every_finished_upload(world3: World) -> None:
    """SIGTERM (the stop event) while the first batch waits for a slow item and later uploads
    are done: what is uploaded is created (in capture position), the rest stays pending, 130."""
    import os
    import signal

    assets = _album(world3, "Many", 60)
    held = threading.Event()
    world3.immich.held_assets[assets[0].id] = held

    def stop_then_release(seen: str) -> None:
        if seen == assets[20].id:
            os.kill(os.getpid(), signal.SIGTERM)  # the engine's handler sets the stop event
            held.set()

    world3.immich.on_original = stop_then_release
    result = world3.sync("--album", "Many", "--concurrency", "2", "--json")
    assert result.returncode == 130, result.stderr + result.stdout
    assert json.loads(result.stdout)["stopped"] == "interrupted"
    assert all(u.used for u in world3.google.uploads.values()), "no finished upload was lost"
    placed = len(world3.google_album("Many").items)
    assert 20 <= placed < 60
    assert world3.sync("--album", "Many").returncode == 0
    world3.assert_mirrored("Many")


def test_a_bug_in_choosing_the_next_upload_ends_the_run_and_keeps_what_was_uploaded(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception where a worker picks its next item (the admission) used to end that worker
    silently, and the placer waited for it forever. Now the run stops: what was uploaded is
    placed in capture order, the bug is reported, and the next run finishes the album."""
    from immich_gphotos.sync import pipeline

    _album(world3, "Buggy", 8)
    real = pipeline.AlbumPipeline._admit
    calls = {"n": 0}

    def admit(self: pipeline.AlbumPipeline, asset: object) -> object:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("planted admission bug")
        return real(self, asset)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.AlbumPipeline, "_admit", admit)
    outcome: list[object] = []
    run = threading.Thread(
        target=lambda: outcome.append(world3.sync("--album", "Buggy", "--concurrency", "1")),
        daemon=True,
    )
    run.start()
    run.join(60)
    assert not run.is_alive(), "the run ended rather than wait for a worker that was gone"
    (result,) = outcome
    assert result.returncode != 0 and "planted admission bug" in result.stderr  # type: ignore[attr-defined]
    first = [world3.shown(a) for a in world3.eligible("Buggy")[:3]]
    assert world3.contents("Buggy") == first, "the 3 uploaded before it, placed in order"
    with world3.state() as db:
        (code,) = db.execute("SELECT exit_code FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert code == 1, "the run is recorded as failed, not left open"
    monkeypatch.setattr(pipeline.AlbumPipeline, "_admit", real)
    assert world3.sync("--album", "Buggy").returncode == 0
    world3.assert_mirrored("Buggy")
