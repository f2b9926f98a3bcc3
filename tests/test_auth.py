"""`auth` end to end, as a subprocess against the stand-in Google's OAuth endpoints."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from immich_gphotos.credentials.file_store import FileStore
from immich_gphotos.state.store import StateStore
from tests.helpers import ROOT, LineReader, run_cli
from tests.standins.google import ALLOWED_SCOPES, GoogleStandIn


def start_auth(*args: str) -> tuple[subprocess.Popen[str], LineReader]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "auth", "--no-browser", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    return proc, LineReader(proc.stdout)


def auth_url(reader: LineReader, google: GoogleStandIn) -> str:
    return reader.wait_for(lambda line: line.startswith(f"{google.url}/o/oauth2/auth?"))


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    assert proc.stdin is not None and proc.stderr is not None
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.close()
    code = proc.wait(timeout=60)
    return code, proc.stderr.read()


def stored_token(state_dir: Path) -> str | None:
    return FileStore(state_dir / "secrets.enc").get("google-refresh-token")


def test_loopback_login_stores_the_refresh_token(configured, state_dir) -> None:
    _, google = configured
    proc, reader = start_auth()
    url = auth_url(reader, google)
    page = httpx.get(url, follow_redirects=True, timeout=30)  # the test plays the browser
    assert page.status_code == 200 and "Logged in" in page.text
    code, err = finish(proc)
    assert code == 0, err

    request = google.authorize_requests[-1]
    assert set(request["scope"].split()) == ALLOWED_SCOPES, "exactly the three post-2025 scopes"
    assert request["code_challenge_method"] == "S256" and request["code_challenge"]
    assert request["access_type"] == "offline" and request["prompt"] == "consent"
    assert request["redirect_uri"].startswith("http://127.0.0.1:")
    assert google.token_requests[-1]["code_verifier"], "PKCE verifier sent with the code"

    token = stored_token(state_dir)
    assert token in google.refresh_tokens
    state = StateStore.open(state_dir)
    assert state.get_meta("oauth_client_id") == google.client_id
    state.close()
    assert token not in "".join(reader.seen) + err, "the token never appears in output"


def test_pasted_redirect_url_completes_the_login(configured, state_dir) -> None:
    _, google = configured
    proc, reader = start_auth()
    url = auth_url(reader, google)
    redirect = httpx.get(url, follow_redirects=False, timeout=30).headers["location"]
    assert proc.stdin is not None
    proc.stdin.write("\n  " + redirect + "  \n")  # pasted with stray blanks, as terminals do
    proc.stdin.flush()
    code, err = finish(proc)
    assert code == 0, err
    assert stored_token(state_dir) in google.refresh_tokens


def test_url_is_printed_whole_on_one_line(configured) -> None:
    _, google = configured
    proc, reader = start_auth()
    url = auth_url(reader, google)
    proc.kill()
    proc.wait()
    assert "\n" not in url and len(url) > 150
    assert httpx.URL(url).params["client_id"] == google.client_id


def test_wrong_state_is_answered_400_and_the_login_goes_on(configured, state_dir) -> None:
    _, google = configured
    google.consent = "wrong_state"
    proc, reader = start_auth()
    url = auth_url(reader, google)
    page = httpx.get(url, follow_redirects=True, timeout=30)
    assert page.status_code == 400 and "Not this login" in page.text
    assert not google.token_requests, "that code is never exchanged"
    google.consent = "approve"  # the user tries again in the browser: the same login finishes
    assert httpx.get(url, follow_redirects=True, timeout=30).status_code == 200
    code, err = finish(proc)
    assert code == 0, err
    assert stored_token(state_dir) is not None and len(google.token_requests) == 1


def test_a_pasted_redirect_with_another_state_is_refused(configured, state_dir) -> None:
    _, google = configured
    proc, reader = start_auth()
    url = auth_url(reader, google)
    port = httpx.URL(httpx.URL(url).params["redirect_uri"]).port
    assert proc.stdin is not None
    proc.stdin.write(f"http://127.0.0.1:{port}/?code=forged&state=%C3%A9t%C3%A9\n")
    proc.stdin.flush()
    code, err = finish(proc)
    assert code == 4, err
    assert "state does not match" in err and "TypeError" not in err
    assert stored_token(state_dir) is None and not google.token_requests


def test_denied_consent_is_clear(configured, state_dir) -> None:
    _, google = configured
    google.consent = "deny"
    proc, reader = start_auth()
    page = httpx.get(auth_url(reader, google), follow_redirects=True, timeout=30)
    assert "not completed" in page.text
    code, err = finish(proc)
    assert code == 4
    assert "denied" in err and "immich-gphotos auth" in err
    assert stored_token(state_dir) is None


def test_partial_consent_names_the_missing_scope(configured, state_dir) -> None:
    _, google = configured
    google.granted_scopes = {"https://www.googleapis.com/auth/photoslibrary.appendonly"}
    proc, reader = start_auth()
    httpx.get(auth_url(reader, google), follow_redirects=True, timeout=30)
    code, err = finish(proc)
    assert code == 4
    assert "photoslibrary.edit.appcreateddata" in err
    assert stored_token(state_dir) is None


def test_no_answer_times_out(google) -> None:
    from immich_gphotos.errors import AuthError
    from immich_gphotos.gphotos.client_secrets import load_client_secrets
    from immich_gphotos.gphotos.oauth import LoopbackLogin

    login = LoopbackLogin(load_client_secrets(google.secrets_path))
    login.start()
    try:
        with pytest.raises(AuthError, match="No login arrived within") as caught:
            login.wait(0.05)  # the CLI's --timeout is at least 10 s; the rule is the same
        assert caught.value.exit_code == 4
    finally:
        login.close()


def test_stray_requests_and_idle_connections_do_not_block_the_login(google) -> None:
    import socket

    from immich_gphotos.gphotos.client_secrets import load_client_secrets
    from immich_gphotos.gphotos.oauth import LoopbackLogin

    login = LoopbackLogin(load_client_secrets(google.secrets_path))
    login.start()
    base = f"http://127.0.0.1:{login.port}"
    idle = socket.create_connection(("127.0.0.1", login.port))  # connects, never speaks
    half = socket.create_connection(("127.0.0.1", login.port))
    half.sendall(b"GET /?code=x HTTP/1.1\r\n")  # starts a request, never finishes it
    try:
        assert httpx.get(f"{base}/favicon.ico", timeout=5).status_code == 404
        state = login.state
        assert httpx.get(f"{base}/elsewhere?code=c&state={state}", timeout=5).status_code == 404
        stray = httpx.get(f"{base}/?code=stolen&state=guess", timeout=5)
        assert stray.status_code == 400 and "Logged in" not in stray.text
        assert httpx.get(f"{base}/?code=c&state=%C3%A9t%C3%A9", timeout=5).status_code == 400
        assert httpx.get(f"{base}/?error=access_denied&state=x", timeout=5).status_code == 400
        assert not login.answer.event.is_set(), "none of those ends the login"

        page = httpx.get(login.url, follow_redirects=True, timeout=5)  # the real browser
        assert page.status_code == 200 and "Logged in" in page.text
        result = login.wait(5)
        assert result.refresh_token in google.refresh_tokens
    finally:
        idle.close()
        half.close()
        login.close()


def test_fixed_port_prints_the_ssh_hint(configured) -> None:
    import socket

    _, google = configured
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc, reader = start_auth("--port", str(port))
    hint = reader.wait_for(lambda line: line.startswith("From another machine"))
    assert f"ssh -L {port}:127.0.0.1:{port}" in hint
    url = auth_url(reader, google)
    assert f"127.0.0.1%3A{port}" in url
    httpx.get(url, follow_redirects=True, timeout=30)
    assert finish(proc)[0] == 0


def _login(google: GoogleStandIn) -> None:
    proc, reader = start_auth()
    httpx.get(auth_url(reader, google), follow_redirects=True, timeout=30)
    code, err = finish(proc)
    assert code == 0, err


def test_status_and_logout(configured, state_dir) -> None:
    _, google = configured
    missing = run_cli("auth", "--status")
    assert missing.returncode == 4 and "immich-gphotos auth" in missing.stderr

    _login(google)
    ok = run_cli("auth", "--status")
    assert ok.returncode == 0, ok.stderr
    assert "refreshes: yes" in ok.stdout and google.client_id in ok.stdout
    assert "Login stored: yes\n" in ok.stdout, "one thing per line, no nested parentheses"
    assert f"Secrets kept in: file ({state_dir / 'secrets.enc'})" in ok.stdout

    google.faults.invalid_grant = True
    expired = run_cli("auth", "--status")
    assert expired.returncode == 4
    assert "Testing" in expired.stderr and "7 days" in expired.stderr
    google.faults.invalid_grant = False

    token = stored_token(state_dir)
    out = run_cli("auth", "--logout")
    assert out.returncode == 0, out.stderr
    assert token in google.revoked and token not in google.refresh_tokens
    assert stored_token(state_dir) is None
    assert run_cli("auth", "--status").returncode == 4


def test_a_different_client_needs_new_client(configured, state_dir, config_path) -> None:
    _, google = configured
    _login(google)
    google.clients["other-client.apps.googleusercontent.com"] = "other-secret"
    google.client_id, google.client_secret = (
        "other-client.apps.googleusercontent.com",
        "other-secret",
    )
    # the user downloads another client's JSON and gives it to init (which keeps a copy)
    google.client_secrets(config_path.parent / "client_secret.json")

    refused = run_cli("auth", "--no-browser", "--timeout", "10")
    assert refused.returncode == 3
    assert "--new-client" in refused.stderr and "standin-client" in refused.stderr

    proc, reader = start_auth("--new-client")
    httpx.get(auth_url(reader, google), follow_redirects=True, timeout=30)
    code, err = finish(proc)
    assert code == 0, err
    state = StateStore.open(state_dir)
    assert state.get_meta("oauth_client_id") == "other-client.apps.googleusercontent.com"
    state.close()


def test_missing_client_secrets_is_a_config_error(google, config_path, tmp_path) -> None:
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text('[immich]\nurl = "http://127.0.0.1:9"\n')
    result = run_cli("auth", "--no-browser")
    assert result.returncode == 3
    assert "--client-secrets" in result.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_login_in_headless_chromium(configured, state_dir, tmp_path) -> None:
    _, google = configured
    proc, reader = start_auth()
    url = auth_url(reader, google)
    browser = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--password-store=basic",  # keep Chromium off the session's Secret Service
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"HOME": str(tmp_path)},
    )
    code, err = finish(proc)
    assert code == 0, err + browser.stderr[-2000:]
    assert "Logged in" in browser.stdout
    assert stored_token(state_dir) in google.refresh_tokens


def test_a_bad_paste_is_answered_at_once_and_the_login_goes_on(configured, state_dir) -> None:
    _, google = configured
    proc, reader = start_auth()
    url = auth_url(reader, google)
    redirect = httpx.get(url, follow_redirects=False, timeout=30).headers["location"]
    code_only = httpx.URL(redirect).params["code"]
    assert proc.stdin is not None
    proc.stdin.write(code_only + "\n")  # only the code: the whole address is needed
    proc.stdin.flush()
    answer = reader.wait_for(lambda line: "not the address" in line, timeout=10)
    assert "paste the whole http://127.0.0.1:" in answer and "Still waiting" in answer
    proc.stdin.write("help\n")
    proc.stdin.flush()
    reader.wait_for(lambda line: "not the address" in line, timeout=10)
    proc.stdin.write(redirect + "\n")  # then the right thing: the login completes
    proc.stdin.flush()
    code, err = finish(proc)
    assert code == 0, err
    assert stored_token(state_dir) in google.refresh_tokens
