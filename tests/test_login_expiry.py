"""A login with an end date: Google says it (``refresh_token_expires_in``, an OAuth app left in
'Testing'); `auth` warns with the fix, `status` shows it, `sync` warns and notifies once."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from immich_gphotos.clock import iso
from immich_gphotos.state.follow import LOGIN_EXPIRES_KEY
from immich_gphotos.state.store import StateStore
from tests.helpers import run_cli, set_config
from tests.inprocess import run_in_process
from tests.test_auth import auth_url, finish, start_auth
from tests.world import World


def _login(google) -> str:  # type: ignore[no-untyped-def]
    proc, reader = start_auth()
    httpx.get(auth_url(reader, google), follow_redirects=True, timeout=30)
    code, err = finish(proc)
    assert code == 0, err
    return "\n".join(reader.seen) + err


def test_auth_warns_of_a_testing_app_and_status_shows_the_end(configured, state_dir) -> None:  # type: ignore[no-untyped-def]
    _, google = configured
    google.refresh_token_lifetime = 604799  # an app left in Testing: 7 days
    said = _login(google)
    assert "publish" in said and "auth` again" in said and "7 days" in said
    status = json.loads(run_cli("status", "--json").stdout)
    ends = datetime.fromisoformat(status["google"]["login_expires"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < ends - datetime.now(UTC) <= timedelta(days=7)
    assert "login ends" in run_cli("status").stdout

    google.refresh_token_lifetime = None  # published, then `auth` again: no end any more
    said = _login(google)
    assert "publish" not in said
    assert json.loads(run_cli("status", "--json").stdout)["google"]["login_expires"] is None


def _ends_in(world: World, hours: float) -> str:
    state = StateStore.open(world.state_dir)
    try:
        value = iso(datetime.now(UTC) + timedelta(hours=hours))
        state.set_meta(LOGIN_EXPIRES_KEY, value)
        return value
    finally:
        state.close()


def test_sync_warns_and_notifies_once_when_less_than_48_hours_remain(
    world3: World, tmp_path: Path
) -> None:
    out = tmp_path / "notifications.txt"
    script = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read() + '---\\n')"
    set_config(world3.config, "notify", "command", [sys.executable, "-c", script])
    _ends_in(world3, 72)
    first = world3.sync("--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["login_expires"] is not None
    assert "login" not in first.stderr and not out.exists(), "three days left: quiet"

    ends = _ends_in(world3, 30)
    for _ in range(2):
        result = run_in_process("sync")
        assert result.returncode == 0, result.stderr
        assert "Google login ends in 30 hours" in result.stderr + result.stdout
        assert "publish" in result.stderr + result.stdout
    messages = out.read_text().split("---\n")[:-1]
    assert len(messages) == 1, "the notify command runs once for this end"
    assert "login expiring" in messages[0] and ends in messages[0]
