"""SIGINT and SIGTERM wherever they land: a real `sync` child, signalled at a moment the test
waits for (a stand-in event, a held request), never after a guessed sleep."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tests.world import World


def _start_sync(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _placed_in_state(world: World, album_name: str) -> tuple[int, str | None]:
    """(items the state says are in the Google album, the album's last_synced)."""
    album_id = world.album(album_name).id
    with world.state() as db:
        placed = db.execute(
            "SELECT count(*) FROM album_assets WHERE album_id = ? AND google_album_id IS NOT NULL",
            (album_id,),
        ).fetchone()[0]
        row = db.execute(
            "SELECT last_synced FROM albums WHERE immich_id = ?", (album_id,)
        ).fetchone()
    return placed, (row[0] if row else None)


@pytest.mark.parametrize("trial", range(5))
def test_a_signal_in_the_last_chunk_exits_130_and_leaves_the_album_unstamped(
    world3: World, trial: int
) -> None:
    """One album, one chunk (its last): the transfer in flight is finished and placed, the ones
    not started stay pending; the run says so (130, "interrupted") and the album is not stamped."""
    world3.immich.faults.slow_body_seconds = 0.4
    proc = _start_sync("--album", "Holidays", "--concurrency", "1", "--json")
    assert world3.immich.original_requested.wait(120), "the first transfer started"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    summary = json.loads(out)
    assert summary["exit_code"] == 130 and summary["stopped"] == "interrupted"
    in_google = world3.contents("Holidays")
    placed, last_synced = _placed_in_state(world3, "Holidays")
    assert 1 <= len(in_google) < len(world3.eligible("Holidays")), "uploaded: placed; rest: not"
    assert placed == len(in_google), "what Google holds is what the state says"
    assert last_synced is None, "an album with items pending is not stamped as synced"

    world3.immich.faults.slow_body_seconds = 0
    assert world3.sync("--album", "Holidays").returncode == 0
    world3.assert_mirrored("Holidays")
