"""Files and folders the tool makes are private (0700 / 0600) under any umask; no symlink is
followed to the lock or the log; a state dir others can write to is refused."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from immich_gphotos import logfile
from immich_gphotos.errors import ConfigError
from immich_gphotos.fileio import atomic_write, private_state_dir
from immich_gphotos.lock import RunLock
from immich_gphotos.state.store import StateStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def log_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    handlers: list[logging.Handler] = []

    def open_(state_dir: Path, secrets: list[str]) -> logging.Handler:
        handler = logfile.open_log(state_dir, secrets)
        handlers.append(handler)
        return handler

    yield open_
    for handler in handlers:
        logfile.close_log(handler)


def test_modes_under_umask_022_including_rotated_logs(
    umask_022: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_handler
) -> None:  # type: ignore[no-untyped-def]
    state_dir = tmp_path / "deep" / "state"
    atomic_write(state_dir / "secrets.enc", b"{}")  # the first thing a new install writes
    assert mode(tmp_path / "deep") == 0o700 and mode(state_dir) == 0o700
    assert mode(state_dir / "secrets.enc") == 0o600

    monkeypatch.setattr(logfile, "MAX_BYTES", 300)
    handler = log_handler(state_dir, [])
    log = logging.getLogger("immich_gphotos.test")
    for n in range(40):  # several forced rotations
        log.info("line %d %s", n, "x" * 40)
    handler.flush()
    files = sorted(state_dir.glob("immich-gphotos.log*"))
    assert len(files) == 1 + logfile.BACKUPS
    for path in files:
        assert mode(path) == 0o600, path

    store = StateStore.open(state_dir)
    store.set_meta("k", "v")
    store.close()
    for path in state_dir.glob("state.sqlite3*"):
        assert mode(path) == 0o600, path
    with RunLock(state_dir):
        assert mode(state_dir / "lock") == 0o600


def test_config_dir_and_state_dir_are_private_after_init(
    umask_022: None, immich, config_path: Path, state_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import GOOD_KEY, run_cli

    result = run_cli(
        "init", "--immich-url", immich.url, env=os.environ | {"IMMICH_API_KEY": GOOD_KEY}
    )
    assert result.returncode == 0, result.stderr
    assert mode(config_path.parent) == 0o700 and mode(config_path) == 0o600
    assert mode(state_dir) == 0o700
    for path in state_dir.iterdir():
        assert mode(path) == 0o600, path


def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    state_dir = private_state_dir(tmp_path / "state")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (state_dir / "lock").symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"):
        RunLock(state_dir).acquire()
    assert victim.read_text() == "precious"


def test_a_symlinked_log_is_refused_and_its_target_untouched(tmp_path: Path, log_handler) -> None:  # type: ignore[no-untyped-def]
    state_dir = private_state_dir(tmp_path / "state")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victim.chmod(0o644)
    (state_dir / logfile.LOG_FILE_NAME).symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"):
        log_handler(state_dir, [])
    assert victim.read_text() == "precious" and mode(victim) == 0o644


def test_a_state_dir_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ConfigError, match="chmod 700"):
        StateStore.open(shared)
    with pytest.raises(ConfigError, match="chmod 700"):
        RunLock(shared).acquire()
    assert list(shared.iterdir()) == [], "nothing was created in it"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_state_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 4242, -1)
    with pytest.raises(ConfigError, match="chown"):
        StateStore.open(theirs)


def test_an_existing_log_made_0644_by_an_older_release_becomes_0600(
    tmp_path: Path, log_handler
) -> None:  # type: ignore[no-untyped-def]
    state_dir = private_state_dir(tmp_path / "state")
    old = state_dir / logfile.LOG_FILE_NAME
    old.write_text("2024-01-01T00:00:00+0000 INFO old line\n")
    old.chmod(0o644)
    log_handler(state_dir, [])
    assert mode(old) == 0o600


def test_log_records_are_one_line_with_secrets_and_tokens_masked(
    tmp_path: Path, log_handler
) -> None:  # type: ignore[no-untyped-def]
    state_dir = private_state_dir(tmp_path / "state")
    secrets = ["the-api-key-123456"]
    handler = log_handler(state_dir, secrets)
    secrets.append("refresh-token-abcdef")  # added after the log opened, as the run does
    log = logging.getLogger("immich_gphotos.test")
    log.info("album %s done", "Evil\x1b[2J\nFORGED")
    try:
        raise RuntimeError("failed with the-api-key-123456 and refresh-token-abcdef")
    except RuntimeError:
        log.exception("boom with access token ya29.a0AfH6SMBxyz and Bearer ya29.other")
    log.warning("ping https://user:hunter2@hc-ping.example/uuid failed")
    handler.flush()
    text = (state_dir / logfile.LOG_FILE_NAME).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) == 3, lines
    assert all(line[:4].isdigit() for line in lines)
    assert "Traceback" in lines[1] and "RuntimeError" in lines[1]
    for leaked in ("the-api-key-123456", "refresh-token-abcdef", "a0AfH6SMBxyz", "hunter2"):
        assert leaked not in text, leaked
    assert "\x1b" not in text
