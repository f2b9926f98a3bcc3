"""SIGINT and SIGTERM wherever they land: a real `sync` child, signalled at a moment the test
waits for (a stand-in event, a held request), never after a guessed sleep."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli, set_config
from tests.world import SYNCED, World


def _start_sync(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _placed_in_state(world: World, album_name: str) -> tuple[int, str | None]:
    """(items the state says are in the Google album, the album's last_synced)."""
    album_id = world.album(album_name).id
    with world.state() as db:
        placed = db.execute(
            "SELECT count(*) FROM album_assets WHERE album_id = ? AND google_album_id IS NOT NULL",
            (album_id,),
        ).fetchone()[0]
        row = db.execute(
            "SELECT last_synced FROM albums WHERE immich_id = ?", (album_id,)
        ).fetchone()
    return placed, (row[0] if row else None)


@pytest.mark.parametrize("trial", range(5))
def test_a_signal_in_the_last_chunk_exits_130_and_leaves_the_album_unstamped(
    world3: World, trial: int
) -> None:
    """One album, one chunk (its last): the transfer in flight is finished and placed, the ones
    not started stay pending; the run says so (130, "interrupted") and the album is not stamped."""
    world3.immich.faults.slow_body_seconds = 0.4
    proc = _start_sync("--album", "Holidays", "--concurrency", "1", "--json")
    assert world3.immich.original_requested.wait(120), "the first transfer started"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    summary = json.loads(out)
    assert summary["exit_code"] == 130 and summary["stopped"] == "interrupted"
    in_google = world3.contents("Holidays")
    placed, last_synced = _placed_in_state(world3, "Holidays")
    assert 1 <= len(in_google) < len(world3.eligible("Holidays")), "uploaded: placed; rest: not"
    assert placed == len(in_google), "what Google holds is what the state says"
    assert last_synced is None, "an album with items pending is not stamped as synced"

    world3.immich.faults.slow_body_seconds = 0
    assert world3.sync("--album", "Holidays").returncode == 0
    world3.assert_mirrored("Holidays")


# --- signals outside the engine -------------------------------------------------------------


class HeldPings:
    """A healthchecks-style receiver that holds every ping until released: the child sits in a
    known phase (the start ping: before the engine; the result ping: after it) while signalled."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.start = threading.Event()
        self.result = threading.Event()
        self.release = threading.Event()
        held = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                (held.start if self.path.endswith("/start") else held.result).set()
                held.release.wait(120)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/ping/held"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def pings(world3: World) -> Iterator[HeldPings]:
    held = HeldPings()
    set_config(world3.config, "notify", "ping_url", held.url)
    yield held
    held.close()


def _assert_clean_130(proc: subprocess.Popen[str], out: str, err: str) -> str:
    """rc 130, no traceback, one JSON object {"exit_code": 130, "error"} on stdout; the error."""
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err + out, err
    answer = json.loads(out)
    assert answer["exit_code"] == 130 and "Interrupted" in answer["error"], answer
    assert f"Error: {answer['error']}" in err, "the same word on stderr"
    return str(answer["error"])


def _last_run_exit_code() -> int | None:
    status = run_cli("status", "--json")
    assert status.returncode in (0, 1), status.stderr
    runs = json.loads(status.stdout)["runs"]
    return runs[0]["exit_code"] if runs else None


def _handlers_installed(pid: int) -> None:
    """Wait until the child catches SIGTERM (Python itself catches only SIGINT): cli.main has
    installed its handlers. The earliest moment a signal can be honoured; before it, the
    interpreter is still starting and the kernel's default action applies."""
    import time

    sigterm_bit = 1 << (signal.SIGTERM - 1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(next(x for x in status.splitlines() if x.startswith("SigCgt:")).split()[1], 16)
        if caught & sigterm_bit:
            return
        time.sleep(0.001)  # polling a condition, not waiting for a guessed moment
    raise AssertionError("the child never installed its signal handlers")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_the_program_loads_exits_130_cleanly(world3: World, sig: int) -> None:
    proc = _start_sync("--json")
    _handlers_installed(proc.pid)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    _assert_clean_130(proc, out, err)
    assert world3.google.library_requests == 0
    with world3.state() as db:
        open_runs = db.execute("SELECT count(*) FROM runs WHERE exit_code IS NULL").fetchone()[0]
    assert open_runs == 0, "no run left looking as if it were still going"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_before_the_engine_exits_130_and_records_the_run(
    world3: World, pings: HeldPings, sig: int
) -> None:
    proc = _start_sync("--json")
    assert pings.start.wait(60), "the run sent its start ping (lock held, run recorded)"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    error = _assert_clean_130(proc, out, err)
    assert "before placing anything" in error
    assert world3.google.library_requests == 0, "nothing was sent to Google"
    assert _last_run_exit_code() == 130, "status shows the run as interrupted, not `exit ?`"
    pings.release.set()
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_after_the_engine_exits_130_with_everything_saved(
    world3: World, pings: HeldPings, sig: int
) -> None:
    proc = _start_sync("--json")
    assert pings.start.wait(60)
    pings.release.set()  # let the start ping through; hold the result ping
    pings.release = __import__("threading").Event()
    assert pings.result.wait(120), "the engine finished and the run sent its result ping"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    error = _assert_clean_130(proc, out, err)
    assert "finished its work" in error
    world3.assert_mirrored(*SYNCED)
    assert _last_run_exit_code() == 130
    pings.release.set()
    before = world3.google.library_requests
    assert world3.sync().returncode == 0
    assert world3.google.library_requests == before, "all of it was saved: nothing to redo"


def test_sigint_during_the_engine_says_it_is_stopping_and_records_130(world3: World) -> None:
    world3.immich.faults.slow_body_seconds = 0.4
    proc = _start_sync("--concurrency", "1")
    assert world3.immich.original_requested.wait(120), "the first transfer started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "Stopping (SIGINT)" in err and "Interrupted;" in err
    assert "stopped: interrupted, exit 130" in out
    assert _last_run_exit_code() == 130


class Screen:
    """Everything a child writes to its terminal (a pty), read on a thread; wait for a text."""

    def __init__(self, master: int) -> None:
        import threading

        self.data = b""
        self.closed = False
        self._changed = threading.Condition()

        def pump() -> None:
            import os

            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child's side is closed
                    chunk = b""
                with self._changed:
                    if not chunk:
                        self.closed = True
                        self._changed.notify_all()
                        return
                    self.data += chunk
                    self._changed.notify_all()

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, text: bytes, timeout: float = 60) -> None:
        with self._changed:
            found = self._changed.wait_for(lambda: text in self.data or self.closed, timeout)
            assert found and text in self.data, f"no {text!r} on the screen: {self.data[-2000:]!r}"

    def all(self, timeout: float = 30) -> bytes:
        with self._changed:
            assert self._changed.wait_for(lambda: self.closed, timeout), "the terminal stayed open"
            return self.data


def test_a_second_sigint_restores_the_terminal_and_exits_130_at_once(world3: World) -> None:
    import os
    import pty
    import threading

    world3.immich.faults.hold_body = held = threading.Event()  # the transfer never ends by itself
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "immich_gphotos", "sync", "--concurrency", "1"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=os.environ | {"TERM": "xterm", "COLUMNS": "100", "LINES": "30"},
    )
    os.close(slave)
    screen = Screen(master)
    try:
        assert world3.immich.original_requested.wait(120), "the first transfer started"
        proc.send_signal(signal.SIGINT)
        screen.wait_for(b"Stopping (SIGINT)")  # the first one is waiting for the transfer
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130, "the second one did not wait for it"
        text = screen.all()
    finally:
        held.set()
        proc.kill()
        os.close(master)
    hidden = text.rfind(b"\x1b[?25l")
    assert hidden >= 0, "the progress display hid the cursor (it ran on a terminal)"
    assert b"\x1b[?25h" in text[hidden:], "the cursor is shown again"
    assert b"Interrupted again" in text and b"Traceback" not in text
    assert _last_run_exit_code() == 130, "the run record says interrupted"
    world3.immich.faults.hold_body = None
    assert world3.sync().returncode == 0
    world3.assert_mirrored(*SYNCED)


@pytest.mark.parametrize("trial", range(3))
def test_a_signal_after_the_outcome_is_printed_changes_nothing(world3: World, trial: int) -> None:
    """Once the JSON is out, the process only exits; a signal then must not turn a said 0 into a
    death by signal (the interpreter's shutdown puts the default actions back)."""
    proc = _start_sync("--json")
    assert proc.stdout is not None
    out = ""
    for line in proc.stdout:  # the summary object ends with a "}" line of its own
        out += line
        if line == "}\n":
            break
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=60)
    assert json.loads(out + rest)["exit_code"] == 0
    assert proc.returncode == 0, (proc.returncode, err)
