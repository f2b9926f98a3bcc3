"""Every test runs in its own home: config, state and secrets never touch the real ones."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import scenario_library
from tests.standins.immich import ImmichStandIn

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(("IMMICH_", "XDG_")) or name in ("DBUS_SESSION_BUS_ADDRESS_SAVED",):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    # No test touches a real keyring unless it asks for one: "auto" then picks the file backend.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("IMMICH_GPHOTOS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture
def config_path(isolated_env: Path) -> Path:
    return isolated_env / ".config" / "immich-gphotos" / "config.toml"


@pytest.fixture
def state_dir(isolated_env: Path) -> Path:
    return isolated_env / ".local" / "state" / "immich-gphotos"


@pytest.fixture(params=[3, 2], ids=["immich-v3", "immich-v2"])
def immich(request: pytest.FixtureRequest) -> Iterator[ImmichStandIn]:
    """The stand-in Immich, once answering as v3.1 and once as v2.7."""
    scenario = scenario_library(big=False)
    with ImmichStandIn(scenario.library, version=request.param) as server:
        server.scenario = scenario  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def client_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # plain-http loopback endpoints are accepted only with the stand-ins' switch (SPEC)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    path = tmp_path / "client_secret.json"
    path.touch(mode=0o600)
    path.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "1234-test.apps.googleusercontent.com",
                    "client_secret": "test-client-secret",
                    "auth_uri": "http://127.0.0.1:9/o/oauth2/auth",
                    "token_uri": "http://127.0.0.1:9/token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    return path


@pytest.fixture
def google(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The stand-in Google; oauthlib accepts its plain-http endpoints only with this variable."""
    from tests.standins.google import GoogleStandIn

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with GoogleStandIn() as server:
        server.secrets_path = server.client_secrets(tmp_path / "google_client.json")  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def configured(google, config_path: Path, state_dir: Path):
    """init done against a v3 stand-in Immich, with the stand-in Google's client and API URL."""
    from tests.homes import init_home

    scenario = scenario_library(big=False)
    with ImmichStandIn(scenario.library, version=3) as immich:
        immich.scenario = scenario  # type: ignore[attr-defined]
        init_home(
            config_path, immich.url, client_secrets=google.secrets_path, google_api_url=google.url
        )
        yield immich, google


@pytest.fixture(params=[3, 2], ids=["immich-v3", "immich-v2"])
def world(request, config_path, state_dir, tmp_path, google):  # type: ignore[no-untyped-def]
    """Everything ready for `sync`, once against Immich v3.1 and once against v2.7."""
    from contextlib import ExitStack

    from tests.world import make_world

    with ExitStack() as stack:
        yield make_world(request.param, config_path, state_dir, tmp_path, google, stack)


@pytest.fixture
def world3(config_path, state_dir, tmp_path, google):  # type: ignore[no-untyped-def]
    from contextlib import ExitStack

    from tests.world import make_world

    with ExitStack() as stack:
        yield make_world(3, config_path, state_dir, tmp_path, google, stack)


@pytest.fixture(autouse=True)
def no_leaked_server_threads() -> Iterator[None]:
    """Every stand-in a test started is stopped, with its handler threads, when the test ends."""
    import threading

    yield
    names = ("immich-standin", "google-standin", "ping-receiver")
    left = [t.name for t in threading.enumerate() if t.name.startswith(names)]
    assert not left, f"server threads still running after the test: {left}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: under pytest-xdist a long test dealt out last would finish alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
