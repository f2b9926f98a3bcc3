"""`init` as a subprocess against the stand-in Immich (v2 and v3)."""

from __future__ import annotations

import os
import socket
import stat
import tomllib
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.helpers import GOOD_KEY, NO_DOWNLOAD_KEY, run_cli, scenario_library, self_signed_cert
from tests.standins.immich import ImmichStandIn


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _init(url: str, *extra: str, key: str | None = GOOD_KEY):
    env = os.environ.copy()
    if key is not None:
        env["IMMICH_API_KEY"] = key
    return run_cli("init", "--immich-url", url, *extra, env=env)


def test_init_non_interactive_saves_config_and_key(
    immich, config_path, state_dir, client_secrets
) -> None:
    result = _init(immich.url, "--client-secrets", str(client_secrets))
    assert result.returncode == 0, result.stderr
    assert "Alex Tester" in result.stdout
    assert f"v{immich.version}." in result.stdout

    assert _mode(config_path) == 0o600
    text = config_path.read_text()
    assert GOOD_KEY not in text, "the API key must not be in the config"
    saved = tomllib.loads(text)
    assert saved["immich"]["url"] == immich.url
    # a copy in the config folder, so tidying Downloads cannot strand the setup
    copy = config_path.parent / "client_secret.json"
    assert saved["google"]["client_secrets"] == str(copy)
    assert copy.read_bytes() == client_secrets.read_bytes() and _mode(copy) == 0o600

    secrets_file = state_dir / "secrets.enc"
    assert secrets_file.exists() and _mode(secrets_file) == 0o600
    assert GOOD_KEY.encode() not in secrets_file.read_bytes()
    from immich_gphotos.credentials.file_store import FileStore

    assert FileStore(secrets_file).get("immich-api-key") == GOOD_KEY


def test_init_reads_key_from_stdin(immich, config_path, state_dir) -> None:
    env = os.environ.copy()
    result = run_cli(
        "init",
        "--immich-url",
        immich.url + "/api/",
        "--api-key-stdin",
        env=env,
        input=GOOD_KEY + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert tomllib.loads(config_path.read_text())["immich"]["url"] == immich.url  # normalised


def _nothing_saved(config_path: Path, state_dir: Path) -> None:
    assert not config_path.exists()
    assert not (state_dir / "secrets.enc").exists()


def test_wrong_key_exits_4_and_saves_nothing(immich, config_path, state_dir) -> None:
    result = _init(immich.url, key="not-a-real-key")
    assert result.returncode == 4, result.stderr
    assert "rejected the API key" in result.stderr
    assert "not-a-real-key" not in result.stderr + result.stdout
    _nothing_saved(config_path, state_dir)


def test_wrong_url_exits_7_and_saves_nothing(immich, config_path, state_dir) -> None:
    result = _init(immich.url + "/not-immich")
    assert result.returncode == 7, result.stderr
    assert "check --immich-url" in result.stderr, "init names the flag the user typed"
    assert "[immich]" not in result.stderr
    _nothing_saved(config_path, state_dir)


def test_unreachable_server_exits_7_and_saves_nothing(config_path, state_dir) -> None:
    with socket.socket() as s:  # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _init(f"http://127.0.0.1:{port}")
    assert result.returncode == 7, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and "refused" in result.stderr
    assert "Traceback" not in result.stderr
    _nothing_saved(config_path, state_dir)


def test_missing_key_when_not_on_a_terminal_is_clear(immich, config_path, state_dir) -> None:
    result = _init(immich.url, key=None)
    assert result.returncode == 4
    assert "--api-key-stdin" in result.stderr and "IMMICH_API_KEY" in result.stderr
    _nothing_saved(config_path, state_dir)


def test_missing_url_is_a_usage_error(config_path) -> None:
    result = run_cli("init")
    assert result.returncode == 2
    assert "--immich-url" in result.stderr


def test_web_client_secrets_are_refused(immich, config_path, state_dir, tmp_path) -> None:
    web = tmp_path / "web.json"
    web.write_text(
        '{"web": {"client_id": "x", "client_secret": "y", "auth_uri": "a", "token_uri": "t"}}'
    )
    result = _init(immich.url, "--client-secrets", str(web))
    assert result.returncode == 3
    assert "Web application" in result.stderr and "Desktop app" in result.stderr
    _nothing_saved(config_path, state_dir)


def test_init_again_keeps_the_stored_key(immich, config_path, state_dir, client_secrets) -> None:
    assert _init(immich.url).returncode == 0
    again = _init(immich.url, "--client-secrets", str(client_secrets), key=None)
    assert again.returncode == 0, again.stderr
    assert "client_secrets" in config_path.read_text()


def test_server_older_than_v2_is_refused(config_path, state_dir) -> None:
    scenario = scenario_library(big=False)
    with ImmichStandIn(scenario.library, version=3) as server:
        server.version_override = {"major": 1, "minor": 137, "patch": 3}  # type: ignore[attr-defined]
        result = _init(server.url)
    assert result.returncode == 3, result.stderr
    assert "v1.137.3" in result.stderr and "v2" in result.stderr
    _nothing_saved(config_path, state_dir)


def test_self_signed_immich_needs_its_ca_bundle(tmp_path, config_path, state_dir) -> None:
    cert, key = self_signed_cert(tmp_path)
    scenario = scenario_library(big=False)
    with ImmichStandIn(scenario.library, version=3, tls=(str(cert), str(key))) as server:
        refused = _init(server.url)
        assert refused.returncode == 7
        assert "TLS certificate is not trusted" in refused.stderr
        assert "--ca-bundle FILE" in refused.stderr and "verify_tls" not in refused.stderr
        _nothing_saved(config_path, state_dir)

        accepted = _init(server.url, "--ca-bundle", str(cert))
        assert accepted.returncode == 0, accepted.stderr
    assert tomllib.loads(config_path.read_text())["immich"]["verify_tls"] == str(cert.resolve())


def test_wrong_passphrase_never_overwrites_the_secrets(immich, config_path, state_dir) -> None:
    assert _init(immich.url).returncode == 0
    before = (state_dir / "secrets.enc").read_bytes()
    env = os.environ | {
        "IMMICH_GPHOTOS_PASSPHRASE": PASSPHRASE + "-wrong",
        "IMMICH_API_KEY": GOOD_KEY,
    }
    result = run_cli("init", "--immich-url", immich.url, env=env)
    assert result.returncode == 4
    assert "Wrong passphrase" in result.stderr and "IMMICH_GPHOTOS_PASSPHRASE" in result.stderr
    assert (state_dir / "secrets.enc").read_bytes() == before


@pytest.mark.parametrize("bad", ["abc\r\nX-Injected: yes", "ключ-1234"])
def test_a_key_a_header_cannot_carry_is_refused_unechoed(
    immich, config_path, state_dir, bad: str
) -> None:
    result = run_cli(
        "init", "--immich-url", immich.url, env=os.environ | {"IMMICH_API_KEY": "x" + bad}
    )
    assert result.returncode == 4, result.stderr
    assert "copy the key again" in result.stderr
    for part in ("X-Injected", "ключ", "Illegal header"):
        assert part not in result.stderr + result.stdout
    assert not config_path.exists()


def test_a_broken_key_at_sync_is_exit_4_not_unreachable(world3) -> None:  # type: ignore[no-untyped-def]
    result = world3.sync(env=os.environ | {"IMMICH_API_KEY": "good\r\nX-Injected: yes"})
    assert result.returncode == 4, result.stderr
    assert "X-Injected" not in result.stderr + result.stdout
    assert "IMMICH_API_KEY" in result.stderr


def test_an_h11_protocol_error_text_is_never_shown() -> None:
    import httpx

    from immich_gphotos.transport import describe_transport_error

    text = describe_transport_error(httpx.LocalProtocolError("Illegal header value b'sk-secret'"))
    assert "sk-secret" not in text and "header" in text


def test_a_key_lacking_a_permission_the_sync_needs_is_refused_at_init(
    immich, config_path, state_dir
) -> None:
    """It used to pass init ("Connected ... as Alex") and fail at the first sync."""
    result = _init(immich.url, key=NO_DOWNLOAD_KEY)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "lacks the permission asset.download" in result.stderr
    assert "Connected" not in result.stdout
    _nothing_saved(config_path, state_dir)


def test_sync_checks_the_key_before_creating_anything_in_google(world3) -> None:  # type: ignore[no-untyped-def]
    import os

    result = world3.sync(env=os.environ | {"IMMICH_API_KEY": NO_DOWNLOAD_KEY})
    assert result.returncode == 4, result.stderr
    assert "asset.download" in result.stderr
    assert world3.google.albums == {}, "no Google album was created"


def test_https_to_a_plain_http_server_says_so_not_untrusted_tls(
    immich, config_path, state_dir
) -> None:
    result = _init(immich.url.replace("http://", "https://"))
    assert result.returncode == 7, result.stderr
    assert "answers plain http there, not https" in result.stderr
    assert "use http:// in --immich-url" in result.stderr
    assert "certificate" not in result.stderr and "verify_tls" not in result.stderr
    _nothing_saved(config_path, state_dir)


def test_after_init_errors_name_the_config_keys(world3) -> None:  # type: ignore[no-untyped-def]
    """Outside init the user's words are the config file's, so the keys are named there."""
    from tests.helpers import set_config

    set_config(world3.config, "immich", "url", world3.immich.url.replace("http://", "https://"))
    result = world3.sync()
    assert result.returncode == 7
    assert "use http:// in [immich] url" in result.stderr


def test_the_client_json_is_copied_and_a_missing_copy_is_restored_not_replaced(
    immich, config_path, state_dir, client_secrets
) -> None:
    assert _init(immich.url, "--client-secrets", str(client_secrets)).returncode == 0
    client_secrets.unlink()  # the user tidies their Downloads folder
    status = run_cli("status", "--json")
    assert '"client_id": "1234-test.apps.googleusercontent.com"' in status.stdout

    (config_path.parent / "client_secret.json").unlink()
    result = run_cli("auth", "--status")
    assert result.returncode == 3
    assert "restore it" in result.stderr
    assert "init --client-secrets FILE` with the same client" in result.stderr
    assert "create an OAuth client" not in result.stderr and "new" not in result.stderr


def _headless(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No keyring (the tests' default) and no passphrase: a fresh headless server."""
    monkeypatch.delenv("IMMICH_GPHOTOS_PASSPHRASE")


def test_headless_init_off_a_terminal_gives_a_fix_that_works_verbatim(
    immich, config_path, state_dir, monkeypatch, isolated_env
) -> None:
    import re
    import subprocess

    _headless(monkeypatch)
    assert not config_path.parent.exists(), "a fresh machine: not even the config folder"
    refused = _init(immich.url)
    assert refused.returncode == 4, refused.stderr
    _nothing_saved(config_path, state_dir)
    fix, rerun = re.findall(r"`([^`]+)`", refused.stderr)[:2]
    assert "mkdir -p" in fix and "IMMICH_GPHOTOS_PASSPHRASE_FILE=" in rerun

    subprocess.run(["sh", "-c", fix], check=True, env=os.environ | {"HOME": str(isolated_env)})
    passphrase = config_path.parent / "passphrase"
    assert _mode(passphrase) == 0o600 and _mode(config_path.parent) == 0o700
    env = os.environ | {
        "IMMICH_GPHOTOS_PASSPHRASE_FILE": str(passphrase),
        "IMMICH_API_KEY": GOOD_KEY,
    }
    done = run_cli("init", "--immich-url", immich.url, env=env)
    assert done.returncode == 0, done.stderr
    assert (state_dir / "secrets.enc").exists()


class _Terminal:
    """stdin as a terminal for init's prompts; the answers come from the test."""

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return ""


def _answer(monkeypatch, answers: dict[str, object]) -> list[str]:  # type: ignore[no-untyped-def]
    import typer

    asked: list[str] = []

    def prompt(text, **kw):  # type: ignore[no-untyped-def]
        asked.append(text)
        if kw.get("confirmation_prompt"):
            asked.append(str(kw["confirmation_prompt"]))
        return next(v for k, v in answers.items() if text.startswith(k))

    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr(typer, "prompt", prompt)
    monkeypatch.setattr(typer, "confirm", prompt)
    return asked


def test_headless_init_on_a_terminal_asks_for_a_passphrase_and_keeps_it(
    immich, config_path, state_dir, monkeypatch
) -> None:
    from immich_gphotos.credentials.file_store import FileStore
    from tests.inprocess import run_in_process

    _headless(monkeypatch)
    secret = "a long enough passphrase"
    asked = _answer(
        monkeypatch,
        {
            "Immich API key": GOOD_KEY,
            "New passphrase": secret,
            "Keep it in": True,
            "Google OAuth client": "",
        },
    )
    result = run_in_process("init", "--immich-url", immich.url)
    assert result.returncode == 0, result.stderr
    assert "Immich API key" in asked, "nothing is stored, so nothing to keep"
    assert not any("empty keeps" in a for a in asked)
    assert "Repeat the passphrase" in asked, "typed twice"

    kept = config_path.parent / "passphrase"
    assert kept.read_text() == secret + "\n" and _mode(kept) == 0o600
    assert _mode(config_path.parent) == 0o700
    assert f"IMMICH_GPHOTOS_PASSPHRASE_FILE={kept}" in result.stdout
    assert "LoadCredential=" in result.stdout
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE_FILE", str(kept))
    assert FileStore(state_dir / "secrets.enc").get("immich-api-key") == GOOD_KEY


def test_a_failed_headless_init_keeps_no_passphrase_file(
    immich, config_path, state_dir, monkeypatch
) -> None:
    from tests.inprocess import run_in_process

    _headless(monkeypatch)
    _answer(
        monkeypatch,
        {
            "Immich API key": "not-a-real-key",
            "New passphrase": "a long enough one",
            "Keep": True,
            "Google OAuth client": "",
        },
    )
    result = run_in_process("init", "--immich-url", immich.url)
    assert result.returncode == 4
    assert not (config_path.parent / "passphrase").exists()
    _nothing_saved(config_path, state_dir)


def test_the_stored_key_is_offered_only_when_there_is_one(
    immich, config_path, state_dir, monkeypatch
) -> None:
    from tests.inprocess import run_in_process

    assert _init(immich.url).returncode == 0  # a key is stored now
    asked = _answer(monkeypatch, {"Immich API key": "", "Google OAuth client": ""})
    again = run_in_process("init", "--immich-url", immich.url)
    assert again.returncode == 0, again.stderr
    assert "Immich API key (empty keeps the stored one)" in asked


def test_init_again_copies_a_client_json_an_older_release_pointed_at(
    immich, config_path, state_dir, client_secrets
) -> None:
    from tests.helpers import set_config

    assert _init(immich.url).returncode == 0
    set_config(config_path, "google", "client_secrets", str(client_secrets))  # as before
    assert _init(immich.url).returncode == 0
    copy = config_path.parent / "client_secret.json"
    assert tomllib.loads(config_path.read_text())["google"]["client_secrets"] == str(copy)
    assert copy.read_bytes() == client_secrets.read_bytes() and _mode(copy) == 0o600
