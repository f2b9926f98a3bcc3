"""Outcomes that need a human: a selected album Immich no longer has; a state dir that cannot be
written. Each is its own exit code and a message that names the fix."""

from __future__ import annotations

import json

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
