"""What one run of `sync` is given: its options (flags over config), its ``Wiring`` (how it
reaches the servers, injectable for tests) and ``build_engine``, where they become a SyncEngine.

``commands.check`` and ``commands.every`` take a ``Wiring`` too; nothing here opens anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from immich_gphotos.config import AlbumSelection, Settings, SmartAlbum
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.state.store import StateStore
from immich_gphotos.sync.context import Clients
from immich_gphotos.sync.engine import SyncEngine
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.options import RunOptions
from immich_gphotos.transport import RetryPolicy


@dataclass(frozen=True)
class Wiring:
    """How a run reaches the outside world. Production uses the defaults; tests inject policies
    whose ``sleep`` records instead of waiting."""

    immich_retry: RetryPolicy | None = None
    google_retry: RetryPolicy | None = None
    # `sync --every` (commands/every.py): the wait between runs, on the stop event (True: stopped),
    # and the random delay added to the interval; None: a real wait and a random delay
    wait: Callable[[threading.Event, float], bool] | None = None
    jitter: Callable[[float], float] | None = None
    # the engine's clock for the age of Google's upload tokens (hours); None: time.monotonic
    monotonic: Callable[[], float] | None = None


def run_options(
    settings: Settings,
    *,
    albums: list[str] | tuple[str, ...] = (),
    dry_run: bool = False,
    limit: int | None = None,
    concurrency: int | None = None,
    retry_failed: bool = False,
    allow_mass_removal: bool = False,
) -> RunOptions:
    """The run's choices, flags over config, decided here once."""
    return RunOptions(
        albums=tuple(albums),
        dry_run=dry_run,
        limit=limit,
        concurrency=concurrency or settings.sync.concurrency,
        retry_failed=retry_failed,
        allow_mass_removal=allow_mass_removal,
    )


def build_engine(
    settings: Settings,
    clients: Clients,
    state: StateStore,
    reporter: Reporter,
    stop: threading.Event,
    options: RunOptions,
    selection: tuple[list[AlbumSelection], list[SmartAlbum]],
    wiring: Wiring,
) -> SyncEngine:
    """The one place a SyncEngine is built (for a dry run and for a real one)."""
    albums, smart = selection
    records, clock = SyncRecords(state), wiring.monotonic or time.monotonic
    return SyncEngine(
        settings.sync, clients, records, reporter, stop, options, albums, smart, clock
    )
