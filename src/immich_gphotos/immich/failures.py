"""Immich's error answers as typed errors: which key, which permission, which album, which fix."""

from __future__ import annotations

import re

import httpx

from immich_gphotos.errors import AuthError, NotFound, RemoteError, Unreachable
from immich_gphotos.text import clean_opt
from immich_gphotos.transport import retry_after_seconds

KEY_PERMISSIONS = "album.read, asset.read, asset.download and user.read"
# asked for only when a smart album needs them
SMART_PERMISSIONS = {
    "person.read": "smart albums with people need it",
    "tag.read": "smart albums with tags need it",
}
KEY_SETTINGS_PAGE = "/user-settings?isOpen=api-keys"
NEEDED_PERMISSIONS = ("album.read", "asset.read", "asset.download", "user.read")


def lacking(missing: list[str]) -> AuthError:
    """The key lacks permissions the sync needs: name each one and the fix."""
    what = "the permission " if len(missing) == 1 else "the permissions "
    return AuthError(
        f"The Immich API key lacks {what}{', '.join(missing)}; in Immich (Account settings → "
        f"API keys) give the key {KEY_PERMISSIONS} (or create one with them), then run "
        "`immich-gphotos init`."
    )


_PERMISSION = re.compile(r"Missing required permission: ([\w.]+)")


def error_for(
    url: str, method: str, path: str, response: httpx.Response, url_name: str = "[immich] url"
) -> Exception:
    """The typed error for an Immich answer that is not a success; the message names the fix."""
    message, correlation = _error_details(response)
    status = response.status_code
    if status == 401:
        return AuthError(
            f"Immich at {url} rejected the API key ({message or 'unauthorized'}); "
            "create a new key in Immich and run `immich-gphotos init`."
        )
    if status == 403:
        found = _PERMISSION.search(message or "")
        missing = found.group(1) if found else "a permission this tool needs"
        if missing in SMART_PERMISSIONS:
            return AuthError(
                f"The Immich API key lacks the permission {missing} ({SMART_PERMISSIONS[missing]}); "
                f"add it to the key, or create one with it, on the API key page {url}{KEY_SETTINGS_PAGE} "
                "(Account Settings > API Keys), then run `immich-gphotos init` if the key changed."
            )
        return AuthError(
            f"The Immich API key lacks the permission {missing}; create a key with "
            f"{KEY_PERMISSIONS} in Immich and run `immich-gphotos init`."
        )
    if (
        status == 400
        and message
        and ("not found" in message.lower() or "no album" in message.lower())
    ):
        return NotFound(
            f"Immich says {message!r} for {path}", status=status, correlation_id=correlation
        )
    if status == 404 and path.startswith("/server/version"):
        return Unreachable(
            f"No Immich server answers at {url} (/api/server/version is not there); "
            f"check {url_name} (the address you open Immich at in a browser)."
        )
    return RemoteError(
        f"Immich answered {status} to {method} {path}: {message or response.reason_phrase}",
        status=status,
        correlation_id=correlation,
        retry_after=retry_after_seconds(response),
    )


def _error_details(response: httpx.Response) -> tuple[str | None, str | None]:
    """Message and correlation id from either envelope: v2's body field or v3's header."""
    correlation = response.headers.get("x-correlation-id")
    message: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw = body.get("message")
        if isinstance(raw, list):
            message = "; ".join(str(m) for m in raw)
        elif raw is not None:
            message = str(raw)
        correlation = correlation or body.get("correlationId")
    # the server's words are someone else's text: inert before they reach a message
    return clean_opt(message), clean_opt(None if correlation is None else str(correlation))
