"""The log file in the state dir: plain timestamped lines, rotated, with secrets masked."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from immich_gphotos.fileio import state_writes

LOG_FILE_NAME = "immich-gphotos.log"
MAX_BYTES = 1_000_000
BACKUPS = 3


class _Redact(logging.Filter):
    """Defence in depth: no secret value reaches the file, whatever a message carries."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, secret[:3] + "***")
        record.msg, record.args = message, None
        return True


class _StateLog(logging.handlers.RotatingFileHandler):
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
    path = state_dir / LOG_FILE_NAME
    with state_writes(state_dir):
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = _StateLog(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        os.chmod(path, 0o600)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    handler.addFilter(_Redact(secrets))
    root = logging.getLogger("immich_gphotos")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    return handler


def close_log(handler: logging.Handler) -> None:
    logging.getLogger("immich_gphotos").removeHandler(handler)
    handler.close()
