"""The Reporter interface: what the engine tells the user interface while it works."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from immich_gphotos.sync.plan import AlbumPlan, Plan
    from immich_gphotos.sync.report import AlbumResult, RunReport


class Reporter(Protocol):
    def plan_ready(self, plan: Plan) -> None: ...
    def album_started(self, album: AlbumPlan) -> None: ...
    def transfer_started(self, key: str, name: str, size: int | None) -> None: ...
    def transfer_progress(self, key: str, n: int) -> None: ...
    def transfer_done(self, key: str, ok: bool) -> None: ...
    def items_done(self, n: int) -> None: ...
    def album_done(self, result: AlbumResult) -> None: ...
    def run_done(self, report: RunReport) -> None: ...
    def log(self, message: str) -> None: ...


class NullReporter:
    """Says nothing (tests, --quiet)."""

    def plan_ready(self, plan: Plan) -> None:
        pass

    def album_started(self, album: AlbumPlan) -> None:
        pass

    def transfer_started(self, key: str, name: str, size: int | None) -> None:
        pass

    def transfer_progress(self, key: str, n: int) -> None:
        pass

    def transfer_done(self, key: str, ok: bool) -> None:
        pass

    def items_done(self, n: int) -> None:
        pass

    def album_done(self, result: AlbumResult) -> None:
        pass

    def run_done(self, report: RunReport) -> None:
        pass

    def log(self, message: str) -> None:
        pass
