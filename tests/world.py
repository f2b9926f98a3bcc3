"""A whole setup for sync tests: both stand-ins, init done, Google login stored, albums selected."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import Scenario, run_cli, scenario_library
from tests.homes import albums_named, init_home, select_albums, store_google_login
from tests.inprocess import run_in_process
from tests.standins.google import GoogleStandIn
from tests.standins.immich import Asset, ImmichStandIn, ts

SYNCED = ("Holidays", "Garden", "Mixed Bag")


@dataclass
class World:
    immich: ImmichStandIn
    google: GoogleStandIn
    scenario: Scenario
    config: Path
    state_dir: Path

    def album(self, name: str):  # type: ignore[no-untyped-def]
        return next(a for a in self.scenario.library.albums.values() if a.name == name)

    def eligible(self, name: str) -> list[Asset]:
        """What the Google album must hold: the album's assets Google takes, in capture order."""
        lib = self.scenario.library
        assets = [lib.assets[i] for i in self.album(name).asset_ids]
        keep = [a for a in assets if not a.trashed and a.visibility != "archive"]
        return sorted(keep, key=lambda a: (a.created, a.file_name, a.id))

    def google_album(self, title: str):  # type: ignore[no-untyped-def]
        album = self.google.album_by_title(title)
        assert album is not None, f"no Google album {title!r}"
        return album

    def contents(self, title: str) -> list[str]:
        return [m.sha1 for m in self.google.album_files(self.google_album(title).id)]

    edits: str = "edited"  # [sync] edits: what Google should show of an edited asset

    def shown(self, asset: Asset) -> str:
        """The SHA-1 Google should hold for the asset: its edit, where there is one."""
        if asset.edited is not None and self.edits == "edited":
            return asset.edited.sha1_base64
        return asset.content.sha1_base64

    def assert_mirrored(self, *names: str, ordered: bool = True) -> None:
        for name in names:
            want = [self.shown(a) for a in self.eligible(name)]
            got = self.contents(name)
            if ordered:
                assert got == want, name
            else:  # only what is there, each once (additions by reference append)
                assert sorted(got) == sorted(want), name

    def sync(self, *args: str, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
        """One `sync`, in this process with retries that do not sleep; ``env=`` (a different
        environment) or ``process=True`` runs the real command in a child instead."""
        if kw.pop("process", False) or "env" in kw:
            return run_cli("sync", *args, timeout=kw.pop("timeout", 300), **kw)
        return run_in_process("sync", *args)

    def add_photo(self, album: str) -> Asset:
        """A new photo in an Immich album: the next sync has work for Google."""
        lib = self.scenario.library
        return lib.add_asset(
            self.scenario.me, f"NEW_{len(lib.assets)}.jpg", albums=[self.album(album)]
        )

    def day_passes(self, albums: bool = True) -> None:
        """As if a day went by: the daily login check (and, with ``albums``, album checks) is due."""
        with self.state() as db:
            db.execute(
                "UPDATE meta SET value = '2000-01-01T00:00:00Z' WHERE key = 'login_checked_at'"
            )
            if albums:
                db.execute("UPDATE google_albums SET verified_at = '2000-01-01T00:00:00Z'")

    def state(self) -> sqlite3.Connection:
        return sqlite3.connect(self.state_dir / "state.sqlite3")


def make_world(
    version: int, config_path: Path, state_dir: Path, tmp_path: Path, google: GoogleStandIn, stack
) -> World:  # type: ignore[no-untyped-def]
    scenario = scenario_library(big=False)
    immich = stack.enter_context(ImmichStandIn(scenario.library, version=version))
    # init, auth and `albums add` as they leave the home, written in-process (tests/homes.py)
    init_home(
        config_path, immich.url, client_secrets=google.secrets_path, google_api_url=google.url
    )
    store_google_login(google, state_dir)
    select_albums(config_path, albums_named(scenario.library, *SYNCED))
    google.capture_time = _capture_times(scenario)
    return World(immich, google, scenario, config_path, state_dir)


def _capture_times(scenario: Scenario) -> Callable[[str], str | None]:
    """What Google reads from a file's EXIF: the capture time Immich has for those bytes."""

    def capture_time(sha1: str) -> str | None:
        for asset in scenario.library.assets.values():
            renditions = [asset.content] + ([asset.edited] if asset.edited else [])
            if any(r.sha1_base64 == sha1 for r in renditions) and asset.has_exif:
                return ts(asset.created)
        return None

    return capture_time
