"""The SecretStore interface, the secret names, and the choice of backend ("auto")."""

from __future__ import annotations

import os
from typing import Protocol

from immich_gphotos.errors import AuthError

SERVICE = "immich-gphotos"
IMMICH_API_KEY = "immich-api-key"
GOOGLE_REFRESH_TOKEN = "google-refresh-token"
GOOGLE_CLIENT_ID = "google-client-id"  # the OAuth client the refresh token belongs to
ENV_API_KEY = "IMMICH_API_KEY"
ENV_API_KEY_FILE = "IMMICH_API_KEY_FILE"  # a file holding the key: Docker secrets, systemd creds
SECRETS_FILE_NAME = "secrets.enc"


class SecretStore(Protocol):
    """A place for secrets; ``get`` answers None for a secret never stored."""

    name: str

    def describe(self) -> str: ...

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


def api_key_from_env() -> str | None:
    """``$IMMICH_API_KEY``, else the contents of the file ``$IMMICH_API_KEY_FILE`` names (one
    trailing line break dropped, as ``echo`` or an editor leaves it), else None."""
    env = os.environ.get(ENV_API_KEY, "").strip()
    if env:
        return check_api_key(env, f"in {ENV_API_KEY}")
    named = os.environ.get(ENV_API_KEY_FILE, "").strip()
    if not named:
        return None
    try:
        with open(named, encoding="utf-8") as fh:
            text = fh.read(4096)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise AuthError(
            f"Cannot read the Immich API key file {named} named by {ENV_API_KEY_FILE} ({reason}); "
            "check the path and that this user may read it."
        ) from None
    key = text.rstrip("\r\n")
    if not key:
        raise AuthError(
            f"The Immich API key file {named} named by {ENV_API_KEY_FILE} is empty; write the key "
            "into it."
        )
    return check_api_key(key, f"in the file {named} named by {ENV_API_KEY_FILE}")


def immich_api_key(store: SecretStore) -> str | None:
    """The Immich key for this run: ``$IMMICH_API_KEY`` (or ``$IMMICH_API_KEY_FILE``) wins over
    the stored one."""
    env = api_key_from_env()
    if env:
        return env
    stored = store.get(IMMICH_API_KEY)
    return None if stored is None else check_api_key(stored, f"stored in {store.describe()}")


def check_api_key(key: str, where: str) -> str:
    """The key, if an HTTP header can carry it: printable ASCII only, no space, no line break.

    A key with CR/LF would otherwise reach the HTTP library, whose error quotes the header with
    its value. The message here never shows the key."""
    if not key or any(not 0x21 <= ord(ch) <= 0x7E for ch in key):
        raise AuthError(
            f"The Immich API key {where} holds characters an API key cannot have (a line break, "
            "a space, a control or non-ASCII character); copy the key again from Immich (Account "
            "Settings → API Keys) and run `immich-gphotos init`."
        )
    return key
