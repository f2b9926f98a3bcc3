"""Notifications (ping URL and command) and the log file, around real sync runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from immich_gphotos.notify import Notifier, outcome_of
from tests.helpers import GOOD_KEY, set_config
from tests.standins.server import StandInServer
from tests.world import World


class Receiver:
    """A healthchecks-style receiver on 127.0.0.1 that records (path, body) of every ping."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.pings.append((self.path, self.rfile.read(length).decode()))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

        self.httpd = StandInServer(("127.0.0.1", 0), Handler, name="ping-receiver")
        self.httpd.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/ping/abc-uuid"

    def close(self) -> None:
        self.httpd.release()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _command(tmp_path: Path) -> tuple[list[str], Path]:
    out = tmp_path / "notifications.txt"
    script = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read() + '---\\n')"
    return [sys.executable, "-c", script], out


def test_ping_url_start_success_and_fail(world3: World, receiver: Receiver) -> None:
    set_config(world3.config, "notify", "ping_url", receiver.url)
    assert world3.sync().returncode == 0
    assert [p for p, _ in receiver.pings] == ["/ping/abc-uuid/start", "/ping/abc-uuid"]
    assert "sync finished: uploaded" in receiver.pings[1][1]

    world3.immich.stop()  # Immich goes away: the next run fails
    assert world3.sync().returncode == 7
    assert [p for p, _ in receiver.pings[2:]] == ["/ping/abc-uuid/start", "/ping/abc-uuid/fail"]
    assert "Cannot reach Immich" in receiver.pings[3][1]


@pytest.mark.slow
def test_command_runs_on_a_change_of_outcome(world3: World, tmp_path: Path) -> None:
    command, out = _command(tmp_path)
    set_config(world3.config, "notify", "command", command)
    assert world3.sync().returncode == 0
    assert not out.exists(), "ok after ok (the first run counts as ok before) is no change"
    world3.google.faults.invalid_grant = True
    world3.add_photo("Holidays")  # work for Google, so the login is used
    assert world3.sync().returncode == 4
    assert world3.sync().returncode == 4  # still failing the same way: no second message
    world3.google.faults.invalid_grant = False
    assert world3.sync().returncode == 0
    messages = out.read_text().split("---\n")[:-1]
    assert len(messages) == 2
    assert messages[0].startswith("immich-gphotos sync: auth needed") and "7 days" in messages[0]
    assert messages[1].startswith("immich-gphotos sync: ok")


def test_undeliverable_notifications_never_change_the_exit_code(
    world3: World, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    set_config(world3.config, "notify", "ping_url", f"http://127.0.0.1:{dead}/nobody")
    set_config(world3.config, "notify", "command", [str(tmp_path / "no-such-program")])
    world3.google.faults.invalid_grant = True  # a change of outcome, so the command is tried
    world3.day_passes()
    result = world3.sync()
    assert result.returncode == 4
    world3.google.faults.invalid_grant = False
    assert world3.sync().returncode == 0
    log = (world3.state_dir / "immich-gphotos.log").read_text()
    assert "notification ping 127.0.0.1" in log and "notification command" in log


def test_log_file_has_timestamps_and_no_secrets(world3: World) -> None:
    refresh = next(iter(world3.google.refresh_tokens))
    assert world3.sync().returncode == 0
    world3.google.faults.invalid_grant = True
    world3.day_passes()
    assert world3.sync().returncode == 4
    path = world3.state_dir / "immich-gphotos.log"
    assert oct(path.stat().st_mode)[-3:] == "600"
    text = path.read_text()
    assert "sync started" in text and "sync finished" in text and "7 days" in text
    for line in text.splitlines():
        assert line[:4].isdigit() and line[10] == "T", line
    assert GOOD_KEY not in text and refresh not in text
    for token in world3.google.access_tokens:
        assert token not in text


def test_outcomes() -> None:
    assert [outcome_of(c) for c in (0, 1, 4, 5, 6, 7, 8, 130)] == [
        "ok",
        "failing",
        "auth needed",
        None,
        "ok",
        "failing",
        "failing",
        None,
    ]


def test_notifier_alone(receiver: Receiver) -> None:
    from immich_gphotos.config import NotifySettings

    notifier = Notifier(NotifySettings(ping_url=receiver.url + "/"))
    notifier.started()
    assert notifier.finished(1, "summary text", "ok") == "failing"
    assert receiver.pings == [("/ping/abc-uuid/start", ""), ("/ping/abc-uuid/fail", "summary text")]
    json.dumps(receiver.pings)


def test_the_notify_command_sees_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from immich_gphotos.config import NotifySettings

    dump = tmp_path / "env.json"
    script = f"import json, os; open({str(dump)!r}, 'w').write(json.dumps(dict(os.environ)))"
    monkeypatch.setenv("IMMICH_API_KEY", "api-key-from-env-123456")
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE", "passphrase-from-env")
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE_FILE", "/run/credentials/pass")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "anything-else-set")
    monkeypatch.setenv("LC_TIME", "C.UTF-8")
    monkeypatch.setenv("TZ", "Europe/Lisbon")
    notifier = Notifier(NotifySettings(command=(sys.executable, "-c", script)))
    assert notifier.finished(1, "summary", "ok") == "failing"
    seen = json.loads(dump.read_text())
    allowed = {"PATH", "HOME", "LANG", "TZ", "USER", "LOGNAME"}
    assert all(name in allowed or name.startswith("LC_") for name in seen), sorted(seen)
    assert seen["TZ"] == "Europe/Lisbon" and seen["LC_TIME"] == "C.UTF-8" and "PATH" in seen
    assert "api-key-from-env" not in dump.read_text() and "passphrase" not in dump.read_text()


def test_a_ping_urls_password_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    from immich_gphotos.config import NotifySettings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    notifier = Notifier(
        NotifySettings(ping_url=f"http://user:hunter2@127.0.0.1:{dead}/uuid-secret")
    )
    with caplog.at_level("WARNING", logger="immich_gphotos.notify"):
        notifier.started()
    assert f"127.0.0.1:{dead}" in caplog.text
    assert "hunter2" not in caplog.text and "user" not in caplog.text and "uuid" not in caplog.text
