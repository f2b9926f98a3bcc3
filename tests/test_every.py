"""`sync --every`: a loop of complete runs, errors retried at the next interval, signals, health.

The loop's waits are injected through ``Wiring`` (``wait``, ``jitter``), so these tests run many
intervals in milliseconds; what only a process shows (real signals) runs in a child and waits on
its output lines.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from immich_gphotos.commands.every import heartbeat_path, parse_duration
from immich_gphotos.commands.health import check
from immich_gphotos.errors import UsageError
from tests.helpers import ROOT, LineReader, run_cli, set_config
from tests.homes import albums_named, select_albums
from tests.inprocess import fast_wiring, run_in_process
from tests.world import SYNCED, World


class Waits:
    """The loop's waits: each call runs the next scripted step (changes to the world between
    runs); after the last one, a 'signal' arrives while the loop waits."""

    def __init__(self, *steps: Callable[[], None]) -> None:
        self.steps = list(steps)
        self.seconds: list[float] = []

    def __call__(self, stop: threading.Event, seconds: float) -> bool:
        self.seconds.append(seconds)
        if self.steps:
            self.steps.pop(0)()
            return False
        stop.set()
        return True


def loop(*args: str, waits: Waits, jitter: float = 7.0) -> subprocess.CompletedProcess[str]:
    wiring = replace(fast_wiring(), wait=waits, jitter=lambda interval: jitter)
    return run_in_process("sync", "--every", *args, wiring=wiring)


def _notify_command(tmp_path: Path) -> tuple[list[str], Path]:
    out = tmp_path / "notifications.txt"
    script = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read() + '---\\n')"
    return [sys.executable, "-c", script], out


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("1h", 3600), ("1d", 86400), ("90s", 90), ("1h30m", 5400), (" 2H ", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0", "5x", "", "1", "h", "-1h", "1.5h", "10s", "0m"])
def test_bad_durations_are_usage_errors_naming_the_flag(text: str) -> None:
    with pytest.raises(UsageError, match="--every"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--every", "0"], "--every"),
        (["--every", "5x"], "--every"),
        (["--every", "59s"], "--every"),
        (["--every", "1h", "--dry-run"], "--dry-run"),
        (["--every", "1h", "--json"], "--json"),
    ],
)
def test_bad_every_flags_exit_2_before_anything_runs(
    world3: World, args: list[str], named: str
) -> None:
    result = run_in_process("sync", *args)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert world3.google.library_requests == 0
    assert not heartbeat_path(world3.state_dir).exists()


def test_a_loop_runs_whole_syncs_retries_auth_errors_and_stops_between_runs_with_0(
    world3: World, tmp_path: Path
) -> None:
    command, notes = _notify_command(tmp_path)
    set_config(world3.config, "notify", "command", command)

    def google_login_breaks() -> None:
        world3.google.faults.invalid_grant = True
        world3.add_photo("Holidays")  # work for Google, so the login is needed

    def google_login_fixed() -> None:
        world3.google.faults.invalid_grant = False

    waits = Waits(google_login_breaks, google_login_fixed)
    result = loop("1h", waits=waits, jitter=7.0)

    assert result.returncode == 0, result.stderr  # the 'signal' came between runs
    lines = result.stdout.splitlines()
    assert len(lines) == 3, lines  # one line per run on a pipe, nothing else
    assert [f"run {n}:" in line for n, line in enumerate(lines, 1)] == [True] * 3
    assert "exit 0" in lines[0] and "next run at" in lines[0]
    assert "exit 4" in lines[1] and "auth" in lines[1]  # reported, and the loop went on
    assert "exit 0" in lines[2]
    assert waits.seconds == [3600 + 7.0] * 3  # the interval plus the random delay, every time
    world3.assert_mirrored(*SYNCED)  # the photo added while the login was broken arrived
    messages = notes.read_text().split("---\n")[:-1]
    assert [m.splitlines()[0] for m in messages] == [
        "immich-gphotos sync: auth needed",
        "immich-gphotos sync: ok",
    ]
    with world3.state() as db:  # three complete runs, each recorded as a one-shot run is
        codes = [r[0] for r in db.execute("SELECT exit_code FROM runs ORDER BY id")]
    assert codes == [0, 4, 0]
    health = check(world3.state_dir)
    assert not health.healthy and "stopped" in health.message  # the loop ended


def test_a_config_error_is_notified_and_the_next_run_reads_the_config_again(
    world3: World, tmp_path: Path
) -> None:
    command, notes = _notify_command(tmp_path)
    set_config(world3.config, "notify", "command", command)
    raw = world3.config.read_text()
    set_config(world3.config, "notify", "command", command)
    import tomllib

    import tomli_w

    data = tomllib.loads(raw)
    data.pop("albums")  # nothing selected yet: exit 3, before the run's own notifications
    world3.config.write_text(tomli_w.dumps(data))

    def albums_added() -> None:  # `albums add` from another container, between two runs
        select_albums(world3.config, albums_named(world3.scenario.library, *SYNCED))

    result = loop("30m", waits=Waits(albums_added))
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines
    assert "exit 3" in lines[0] and "albums add" in lines[0]
    assert "exit 0" in lines[1]
    assert "albums add" in result.stderr  # errors are named on stderr as well
    world3.assert_mirrored(*SYNCED)
    messages = notes.read_text().split("---\n")[:-1]
    assert [m.splitlines()[0] for m in messages] == [
        "immich-gphotos sync: failing",
        "immich-gphotos sync: ok",
    ]


def test_the_loop_keeps_a_heartbeat_that_health_reads(world3: World) -> None:
    seen: list[dict[str, object]] = []

    def look() -> None:
        seen.append(json.loads(heartbeat_path(world3.state_dir).read_text()))

    loop("1h", waits=Waits(look), jitter=0.0)
    beat = seen[0]
    assert beat["interval_seconds"] == 3600 and beat["last_exit_code"] == 0
    assert beat["stopped"] is False and beat["next_run"]
    updated = float(beat["updated_unix"])  # type: ignore[arg-type]
    state = world3.state_dir
    heartbeat_path(state).write_text(json.dumps(beat))  # as it was while the loop waited
    assert check(state, now=updated + 60).healthy
    assert check(state, now=updated + 2 * 3600 + 180 - 1).healthy
    late = check(state, now=updated + 2 * 3600 + 180 + 1)  # two intervals and the delay: stale
    assert not late.healthy and "over the" in late.message
    assert not check(state, max_age=30, now=updated + 31).healthy
    assert not check(tmp := state / "elsewhere").healthy and "missing" in check(tmp).message


def test_health_command_exit_codes(world3: World) -> None:
    result = run_in_process("health")
    assert result.returncode == 1 and "no `sync --every` loop" in result.stdout
    loop("1h", waits=Waits(lambda: None))
    beat = json.loads(heartbeat_path(world3.state_dir).read_text())
    beat["stopped"] = False  # as while the loop was still waiting
    heartbeat_path(world3.state_dir).write_text(json.dumps(beat))
    assert run_in_process("health").returncode == 0
    assert run_in_process("health", "--max-age", "5x").returncode == 2


def _start_loop(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", "--every", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_between_runs_exits_0_at_once(world3: World) -> None:
    proc = _start_loop("1h")
    assert proc.stdout is not None
    first = LineReader(proc.stdout).wait_for(lambda line: "run 1:" in line, timeout=120)
    assert "exit 0" in first and "next run at" in first
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0  # the hour's wait ended at once
    world3.assert_mirrored(*SYNCED)
    result = run_cli("health")
    assert result.returncode == 1 and "stopped" in result.stdout


def test_sigterm_during_a_run_finishes_the_batch_and_exits_130(world3: World) -> None:
    world3.immich.faults.slow_body_seconds = 0.5
    proc = _start_loop("1h", "--concurrency", "2")
    assert proc.stdout is not None
    reader = LineReader(proc.stdout)
    assert world3.immich.original_requested.wait(120), "transfers started"
    proc.send_signal(signal.SIGTERM)
    line = reader.wait_for(lambda line: "run 1:" in line, timeout=120)
    assert "stopped: interrupted" in line and "stopped (signal)" in line
    assert proc.wait(timeout=60) == 130
    placed = sum(len(a.items) for a in world3.google.albums.values())
    assert placed >= 1, "the uploads in flight were finished and placed"
    world3.immich.faults.slow_body_seconds = 0
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)
