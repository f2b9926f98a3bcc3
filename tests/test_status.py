"""`status` after `init`, as a subprocess: the JSON shape, the text, and a stopped Immich."""

from __future__ import annotations

import json
import re

from tests.helpers import GOOD_KEY, run_cli
from tests.homes import albums_named, init_home, select_albums

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def test_status_json_shape(immich, config_path, state_dir, client_secrets) -> None:
    init_home(config_path, immich.url, client_secrets=client_secrets)
    result = run_cli("status", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in (
        "version",
        "config_file",
        "state_dir",
        "secrets_backend",
        "immich",
        "google",
        "albums",
        "runs",
    ):
        assert key in data
    assert set(data["immich"]) >= {"url", "reachable", "user", "server_version", "api_key_stored"}
    assert set(data["google"]) >= {
        "client_id",
        "token_stored",
        "requests_today",
        "daily_request_budget",
    }
    assert data["config_file"] == str(config_path)
    assert data["state_dir"] == str(state_dir)
    assert data["secrets_backend"].startswith("file")
    assert data["immich"]["reachable"] is True
    assert data["immich"]["user"] == "Alex Tester"
    assert data["immich"]["server_version"].startswith(f"v{immich.version}.")
    assert data["immich"]["api_key_stored"] is True
    assert data["google"]["client_id"] == "1234-test.apps.googleusercontent.com"
    assert data["google"]["token_stored"] is False
    assert data["google"]["requests_today"] == 0
    assert data["google"]["daily_request_budget"] == 9500
    assert data["albums"] == [] and data["runs"] == []
    assert GOOD_KEY not in result.stdout + result.stderr


def test_status_lists_selected_albums(immich, config_path) -> None:
    init_home(config_path, immich.url)
    select_albums(config_path, albums_named(immich.scenario.library, "Garden"))
    data = json.loads(run_cli("status", "--json").stdout)
    [album] = data["albums"]
    assert set(album) >= {
        "immich_id",
        "name",
        "google_title",
        "google_album_id",
        "in_sync",
        "pending",
        "failed",
        "skipped",
        "last_synced",
    }
    assert album["name"] == "Garden" and album["google_title"] == "Garden"
    assert album["pending"] == 5 and album["in_sync"] == 0
    assert album["google_album_id"] is None


def test_status_text_is_plain_and_secret_free(immich, config_path) -> None:
    init_home(config_path, immich.url)
    result = run_cli("status")
    assert result.returncode == 0, result.stderr
    assert "Alex Tester" in result.stdout and immich.url in result.stdout
    assert "requests today 0 of 9500" in result.stdout
    assert not CONTROL.search(result.stdout + result.stderr)
    assert GOOD_KEY not in result.stdout


def test_status_answers_when_immich_is_down(immich, config_path) -> None:
    init_home(config_path, immich.url)
    immich.stop()
    result = run_cli("status", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["immich"]["reachable"] is False
    assert data["immich"]["api_key_stored"] is True
