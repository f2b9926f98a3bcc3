"""The engine in-process (run_sync), for what a subprocess cannot reach: Google's 20,000-item limit."""

from __future__ import annotations

import pytest

from immich_gphotos import config as config_mod
from immich_gphotos.commands.sync import run_sync
from immich_gphotos.commands.wiring import run_options
from immich_gphotos.gphotos import limits
from immich_gphotos.sync.events import NullReporter
from tests.helpers import run_cli, set_config
from tests.world import World


def test_a_full_album_continues_in_title_2(world3: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "ALBUM_LIMIT", 4)  # Google's 20,000, made small
    world3.google.album_limit = 4
    settings = config_mod.load(world3.config)
    report = run_sync(settings, run_options(settings, albums=["Holidays"]), NullReporter()).report
    assert report is not None and report.exit_code == 0
    first, second = (
        world3.google.album_by_title("Holidays"),
        world3.google.album_by_title("Holidays (2)"),
    )
    assert first is not None and second is not None
    placed = [
        m.sha1 for m in world3.google.album_files(first.id) + world3.google.album_files(second.id)
    ]
    assert len(world3.google.album_files(first.id)) == 4
    assert placed == [a.content.sha1_base64 for a in world3.eligible("Holidays")]


def test_a_different_oauth_client_is_refused(world3: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert world3.sync().returncode == 0
    other = tmp_path / "other.json"
    world3.google.client_id = "another-client.apps.googleusercontent.com"
    world3.google.client_secrets(other)
    set_config(world3.config, "google", "client_secrets", str(other))
    result = run_cli("sync")
    assert result.returncode == 3
    assert "auth --new-client" in result.stderr
