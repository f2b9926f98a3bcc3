"""The log file in the state dir: one line per record, rotated, private, with secrets masked."""

from __future__ import annotations

import contextlib
import io
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from immich_gphotos.fileio import open_private, private_state_dir, state_writes
from immich_gphotos.text import clean

LOG_FILE_NAME = "immich-gphotos.log"
MAX_BYTES = 1_000_000
BACKUPS = 3

# Google access tokens ("ya29.…") and any bearer credential, wherever a message carries them.
_TOKENS = re.compile(r"\bya29\.[\w.\-]+|(?i:\bbearer\s+)[\w.~+/\-]+=*")
# userinfo in a URL (a ping URL with user:pass@)
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


class _RedactingFormatter(logging.Formatter):
    """Defence in depth: the whole record, traceback included, has secrets masked and is made one
    inert line (a newline in an album name must not forge a record)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with the given secrets, access tokens and URL passwords masked, on one inert line."""
    for secret in sorted((s for s in secrets if s and len(s) >= 6), key=len, reverse=True):
        text = text.replace(secret, secret[:3] + "***")
    text = _TOKENS.sub(lambda m: m.group(0)[:5] + "***", text)
    text = _USERINFO.sub("***@", text)
    return clean(text)


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """Every file it opens, the first and each one after a rotation, is 0600 and no symlink."""

    def _open(self) -> io.TextIOWrapper:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND)
        return open(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)  # noqa: SIM115


class _StateLog(_PrivateRotatingHandler):
    """A log file that cannot be written (the disk filled mid-run) is said once on stderr, not as
    logging's traceback per line; the state's own writes then end the run with exit 9."""

    broken = False

    def handleError(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        self.broken = True
        problem = sys.exc_info()[1]
        reason = getattr(problem, "strerror", None) or problem.__class__.__name__
        with contextlib.suppress(Exception):
            sys.stderr.write(
                f"Warning: the log file {self.baseFilename} cannot be written ({reason}).\n"
            )
        self._drop_stream()

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def _drop_stream(self) -> None:
        """Close the file even when its buffered lines cannot be flushed (they are lost)."""
        stream, self.stream = self.stream, None  # type: ignore[assignment]
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()

    def close(self) -> None:
        if self.broken:
            self._drop_stream()
        try:
            super().close()
        except OSError:  # the last flush hit a full disk
            self.broken = True
            self._drop_stream()
            logging.Handler.close(self)


def open_log(state_dir: Path, secrets: list[str]) -> logging.Handler:
    private_state_dir(state_dir)
    with state_writes(state_dir):
        handler = _StateLog(
            state_dir / LOG_FILE_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    # the list is shared: secrets added later (the refresh token) are masked from then on
    handler.setFormatter(_RedactingFormatter(secrets))
    root = logging.getLogger("immich_gphotos")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    return handler


def close_log(handler: logging.Handler) -> None:
    logging.getLogger("immich_gphotos").removeHandler(handler)
    handler.close()
