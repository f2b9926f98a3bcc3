"""RunReport: what a sync run did, per album and in total, and the exit code it means. No rendering."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from immich_gphotos.errors import AppError


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
    problems: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    albums: list[AlbumResult] = field(default_factory=list)
    stopped: str | None = None  # None | limit | budget | quota | storage | interrupted
    google_requests: int = 0
    error: AppError | None = None  # what ended the run early (auth, unreachable...), if anything

    def total(self, name: str) -> int:
        return sum(getattr(a, name) for a in self.albums)

    @property
    def exit_code(self) -> int:
        if self.stopped == "interrupted":
            return 130
        if self.stopped in ("budget", "quota"):
            return 6
        if self.stopped == "storage":
            return 8
        if self.error is not None:
            return self.error.exit_code
        if self.total("failed") or self.total("removal_refused"):
            return 1
        return 0

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
            "albums": [
                {k: v for k, v in asdict(a).items() if k != "problems"}
                | {"problems": list(a.problems)}
                for a in self.albums
            ],
        }
