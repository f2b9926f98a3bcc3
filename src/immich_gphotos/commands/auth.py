"""The core of `auth`: the Google login as the rest of the tool sees it (log in, check, log out,
hand out the refresh token). It never prints: the CLI shows the URL through ``present``.

The state records the OAuth client id: Google albums and items belong to the client that created
them, so a different client would silently start over. It is refused unless the user says
``auth --new-client``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.config import Settings
from immich_gphotos.credentials.base import GOOGLE_CLIENT_ID, GOOGLE_REFRESH_TOKEN, SecretStore
from immich_gphotos.errors import AppError, AuthError, ConfigError
from immich_gphotos.gphotos.client_secrets import ClientSecrets, load_client_secrets
from immich_gphotos.gphotos.oauth import LoginResult, LoopbackLogin, refresh_access_token, revoke
from immich_gphotos.state.follow import LOGIN_EXPIRES_KEY, LOGIN_WARNED_KEY
from immich_gphotos.state.store import StateStore

CLIENT_META_KEY = "oauth_client_id"
TESTING_FIX = (
    "your OAuth app is in 'Testing' publishing status, where Google ends logins after 7 days: "
    "publish it ('In production') in Google Cloud Console (APIs & Services > OAuth consent "
    "screen), then run `immich-gphotos auth` again (a login made while in Testing keeps its "
    "7-day end)"
)


def load_client(settings: Settings) -> ClientSecrets:
    if not settings.google.client_secrets:
        raise ConfigError(
            f"No Google OAuth client is configured in {settings.path}; run "
            "`immich-gphotos init --client-secrets FILE` with your 'Desktop app' client JSON."
        )
    return load_client_secrets(Path(settings.google.client_secrets))


def check_client(state: StateStore, client: ClientSecrets, new_client: bool = False) -> bool:
    """True when the client differs from the one the state was built with (and that is allowed)."""
    recorded = state.get_meta(CLIENT_META_KEY)
    if recorded is None or recorded == client.client_id:
        return False
    if new_client:
        return True
    raise ConfigError(
        f"The state was built with OAuth client {recorded}, but {client.client_id} is configured; "
        "Google albums belong to the client that created them, so restore the old client secrets "
        "file, or run `immich-gphotos auth --new-client` to accept that the Google albums are "
        "created again."
    )


def save_login(
    store: SecretStore, state: StateStore, result: LoginResult, switching: bool
) -> datetime | None:
    """Store the login; keep its end date where Google gave one (returned), else forget any."""
    store.set(GOOGLE_REFRESH_TOKEN, result.refresh_token)
    store.set(GOOGLE_CLIENT_ID, result.client_id)
    if switching:
        state.forget_google_objects()
    state.set_meta(CLIENT_META_KEY, result.client_id)
    expires = None
    if result.refresh_expires_in is not None:
        expires = utcnow() + timedelta(seconds=result.refresh_expires_in)
    state.set_meta(LOGIN_EXPIRES_KEY, iso(expires) if expires else None)
    state.set_meta(LOGIN_WARNED_KEY, None)  # a new login: warn again when this one nears its end
    return expires


def login_expires(state: StateStore) -> datetime | None:
    """When the stored Google login dies, where Google said so at `auth` ('Testing' apps)."""
    value = state.get_meta(LOGIN_EXPIRES_KEY)
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def refresh_token(store: SecretStore) -> str:
    token = store.get(GOOGLE_REFRESH_TOKEN)
    if not token:
        raise AuthError("No Google login is stored; run `immich-gphotos auth` to log in.")
    return token


@dataclass(frozen=True)
class LoginStatus:
    token_stored: bool
    refresh_works: bool
    client_id: str | None
    stored_client_id: str | None
    problem: str | None


def login_status(settings: Settings, store: SecretStore) -> LoginStatus:
    """Whether a token is stored and really refreshes (one call to the token endpoint)."""
    client = load_client(settings)
    token = store.get(GOOGLE_REFRESH_TOKEN)
    stored_client = store.get(GOOGLE_CLIENT_ID)
    if not token:
        return LoginStatus(
            False,
            False,
            client.client_id,
            stored_client,
            "no Google login is stored; run `immich-gphotos auth`",
        )
    if stored_client and stored_client != client.client_id:
        problem = f"the stored login belongs to client {stored_client}, not the configured {client.client_id}; run `immich-gphotos auth`"
        return LoginStatus(True, False, client.client_id, stored_client, problem)
    try:
        refresh_access_token(client, token)
    except AppError as exc:
        return LoginStatus(True, False, client.client_id, stored_client, exc.message)
    return LoginStatus(True, True, client.client_id, stored_client, None)


def logout(settings: Settings, store: SecretStore) -> bool | None:
    """Revoke at Google, then delete locally. None: nothing was stored; False: Google did not confirm."""
    token = store.get(GOOGLE_REFRESH_TOKEN)
    if not token:
        return None
    client = load_client(settings)
    try:
        revoked = revoke(client, token)
    finally:  # the local copy goes even when Google cannot be reached
        store.delete(GOOGLE_REFRESH_TOKEN)
        store.delete(GOOGLE_CLIENT_ID)
    return revoked


@dataclass(frozen=True)
class LoginDone:
    client_id: str
    kept_in: str  # where the refresh token is kept (the secret store's description)
    switched_client: bool  # the OAuth client changed: the Google albums are created again
    expires: datetime | None = None  # Google said the login dies then (an app in 'Testing')


def login(
    settings: Settings,
    store: SecretStore,
    *,
    port: int,
    new_client: bool,
    timeout: float,
    present: Callable[[LoopbackLogin], None],
) -> LoginDone:
    """Listen, let ``present`` show the URL (and read a pasted answer), wait, store the login."""
    client = load_client(settings)
    state = StateStore.open(settings.state_dir)
    try:
        switching = check_client(state, client, new_client)
        flow = LoopbackLogin(client, port)
        try:
            flow.start()
            present(flow)
            result = flow.wait(timeout)
        finally:
            flow.close()
        expires = save_login(store, state, result, switching)
    finally:
        state.close()
    return LoginDone(result.client_id, store.describe(), switching, expires)
