"""The examples parse: the config through the tool's validator, the units, the crontab line."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from immich_gphotos import config as config_mod

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_config_example_sets_every_key_and_validates() -> None:
    raw = config_mod.load_raw(EXAMPLES / "config.toml")
    for section, keys in config_mod.SCHEMA.items():
        assert set(raw[section]) == set(keys), f"[{section}] lists every key"
    raw["immich"].pop("verify_tls")  # names a CA bundle that does not exist here
    settings = config_mod.validate(raw, EXAMPLES / "config.toml")
    assert settings.albums and settings.notify.command


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(EXAMPLES / "systemd" / name)
    return parser


def test_systemd_units_have_what_they_need() -> None:
    service = _unit("immich-gphotos.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["LoadCredential"].startswith("passphrase:")
    assert service["Service"]["Environment"] == "IMMICH_GPHOTOS_PASSPHRASE_FILE=%d/passphrase"
    assert "immich-gphotos sync" in service["Service"]["ExecStart"]
    timer = _unit("immich-gphotos.timer")
    assert timer["Timer"]["RandomizedDelaySec"] and timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"
)
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    for name in ("immich-gphotos.service", "immich-gphotos.timer"):
        shutil.copy(EXAMPLES / "systemd" / name, tmp_path / name)
    result = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(tmp_path / "immich-gphotos.timer")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in result.stderr.splitlines()
        if "immich-gphotos" in line and "ExecStart" not in line
    ]
    assert not problems, result.stderr


def test_crontab_line() -> None:
    lines = [
        line
        for line in (EXAMPLES / "crontab").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(lines) == 1
    fields = lines[0].split()
    minute, hour, dom, month, dow = fields[:5]
    assert minute.isdigit() and hour == dom == month == dow == "*"
    assert "IMMICH_GPHOTOS_PASSPHRASE_FILE=" in lines[0] and lines[0].endswith("sync --quiet")


def test_compose_example_and_dockerfile_agree() -> None:
    """The compose service and the image: secrets where the variables say, the volumes the image
    declares, Immich by its compose name, and the image's command, health check and user."""
    compose = (EXAMPLES / "docker-compose.yml").read_text()
    dockerfile = (EXAMPLES.parent / "Dockerfile").read_text()
    assert "http://immich-server:2283" in compose
    assert "IMMICH_API_KEY_FILE: /run/secrets/immich_api_key" in compose
    assert "IMMICH_GPHOTOS_PASSPHRASE_FILE: /run/secrets/immich_gphotos_passphrase" in compose
    assert "      - immich_api_key\n      - immich_gphotos_passphrase\n" in compose
    assert ":/config" in compose and "immich-gphotos-state:/state" in compose
    assert dockerfile.startswith("#") and "ARG BASE=debian:bookworm-slim" in dockerfile
    assert 'VOLUME ["/config", "/state"]' in dockerfile
    assert 'ENTRYPOINT ["immich-gphotos"]' in dockerfile
    assert 'CMD ["sync", "--every", "1h"]' in dockerfile
    assert 'CMD ["immich-gphotos", "health"]' in dockerfile
    assert "USER immich-gphotos" in dockerfile and "IMMICH_GPHOTOS_STATE_DIR=/state" in dockerfile
