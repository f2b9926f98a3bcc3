"""The log file in the state dir: plain timestamped lines, rotated, with secrets masked."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

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


def open_log(state_dir: Path, secrets: list[str]) -> logging.Handler:
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = state_dir / LOG_FILE_NAME
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
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
