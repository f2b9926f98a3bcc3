"""Secrets: the encrypted file backend, backend choice, and the real Secret Service where present."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from immich_gphotos.credentials.base import IMMICH_API_KEY, open_store
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


def test_file_wrong_passphrase_is_clear_and_harmless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_file_missing_passphrase_names_both_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_auto_falls_back_to_file_without_a_keyring(tmp_path: Path) -> None:
    store = open_store("auto", tmp_path)
    assert store.name == "file"


def test_keyring_backend_refuses_clearly_without_a_keyring(tmp_path: Path) -> None:
    with pytest.raises(SecretsUnavailable) as caught:
        open_store("keyring", tmp_path)
    message = str(caught.value)
    assert "keyring" in message and 'backend = "file"' in message and "IMMICH_GPHOTOS_PASSPHRASE" in message


def test_auto_without_keyring_or_passphrase_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE")
    store = open_store("auto", tmp_path)
    with pytest.raises(SecretsUnavailable, match="no OS keyring is usable"):
        store.set(IMMICH_API_KEY, SECRET)


# --- the real Secret Service (gnome-keyring on a private D-Bus session) ------------------------


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An unlocked gnome-keyring on the session bus that `dbus-run-session` (make test) provides."""
    daemon = shutil.which("gnome-keyring-daemon")
    if not daemon or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip("needs gnome-keyring-daemon and a D-Bus session (run `make test`, which uses dbus-run-session)")
    data = tmp_path / "keyring-data"
    data.mkdir()
    env = os.environ | {"XDG_DATA_HOME": str(data), "HOME": str(tmp_path)}
    started = subprocess.run(
        [daemon, "--replace", "--unlock", "--components=secrets"],
        input=b"test-keyring-password", env=env, capture_output=True, timeout=30,
    )
    if started.returncode != 0:
        pytest.skip(f"gnome-keyring-daemon did not start: {started.stderr.decode()[:200]}")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    import keyring
    import keyring.core

    keyring.core._keyring_backend = None  # forget the fail backend chosen under the test env
    keyring.set_keyring(keyring.core.load_keyring("keyring.backends.SecretService.Keyring"))
    yield
    keyring.core._keyring_backend = None
    subprocess.run(["pkill", "-f", "gnome-keyring-daemon --replace"], check=False)


@pytest.mark.keyring
def test_keyring_round_trip_in_secret_service(secret_service: None, tmp_path: Path) -> None:
    store = open_store("keyring", tmp_path)
    assert store.name == "keyring"
    store.set(IMMICH_API_KEY, SECRET)
    assert store.get(IMMICH_API_KEY) == SECRET
    store.delete(IMMICH_API_KEY)
    assert store.get(IMMICH_API_KEY) is None
    store.delete(IMMICH_API_KEY)  # deleting what is gone is fine


@pytest.mark.keyring
def test_auto_prefers_the_unlocked_keyring(secret_service: None, tmp_path: Path) -> None:
    assert open_store("auto", tmp_path).name == "keyring"
    (tmp_path / "secrets.enc").write_text("{}")  # an existing secrets file wins: cron set it up
    assert open_store("auto", tmp_path).name == "file"
