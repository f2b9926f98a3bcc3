"""Notifications after a sync: a healthchecks-style ping URL and a command on a change of outcome.

A notification that cannot be delivered is logged and never changes the exit code.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable, Mapping

from immich_gphotos.config import NotifySettings
from immich_gphotos.errors import ExitCode
from immich_gphotos.text import clean

log = logging.getLogger("immich_gphotos.notify")
OUTCOME_KEY = "last_outcome"
TIMEOUT = 10.0
# What the notify command may see of our environment: enough to run a desktop notifier or a
# mailer, never a secret (IMMICH_API_KEY, IMMICH_GPHOTOS_PASSPHRASE and whatever else is set).
ENV_ALLOWED = ("PATH", "HOME", "LANG", "TZ", "USER", "LOGNAME")
ENV_ALLOWED_PREFIXES = ("LC_",)


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed part of ``environ`` (default: ours), for the notify command."""
    source = os.environ if environ is None else environ
    return {
        name: value
        for name, value in source.items()
        if name in ENV_ALLOWED or name.startswith(ENV_ALLOWED_PREFIXES)
    }


def outcome_of(exit_code: int) -> str | None:
    """ok | failing | auth needed; None for runs that say nothing about health (lock held, ^C)."""
    if exit_code in (ExitCode.OK, ExitCode.QUOTA):  # how a big first sync proceeds
        return "ok"
    if exit_code == ExitCode.AUTH:
        return "auth needed"
    if exit_code in (ExitCode.LOCKED, ExitCode.INTERRUPTED):
        return None
    return "failing"


class Notifier:
    def __init__(self, settings: NotifySettings, post: Callable[..., object] | None = None) -> None:
        self.settings = settings
        self._post = post

    def _send(self, url: str, body: str = "") -> None:
        import httpx

        try:
            response = (self._post or httpx.post)(
                url, content=body.encode("utf-8"), timeout=TIMEOUT
            )
            status = getattr(response, "status_code", 200)
            if status >= 400:
                log.warning("notification ping %s answered %s", _safe(url), status)
        except Exception as exc:  # undeliverable: logged, never fatal
            log.warning("notification ping %s failed: %s", _safe(url), exc.__class__.__name__)

    def started(self) -> None:
        if self.settings.ping_url:
            self._send(self.settings.ping_url.rstrip("/") + "/start")

    def finished(self, exit_code: int, summary: str, previous: str | None) -> str | None:
        """Ping the result; run the command when the outcome changed. Returns the new outcome."""
        summary = clean(summary)  # one inert line, whatever an error quoted
        if self.settings.ping_url:
            base = self.settings.ping_url.rstrip("/")
            self._send(base if exit_code == ExitCode.OK else f"{base}/fail", summary)
        outcome = outcome_of(exit_code)
        if outcome is None:
            return previous
        changed = outcome != (previous or "ok")
        if self.settings.command and changed:
            self._run_command(f"immich-gphotos sync: {outcome}\n{summary}\n")
        return outcome

    def login_expiring(self, text: str) -> None:
        """The Google login ends soon: the notify command hears it (the caller says it once)."""
        if self.settings.command:
            self._run_command(f"immich-gphotos sync: login expiring\n{clean(text)}\n")

    def _run_command(self, text: str) -> None:
        assert self.settings.command is not None
        try:
            result = subprocess.run(
                list(self.settings.command),
                input=text.encode("utf-8"),
                timeout=TIMEOUT,
                env=child_environment(),
                capture_output=True,
                check=False,
            )
            if result.returncode != 0:
                log.warning(
                    "notification command %s exited %s", self.settings.command[0], result.returncode
                )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning(
                "notification command %s failed: %s",
                self.settings.command[0],
                exc.__class__.__name__,
            )


def _safe(url: str) -> str:
    """A ping URL's path is its secret (the check's uuid), and so is a user:pass@: log only the host."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the ping URL"
    return clean(host + port) if host else "the ping URL"
