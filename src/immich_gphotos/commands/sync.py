"""The core of `sync`: the lock, the state and the Immich client around a run; no printing here.

``run_sync`` is what the CLI calls and what tests call in-process: the clients' retry policies
come in through ``Wiring`` (``commands.wiring``), so a test of faults and retries never sleeps for
real. A dry run ends here, with the plan; a real run is a ``commands.realrun.RealRun``.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack

from immich_gphotos.commands import metrics, runs
from immich_gphotos.commands.names import chosen_albums
from immich_gphotos.commands.outcome import SyncOutcome
from immich_gphotos.commands.realrun import RealRun
from immich_gphotos.commands.wiring import Wiring, build_engine
from immich_gphotos.config import Settings
from immich_gphotos.credentials.backends import open_store
from immich_gphotos.credentials.base import immich_api_key
from immich_gphotos.errors import AppError, AuthError, ConfigError, ExitCode
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.lock import RunLock
from immich_gphotos.sync.context import Clients
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.options import RunOptions


def run_sync(
    settings: Settings,
    options: RunOptions,
    reporter: Reporter,
    stop: threading.Event | None = None,
    wiring: Wiring | None = None,
) -> SyncOutcome:
    """One run. The metrics file, if one is configured, is written at the end of every real run
    (while its log is open, by ``RealRun``), and here for one that failed before it started; a run
    refused by the lock writes none: the run holding the lock writes its own."""
    try:
        return _run_sync(settings, options, reporter, stop, wiring)
    except AppError as exc:
        if not (options.dry_run or exc.notified or exc.exit_code == ExitCode.LOCKED):
            metrics.write(settings, exc.exit_code)
        raise


def _run_sync(
    settings: Settings,
    options: RunOptions,
    reporter: Reporter,
    stop: threading.Event | None,
    wiring: Wiring | None,
) -> SyncOutcome:
    if not settings.albums and not settings.smart_albums:
        raise ConfigError(
            f"No albums are selected in {settings.path}; run `immich-gphotos albums add NAME` "
            "(or `albums smart TITLE ...`) first."
        )
    wiring = wiring or Wiring()
    store = open_store(settings.secrets_backend, settings.state_dir)
    stop = stop or threading.Event()
    with ExitStack() as stack:
        # the lock and the state first: they need no secret, and the key of a secrets file
        # may still be being derived (``cli.early``)
        stack.enter_context(RunLock(settings.state_dir))
        state = runs.open_state(settings, options.dry_run)
        stack.callback(state.close)
        key = immich_api_key(store)
        if not key:
            raise AuthError(
                "No Immich API key is stored; run `immich-gphotos init` (or set IMMICH_API_KEY)."
            )
        immich = stack.enter_context(
            ImmichClient(
                settings.immich.url,
                key,
                verify=settings.immich.verify_tls,
                retry=wiring.immich_retry,
            )
        )
        selection = chosen_albums(settings, state, immich, options.albums)
        if options.dry_run:
            immich.require_permissions()
            engine = build_engine(
                settings, Clients(immich, None), state, reporter, stop, options, selection, wiring
            )
            return SyncOutcome(plan=engine.prepare())
        run = RealRun(settings, options, reporter, stop, stack, state, store, key, wiring)
        return run.execute(immich, selection)
    raise AssertionError("unreachable")
