"""What init, status and every sync warn about: a connection that is not private, and private
files that others can read. Each rule is a function of the settings; call sites only print."""

from __future__ import annotations

import os
from pathlib import Path

from immich_gphotos.config import Settings

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine."""
    import ipaddress

    if not host:
        return False
    if host.lower() in LOOPBACK_HOSTS or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def transport_warnings(settings: Settings) -> list[str]:
    """Why the Immich connection is not private, one sentence each (shown by init, status, sync)."""
    from urllib.parse import urlsplit

    warnings = []
    parts = urlsplit(settings.immich.url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        warnings.append(
            f"Warning: [immich] url {settings.immich.url} is plain http, so the API key and your "
            "photos cross the network unencrypted; use the https:// address of Immich (behind a "
            "reverse proxy) unless this network is entirely yours."
        )
    if settings.immich.verify_tls is False:
        warnings.append(
            f"Warning: [immich] verify_tls = false in {settings.path}: anyone on the path can pose "
            "as Immich and read the API key; set verify_tls to the CA bundle that signed the "
            "server's certificate instead."
        )
    return warnings


def file_warnings(settings: Settings) -> list[str]:
    """Private files others can read: the config, the OAuth client JSON, the passphrase file."""
    import stat

    candidates = [("The config", settings.path)]
    if settings.google.client_secrets:
        candidates.append(
            (
                "The OAuth client file (it holds the client secret)",
                Path(settings.google.client_secrets),
            )
        )
    passphrase_file = os.environ.get("IMMICH_GPHOTOS_PASSPHRASE_FILE")
    if passphrase_file:
        candidates.append(("The passphrase file", Path(passphrase_file)))
    warnings = []
    for what, path in candidates:
        try:
            mode = stat.S_IMODE(path.expanduser().stat().st_mode)
        except OSError:
            continue  # missing or unreadable: the code that reads it says so
        if mode & 0o044:
            warnings.append(
                f"Warning: {what} {path} can be read by other users (mode {mode:o}); "
                f"run `chmod 600 {path}`."
            )
    return warnings


GOOGLE_DAILY_QUOTA = 10_000  # Library API requests per project per day, unless Google grants more


def budget_warnings(settings: Settings) -> list[str]:
    """A budget above Google's quota is allowed (partner projects get more) but said aloud: on an
    ordinary project the run stops at Google's quota error instead of cleanly before it."""
    budget = settings.google.daily_request_budget
    if budget <= GOOGLE_DAILY_QUOTA:
        return []
    return [
        f"Warning: [google] daily_request_budget = {budget:,} in {settings.path} is above "
        f"Google's {GOOGLE_DAILY_QUOTA:,} requests a day per project; keep it only if Google "
        "raised your project's quota, else runs end at Google's quota error (exit 6) instead "
        "of stopping cleanly before it (the default is 9,500)."
    ]


def security_warnings(settings: Settings) -> list[str]:
    """Everything init, status and each sync run warn about: transport, file modes, the budget."""
    return transport_warnings(settings) + file_warnings(settings) + budget_warnings(settings)
