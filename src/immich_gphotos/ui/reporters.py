"""Reporter implementations: Rich progress on a terminal, plain lines for cron, silence for --json/--quiet."""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from immich_gphotos import signals
from immich_gphotos.clock import iso, utcnow
from immich_gphotos.sync.events import NullReporter
from immich_gphotos.sync.report import album_line, human_bytes, summary_line

if TYPE_CHECKING:
    from immich_gphotos.sync.plan import AlbumPlan, Plan
    from immich_gphotos.sync.report import AlbumResult, RunReport


class PlainReporter(NullReporter):
    """For cron and pipes: one line per album and one summary line, no control characters.

    ``stream`` is stdout normally; with --json the lines go to stderr (stdout holds the JSON)."""

    def __init__(self, stream: Any = None, log_stream: Any = None, summary: bool = True) -> None:
        self.stream = stream or sys.stdout
        self.log_stream = log_stream or sys.stderr
        self.summary = summary
        self._lock = threading.Lock()

    def _write(self, stream: Any, line: str) -> None:
        clean = "".join(ch if ch.isprintable() else " " for ch in line)
        with self._lock:
            print(clean, file=stream, flush=True)

    def album_done(self, result: AlbumResult) -> None:
        if self.summary:
            self._write(self.stream, album_line(result))

    def run_done(self, report: RunReport) -> None:
        if self.summary:
            self._write(self.stream, summary_line(report))

    def log(self, message: str) -> None:
        self._write(self.log_stream, f"{iso(utcnow())} {message}")


class RichReporter(PlainReporter):
    """On a terminal: overall items and bytes with rate and ETA, a line per transfer in flight."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self.console = Console(highlight=False)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            _detail_column(),
            console=self.console,
            transient=False,
        )
        self._items: Any = None
        self._bytes: Any = None
        self._transfers: dict[str, Any] = {}
        self._unregister: Any = lambda: None
        self._live = False

    def plan_ready(self, plan: Plan) -> None:
        total_items = plan.uploads + plan.adds
        if not total_items:
            return
        self._unregister = signals.on_hard_exit(self._restore_terminal)
        self._live = True
        self.progress.start()  # hides the cursor until stop(); a hard exit must show it again
        self._items = self.progress.add_task("items", total=total_items, unit="items")
        self._bytes = self.progress.add_task("bytes", total=max(plan.bytes, 1), unit="bytes")

    def album_started(self, album: AlbumPlan) -> None:
        if album.place:
            from rich.markup import escape  # album names are the user's text: "[2024]" is no markup

            self.progress.console.print(
                f"[bold]{escape(album.spec.name)}[/] -> {escape(album.spec.google_title)}: "
                f"{len(album.place)} to place"
            )

    def transfer_started(self, key: str, name: str, size: int | None) -> None:
        self._transfers[key] = self.progress.add_task(f"  {name}", total=size or None, unit="bytes")

    def transfer_progress(self, key: str, n: int) -> None:
        task = self._transfers.get(key)
        if task is not None:
            self.progress.advance(task, n)
        if self._bytes is not None:
            self.progress.advance(self._bytes, n)

    def transfer_done(self, key: str, ok: bool) -> None:
        task = self._transfers.pop(key, None)
        if task is not None:
            self.progress.remove_task(task)

    def items_done(self, n: int) -> None:
        if self._items is not None:
            self.progress.advance(self._items, n)

    def album_done(self, result: AlbumResult) -> None:
        pass

    def run_done(self, report: RunReport) -> None:
        from rich.table import Table
        from rich.text import Text

        self.stop_display()
        table = Table(title="Sync summary", title_justify="left")
        for column in (
            "Album",
            "Google album",
            "Uploaded",
            "Added",
            "Removed",
            "Skipped",
            "Failed",
            "Bytes",
        ):
            table.add_column(
                column, justify="left" if column in ("Album", "Google album") else "right"
            )
        for r in report.albums:
            table.add_row(
                Text(r.name),  # the user's text, never markup
                Text(r.google_title),
                str(r.uploaded),
                str(r.added),
                str(r.removed),
                str(r.skipped),
                str(r.failed),
                human_bytes(r.bytes),
            )
        self.console.print(table)
        from rich.markup import escape

        for r in report.albums:
            for problem in r.problems:
                self.console.print(f"[yellow]{escape(r.name)}:[/] {escape(problem)}", markup=True)
        self.console.print(summary_line(report), markup=False)

    def log(self, message: str) -> None:
        self.progress.console.print(message, markup=False)

    def stop_display(self) -> None:
        """End the live progress (the cursor is shown again); also when the run ended by an
        error or a signal instead of reaching ``run_done``. Safe to call twice."""
        if self._live:
            self._live = False
            self.progress.stop()
            self._unregister()

    def _restore_terminal(self) -> None:
        """Called from a signal handler just before the process exits: no Rich, no locks."""
        if self.console.is_terminal:
            os.write(self.console.file.fileno(), b"\x1b[?25h\r\n")


def _detail_column():  # type: ignore[no-untyped-def]
    """Counts, rate and ETA in the unit of each task: items for the overall count, bytes for transfers."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Detail(ProgressColumn):
        def render(self, task):  # type: ignore[no-untyped-def]
            eta = task.time_remaining
            left = (
                f"ETA {int(eta) // 60}:{int(eta) % 60:02d}"
                if eta is not None and not task.finished
                else ""
            )
            if task.fields.get("unit") == "bytes":
                rate = f"{human_bytes(task.speed)}/s" if task.speed else ""
                total = human_bytes(task.total) if task.total else "?"
                return Text(f"{human_bytes(task.completed)} of {total}  {rate}  {left}".rstrip())
            rate = f"{task.speed:.1f} items/s" if task.speed else ""
            return Text(
                f"{int(task.completed)}/{int(task.total or 0)} items  {rate}  {left}".rstrip()
            )

    return Detail()
