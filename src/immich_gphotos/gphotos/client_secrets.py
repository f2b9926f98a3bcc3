"""The user's OAuth client file: it must be Google's 'installed' (Desktop app) client JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from immich_gphotos.errors import ConfigError

REQUIRED = ("client_id", "client_secret", "auth_uri", "token_uri")
_FIX = (
    "in Google Cloud Console create an OAuth client of type 'Desktop app' and download its JSON "
    "(Credentials → Create credentials → OAuth client ID)"
)


@dataclass(frozen=True)
class ClientSecrets:
    path: Path
    client_id: str
    client_secret: str
    auth_uri: str
    token_uri: str
    revoke_uri: str | None
    raw: dict[str, Any]


COPY_NAME = "client_secret.json"  # init's copy, in the config folder


def load_client_secrets(path: Path, configured: bool = True) -> ClientSecrets:
    """Read and check the file; anything but a Desktop-app client is a ConfigError (exit 3).

    ``configured``: the path comes from the config (init's copy), so a missing file is restored,
    never replaced by a new client, whose Google albums would start over."""
    try:
        data = json.loads(path.expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        if configured:
            raise ConfigError(
                f"The OAuth client file {path} is missing; restore it (from a backup, or download "
                "the same client's JSON again from Google Cloud Console → Credentials) or run "
                "`immich-gphotos init --client-secrets FILE` with the same client: the Google "
                "albums belong to that client."
            ) from None
        raise ConfigError(
            f"The client secrets file {path} does not exist; check the path, or {_FIX}."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Cannot read the client secrets file {path} ({exc}); check its permissions."
        ) from None
    except ValueError:
        raise ConfigError(f"The client secrets file {path} is not JSON; {_FIX}.") from None
    if not isinstance(data, dict) or "installed" not in data:
        kind = (
            "a 'Web application' client"
            if isinstance(data, dict) and "web" in data
            else "not an OAuth client file"
        )
        raise ConfigError(f"The client secrets file {path} is {kind}; {_FIX}.")
    installed = data["installed"]
    if not isinstance(installed, dict):
        raise ConfigError(
            f"The client secrets file {path} has a malformed 'installed' entry; {_FIX}."
        )
    missing = [k for k in REQUIRED if not isinstance(installed.get(k), str) or not installed.get(k)]
    if missing:
        raise ConfigError(
            f"The client secrets file {path} lacks {', '.join(missing)}; download it again from "
            "Google Cloud Console (a 'Desktop app' OAuth client)."
        )
    for field in ("auth_uri", "token_uri", "revoke_uri"):
        _check_endpoint(path, field, installed.get(field))
    return ClientSecrets(
        path=path.expanduser().resolve(),
        client_id=installed["client_id"],
        client_secret=installed["client_secret"],
        auth_uri=installed["auth_uri"],
        token_uri=installed["token_uri"],
        revoke_uri=installed.get("revoke_uri") or None,
        raw=data,
    )


def _check_endpoint(path: Path, field: str, uri: Any) -> None:
    """OAuth endpoints carry the client secret and the tokens: https only.

    Plain http is accepted for a loopback host when OAUTHLIB_INSECURE_TRANSPORT=1, the switch
    oauthlib itself honours (the local stand-ins in tests and the demo); never anywhere else."""
    import os
    from urllib.parse import urlsplit

    from immich_gphotos.security import is_loopback

    if uri is None and field == "revoke_uri":
        return
    try:
        parts = urlsplit(uri) if isinstance(uri, str) else None
        host = parts.hostname if parts else None
    except ValueError:
        parts, host = None, None
    if parts and parts.scheme == "https" and host:
        return
    insecure_ok = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT") == "1"
    if parts and parts.scheme == "http" and insecure_ok and is_loopback(host):
        return
    raise ConfigError(
        f"The client secrets file {path} has {field} {uri!r}, which is not an https:// URL; "
        "the login and its tokens would cross the network unencrypted. Use the JSON downloaded "
        "from Google Cloud Console unchanged."
    )
