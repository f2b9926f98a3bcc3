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
    assert result.returncode == 7, result.stderr  # shown in full, and the exit code says it
    data = json.loads(result.stdout)
    assert data["immich"]["reachable"] is False
    assert data["immich"]["api_key_stored"] is True
    assert data["exit_code"] == 7
    assert "status --offline" in result.stderr

    text = run_cli("status")
    assert text.returncode == 7
    assert "not reachable" in text.stdout and "Runs:" in text.stdout

    offline = run_cli("status", "--offline")
    assert offline.returncode == 0, offline.stderr
    assert "Albums:" in offline.stdout


def test_after_a_sync_status_and_albums_show_the_google_link(world3) -> None:  # type: ignore[no-untyped-def]
    from tests.inprocess import run_in_process

    assert world3.sync().returncode == 0
    link = f"https://photos.google.com/lr/album/{world3.google_album('Garden').id}"
    text = run_in_process("status")
    assert text.returncode == 0, text.stderr
    assert (
        link
        in text.stdout.splitlines()[
            text.stdout.splitlines().index(
                next(line for line in text.stdout.splitlines() if line.startswith("  Garden ->"))
            )
            + 1
        ]
    )
    run_line = next(line for line in text.stdout.splitlines() if "  exit 0  " in line)
    assert re.search(r", [\d.]+ (B|kB|MB|GB), ", run_line), run_line  # human, not raw bytes
    assert " bytes," not in text.stdout

    rows = {r["name"]: r for r in json.loads(run_in_process("albums", "--json").stdout)}
    assert rows["Garden"]["google_url"] == link
    assert rows["Holidays 2023"]["google_url"] is None  # not selected
    piped = run_in_process("albums").stdout.splitlines()
    assert next(line for line in piped if line.startswith("Garden\t")).endswith("\t" + link)


def test_a_budget_above_googles_quota_is_accepted_with_a_warning(immich, config_path) -> None:
    from tests.helpers import set_config

    init_home(config_path, immich.url)
    set_config(config_path, "google", "daily_request_budget", 50_000)
    result = run_cli("status")
    assert result.returncode == 0, result.stderr
    assert "requests today 0 of 50000" in result.stdout, "allowed (partner projects)"
    assert "daily_request_budget = 50,000" in result.stderr and "10,000" in result.stderr

    set_config(config_path, "google", "daily_request_budget", 9500)
    assert "daily_request_budget" not in run_cli("status").stderr
