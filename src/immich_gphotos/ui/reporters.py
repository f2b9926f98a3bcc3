"""Reporter implementations: Rich progress on a terminal, plain lines for cron, silence for --json/--quiet."""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from immich_gphotos import signals
from immich_gphotos.clock import local_iso
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
        self._write(self.log_stream, f"{local_iso()} {message}")  # local, as `status` shows


BIG_FILE = 64_000_000  # a transfer this large shows its own rate; smaller ones finish too fast


def shorten_middle(name: str, width: int) -> str:
    """``name`` in at most ``width`` terminal cells, cut in the middle so the start and the end
    (the counter and the extension) stay: ``PXL_2024…_123.jpg``."""
    from rich.cells import cell_len

    if cell_len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    head_room = (width - 1) // 2
    tail_room = width - 1 - head_room
    head, tail = "", ""
    for ch in name:
        if cell_len(head + ch) > head_room:
            break
        head += ch
    for ch in reversed(name):
        if cell_len(ch + tail) > tail_room:
            break
        tail = ch + tail
    return f"{head}…{tail}"


def _first_fitting(width: int, *texts: str) -> str:
    """The richest of ``texts`` (given richest first) that fits ``width``."""
    for text in texts:
        if len(text) <= width:
            return text
    return texts[-1][:width]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def progress_layout(width: int) -> tuple[int, int, int]:
    """Fixed widths (label, bar, detail) for a live display ``width`` cells wide (>= 60): the
    columns never move as transfers come and go, and no line reaches the last cell (a line that
    fills it makes some terminals wrap)."""
    usable = max(width, 40) - 1
    label = max(14, min(36, usable * 3 // 10))
    detail = 26 if usable < 70 else 38 if usable < 95 else 40
    bar = max(6, usable - label - detail - 2)
    return label, bar, detail


def detail_text(task: Any, width: int) -> str:
    """The counts beside a bar: items done; bytes with the one overall rate and ETA; a transfer's
    bytes (its own rate only for a big file, where it means something)."""
    kind = task.fields.get("kind")
    if kind == "items":
        count, of = int(task.completed), int(task.total or 0)
        return _first_fitting(width, f"{count}/{of} items", f"{count}/{of}")
    done = human_bytes(task.completed)
    total = human_bytes(task.total) if task.total else "?"
    if kind == "bytes":
        rate = f"{human_bytes(task.speed)}/s" if task.speed else "-"
        eta = "ETA " + ("done" if task.finished else _clock(task.time_remaining))
        return _first_fitting(
            width,
            f"{done} of {total}  {rate}  {eta}",
            f"{done}/{total}  {rate}  {eta}",
            f"{done}/{total}  {eta}",
            f"{done}/{total}",
        )
    if task.total and task.total >= BIG_FILE and task.speed:
        return _first_fitting(
            width, f"{done} of {total}  {human_bytes(task.speed)}/s", f"{done}/{total}"
        )
    return _first_fitting(width, f"{done} of {total}", f"{done}/{total}")


def _fitted_progress(console: Any) -> Any:
    """A Rich Progress whose rows are laid out for the terminal's current width at every refresh:
    fixed columns, a label shortened in the middle, nothing that wraps."""
    from rich.progress import Progress, ProgressBar
    from rich.table import Table
    from rich.text import Text

    class FittedProgress(Progress):
        def make_tasks_table(self, tasks):  # type: ignore[no-untyped-def]
            label_w, bar_w, detail_w = progress_layout(console.width)
            table = Table.grid(padding=(0, 1), expand=False)
            table.add_column(width=label_w, no_wrap=True, overflow="ellipsis")
            table.add_column(width=bar_w, no_wrap=True)
            table.add_column(width=detail_w, no_wrap=True, overflow="ellipsis")
            for task in tasks:
                if not task.visible:
                    continue
                indent = "  " if task.fields.get("kind") == "transfer" else ""
                label = indent + shorten_middle(task.description, label_w - len(indent))
                bar = ProgressBar(
                    total=task.total,
                    completed=task.completed,
                    width=bar_w,
                    pulse=not task.started or task.total is None,
                    animation_time=task.get_time(),
                )
                table.add_row(Text(label), bar, Text(detail_text(task, detail_w)))
            return table

    return FittedProgress(console=console, transient=False, auto_refresh=True)


class RichReporter(PlainReporter):
    """On a terminal: overall items and bytes (one ETA, from the bytes), a line per transfer in
    flight; laid out for any width from 60 columns up."""

    def __init__(self, console: Any = None) -> None:
        super().__init__()
        from rich.console import Console

        self.console = console or Console(highlight=False)
        self.progress = _fitted_progress(self.console)
        self._items: Any = None
        self._bytes: Any = None
        self._transfers: dict[str, Any] = {}
        self._unregister: Any = lambda: None
        self._live = False
        self._counted_early = 0  # items shown done when their upload finished, before their batch

    def plan_ready(self, plan: Plan) -> None:
        total_items = plan.uploads + plan.adds
        if not total_items:
            return
        self._unregister = signals.on_hard_exit(self._restore_terminal)
        self._live = True
        self.progress.start()  # hides the cursor until stop(); a hard exit must show it again
        self._items = self.progress.add_task("Items", total=total_items, kind="items")
        self._bytes = self.progress.add_task("Bytes", total=max(plan.bytes, 1), kind="bytes")

    def album_started(self, album: AlbumPlan) -> None:
        if album.place:
            from rich.markup import escape  # album names are the user's text: "[2024]" is no markup

            self.progress.console.print(
                f"[bold]{escape(album.spec.name)}[/] -> {escape(album.spec.google_title)}: "
                f"{len(album.place)} to place"
            )

    def transfer_started(self, key: str, name: str, size: int | None) -> None:
        self._transfers[key] = self.progress.add_task(name, total=size or None, kind="transfer")

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
        if ok and self._items is not None:  # counted now, not when its batch of 50 is placed
            self.progress.advance(self._items, 1)
            self._counted_early += 1

    def items_done(self, n: int) -> None:
        if self._items is None:
            return
        already = min(n, self._counted_early)
        self._counted_early -= already
        if n - already:
            self.progress.advance(self._items, n - already)

    def album_done(self, result: AlbumResult) -> None:
        pass

    def run_done(self, report: RunReport) -> None:
        self.stop_display()
        self.console.print(summary_table(report, self.console.width))
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


def summary_table(report: RunReport, width: int) -> Any:
    """Per album: what moved. Numbers never wrap (``133.7 MB`` stays whole); below 100 columns
    the Google title (printed above as each album started) gives way, and headers shorten."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    wide = width >= 100
    table = Table(title="Sync summary", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Album", overflow="fold", min_width=10)
    if wide:
        table.add_column("Google album", overflow="fold", min_width=10)
    headers = (
        ("Uploaded", "Added", "Removed", "Skipped", "Failed", "Bytes")
        if width >= 80
        else ("Up", "Added", "Rem", "Skip", "Fail", "Bytes")
    )
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for r in report.albums:
        cells = [Text(r.name)]  # the user's text, never markup
        if wide:
            cells.append(Text(r.google_title))
        numbers = (r.uploaded, r.added, r.removed, r.skipped, r.failed)
        cells += [Text(str(n)) for n in numbers] + [Text(human_bytes(r.bytes))]
        table.add_row(*cells)
    return table
