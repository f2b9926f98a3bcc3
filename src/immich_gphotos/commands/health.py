"""`health`: is a `sync --every` loop alive? Read from its heartbeat file; no printing.

The container's HEALTHCHECK runs this. Healthy: the loop's heartbeat (written at each run's start
and end, and every half minute while a run makes progress) is younger than two intervals plus
the largest random delay, or younger than ``--max-age`` when that is given. Unhealthy: no
heartbeat yet, a stale one (runs stopped: the process hangs or is gone), or a loop that ended.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from immich_gphotos.commands.every import heartbeat_path


@dataclass(frozen=True)
class Health:
    healthy: bool
    message: str


def check(state_dir: Path, max_age: float | None = None, now: float | None = None) -> Health:
    path = heartbeat_path(state_dir)
    try:
        beat = json.loads(path.read_text(encoding="utf-8"))
        updated = float(beat["updated_unix"])
        interval = float(beat["interval_seconds"])
        jitter = float(beat.get("max_jitter_seconds", 0))
    except FileNotFoundError:
        return Health(False, f"unhealthy: no `sync --every` loop has run yet ({path} is missing)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Health(False, f"unhealthy: the heartbeat {path} cannot be read ({exc})")
    age = (time.time() if now is None else now) - updated
    limit = max_age if max_age is not None else 2 * interval + jitter
    where = f"run {beat.get('run')}, last exit {beat.get('last_exit_code')}"
    if beat.get("stopped"):
        return Health(False, f"unhealthy: the sync loop stopped {age:.0f} s ago ({where})")
    if age > limit:
        return Health(
            False,
            f"unhealthy: the sync loop's last sign of life is {age:.0f} s old, over the "
            f"{limit:.0f} s allowed ({where})",
        )
    doing = "a run in progress" if beat.get("running") else f"next run {beat.get('next_run')}"
    return Health(True, f"healthy: last sign of life {age:.0f} s ago ({where}; {doing})")
