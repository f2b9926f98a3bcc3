"""The core of `check` and `check --repair`: lock, state, clients and budget around the audit
(``sync.audit``) and the repair (``sync.repair``); no printing here.

`check` reads Google and changes nothing but the day's request count. `check --repair` also
reads the selected albums from Immich (to match items to assets) and writes to Google (albums
made again, items put back by reference) and to the state (what it took over and matched).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from immich_gphotos.commands import auth as account
from immich_gphotos.commands.names import chosen_albums
from immich_gphotos.commands.runs import day_budget, keep_backup
from immich_gphotos.commands.wiring import Wiring
from immich_gphotos.config import AlbumSelection, Settings
from immich_gphotos.credentials.backends import open_store
from immich_gphotos.credentials.base import SecretStore, immich_api_key
from immich_gphotos.errors import AuthError
from immich_gphotos.gphotos.auth import TokenSource
from immich_gphotos.gphotos.client import GooglePhotosClient
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.lock import RunLock
from immich_gphotos.state.repairs import RepairRecords
from immich_gphotos.state.store import StateStore
from immich_gphotos.sync.audit import AlbumToCheck, Audit, CheckReport, estimate
from immich_gphotos.sync.context import Clients, RunContext, Stop
from immich_gphotos.sync.events import NullReporter, Reporter
from immich_gphotos.sync.fetch import fetch_albums
from immich_gphotos.sync.options import RunOptions
from immich_gphotos.sync.plan import AlbumSpec
from immich_gphotos.sync.repair import repair_album

log = logging.getLogger("immich_gphotos.check")


@dataclass(frozen=True)
class CheckEstimate:
    requests: int  # about how many Google requests the check makes
    used_today: int
    budget: int


def run_check(
    settings: Settings,
    albums: tuple[str, ...] = (),
    repair: bool = False,
    on_estimate: Callable[[CheckEstimate], None] | None = None,
    wiring: Wiring | None = None,
    reporter: Reporter | None = None,
) -> CheckReport:
    wiring = wiring or Wiring()
    store = open_store(settings.secrets_backend, settings.state_dir)
    with ExitStack() as stack:
        stack.enter_context(RunLock(settings.state_dir))
        state = StateStore.open(settings.state_dir)
        stack.callback(state.close)
        client = account.load_client(settings)
        account.check_client(state, client)  # another client's albums are invisible: exit 3
        refresh = account.refresh_token(store)
        if state.get_meta(account.CLIENT_META_KEY) is None:
            state.set_meta(account.CLIENT_META_KEY, client.client_id)
        immich = _immich(settings, store, stack, wiring) if repair else None
        selection, smart = chosen_albums(settings, state, immich, albums)
        records = RepairRecords(state)
        specs: dict[str, AlbumSpec] = {}
        if immich is not None:  # repairing: the Immich albums, to match Google's items to assets
            specs = {s.immich_id: s for s in fetch_albums(immich, selection, smart).specs}
        checks = [_to_check(state, s, specs.get(s.immich_id)) for s in selection]
        checks += [  # a smart album is keyed by its id and titled by the config
            AlbumToCheck(s.id, s.title, s.title, "smart") for s in smart
        ]
        budget = day_budget(state, stack, settings.google.daily_request_budget)
        report = CheckReport(repair=repair, estimate=estimate(records, checks, repair))
        if on_estimate is not None:
            on_estimate(CheckEstimate(report.estimate, budget.used_today(), budget.limit))
        google = stack.enter_context(
            GooglePhotosClient(
                settings.google.api_url,
                TokenSource(client, refresh),
                budget,
                retry=wiring.google_retry,
            )
        )
        audit = Audit(google, records, report)
        ctx = None
        if immich is not None:
            clients = Clients(immich, google, budget, client.client_id)
            ctx = RunContext(
                settings.sync,
                clients,
                records,
                reporter or NullReporter(),
                threading.Event(),
                RunOptions(),
            )
        try:
            _run(audit, ctx, records, specs, checks, restricted=bool(albums))
        finally:
            report.google_requests = budget.sent
        if not report.stopped:
            keep_backup(state, log)
        return report
    raise AssertionError("unreachable")


def _run(
    audit: Audit,
    ctx: RunContext | None,
    records: RepairRecords,
    specs: dict[str, AlbumSpec],
    checks: list[AlbumToCheck],
    restricted: bool,
) -> None:
    """Album by album: read and compare, then (repairing) mend. A stop at the budget or the
    quota leaves the rest unread, and says which."""
    report = audit.report
    done = 0
    try:
        audit.list_albums()
        for album in checks:
            result = audit.check_album(album)
            spec = specs.get(album.key)
            if ctx is not None and spec is None:
                result.problems.append("Immich could not give this album; nothing was repaired")
            elif ctx is not None and spec is not None:
                repair_album(ctx, audit, records, result, spec)
            done += 1
    except Stop:
        if ctx is not None and ctx.report.error is not None:
            raise ctx.report.error from None  # auth, unreachable: the command's exit code
        if ctx is not None and ctx.report.stopped:
            report.stopped = ctx.report.stopped
        report.not_checked = [a.google_title for a in checks[done:]]
    titles = {a.google_title for a in checks}
    report.unknown_albums = [
        {
            "id": a.id,
            "title": a.title,
            "items": a.media_items_count,
            "product_url": a.product_url,
        }
        for a in audit.unknown()
        if not restricted or any(a.title.startswith(t) for t in titles)
    ]


def _immich(
    settings: Settings, store: SecretStore, stack: ExitStack, wiring: Wiring
) -> ImmichClient:
    key = immich_api_key(store)
    if not key:
        raise AuthError(
            "No Immich API key is stored; run `immich-gphotos init` (or set IMMICH_API_KEY)."
        )
    return stack.enter_context(
        ImmichClient(
            settings.immich.url, key, verify=settings.immich.verify_tls, retry=wiring.immich_retry
        )
    )


def _to_check(state: StateStore, selected: AlbumSelection, spec: AlbumSpec | None) -> AlbumToCheck:
    if spec is not None:  # Immich's names: what a sync would title the Google album
        return AlbumToCheck(spec.immich_id, spec.name, spec.google_title, spec.kind)
    counts = state.album_counts(selected.immich_id)
    title = selected.google_title or counts.google_title or counts.name or selected.immich_id
    return AlbumToCheck(selected.immich_id, counts.name or title, title)
