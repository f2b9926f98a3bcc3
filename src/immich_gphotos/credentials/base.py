"""The SecretStore interface, the secret names, and the choice of backend ("auto")."""

from __future__ import annotations

import os
from typing import Protocol

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
    return env or store.get(IMMICH_API_KEY)
