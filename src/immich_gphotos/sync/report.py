"""RunReport: what a sync run did, per album and in total, and the exit code it means; and the
plain one-line texts of it that the log file, notifications and cron output share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from immich_gphotos.errors import AppError, ExitCode


@dataclass
class AlbumResult:
    immich_id: str
    name: str
    google_title: str
    uploaded: int = 0
    added: int = 0
    removed: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0
    in_sync: int = 0
    given_up: int = 0
    deferred: int = 0
    removal_refused: int = 0
    unreadable: bool = False  # Immich could not give it (deleted, wrong id, a smart search failed)
    # Google holds an album of this title that the state does not know: `check --repair` first
    needs_repair: bool = False
    problems: list[str] = field(default_factory=list)
    kind: str = "album"  # "album" | "smart"; a smart album's immich_id is its "smart-..." id

    def identity(self) -> dict[str, Any]:
        """The album's ids as every JSON output gives them."""
        smart = self.kind == "smart"
        return {
            "kind": self.kind,
            "immich_id": None if smart else self.immich_id,
            "smart_id": self.immich_id if smart else None,
        }


@dataclass
class RunReport:
    albums: list[AlbumResult] = field(default_factory=list)
    stopped: str | None = None  # None | limit | budget | quota | storage | interrupted
    google_requests: int = 0
    error: AppError | None = None  # what ended the run early (auth, unreachable...), if anything
    # the follow-through (sync/follow.py): changes in Immich after upload carried to Google
    replaced: int = 0  # items replaced by a new rendition (an edit); the old in "replaced"
    described: int = 0  # descriptions patched onto Google items
    renamed: int = 0  # Google albums (parts) retitled
    kept: int = 0  # changes left alone: the Google item was not created by this tool
    follow_failed: int = 0  # patches that failed this time (tried again next run)
    login_expires: str | None = None  # the Google login dies then (an app left in 'Testing')

    def total(self, name: str) -> int:
        return sum(getattr(a, name) for a in self.albums)

    @property
    def exit_code(self) -> int:
        if self.stopped == "interrupted":
            return ExitCode.INTERRUPTED
        if self.stopped in ("budget", "quota"):
            return ExitCode.QUOTA
        if self.stopped == "storage":
            return ExitCode.STORAGE_FULL
        if self.error is not None:
            return self.error.exit_code
        # a selected album Immich could not give is not in sync: never 0 (shared/SPEC.md)
        if (
            self.total("failed")
            or self.total("removal_refused")
            or any(a.unreadable or a.needs_repair for a in self.albums)
            or self.follow_failed
        ):
            return ExitCode.FAILED
        return ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        keys = ("uploaded", "added", "removed", "skipped", "failed", "bytes")
        return {
            "exit_code": self.exit_code,
            **{k: self.total(k) for k in keys},
            "in_sync": self.total("in_sync"),
            "given_up": self.total("given_up"),
            "google_requests": self.google_requests,
            "stopped": self.stopped,
            "error": self.error.message if self.error else None,
            "replaced": self.replaced,
            "descriptions_patched": self.described,
            "albums_renamed": self.renamed,
            "not_app_created": self.kept,
            "login_expires": self.login_expires,
            "albums": [
                {k: v for k, v in asdict(a).items() if k not in ("problems", "kind", "unreadable")}
                | a.identity()
                | {"problems": list(a.problems)}
                for a in self.albums
            ],
        }


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def album_line(r: AlbumResult) -> str:
    line = (
        f'album "{r.name}" -> "{r.google_title}": uploaded {r.uploaded}, added {r.added}, removed {r.removed}, '
        f"skipped {r.skipped}, failed {r.failed}, in sync before {r.in_sync}, {human_bytes(r.bytes)}"
    )
    if r.given_up:
        line += f", {r.given_up} given up (sync --retry-failed)"
    if r.deferred:
        line += f", {r.deferred} left for later (--limit)"
    return line


def summary_line(report: RunReport) -> str:
    stop = f", stopped: {report.stopped}" if report.stopped else ""
    follow = "".join(
        f", {label} {n}"
        for label, n in (
            ("replaced", report.replaced),
            ("descriptions patched", report.described),
            ("albums renamed", report.renamed),
            ("left alone (not created by this tool)", report.kept),
        )
        if n
    )
    error = f", error: {report.error.message}" if report.error else ""
    return (
        f"sync finished: uploaded {report.total('uploaded')}, added {report.total('added')}, "
        f"removed {report.total('removed')}, skipped {report.total('skipped')}, "
        f"failed {report.total('failed') + report.follow_failed}{follow}, "
        f"{human_bytes(report.total('bytes'))}, {report.google_requests} Google requests{stop}{error}, "
        f"exit {report.exit_code}"
    )
