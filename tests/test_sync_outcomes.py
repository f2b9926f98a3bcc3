"""Outcomes that need a human: a selected album Immich no longer has; a state dir that cannot be
written. Each is its own exit code and a message that names the fix."""

from __future__ import annotations

import errno
import json
import logging
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.world import SYNCED, World


def test_a_selected_album_immich_no_longer_has_exits_1_naming_albums_remove(world3: World) -> None:
    assert world3.sync().returncode == 0
    garden = world3.album("Garden")
    with world3.scenario.library.lock:  # deleted in Immich
        del world3.scenario.library.albums[garden.id]

    result = world3.sync("--json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["exit_code"] == 1
    gone = next(a for a in summary["albums"] if a["immich_id"] == garden.id)
    assert any(f"albums remove {garden.id}" in p for p in gone["problems"]), gone
    world3.assert_mirrored("Holidays", "Mixed Bag")  # the others are still synced

    plain = world3.sync()
    assert plain.returncode == 1
    assert "albums remove" in plain.stderr and "exit 1" in plain.stdout


def test_a_wrong_album_id_in_the_config_exits_1(world3: World) -> None:
    wrong_id = "00000000-0000-4000-8000-000000000000"
    import tomllib

    import tomli_w

    raw = tomllib.loads(world3.config.read_text())
    raw["albums"].append({"immich_id": wrong_id, "google_title": "Typo"})
    world3.config.write_text(tomli_w.dumps(raw))
    result = world3.sync("--quiet")
    assert result.returncode == 1, result.stderr
    assert f"albums remove {wrong_id}" in result.stdout, "quiet speaks when something is wrong"
    world3.assert_mirrored(*SYNCED)


class SmallDisk:
    """The state dir on its own tmpfs of 1 MB: filled, freed or made read-only at will."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        """Write until the file system says it is full (ENOSPC): every block taken."""
        with open(self.filler, "ab", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def read_only(self, on: bool = True) -> None:
        mode = "ro" if on else "rw"
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True)


@contextmanager
def _small_disk(path: Path) -> Iterator[SmallDisk]:
    """A real small file system (a 1 MB tmpfs) mounted at ``path``; skips where mounting fails."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("no `mount` command: a small file system cannot be made here")
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture
def small_state_disk(world3: World, tmp_path: Path) -> Iterator[SmallDisk]:
    """The state dir on a small disk of its own, holding what the state dir held."""
    state = world3.state_dir
    saved = tmp_path / "state-copy"
    shutil.copytree(state, saved)
    with _small_disk(state) as disk:
        for item in saved.iterdir():
            shutil.copy2(item, state / item.name)
        yield disk


def test_every_state_file_on_a_full_disk_is_state_unwritable(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The database, the lock, the log and the secrets file: exit 9 naming the dir, never a bug
    report; the log says it once instead of a traceback per line."""
    from immich_gphotos.credentials.file_store import FileStore
    from immich_gphotos.errors import StateUnwritable
    from immich_gphotos.lock import RunLock
    from immich_gphotos.logfile import close_log, open_log
    from immich_gphotos.state.store import StateStore

    state_dir = tmp_path / "state"
    with _small_disk(state_dir) as disk:
        StateStore.open(state_dir).close()
        disk.fill()
        with pytest.raises(StateUnwritable, match="cannot be written"):
            store = StateStore.open(state_dir)  # its -wal and -shm need room as well
            try:
                for n in range(200):  # until the database needs a page the disk does not have
                    store.set_meta(f"key{n}", "x" * 2000)
            finally:
                store.close()
        with pytest.raises(StateUnwritable, match="free space"):
            RunLock(state_dir).acquire()
        with pytest.raises(StateUnwritable):
            FileStore(state_dir / "secrets.enc").set("google-refresh-token", "r" * 64)
        handler = open_log(state_dir, [])
        log = logging.getLogger("immich_gphotos.test")
        for n in range(200):
            log.info("line %d %s", n, "y" * 200)
        close_log(handler)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Logging error" not in err, err
    assert err.count("cannot be written") == 1, err


def _assert_exit_9(code: int, out: str, err: str, state_dir: Path) -> str:
    assert code == 9, (code, err)
    for bug_words in ("unexpected", "Traceback", "report it"):
        assert bug_words not in out + err, err
    answer = json.loads(out)
    assert answer["exit_code"] == 9
    error = str(answer["error"])
    assert f"The state dir {state_dir} cannot be written" in error, error
    return error


def test_a_state_disk_that_fills_mid_run_is_exit_9_and_loses_nothing(
    world3: World, small_state_disk: SmallDisk
) -> None:
    """Holidays is placed and saved; Garden's first transfer is held while the disk fills."""
    release = threading.Event()
    world3.immich.faults.hold_body = release
    world3.immich.faults.hold_from = len(world3.eligible("Holidays")) + 1
    proc = subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", "--json", "--concurrency", "1"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert world3.immich.body_held.wait(120), "Garden's first transfer started"
        small_state_disk.fill()
    finally:
        release.set()
    out, err = proc.communicate(timeout=120)
    error = _assert_exit_9(proc.returncode, out, err, world3.state_dir)
    assert "free space" in error and "df -h" in error

    small_state_disk.free()
    world3.immich.faults.hold_body = None
    world3.assert_mirrored("Holidays")
    again = world3.sync("--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["albums"][0]["in_sync"] == len(world3.eligible("Holidays"))
    world3.assert_mirrored(*SYNCED)
    placed = [m for t in SYNCED for m in world3.contents(t)]
    assert len(world3.google.media) == len(set(placed)), "nothing created twice"


def test_a_read_only_state_dir_is_exit_9(world3: World, small_state_disk: SmallDisk) -> None:
    small_state_disk.read_only()
    try:
        result = world3.sync("--json")
    finally:
        small_state_disk.read_only(False)
    error = _assert_exit_9(result.returncode, result.stdout, result.stderr, world3.state_dir)
    assert "read-only" in error.lower() and "remount" in error
    assert world3.google.library_requests == 0


def test_an_error_that_ends_the_run_on_a_terminal_shows_the_cursor_again(
    world3: World, small_state_disk: SmallDisk
) -> None:
    """The progress display hides the cursor; a run ended by an error (here exit 9) that never
    reached the summary must still show it again."""
    import os
    import pty

    from tests.test_signals import Screen

    release = threading.Event()
    world3.immich.faults.hold_body = release
    world3.immich.faults.hold_from = len(world3.eligible("Holidays")) + 1
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", "--concurrency", "1"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=os.environ | {"TERM": "xterm", "COLUMNS": "100", "LINES": "30"},
    )
    os.close(slave)
    screen = Screen(master)
    try:
        assert world3.immich.body_held.wait(120), "Garden's first transfer started"
        small_state_disk.fill()
        release.set()
        assert proc.wait(timeout=120) == 9
        text = screen.all()
    finally:
        release.set()
        proc.kill()
        os.close(master)
    hidden = text.rfind(b"\x1b[?25l")
    assert hidden >= 0, "the progress display ran on the terminal"
    assert b"\x1b[?25h" in text[hidden:], "the cursor is shown again"
    assert b"cannot be written" in text
