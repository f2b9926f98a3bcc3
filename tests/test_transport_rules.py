"""Where secrets travel: warnings for a plain-http or unverified Immich, https-only OAuth endpoints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from immich_gphotos.config import GoogleSettings, ImmichSettings, Settings
from immich_gphotos.errors import ConfigError
from immich_gphotos.gphotos.client_secrets import load_client_secrets
from immich_gphotos.security import transport_warnings
from tests.helpers import GOOD_KEY, run_cli, set_config


def _settings(url: str, verify: bool | str = True) -> Settings:
    return Settings(path=Path("/cfg.toml"), immich=ImmichSettings(url=url, verify_tls=verify))


@pytest.mark.parametrize(
    ("url", "verify", "expected"),
    [
        ("https://photos.example.org", True, []),
        ("http://127.0.0.1:2283", True, []),
        ("http://localhost:2283", True, []),
        ("http://[::1]:2283", True, []),
        ("http://photos.example.org", True, ["plain http"]),
        ("http://192.168.1.10:2283", True, ["plain http"]),
        ("https://photos.example.org", False, ["verify_tls = false"]),
        ("http://nas.lan", False, ["plain http", "verify_tls = false"]),
    ],
)
def test_transport_warnings(url: str, verify: bool, expected: list[str]) -> None:
    warnings = transport_warnings(_settings(url, verify))
    assert len(warnings) == len(expected)
    for warning, words in zip(warnings, expected, strict=True):
        assert words in warning


def test_unverified_tls_is_warned_at_init_status_and_once_per_sync(world3) -> None:  # type: ignore[no-untyped-def]
    set_config(world3.config, "immich", "verify_tls", False)
    init = run_cli(
        "init", "--immich-url", world3.immich.url, env=os.environ | {"IMMICH_API_KEY": GOOD_KEY}
    )
    assert init.returncode == 0, init.stderr
    assert "verify_tls = false" in init.stderr
    status = run_cli("status", "--json")
    assert "verify_tls = false" in status.stderr
    json.loads(status.stdout)  # stdout stays one JSON value
    sync = world3.sync()
    assert sync.returncode == 0, sync.stderr
    assert sync.stderr.count("verify_tls = false") == 1
    log = (world3.state_dir / "immich-gphotos.log").read_text()
    assert log.count("verify_tls = false") == 1
    quiet = world3.sync("--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def _client_json(tmp_path: Path, name: str = "client.json", **uris: str) -> Path:
    installed = {
        "client_id": "1234-test.apps.googleusercontent.com",
        "client_secret": "test-client-secret",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "revoke_uri": "https://oauth2.googleapis.com/revoke",
    } | uris
    path = tmp_path / name
    path.write_text(json.dumps({"installed": installed}))
    return path


@pytest.mark.parametrize("field", ["auth_uri", "token_uri", "revoke_uri"])
def test_oauth_endpoints_must_be_https(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    assert load_client_secrets(_client_json(tmp_path)).token_uri.startswith("https://")
    plain = _client_json(tmp_path, "plain.json", **{field: "http://oauth.example.org/x"})
    with pytest.raises(ConfigError, match=field) as caught:
        load_client_secrets(plain)
    assert caught.value.exit_code == 3
    local = _client_json(tmp_path, "local.json", **{field: "http://127.0.0.1:9/x"})
    with pytest.raises(ConfigError, match=field):
        load_client_secrets(local)  # loopback too, unless the stand-ins' switch is set
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    assert load_client_secrets(local)
    with pytest.raises(ConfigError, match=field):
        load_client_secrets(plain)  # the switch never opens a non-loopback host


def test_init_refuses_a_client_json_with_an_http_token_uri(
    immich, config_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    client = _client_json(tmp_path, token_uri="http://oauth.example.org/token")
    result = run_cli(
        "init",
        "--immich-url",
        immich.url,
        "--client-secrets",
        str(client),
        env=os.environ | {"IMMICH_API_KEY": GOOD_KEY},
    )
    assert result.returncode == 3 and "token_uri" in result.stderr
    assert not config_path.exists()


def test_files_others_can_read_are_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from immich_gphotos.security import file_warnings, security_warnings

    config = tmp_path / "config.toml"
    client = _client_json(tmp_path)
    passphrase = tmp_path / "passphrase"
    for path in (config, passphrase):
        path.write_text("x")
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE_FILE", str(passphrase))
    settings = Settings(
        path=config,
        immich=ImmichSettings(url="https://photos.example.org"),
        google=GoogleSettings(client_secrets=str(client)),
    )
    for path in (config, client, passphrase):
        path.chmod(0o600)
    assert file_warnings(settings) == [] and security_warnings(settings) == []
    for path in (config, client, passphrase):
        path.chmod(0o644)
    warnings = file_warnings(settings)
    assert len(warnings) == 3
    for warning, path in zip(warnings, (config, client, passphrase), strict=True):
        assert str(path) in warning and f"chmod 600 {path}" in warning
    passphrase.chmod(0o640)  # group-readable is others too
    assert len(file_warnings(settings)) == 3


def test_status_warns_about_a_readable_client_file(configured, config_path) -> None:  # type: ignore[no-untyped-def]
    (config_path.parent / "client_secret.json").chmod(0o644)  # init's copy of the client JSON
    status = run_cli("status")
    assert "can be read by other users" in status.stderr and "chmod 600" in status.stderr


def test_a_plain_http_client_never_sends_anything_but_plain_http() -> None:
    """No CA bundle is loaded for a plain-http remote; so it must never be asked for https."""
    from immich_gphotos.transport import make_client

    calls: list[object] = []
    http = make_client("http://127.0.0.1:9/api", event_hooks={"request": [calls.append]})
    with http, pytest.raises(ValueError, match="plain http"):
        http.get("https://127.0.0.1:9/elsewhere")
    assert calls == [], "refused before anything else saw the request"


def test_one_tls_context_per_setting_and_a_renewed_ca_bundle_is_read_again(
    tmp_path: Path,
) -> None:
    """Both clients of a run share one context (reading the CA bundle costs tens of ms); under
    `sync --every` a homelab CA renewed in place is trusted by the next run's client."""
    from immich_gphotos.immich.client import ImmichClient
    from immich_gphotos.transport import tls_context
    from tests.helpers import scenario_library, self_signed_cert
    from tests.standins.immich import ImmichStandIn

    assert tls_context(True) is tls_context(True)
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old_cert, _ = self_signed_cert(tmp_path / "old")
    new_cert, new_key = self_signed_cert(tmp_path / "new")
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(old_cert.read_bytes())
    first = tls_context(str(bundle))
    assert tls_context(str(bundle)) is first
    library = scenario_library(big=False).library
    with ImmichStandIn(library, version=3, tls=(str(new_cert), str(new_key))) as server:
        bundle.write_bytes(new_cert.read_bytes())  # renewed in place
        later = os.stat(bundle).st_mtime + 5
        os.utime(bundle, (later, later))
        assert tls_context(str(bundle)) is not first
        with ImmichClient(server.url, GOOD_KEY, verify=str(bundle)) as client:
            assert client.server_version().major == 3
