"""What every part of a run shares: the clients, the records, the reporter, the stop event, the
report being built, and the rules for stopping (signal, budget, quota, storage, fatal errors)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn, TypeVar

from immich_gphotos.budget import RequestBudget
from immich_gphotos.config import SyncSettings
from immich_gphotos.errors import AppError, AuthError, QuotaReached, StorageFull, Unreachable
from immich_gphotos.gphotos.client import GooglePhotosClient
from immich_gphotos.gphotos.models import GoogleAlbum
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.options import RunOptions
from immich_gphotos.sync.report import RunReport

T = TypeVar("T")

# Errors after which nothing else in the run can work: the run stops, progress saved.
STOPPING = (QuotaReached, StorageFull, AuthError, Unreachable)


class Stop(Exception):
    """Unwinds an album when the run must stop (signal, budget, quota, storage, fatal error)."""


class AlbumDeleted(Exception):
    """The Google album went away under us: create it again and place everything again."""


@dataclass
class Clients:
    immich: ImmichClient
    google: GooglePhotosClient | None  # None in --dry-run: nothing may reach Google
    budget: RequestBudget | None = None
    client_id: str | None = None


@dataclass
class RunContext:
    sync: SyncSettings
    clients: Clients
    records: SyncRecords
    reporter: Reporter
    stop: threading.Event
    options: RunOptions
    report: RunReport = field(default_factory=RunReport)
    tokens: dict[str, tuple[str, int]] = field(default_factory=dict)  # asset id -> (token, bytes)
    token_born: dict[str, float] = field(default_factory=dict)  # asset id -> monotonic() then
    media_now: dict[str, str] = field(default_factory=dict)  # checksum -> item created this run
    uploads_left: int | None = None
    # the app's Google albums, listed once in a run and only when an album is about to be made
    google_albums: list[GoogleAlbum] | None = None
    # the clock the upload tokens' ages are read on (``token_born``, the pipeline's TOKEN_HOLD
    # and TOKEN_MAX_AGE); tests give a fake one to make hours pass without waiting
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.uploads_left = self.options.limit

    @property
    def google(self) -> GooglePhotosClient:
        assert self.clients.google is not None, "a dry run never reaches Google"
        return self.clients.google

    @property
    def ended(self) -> bool:
        return self.report.stopped is not None or self.report.error is not None

    def check_stop(self) -> None:
        if self.stop.is_set():
            self.report.stopped = self.report.stopped or "interrupted"
            raise Stop

    def call(self, fn: Callable[[], T]) -> T:
        """A Google call whose stopping errors end the run cleanly (progress is already saved)."""
        try:
            return fn()
        except STOPPING as exc:
            self.fatal(exc)

    def fatal(self, exc: Exception) -> NoReturn:
        if isinstance(exc, QuotaReached):
            self.report.stopped = exc.kind
            self.reporter.log(exc.message)
        elif isinstance(exc, StorageFull):
            self.report.stopped = "storage"
            self.reporter.log(exc.message)
        elif isinstance(exc, AppError):
            self.report.error = exc
        raise Stop
