"""Google login for an installed app: loopback redirect on 127.0.0.1, PKCE (S256), checked state.

google-auth-oauthlib builds the authorization URL (with PKCE) and exchanges the code. We run the
loopback listener ourselves, because ``--no-browser`` must finish on whichever comes first: the
browser's redirect to the listener, or the redirect URL pasted on stdin (a browser on another
machine). Refreshing and revoking live here too.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from immich_gphotos.errors import AuthError, ConfigError, Unreachable
from immich_gphotos.gphotos.client_secrets import ClientSecrets
from immich_gphotos.gphotos.listener import REDIRECT_PATH, Answer, Listener, handler, same_state

__all__ = ["same_state"]  # paste-back compares with the listener's rule

SCOPES = (
    "https://www.googleapis.com/auth/photoslibrary.appendonly",
    "https://www.googleapis.com/auth/photoslibrary.readonly.appcreateddata",
    "https://www.googleapis.com/auth/photoslibrary.edit.appcreateddata",
)
DEFAULT_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
TESTING_HINT = (
    "Google refused the stored login (invalid_grant: expired or revoked); run `immich-gphotos auth` "
    "to log in again. If this happens every week, your OAuth app is in 'Testing' publishing status, "
    "where Google expires refresh tokens after 7 days: publish it 'In production' in Google Cloud "
    "Console (OAuth consent screen)."
)


@dataclass(frozen=True)
class LoginResult:
    refresh_token: str
    client_id: str
    scopes: tuple[str, ...]
    # Google says when the refresh token dies, for an app left in 'Testing' (7 days); None:
    # it says nothing, the token lasts until revoked or unused for six months
    refresh_expires_in: float | None = None


class LoopbackLogin:
    """One login attempt: a listener on 127.0.0.1, the authorization URL, and the code exchange."""

    def __init__(self, client: ClientSecrets, port: int = 0) -> None:
        from google_auth_oauthlib.flow import InstalledAppFlow

        self.client = client
        self.answer = Answer()
        try:
            self._server = Listener(("127.0.0.1", port), handler(self.answer, lambda: self.state))
        except OSError as exc:
            raise AuthError(
                f"Cannot listen on 127.0.0.1:{port} for the login ({exc.strerror}); choose another --port."
            ) from None
        self.port = self._server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{self.port}{REDIRECT_PATH}"
        self._flow = InstalledAppFlow.from_client_config(
            client.raw, scopes=list(SCOPES), autogenerate_code_verifier=True
        )
        self._flow.redirect_uri = self.redirect_uri
        # access_type=offline with prompt=consent: Google sends a refresh token every time.
        self.url, self.state = self._flow.authorization_url(access_type="offline", prompt="consent")
        self._thread = threading.Thread(target=self._serve, name="oauth-loopback", daemon=True)

    def _serve(self) -> None:
        while not self.answer.event.is_set():
            self._server.handle_request()

    def start(self) -> None:
        self._server.timeout = 0.5  # so the serving loop sees the answer arrive from stdin too
        self._thread.start()

    def close(self) -> None:
        self.answer.event.set()
        self._server.server_close()

    def read_pasted(
        self, stream: Any = None, complain: Callable[[str], None] | None = None
    ) -> None:
        """Offer lines pasted on stdin (the redirect URL from a browser on another machine).
        Anything else (only the code, a stray word) is answered at once through ``complain``,
        and the wait goes on."""
        stream = stream or sys.stdin

        def reader() -> None:
            for line in stream:
                line = line.strip()
                if not line:
                    continue
                if is_redirect(line):
                    self.answer.offer(line, "paste")
                    return
                if complain is not None:
                    complain(
                        "That is not the address; paste the whole "
                        f"http://127.0.0.1:{self.port}/… URL from the browser's address bar "
                        "(it holds state=… and code=…). Still waiting."
                    )

        threading.Thread(target=reader, name="oauth-paste", daemon=True).start()

    def wait(self, timeout: float) -> LoginResult:
        """Wait for the redirect, check it, exchange the code; every failure is an AuthError (exit 4)."""
        if not self.answer.event.wait(timeout):
            raise AuthError(
                f"No login arrived within {timeout:.0f} s; run `immich-gphotos auth` again "
                "(over SSH: `auth --no-browser` and paste the redirect URL)."
            )
        assert self.answer.url is not None
        return self._exchange(self.answer.url)

    def _exchange(self, url: str) -> LoginResult:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        if not same_state(query.get("state"), self.state):
            raise AuthError(
                "The login answer's state does not match this login (a stale or forged redirect); "
                "run `immich-gphotos auth` again and use the URL it prints."
            )
        if "error" in query:
            if query["error"] == "access_denied":
                raise AuthError(
                    "Access was denied on Google's consent screen; run `immich-gphotos auth` again "
                    "and allow all the requested access."
                )
            raise AuthError(
                f"Google refused the login ({query['error']}); run `immich-gphotos auth` again."
            )
        code = query.get("code")
        if not code:
            raise AuthError("The login answer holds no code; run `immich-gphotos auth` again.")
        token = self._fetch_token(code)
        scope = token.get(
            "scope", list(SCOPES)
        )  # oauthlib hands back a list; Google sends a string
        granted = tuple(scope.split() if isinstance(scope, str) else scope)
        missing = [s for s in SCOPES if s not in granted]
        if missing:
            raise AuthError(
                "Google granted only part of the access needed (missing "
                + ", ".join(s.rsplit("/", 1)[-1] for s in missing)
                + "); run `immich-gphotos auth` again and tick every box on the consent screen."
            )
        refresh = token.get("refresh_token")
        if not refresh:
            raise AuthError(
                "Google sent no refresh token; remove immich-gphotos at "
                "https://myaccount.google.com/permissions and run `immich-gphotos auth` again."
            )
        return LoginResult(
            str(refresh),
            self.client.client_id,
            granted,
            _seconds(token.get("refresh_token_expires_in")),
        )

    def _fetch_token(self, code: str) -> dict[str, Any]:
        import requests
        from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error

        # We check the granted scopes ourselves (and say which are missing), so oauthlib must not
        # turn a changed scope set into a bare Warning that loses the token.
        os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
        try:
            return dict(self._flow.fetch_token(code=code))
        except InsecureTransportError:
            raise ConfigError(
                f"The client secrets' token_uri {self.client.token_uri} is not https; use the JSON "
                "downloaded from Google Cloud Console."
            ) from None
        except OAuth2Error as exc:
            raise AuthError(
                f"Google refused the authorization code ({exc.error}); run `immich-gphotos auth` again."
            ) from None
        except requests.RequestException as exc:
            raise Unreachable(
                f"Cannot reach Google's token endpoint {self.client.token_uri} ({exc.__class__.__name__}); "
                "check the network and try again."
            ) from None


def is_redirect(line: str) -> bool:
    """The whole redirect address: an http(s) URL whose query carries the code (or an error)."""
    try:
        parts = urlsplit(line)
    except ValueError:
        return False
    query = parse_qs(parts.query)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and ("code" in query or "error" in query)
    )


def refresh_access_token(client: ClientSecrets, refresh_token: str) -> tuple[str, float | None]:
    """A fresh access token and the seconds it stays valid (``token_refresh``)."""
    from immich_gphotos.gphotos.token_refresh import refresh

    return refresh(client, refresh_token, TESTING_HINT)


def revoke(
    client: ClientSecrets, refresh_token: str, post: Callable[..., Any] | None = None
) -> bool:
    """Revoke the token at the client's revoke endpoint; True when Google no longer honours it."""
    import httpx

    uri = client.revoke_uri or DEFAULT_REVOKE_URI
    try:
        response = httpx.post(
            uri,
            data={"token": refresh_token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
    except httpx.TransportError as exc:
        raise Unreachable(
            f"Cannot reach Google's revoke endpoint {uri} ({exc.__class__.__name__})."
        ) from None
    # 400 invalid_token: already revoked or expired, which is what we wanted
    return response.status_code == 200 or (
        response.status_code == 400 and "invalid_token" in response.text
    )


def _seconds(value: Any) -> float | None:
    """A lifetime in seconds as Google sends it (a number), or None when absent or malformed."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None
