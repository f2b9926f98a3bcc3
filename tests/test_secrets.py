"""Secrets: the encrypted file backend, backend choice, and the real Secret Service where present."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from immich_gphotos.credentials.backends import open_store
from immich_gphotos.credentials.base import IMMICH_API_KEY
from immich_gphotos.credentials.file_store import FileStore
from immich_gphotos.errors import SecretsUnavailable

SECRET = "sk-immich-abcdef0123456789"


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "secrets.enc"
    store = FileStore(path)
    store.set(IMMICH_API_KEY, SECRET)
    store.set("google-refresh-token", "1//refresh")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SECRET.encode() not in path.read_bytes()
    again = FileStore(path)
    assert again.get(IMMICH_API_KEY) == SECRET
    again.delete(IMMICH_API_KEY)
    assert FileStore(path).get(IMMICH_API_KEY) is None
    assert FileStore(path).get("google-refresh-token") == "1//refresh"


def test_file_wrong_passphrase_is_clear_and_harmless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secrets.enc"
    FileStore(path).set(IMMICH_API_KEY, SECRET)
    before = path.read_bytes()
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE", "not the passphrase")
    with pytest.raises(SecretsUnavailable, match="Wrong passphrase") as caught:
        FileStore(path).get(IMMICH_API_KEY)
    assert caught.value.exit_code == 4
    with pytest.raises(SecretsUnavailable):
        FileStore(path).set(IMMICH_API_KEY, "other")
    assert path.read_bytes() == before


def test_file_missing_passphrase_names_both_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE")
    with pytest.raises(SecretsUnavailable) as caught:
        FileStore(tmp_path / "secrets.enc").set(IMMICH_API_KEY, SECRET)
    assert "IMMICH_GPHOTOS_PASSPHRASE" in str(caught.value)
    assert "IMMICH_GPHOTOS_PASSPHRASE_FILE" in str(caught.value)
    assert not (tmp_path / "secrets.enc").exists()


def test_file_passphrase_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE")
    credential = tmp_path / "passphrase"
    credential.write_text("from a systemd credential\n")
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE_FILE", str(credential))
    FileStore(tmp_path / "secrets.enc").set(IMMICH_API_KEY, SECRET)
    monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE_FILE")
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE", "from a systemd credential")
    assert FileStore(tmp_path / "secrets.enc").get(IMMICH_API_KEY) == SECRET


def test_file_damaged_is_clear(tmp_path: Path) -> None:
    path = tmp_path / "secrets.enc"
    path.write_text("{not json")
    with pytest.raises(SecretsUnavailable, match="unreadable|damaged"):
        FileStore(path).get(IMMICH_API_KEY)


def _flip_one_data_character(path: Path) -> None:
    import json

    envelope = json.loads(path.read_text())
    data = envelope["data"]
    middle = len(data) // 2
    envelope["data"] = data[:middle] + ("A" if data[middle] != "A" else "B") + data[middle + 1 :]
    path.write_text(json.dumps(envelope))


def test_damaged_data_and_wrong_passphrase_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secrets.enc"
    FileStore(path).set(IMMICH_API_KEY, SECRET)
    _flip_one_data_character(path)
    before = path.read_bytes()
    with pytest.raises(SecretsUnavailable) as damaged:
        FileStore(path).get(IMMICH_API_KEY)
    assert "is damaged" in str(damaged.value) and "Wrong passphrase" not in str(damaged.value)
    assert damaged.value.exit_code == 4
    with pytest.raises(SecretsUnavailable, match="damaged"):
        FileStore(path).set(IMMICH_API_KEY, "other")
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE", "not the passphrase")
    with pytest.raises(SecretsUnavailable) as wrong:
        FileStore(path).get(IMMICH_API_KEY)
    assert "Wrong passphrase" in str(wrong.value) and "is damaged" not in str(wrong.value)
    assert path.read_bytes() == before, "never rewritten"


@pytest.mark.parametrize(
    "content", ["[1, 2, 3]", '"text"', "null", '{"format": "immich-gphotos-secrets"}', "\x00\xff"]
)
def test_a_secrets_file_that_is_not_one_is_a_clear_exit_4(tmp_path: Path, content: str) -> None:
    path = tmp_path / "secrets.enc"
    path.write_text(content)
    with pytest.raises(SecretsUnavailable, match="damaged|unreadable") as caught:
        FileStore(path).get(IMMICH_API_KEY)
    assert caught.value.exit_code == 4
    assert path.read_text() == content


def test_new_files_use_scrypt_2_17_and_old_files_still_open(tmp_path: Path) -> None:
    import base64
    import json

    from cryptography.fernet import Fernet

    from immich_gphotos.credentials import file_store

    new = tmp_path / "new.enc"
    FileStore(new).set(IMMICH_API_KEY, SECRET)
    assert json.loads(new.read_text())["kdf"]["n"] == 2**17

    # a version 1 file as the first release wrote it: N = 2^15, no key check
    salt = os.urandom(16)
    key = file_store._derive_key("correct horse battery staple", salt, 2**15, 8, 1)
    token = Fernet(key).encrypt(json.dumps({IMMICH_API_KEY: SECRET}).encode())
    kdf = {"name": "scrypt", "salt": base64.b64encode(salt).decode(), "n": 2**15, "r": 8, "p": 1}
    old = tmp_path / "old.enc"
    envelope = {"format": file_store.FORMAT, "version": 1, "kdf": kdf, "data": token.decode()}
    old.write_text(json.dumps(envelope))
    assert FileStore(old).get(IMMICH_API_KEY) == SECRET
    FileStore(old).set("google-refresh-token", "1//refresh")  # rewritten: keeps its cost
    upgraded = json.loads(old.read_text())
    assert upgraded["kdf"]["n"] == 2**15 and upgraded["check"]
    assert FileStore(old).get(IMMICH_API_KEY) == SECRET


def test_auto_falls_back_to_file_without_a_keyring(tmp_path: Path) -> None:
    store = open_store("auto", tmp_path)
    assert store.name == "file"


def test_keyring_backend_refuses_clearly_without_a_keyring(tmp_path: Path) -> None:
    with pytest.raises(SecretsUnavailable) as caught:
        open_store("keyring", tmp_path)
    message = str(caught.value)
    assert (
        "keyring" in message
        and 'backend = "file"' in message
        and "IMMICH_GPHOTOS_PASSPHRASE" in message
    )


def test_auto_without_keyring_or_passphrase_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE")
    store = open_store("auto", tmp_path)
    with pytest.raises(SecretsUnavailable, match="no OS keyring is usable"):
        store.set(IMMICH_API_KEY, SECRET)


# --- the real Secret Service (gnome-keyring on a private D-Bus session) ------------------------


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An unlocked gnome-keyring on the private D-Bus session that `make test` starts.

    Only on a private bus (IGPHOTOS_TEST_PRIVATE_BUS, set by the Makefile around
    dbus-run-session): on a desktop session it would replace the user's own keyring daemon.
    """
    daemon = shutil.which("gnome-keyring-daemon")
    if (
        not daemon
        or not os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        or not os.environ.get("IGPHOTOS_TEST_PRIVATE_BUS")
    ):
        pytest.skip(
            "needs gnome-keyring-daemon on a private D-Bus session: run `make test` (dbus-run-session)"
        )
    data = tmp_path / "keyring-data"
    data.mkdir()
    env = os.environ | {"XDG_DATA_HOME": str(data), "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [daemon, "--foreground", "--replace", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None
    proc.stdin.write(b"test-keyring-password")
    proc.stdin.close()
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    import keyring
    import keyring.core
    import secretstorage

    try:
        if not _wait_for(lambda: _secret_service_ready(secretstorage), timeout=20.0):
            pytest.skip("gnome-keyring-daemon did not come up on the session bus")
        keyring.set_keyring(keyring.core.load_keyring("keyring.backends.SecretService.Keyring"))
        yield
    finally:
        keyring.core._keyring_backend = None  # the next test chooses afresh
        proc.terminate()
        proc.wait(timeout=10)


def _secret_service_ready(secretstorage: object) -> bool:
    """Our daemon owns the Secret Service name and its default collection is unlocked.

    NameHasOwner first: any call to the service itself would make D-Bus start another,
    locked, gnome-keyring through its activation file before ours has registered."""
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    try:
        with open_dbus_connection(bus="SESSION") as bus:
            reply = bus.send_and_get_reply(
                message_bus.NameHasOwner("org.freedesktop.secrets"), timeout=5
            )
        if not reply.body[0]:
            return False
        with secretstorage.dbus_init() as conn:  # type: ignore[attr-defined]
            collection = secretstorage.get_default_collection(conn)  # type: ignore[attr-defined]
            return not collection.is_locked()
    except Exception:
        return False


def _wait_for(condition: object, timeout: float) -> bool:
    """Poll a condition with a short, bounded back-off (waiting on the daemon, not on a clock)."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    pause = threading.Event()
    step = 0.02
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        pause.wait(step)
        step = min(step * 2, 0.5)
    return False


# Each test replaces the session bus's Secret Service with its own daemon: under pytest-xdist
# they must run one after another, on one worker (make test uses --dist loadgroup).
ONE_SECRET_SERVICE = pytest.mark.xdist_group("secret-service")


@pytest.mark.keyring
@ONE_SECRET_SERVICE
def test_keyring_round_trip_in_secret_service(secret_service: None, tmp_path: Path) -> None:
    store = open_store("keyring", tmp_path)
    assert store.name == "keyring"
    store.set(IMMICH_API_KEY, SECRET)
    assert store.get(IMMICH_API_KEY) == SECRET
    store.delete(IMMICH_API_KEY)
    assert store.get(IMMICH_API_KEY) is None
    store.delete(IMMICH_API_KEY)  # deleting what is gone is fine


@pytest.mark.keyring
@ONE_SECRET_SERVICE
def test_auto_prefers_the_unlocked_keyring(secret_service: None, tmp_path: Path) -> None:
    assert open_store("auto", tmp_path).name == "keyring"
    (tmp_path / "secrets.enc").write_text("{}")  # an existing secrets file wins: cron set it up
    assert open_store("auto", tmp_path).name == "file"


class _CountingScrypt:
    """cryptography's Scrypt, counting derivations (it is a native class: wrapped, not patched)."""

    made = 0

    def __init__(self, **kwargs: Any) -> None:
        type(self).made += 1
        self._real = Scrypt(**kwargs)  # the real one, imported before the test swaps it

    def derive(self, data: bytes) -> bytes:
        return self._real.derive(data)


def test_prefetch_derives_the_key_once_on_a_thread_and_the_read_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives.kdf import scrypt

    from immich_gphotos.credentials import backends, file_store

    path = tmp_path / "secrets.enc"
    FileStore(path).set(IMMICH_API_KEY, SECRET)
    monkeypatch.setattr(file_store, "_derived", {})
    monkeypatch.setattr(scrypt, "Scrypt", _CountingScrypt)
    _CountingScrypt.made = 0
    backends.prefetch("auto", tmp_path)
    (pending,) = file_store._derived.values()
    pending.result(timeout=60)  # derived on its own thread
    assert FileStore(path).get(IMMICH_API_KEY) == SECRET
    assert FileStore(path).get(IMMICH_API_KEY) == SECRET  # a new store, the same process
    assert _CountingScrypt.made == 1
    backends.prefetch("keyring", tmp_path)  # the keyring backend never reads the file
    assert _CountingScrypt.made == 1


@pytest.mark.parametrize("problem", ["no passphrase", "wrong passphrase", "damaged"])
def test_prefetch_leaves_every_problem_to_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    from immich_gphotos.credentials import backends, file_store

    path = tmp_path / "secrets.enc"
    FileStore(path).set(IMMICH_API_KEY, SECRET)
    monkeypatch.setattr(file_store, "_derived", {})
    if problem == "no passphrase":
        monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE")
    elif problem == "wrong passphrase":
        monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE", "not the passphrase")
    else:
        path.write_text('{"format": "immich-gphotos-secrets", "kdf": {"n": "x"}}')
    backends.prefetch("auto", tmp_path)
    for pending in list(file_store._derived.values()):
        pending.result(timeout=60)
    with pytest.raises(SecretsUnavailable) as caught:
        FileStore(path).get(IMMICH_API_KEY)
    expected = {
        "no passphrase": "IMMICH_GPHOTOS_PASSPHRASE",
        "wrong passphrase": "Wrong passphrase",
    }
    assert expected.get(problem, "damaged") in str(caught.value)
    assert caught.value.exit_code == 4


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sync", "--quiet"], ("sync", None)),
        (["--config", "/c.toml", "sync"], ("sync", "/c.toml")),
        (["sync", "--config=/c.toml", "--album", "x"], ("sync", "/c.toml")),
        (["--debug", "status"], ("status", None)),
        ([], (None, None)),
        (["--", "sync"], (None, None)),
    ],
)
def test_the_early_start_reads_the_command_and_config_roughly(
    args: list[str], expected: tuple[str | None, str | None]
) -> None:
    from immich_gphotos.cli import early

    assert early.command_and_config(args) == expected


def _early_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A state dir with a secrets file, a config naming it, and no key derived yet."""
    from immich_gphotos.credentials import file_store

    state = tmp_path / "state"
    state.mkdir()
    FileStore(state / "secrets.enc").set(IMMICH_API_KEY, SECRET)
    config = tmp_path / "config.toml"
    config.write_text('[immich]\nurl = "http://127.0.0.1:9"\n[google]\nclient_secrets = "x"\n')
    monkeypatch.setenv("IMMICH_GPHOTOS_STATE_DIR", str(state))
    monkeypatch.setattr(file_store, "_derived", {})
    return state, config


def test_sync_starts_deriving_the_key_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from immich_gphotos.cli import early
    from immich_gphotos.credentials import file_store

    state, config = _early_home(tmp_path, monkeypatch)
    for other in (["status"], ["init"], ["sync", "--config", "/nowhere.toml"]):
        early.start([*other, "--config", str(config)] if "--config" not in other else other)
    assert file_store._derived == {}, "only a sync that will read these settings starts it"
    early.start(["--config", str(config), "sync", "--quiet"])
    (pending,) = file_store._derived.values()
    assert pending.result(timeout=60)


def test_a_passphrase_or_config_from_a_pipe_is_left_for_the_command_to_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe (``<(pass show ...)``) can be read once: the early start must not empty it."""
    from immich_gphotos.cli import early
    from immich_gphotos.credentials import file_store

    state, config = _early_home(tmp_path, monkeypatch)
    passphrase = os.environ["IMMICH_GPHOTOS_PASSPHRASE"]
    monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE")
    read_end, write_end = os.pipe()
    os.write(write_end, passphrase.encode() + b"\n")
    os.close(write_end)
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE_FILE", f"/dev/fd/{read_end}")
    try:
        early.start(["--config", str(config), "sync"])
        assert file_store._derived == {}, "the pipe was not read ahead"
        assert FileStore(state / "secrets.enc").get(IMMICH_API_KEY) == SECRET
    finally:
        os.close(read_end)
    config_pipe, writer = os.pipe()
    os.write(writer, config.read_bytes())
    os.close(writer)
    try:
        early.start(["--config", f"/dev/fd/{config_pipe}", "sync"])
        assert os.read(config_pipe, 1 << 16) == config.read_bytes(), "left whole for the command"
    finally:
        os.close(config_pipe)
