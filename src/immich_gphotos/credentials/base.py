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
SECRETS_FILE_NAME = "secrets.enc"


class SecretStore(Protocol):
    """A place for secrets; ``get`` answers None for a secret never stored."""

    name: str

    def describe(self) -> str: ...

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


def immich_api_key(store: SecretStore) -> str | None:
    """The Immich key for this run: ``$IMMICH_API_KEY`` wins over the stored one."""
    env = os.environ.get(ENV_API_KEY, "").strip()
    if env:
        return check_api_key(env, f"in {ENV_API_KEY}")
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
