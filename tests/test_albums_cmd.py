"""`albums` as a subprocess against the stand-in Immich, v2 and v3."""

from __future__ import annotations

import json
import os
import re
import tomllib

import pytest

from tests.helpers import NO_ALBUM_KEY, run_cli
from tests.homes import albums_named, init_home, select_albums
from tests.inprocess import run_in_process

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@pytest.fixture
def ready(immich, config_path):
    init_home(config_path, immich.url)  # as `init` leaves it (tests/homes.py)
    return immich


def _selected(config_path) -> list[dict]:
    return tomllib.loads(config_path.read_text()).get("albums", [])


def _id(immich, name: str) -> str:
    return next(a.id for a in immich.scenario.library.albums.values() if a.name == name)


def test_table_lists_owned_and_shared_albums(ready) -> None:
    result = run_cli("albums", env=os.environ | {"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    for name in ("Holidays", "Holidays 2023", "Garden", "Mixed Bag"):
        assert name in result.stdout
    assert "shared by Sam Friend" in result.stdout
    assert "Friend Private" not in result.stdout
    assert not CONTROL.search(result.stdout), "plain output when not on a terminal"
    # on a pipe: one line per album, the name first, so `albums | grep Garden` finds it whole
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and "┃" not in result.stdout
    garden = next(line for line in lines if line.startswith("Garden\t"))
    assert garden.split("\t")[1:3] == ["5", "-"]
    assert _id(ready, "Garden") in garden


def test_json_is_one_array(ready) -> None:
    result = run_cli("albums", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"Holidays", "Holidays 2023", "Garden", "Mixed Bag"}
    assert by_name["Garden"]["asset_count"] == 5 and by_name["Garden"]["owned"] is False
    assert by_name["Holidays"]["selected"] is False
    for row in rows:
        assert set(row) >= {
            "id",
            "name",
            "asset_count",
            "last_change",
            "selected",
            "google_title",
            "last_synced",
        }


def test_add_and_remove(ready, config_path) -> None:
    immich = ready
    added = run_cli("albums", "add", "garden", "Mixed")  # case-insensitive prefix matching
    assert added.returncode == 0, added.stderr
    assert [a["immich_id"] for a in _selected(config_path)] == [
        _id(immich, "Garden"),
        _id(immich, "Mixed Bag"),
    ]
    assert _selected(config_path)[0]["google_title"] == "Garden"

    again = run_cli("albums", "add", "Garden")
    assert again.returncode == 0
    assert "already selected" in again.stdout
    assert len(_selected(config_path)) == 2

    rows = {r["name"]: r for r in json.loads(run_cli("albums", "--json").stdout)}
    assert rows["Garden"]["selected"] is True and rows["Holidays"]["selected"] is False

    removed = run_cli("albums", "remove", "Garden")
    assert removed.returncode == 0, removed.stderr
    assert "left as it is" in removed.stdout
    assert [a["immich_id"] for a in _selected(config_path)] == [_id(immich, "Mixed Bag")]


def test_add_with_title_and_by_id(ready, config_path) -> None:
    album_id = _id(ready, "Holidays 2023")
    result = run_cli("albums", "add", album_id, "--as", "Trip to Lisbon")
    assert result.returncode == 0, result.stderr
    assert _selected(config_path) == [{"immich_id": album_id, "google_title": "Trip to Lisbon"}]
    rows = {r["name"]: r for r in json.loads(run_cli("albums", "--json").stdout)}
    assert rows["Holidays 2023"]["google_title"] == "Trip to Lisbon"


def test_exact_name_wins_over_prefix(ready, config_path) -> None:
    assert run_cli("albums", "add", "Holidays").returncode == 0
    assert _selected(config_path)[0]["immich_id"] == _id(ready, "Holidays")


def test_ambiguous_name_lists_candidates(ready, config_path) -> None:
    result = run_cli("albums", "add", "hol")
    assert result.returncode == 2
    assert "ambiguous" in result.stderr
    assert '"Holidays"' in result.stderr and '"Holidays 2023"' in result.stderr
    assert _selected(config_path) == []


def test_unknown_name_lists_albums(ready, config_path) -> None:
    result = run_cli("albums", "add", "Garden", "Nope")
    assert result.returncode == 2
    assert 'No album matches "Nope"' in result.stderr and '"Mixed Bag"' in result.stderr
    assert _selected(config_path) == [], "all or nothing"


def test_remove_unknown_is_usage_error(ready, config_path) -> None:
    select_albums(config_path, albums_named(ready.scenario.library, "Garden"))
    result = run_cli("albums", "remove", "Holidays")
    assert result.returncode == 2
    assert '"Garden"' in result.stderr


def test_bad_key_exits_4(ready) -> None:
    result = run_cli("albums", env=os.environ | {"IMMICH_API_KEY": "revoked"})
    assert result.returncode == 4
    assert "rejected the API key" in result.stderr and "immich-gphotos init" in result.stderr


def test_scoped_key_lacking_permission_exits_4(ready) -> None:
    result = run_cli("albums", env=os.environ | {"IMMICH_API_KEY": NO_ALBUM_KEY})
    assert result.returncode == 4
    assert "album.read" in result.stderr


def test_stopped_server_exits_7(ready) -> None:
    ready.stop()
    result = run_cli("albums")
    assert result.returncode == 7
    assert ready.url in result.stderr
    assert "Traceback" not in result.stderr


def test_lowercase_exact_name_wins_over_a_longer_name(ready, config_path) -> None:
    result = run_in_process("albums", "add", "holidays")
    assert result.returncode == 0, result.stderr
    assert [a["immich_id"] for a in _selected(config_path)] == [_id(ready, "Holidays")]


def test_unquoted_name_with_spaces_suggests_quotes(ready, config_path) -> None:
    result = run_in_process("albums", "add", "Holidays", "2023")
    assert result.returncode == 2
    assert 'No album matches "2023"' in result.stderr
    assert 'write "Holidays 2023"' in result.stderr
    assert _selected(config_path) == [], "all or nothing"


def test_sync_of_an_album_not_selected_says_add_it_first(world3) -> None:  # type: ignore[no-untyped-def]
    result = world3.sync("--album", "Holidays 2023")
    assert result.returncode == 2
    assert '"Holidays 2023" is not selected' in result.stderr
    assert 'albums add "Holidays 2023"' in result.stderr
    assert "No album matches" not in result.stderr
