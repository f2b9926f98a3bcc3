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


class LoggingReporter:
    """Passes every event on, and writes the lines worth keeping to the log file."""

    def __init__(self, inner: Reporter) -> None:
        import logging

        self.inner = inner
        self.log_ = logging.getLogger("immich_gphotos.sync")

    def plan_ready(self, plan: Plan) -> None:
        self.log_.info(
            "plan: %d uploads, %d adds, %d removals, about %d Google requests",
            plan.uploads,
            plan.adds,
            plan.removals,
            plan.google_requests(),
        )
        self.inner.plan_ready(plan)

    def album_started(self, album: AlbumPlan) -> None:
        self.inner.album_started(album)

    def transfer_started(self, key: str, name: str, size: int | None) -> None:
        self.inner.transfer_started(key, name, size)

    def transfer_progress(self, key: str, n: int) -> None:
        self.inner.transfer_progress(key, n)

    def transfer_done(self, key: str, ok: bool) -> None:
        self.inner.transfer_done(key, ok)

    def items_done(self, n: int) -> None:
        self.inner.items_done(n)

    def album_done(self, result: AlbumResult) -> None:
        from immich_gphotos.sync.report import album_line

        self.log_.info(album_line(result))
        self.inner.album_done(result)

    def run_done(self, report: RunReport) -> None:
        from immich_gphotos.sync.report import summary_line

        self.log_.info(summary_line(report))
        self.inner.run_done(report)

    def log(self, message: str) -> None:
        self.log_.info(message)
        self.inner.log(message)
