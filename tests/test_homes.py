"""The in-process setup (tests/homes.py) leaves a home as the real `init` and `albums add` do."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from immich_gphotos import config as config_mod
from immich_gphotos.credentials.file_store import FileStore
from tests.helpers import GOOD_KEY, run_cli, scenario_library
from tests.homes import CHEAP_SCRYPT_N, albums_named, init_home, select_albums
from tests.standins.immich import ImmichStandIn

SELECTED = ("Holidays", "Garden")


def _home(root: Path) -> dict[str, str]:
    return {
        "HOME": str(root),
        "XDG_CONFIG_HOME": str(root / ".config"),
        "XDG_STATE_HOME": str(root / ".local" / "state"),
        "XDG_DATA_HOME": str(root / ".local" / "share"),
    }


def _what_is_saved(root: Path) -> tuple[dict, list, dict]:  # type: ignore[type-arg]
    config = config_mod.load_raw(root / ".config" / "immich-gphotos" / "config.toml")
    kept = Path(config["google"]["client_secrets"])  # init's copy, inside each home
    config["google"]["client_secrets"] = str(kept.relative_to(root))
    config["google"]["client_copy"] = (kept.read_bytes(), kept.stat().st_mode)
    state_dir = root / ".local" / "state" / "immich-gphotos"
    with sqlite3.connect(state_dir / "state.sqlite3") as db:
        albums = sorted(db.execute("SELECT * FROM albums").fetchall())
    envelope = json.loads((state_dir / "secrets.enc").read_text())
    secrets = FileStore(state_dir / "secrets.enc")._load()
    return config, albums, {"secrets": secrets, "format": envelope["format"]}


def test_in_process_setup_matches_init_and_albums_add(
    google, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = scenario_library(big=False)
    with ImmichStandIn(scenario.library, version=3) as immich:  # nothing here depends on it
        real, fake = tmp_path / "real", tmp_path / "fake"
        env = os.environ | _home(real) | {"IMMICH_API_KEY": GOOD_KEY}
        init = run_cli(
            "init",
            "--immich-url",
            immich.url,
            "--client-secrets",
            str(google.secrets_path),
            env=env,
        )
        assert init.returncode == 0, init.stderr
        added = run_cli("albums", "add", *SELECTED, env=env)
        assert added.returncode == 0, added.stderr

        for name, value in _home(fake).items():
            monkeypatch.setenv(name, value)
        config_path = config_mod.config_path()
        init_home(config_path, immich.url, client_secrets=google.secrets_path)
        select_albums(config_path, albums_named(scenario.library, *SELECTED))

    assert _what_is_saved(fake) == _what_is_saved(real)
    cost = json.loads((fake / ".local/state/immich-gphotos/secrets.enc").read_text())["kdf"]["n"]
    assert cost == CHEAP_SCRYPT_N, "only the cost differs, and a child reads it from the file"
