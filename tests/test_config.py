"""Config validation: every mistake is one sentence naming the file, the key or line, and the fix."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from immich_gphotos import config as config_mod
from immich_gphotos.errors import ConfigError
from tests.helpers import run_cli

VALID = """
[immich]
url = "https://photos.example.org/"

[google]
client_secrets = "/tmp/client.json"
daily_request_budget = 5000

[sync]
concurrency = 2
live_photos = "still+video"

[notify]
command = ["notify-send", "immich-gphotos"]

[[albums]]
immich_id = "a-uuid"
google_title = "Summer 2024"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    settings = config_mod.load(_write(tmp_path, VALID))
    assert settings.immich.url == "https://photos.example.org"
    assert settings.immich.verify_tls is True
    assert settings.google.daily_request_budget == 5000
    assert settings.google.api_url == "https://photoslibrary.googleapis.com"
    assert settings.sync.concurrency == 2 and settings.sync.videos is True
    assert settings.sync.live_photos == "still+video"
    assert settings.notify.command == ("notify-send", "immich-gphotos")
    assert settings.albums[0].google_title == "Summer 2024"
    assert settings.secrets_backend == "auto"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[immich]\nurl = "https://x.org"\nurl2 = 1\n', ["url2", "[immich]"]),
        (
            '[immich]\nurl = "https://x.org"\n[sync]\nconcurrency = "four"\n',
            ["[sync] concurrency", "whole number"],
        ),
        (
            '[immich]\nurl = "https://x.org"\n[sync]\nvideos = "yes"\n',
            ["[sync] videos", "true or false"],
        ),
        (
            '[immich]\nurl = "https://x.org"\n[secrets]\nbackend = "vault"\n',
            ["[secrets] backend", '"file"'],
        ),
        ('[immich]\nurl = "ftp://x.org"\n', ["[immich] url", "https://"]),
        ('[google]\napi_url = "https://x.org"\n', ["[immich] url is missing"]),
        ('[immich]\nurl = "https://x.org"\n[extra]\na = 1\n', ["[extra]"]),
        (
            '[immich]\nurl = "https://x.org"\n[google]\ndaily_request_budget = 0\n',
            ["daily_request_budget", "whole number"],
        ),
        ('[immich]\nurl = "https://x.org"\n[immich.verify_tls]\n', ["verify_tls"]),
        (
            '[immich]\nurl = "https://x.org"\nverify_tls = "/no/such/ca.pem"\n',
            ["verify_tls", "CA bundle"],
        ),
        ('[immich]\nurl = "https://x.org"\n[[albums]]\ngoogle_title = "x"\n', ["no immich_id"]),
        (
            '[immich]\nurl = "https://x.org"\n[[albums]]\nimmich_id = "a"\n[[albums]]\nimmich_id = "a"\n',
            ["listed twice"],
        ),
    ],
)
def test_invalid_values_name_the_key_and_the_fix(
    tmp_path: Path, text: str, names: list[str]
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        config_mod.load(path)
    message = str(caught.value)
    assert str(path) in message
    for name in names:
        assert name in message
    assert "init" in message or "edit the file" in message


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[immich]\nurl = "https://x.org"\nconcurrency = = 3\n')
    with pytest.raises(ConfigError) as caught:
        config_mod.load(path)
    assert "line 3" in str(caught.value)
    assert str(path) in str(caught.value)


def test_invalid_config_is_exit_3_without_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, '[immich]\nurl = "https://x.org"\n[sync]\nconcurency = 3\n')
    result = run_cli("--config", str(path), "status")
    assert result.returncode == 3
    assert "concurency" in result.stderr
    assert result.stderr.count("\n") == 1, "one sentence, one line"
    assert "Traceback" not in result.stderr


def test_save_is_0600_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    raw = {"immich": {"url": "https://x.org"}, "albums": [{"immich_id": "a", "google_title": "T"}]}
    config_mod.save_raw(path, raw)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config_mod.load_raw(path) == raw
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"], "no temp file left behind"


def test_save_refuses_invalid_values(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError):
        config_mod.save_raw(path, {"immich": {"url": "nope"}})
    assert not path.exists()


def test_locations_follow_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMMICH_GPHOTOS_CONFIG", str(tmp_path / "env.toml"))
    assert config_mod.config_path() == tmp_path / "env.toml"
    assert config_mod.config_path(tmp_path / "flag.toml") == tmp_path / "flag.toml"
    assert config_mod.state_dir("/srv/state") == Path("/srv/state")
    monkeypatch.setenv("IMMICH_GPHOTOS_STATE_DIR", str(tmp_path / "st"))
    assert config_mod.state_dir("/srv/state") == tmp_path / "st"


def test_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "config.toml"
    raw = config_mod.load_raw(example)
    raw["google"].pop("client_secrets", None)  # the example's path does not exist here
    raw["immich"].pop("verify_tls", None)
    settings = config_mod.validate(raw, example)
    assert settings.immich.url.startswith("https://")
