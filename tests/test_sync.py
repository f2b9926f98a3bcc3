"""`sync` end to end: the CLI as a subprocess against both stand-ins, Immich v2 and v3."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests.helpers import (
    ROOT,
    run_cli,
    set_config,
)
from tests.homes import select_albums
from tests.standins.google import DAILY_QUOTA_MESSAGE, STORAGE_FULL_MESSAGE
from tests.world import SYNCED, World

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def test_first_sync_mirrors_in_order_and_second_sync_makes_no_google_request(world: World) -> None:
    result = world.sync()
    assert result.returncode == 0, result.stderr + result.stdout
    world.assert_mirrored(*SYNCED)
    holidays = world.google.album_files(world.google_album("Holidays").id)
    assert [m.description for m in holidays] == [f"Day {i}" for i in range(5)]
    assert [m.filename for m in holidays] == [f"HOL_{i}.jpg" for i in range(5)]
    assert len(world.google.media) == len({m for t in SYNCED for m in world.contents(t)}), (
        "each file once"
    )

    before = world.google.library_requests
    again = world.sync("--json")
    assert again.returncode == 0, again.stderr
    assert world.google.library_requests == before, "steady state: zero Google requests"
    summary = json.loads(again.stdout)
    assert (
        summary["google_requests"] == 0 and summary["uploaded"] == 0 and summary["exit_code"] == 0
    )


def test_output_plain_and_json(world3: World) -> None:
    plain = world3.sync()
    assert plain.returncode == 0
    assert not CONTROL.search(plain.stdout + plain.stderr)
    assert plain.stdout.count('album "') == 3 and "sync finished:" in plain.stdout
    data = json.loads(world3.sync("--json").stdout)
    for key in (
        "exit_code",
        "uploaded",
        "added",
        "removed",
        "skipped",
        "failed",
        "bytes",
        "google_requests",
        "stopped",
        "albums",
    ):
        assert key in data
    for album in data["albums"]:
        assert set(album) >= {
            "immich_id",
            "google_title",
            "uploaded",
            "added",
            "removed",
            "skipped",
            "failed",
        }
    quiet = world3.sync("--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == "", "cron mails nothing"


def test_json_counts_the_first_run(world3: World) -> None:
    data = json.loads(world3.sync("--json").stdout)
    expected = sum(len(world3.eligible(n)) for n in SYNCED)
    assert data["uploaded"] == expected
    assert data["skipped"] == 1  # ARCHIVED.jpg
    assert data["google_requests"] == world3.google.library_requests
    assert data["bytes"] == sum(a.content.size for n in SYNCED for a in world3.eligible(n))


def test_an_asset_in_two_albums_is_uploaded_once(world: World) -> None:
    lib = world.scenario.library
    shared = lib.assets[world.album("Holidays").asset_ids[2]]
    lib.add_to_album(world.album("Garden"), shared)
    assert world.sync().returncode == 0
    world.assert_mirrored(*SYNCED)
    assert shared.checksum in world.contents("Garden") and shared.checksum in world.contents(
        "Holidays"
    )
    uploads = Counter(u.sha1 for u in world.google.uploads.values())
    assert uploads[shared.checksum] == 1


def test_a_file_already_in_the_google_library_lands_in_every_album(world3: World) -> None:
    lib = world3.scenario.library
    shared = lib.assets[world3.album("Holidays").asset_ids[1]]
    lib.add_to_album(world3.album("Mixed Bag"), shared)
    pre = world3.google.add_preexisting(shared.checksum, shared.content.size, shared.file_name)
    result = world3.sync()
    assert result.returncode == 0, result.stderr
    world3.assert_mirrored(*SYNCED)
    assert pre in world3.google.albums[world3.google_album("Holidays").id].items
    assert pre in world3.google.albums[world3.google_album("Mixed Bag").id].items


def test_a_deleted_google_album_is_created_again(world3: World) -> None:
    assert world3.sync().returncode == 0
    old = world3.google_album("Garden")
    world3.google.delete_album(old.id)
    lib = world3.scenario.library
    lib.add_asset(world3.scenario.friend, "NEW_IN_GARDEN.jpg", albums=[world3.album("Garden")])
    result = world3.sync()
    assert result.returncode == 0, result.stderr
    new = world3.google_album("Garden")
    assert new.id != old.id
    world3.assert_mirrored(*SYNCED)


def test_an_idle_deleted_album_is_noticed_by_the_daily_check(world3: World) -> None:
    assert world3.sync().returncode == 0
    old = world3.google_album("Holidays")
    world3.google.delete_album(old.id)
    with world3.state() as db:  # a day passes
        db.execute("UPDATE google_albums SET verified_at = '2000-01-01T00:00:00Z'")
    assert world3.sync().returncode == 0
    assert world3.google_album("Holidays").id != old.id
    world3.assert_mirrored(*SYNCED)


@pytest.mark.slow
def test_repeated_syncs_converge_under_faults(world: World) -> None:
    world.immich.faults.error_rate = 0.2
    world.immich.faults.reset_rate = 0.2
    world.google.faults.error_rate = 0.2
    world.google.faults.upload_break_rate = 0.2
    codes = []
    for _ in range(8):
        result = world.sync()
        codes.append(result.returncode)
        assert "Traceback" not in result.stderr
        if result.returncode == 0:
            break
    assert codes[-1] == 0, codes
    world.immich.faults.error_rate = world.immich.faults.reset_rate = 0
    world.google.faults.error_rate = world.google.faults.upload_break_rate = 0
    world.assert_mirrored(*SYNCED)  # in capture order, each once: no duplicates


def _start_sync(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_run_then_sync_converges(world3: World) -> None:
    world3.immich.faults.slow_body_seconds = 0.3
    proc = _start_sync("--concurrency", "2")
    assert world3.google.batch_created.wait(120), "the run placed a first batch"
    proc.kill()
    proc.wait(timeout=30)
    world3.immich.faults.slow_body_seconds = 0
    result = world3.sync()
    assert result.returncode == 0, result.stderr
    world3.assert_mirrored(*SYNCED)


def test_sigterm_finishes_the_batch_and_exits_130(world3: World) -> None:
    world3.immich.faults.slow_body_seconds = 0.5
    proc = _start_sync("--concurrency", "2")
    assert world3.immich.original_requested.wait(120), "transfers started"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    placed = sum(len(world3.google.albums[a].items) for a in world3.google.albums)
    assert placed >= 1, "the uploads in flight were finished and placed"
    with world3.state() as db:
        saved = db.execute(
            "SELECT count(*) FROM album_assets WHERE google_album_id IS NOT NULL"
        ).fetchone()[0]
        run = db.execute("SELECT exit_code, stopped FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert saved == placed, "what Google holds is what the state says"
    assert run == (130, "interrupted")
    world3.immich.faults.slow_body_seconds = 0
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)


def test_budget_stops_with_exit_6_and_the_next_day_finishes(world3: World) -> None:
    set_config(world3.config, "google", "daily_request_budget", 7)
    result = world3.sync()
    assert result.returncode == 6, result.stderr + result.stdout
    assert world3.google.library_requests <= 7
    with world3.state() as db:  # midnight Pacific passes
        db.execute("UPDATE google_requests SET day = '2000-01-01'")
    set_config(world3.config, "google", "daily_request_budget", 9500)
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)


def test_googles_daily_quota_is_exit_6(world3: World) -> None:
    world3.google.faults.daily_quota = 4
    assert "per day" in DAILY_QUOTA_MESSAGE
    result = world3.sync("--json")
    assert result.returncode == 6
    assert json.loads(result.stdout)["stopped"] == "quota"
    world3.google.faults.daily_quota = None
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)


def test_storage_full_is_exit_8(world3: World) -> None:
    world3.google.faults.fail_next = [(400, STORAGE_FULL_MESSAGE)] * 3
    result = world3.sync("--json")
    assert result.returncode == 8, result.stderr
    assert json.loads(result.stdout)["stopped"] == "storage"


def test_a_second_run_exits_5(world3: World) -> None:
    from immich_gphotos.lock import RunLock

    with RunLock(world3.state_dir):
        result = world3.sync()
    assert result.returncode == 5
    assert f"pid {os.getpid()}" in result.stderr
    assert world3.google.library_requests == 0


def test_dry_run_changes_nothing(world3: World) -> None:
    assert world3.sync("--limit", "2").returncode == 0
    db = world3.state_dir / "state.sqlite3"
    before = (db.read_bytes(), world3.google.library_requests, len(world3.google.media))
    result = world3.sync("--dry-run")
    assert result.returncode == 0, result.stderr
    assert "nothing was changed" in result.stdout and "Google requests" in result.stdout
    assert (db.read_bytes(), world3.google.library_requests, len(world3.google.media)) == before
    planned = json.loads(world3.sync("--dry-run", "--json").stdout)
    total = sum(len(world3.eligible(n)) for n in SYNCED)
    assert planned["uploads"] == total - 2
    assert planned["google_requests"] >= planned["uploads"]


def test_dry_run_before_any_sync_writes_no_state(world3: World) -> None:
    (world3.state_dir / "state.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        (world3.state_dir / f"state.sqlite3{suffix}").unlink(missing_ok=True)
    assert world3.sync("--dry-run").returncode == 0
    assert not (world3.state_dir / "state.sqlite3").exists()


def test_limit_uploads_at_most_n(world3: World) -> None:
    data = json.loads(world3.sync("--limit", "3", "--json").stdout)
    assert data["exit_code"] == 0 and data["uploaded"] == 3 and data["stopped"] == "limit"
    assert len(world3.google.uploads) == 3


@pytest.mark.slow
def test_failed_items_are_retried_then_given_up(world3: World) -> None:
    broken = world3.scenario.library.assets[world3.album("Holidays").asset_ids[0]]
    world3.immich.broken_assets.add(broken.id)
    for run in range(4):
        result = world3.sync("--json")
        assert result.returncode == 1, (run, result.stderr)
        assert json.loads(result.stdout)["failed"] == 1
    loud = world3.sync("--quiet")  # a failing run speaks even when quiet, and says why
    assert loud.returncode == 1 and f"{broken.file_name} failed" in loud.stdout
    tries = len([r for r in world3.immich.ranges if r[0] == broken.id])
    sixth = world3.sync("--json")
    assert json.loads(sixth.stdout)["failed"] == 0 and json.loads(sixth.stdout)["given_up"] == 1
    assert len([r for r in world3.immich.ranges if r[0] == broken.id]) == tries, (
        "given up: not tried"
    )
    world3.immich.broken_assets.clear()
    assert world3.sync("--retry-failed").returncode == 0
    world3.assert_mirrored(*SYNCED)  # the late item took its place, first in the album


def test_remove_missing_and_the_mass_removal_guard(world3: World) -> None:
    lib = world3.scenario.library
    big = lib.add_album("Many", world3.scenario.me)
    for i in range(20):
        lib.add_asset(world3.scenario.me, f"MANY_{i:02d}.jpg", albums=[big])
    select_albums(world3.config, [big])
    set_config(world3.config, "sync", "remove_missing", True)
    assert world3.sync().returncode == 0

    lib.remove_from_album(big, lib.assets[big.asset_ids[0]])  # 1 of 20: within 10%
    assert world3.sync().returncode == 0
    assert len(world3.contents("Many")) == 19

    for asset_id in list(big.asset_ids[:5]):  # 5 of 19: too many at once
        lib.remove_from_album(big, lib.assets[asset_id])
    refused = world3.sync()
    assert refused.returncode == 1
    assert "--allow-mass-removal" in refused.stdout + refused.stderr
    assert len(world3.contents("Many")) == 19, "album untouched"
    assert world3.sync("--allow-mass-removal").returncode == 0
    assert world3.contents("Many") == [a.content.sha1_base64 for a in world3.eligible("Many")]


def test_album_option_restricts_the_run(world3: World) -> None:
    assert world3.sync("--album", "Garden").returncode == 0
    assert world3.google.album_by_title("Garden") is not None
    assert world3.google.album_by_title("Holidays") is None


def test_status_after_sync(world3: World) -> None:
    assert world3.sync().returncode == 0
    data = json.loads(run_cli("status", "--json").stdout)
    by_name = {a["name"]: a for a in data["albums"]}
    assert by_name["Mixed Bag"]["in_sync"] == len(world3.eligible("Mixed Bag"))
    assert by_name["Mixed Bag"]["skipped"] == 1 and by_name["Mixed Bag"]["pending"] == 0
    assert by_name["Garden"]["google_album_id"] == world3.google_album("Garden").id
    assert data["runs"][0]["exit_code"] == 0 and data["runs"][0]["uploaded"] > 0
    assert data["google"]["requests_today"] == world3.google.library_requests


def test_sync_without_google_login_is_exit_4(world3: World) -> None:
    from immich_gphotos.credentials.file_store import FileStore

    FileStore(world3.state_dir / "secrets.enc").delete("google-refresh-token")
    result = world3.sync()
    assert result.returncode == 4
    assert "immich-gphotos auth" in result.stderr


def test_expired_google_login_is_exit_4_with_the_testing_hint(world3: World) -> None:
    world3.google.faults.invalid_grant = True
    result = world3.sync()
    assert result.returncode == 4
    assert "7 days" in result.stderr and "immich-gphotos auth" in result.stderr


def test_steady_state_checks_the_login_once_a_day(world3: World) -> None:
    assert world3.sync().returncode == 0
    world3.google.faults.invalid_grant = True
    assert world3.sync().returncode == 0, "nothing to do and checked today: Google is not asked"
    library_requests = world3.google.library_requests
    world3.day_passes(albums=False)  # only the login check is due: no album is looked at
    assert world3.sync().returncode == 4
    assert world3.google.library_requests == library_requests, "the check is no Library request"
