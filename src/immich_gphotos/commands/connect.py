"""Opening what the commands talk to: the secret store and the Immich client."""

from __future__ import annotations

from immich_gphotos.config import Settings
from immich_gphotos.credentials.backends import open_store
from immich_gphotos.credentials.base import SecretStore, immich_api_key
from immich_gphotos.errors import AuthError
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.transport import RetryPolicy


def open_secrets(settings: Settings) -> SecretStore:
    return open_store(settings.secrets_backend, settings.state_dir)


def open_immich(
    settings: Settings, store: SecretStore | None = None, retry: RetryPolicy | None = None
) -> ImmichClient:
    """An Immich client with the stored key (or IMMICH_API_KEY); no key is exit 4 naming `init`."""
    key = immich_api_key(store or open_secrets(settings))
    if not key:
        raise AuthError(
            "No Immich API key is stored; run `immich-gphotos init` (or set IMMICH_API_KEY)."
        )
    return ImmichClient(settings.immich.url, key, verify=settings.immich.verify_tls, retry=retry)
