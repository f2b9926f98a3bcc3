"""`make test-container`, second half: the built image, run with podman against the stand-ins.

As a user beside Immich would: `--version`, `init` (the key from a Docker secret file),
paste-back `auth --no-browser`, `albums add`, then the image's own default command
(`sync --every 1h`) until its first run, the health check healthy, then unhealthy once the runs
stop, and SIGTERM between runs (exit 0); the Google album complete, every file in the /state
volume the unprivileged user's, and a /state volume of another user refused naming `chown`.

Needs podman (with runc) and the image that scripts/container_image.py builds; `make test`
never collects this folder. The stand-ins run in this process and listen on 127.0.0.1, which
the container reaches with --network host.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import tomli_w

from tests.helpers import LineReader
from tests.standins.google import GoogleStandIn
from tests.standins.immich import ImmichStandIn, demo_library

IMAGE = os.environ.get("IGPHOTOS_CONTAINER_IMAGE", "")
PODMAN = ["podman", "--runtime", "runc"]
KEY = "container-test-immich-key"
ALBUM = "Trips 2024"
UID = 1000  # the Dockerfile's default

pytestmark = pytest.mark.skipif(
    not IMAGE or shutil.which("podman") is None,
    reason="needs podman and IGPHOTOS_CONTAINER_IMAGE (run `make test-container`)",
)


def podman(*args: str, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    kw.setdefault("capture_output", True)
    return subprocess.run([*PODMAN, *args], text=True, timeout=kw.pop("timeout", 300), **kw)


class Setup:
    def __init__(self, tmp: Path, immich: ImmichStandIn, google: GoogleStandIn) -> None:
        self.immich, self.google = immich, google
        tag = uuid.uuid4().hex[:8]
        self.config_volume, self.state_volume = f"igp-config-{tag}", f"igp-state-{tag}"
        self.containers: list[str] = []
        # the Docker secrets: files owned by the image's user, readable by nobody else
        self.secrets = tmp / "secrets"
        self.secrets.mkdir()
        (self.secrets / "immich_api_key").write_text(KEY + "\n")
        (self.secrets / "passphrase").write_text("a container passphrase\n")
        google.client_secrets(self.secrets / "client_secret.json")
        for path in [self.secrets, *self.secrets.iterdir()]:
            os.chown(path, UID, UID)
            path.chmod(0o700 if path.is_dir() else 0o600)

    def volume_dir(self, name: str) -> Path:
        return Path(podman("volume", "inspect", "--format", "{{.Mountpoint}}", name).stdout.strip())

    def args(self, *extra: str) -> list[str]:
        return [
            "--network",
            "host",
            "-v",
            f"{self.config_volume}:/config",
            "-v",
            f"{self.state_volume}:/state",
            "-v",
            f"{self.secrets}:/run/secrets:ro",
            "-e",
            "IMMICH_API_KEY_FILE=/run/secrets/immich_api_key",
            "-e",
            "IMMICH_GPHOTOS_PASSPHRASE_FILE=/run/secrets/passphrase",
            # the stand-in Google's OAuth endpoints are plain http on 127.0.0.1 (SPEC)
            "-e",
            "OAUTHLIB_INSECURE_TRANSPORT=1",
            *extra,
            IMAGE,
        ]

    def run(self, *command: str, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
        return podman("run", "--rm", *self.args(), *command, **kw)

    def close(self) -> None:
        for name in self.containers:
            podman("rm", "-f", name)
        podman("volume", "rm", "-f", self.config_volume, self.state_volume)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    library = demo_library(photos=30, videos=1, key=KEY)
    with ImmichStandIn(library, version=3) as immich, GoogleStandIn() as google:
        s = Setup(tmp_path, immich, google)
        try:
            yield s
        finally:
            s.close()


def test_the_image_beside_immich(setup: Setup) -> None:
    version = setup.run("--version")
    assert version.returncode == 0 and version.stdout.startswith("immich-gphotos "), version

    init = setup.run(
        "init",
        "--immich-url",
        setup.immich.url,
        "--client-secrets",
        "/run/secrets/client_secret.json",
        "--secrets-backend",
        "file",
    )
    assert init.returncode == 0, init.stderr
    assert "Alex Demo" in init.stdout  # the key from the secret file was accepted
    config = setup.volume_dir(setup.config_volume) / "config.toml"
    raw = tomllib.loads(config.read_text())
    raw["google"]["api_url"] = setup.google.url  # the Library API stand-in, as tests do
    config.write_text(tomli_w.dumps(raw))  # in place: owner and mode stay

    _paste_back_auth(setup)
    added = setup.run("albums", "add", ALBUM)
    assert added.returncode == 0, added.stderr

    name = f"igp-loop-{uuid.uuid4().hex[:8]}"
    setup.containers.append(name)
    # the image's own command: sync --every 1h; healthchecks run on demand below
    started = podman("run", "-d", "--name", name, *setup.args("--health-interval", "disable"))
    assert started.returncode == 0, started.stderr
    logs = subprocess.Popen(
        [*PODMAN, "logs", "-f", name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert logs.stdout is not None
        first = LineReader(logs.stdout).wait_for(lambda line: " run 1: " in line, timeout=300)
        assert "exit 0" in first and "next run at" in first, first
        healthy = podman("healthcheck", "run", name)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr

        # runs stop (the loop frozen): the health check turns unhealthy
        assert podman("kill", "--signal", "STOP", name).returncode == 0
        assert _turns_unhealthy(name), "health stayed healthy after the runs stopped"
        assert podman("kill", "--signal", "CONT", name).returncode == 0

        assert podman("kill", "--signal", "TERM", name).returncode == 0  # between runs
        code = podman("wait", name).stdout.strip()
        assert code in ("0", "130"), code
    finally:
        logs.kill()
        logs.wait()

    album = setup.immich.library.albums
    want = {
        setup.immich.library.assets[a].content.sha1_base64
        for a in next(x for x in album.values() if x.name == ALBUM).asset_ids
    }
    google_album = setup.google.album_by_title(ALBUM)
    assert google_album is not None
    assert {m.sha1 for m in setup.google.album_files(google_album.id)} == want

    state = setup.volume_dir(setup.state_volume)
    files = [p for p in state.rglob("*")]
    names = {p.name for p in files}
    assert {"state.sqlite3", "secrets.enc", "immich-gphotos.log", "heartbeat.json"} <= names
    for path in [state, *files]:
        assert path.stat().st_uid == UID, f"{path} is owned by uid {path.stat().st_uid}"
    assert json.loads((state / "heartbeat.json").read_text())["stopped"] is True

    # a /state volume that another user owns: exit 3 naming the chown
    os.chown(state, 0, 0)
    refused = setup.run("sync")
    assert refused.returncode == 3, refused.stderr
    assert f"chown -R {UID} /state" in refused.stderr


def _paste_back_auth(setup: Setup) -> None:
    """`auth --no-browser` in the container; this test is the browser on another machine: it
    opens the printed URL, and pastes the address the browser ends on back into the terminal."""
    proc = subprocess.Popen(
        [*PODMAN, "run", "--rm", "-i", *setup.args(), "auth", "--no-browser"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = LineReader(proc.stdout).wait_for(
        lambda line: line.startswith(f"{setup.google.url}/o/oauth2/auth?"), timeout=120
    )
    consent = httpx.get(url, follow_redirects=False, timeout=30)
    assert consent.status_code in (302, 303), consent.status_code
    proc.stdin.write(consent.headers["location"] + "\n")
    proc.stdin.flush()
    proc.stdin.close()
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""


def _turns_unhealthy(name: str, deadline: float = 30) -> bool:
    """`health --max-age 2s` in the running container, until the frozen loop's heartbeat is
    older than that (at most ``deadline`` seconds)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = podman("exec", name, "immich-gphotos", "health", "--max-age", "2s")
        if result.returncode == 1 and "unhealthy" in result.stdout:
            return True
        assert result.returncode == 0, result.stdout + result.stderr
        time.sleep(0.5)  # the heartbeat's age is a wall-clock matter
    return False
