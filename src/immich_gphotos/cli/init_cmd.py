"""`init`: ask (or take flags) for the Immich connection and the Google OAuth client, verify, save."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, config_file
from immich_gphotos.errors import ConfigError, UsageError

HELP = """Set up or change the Immich connection and the Google OAuth client.

On a terminal it asks for what is missing (current values offered as defaults, the API key
with a hidden prompt). For scripts: --immich-url, --client-secrets FILE, and the API key in
$IMMICH_API_KEY (or in the file $IMMICH_API_KEY_FILE names) or on stdin with
--api-key-stdin. The connection is tested (server reachable, key accepted, user shown) before
anything is saved. A secret is never taken as an argument."""


def init(
    ctx: typer.Context,
    immich_url: Annotated[
        str | None,
        typer.Option(
            "--immich-url",
            metavar="URL",
            help="Immich server URL, e.g. https://photos.example.org.",
        ),
    ] = None,
    client_secrets: Annotated[
        Path | None,
        typer.Option(
            "--client-secrets",
            metavar="FILE",
            help="Google OAuth client JSON of type 'Desktop app'.",
        ),
    ] = None,
    api_key_stdin: Annotated[
        bool, typer.Option("--api-key-stdin", help="Read the Immich API key from stdin (one line).")
    ] = False,
    ca_bundle: Annotated[
        Path | None,
        typer.Option(
            "--ca-bundle",
            metavar="FILE",
            help="CA bundle for a self-signed Immich (sets [immich] verify_tls).",
        ),
    ] = None,
    secrets_backend: Annotated[
        str | None,
        typer.Option(
            "--secrets-backend",
            metavar="auto|keyring|file",
            help="Where secrets are kept (sets [secrets] backend).",
        ),
    ] = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    from immich_gphotos import config as config_mod
    from immich_gphotos.commands import init as setup
    from immich_gphotos.commands.init import SetupRequest, configure
    from immich_gphotos.security import security_warnings
    from immich_gphotos.ui.console import say, warn

    path = config_file(ctx, config)
    existing: dict[str, Any] = config_mod.load_raw(path) if path.exists() else {}
    current_url = existing.get("immich", {}).get("url")
    interactive = sys.stdin.isatty() and not api_key_stdin

    if secrets_backend not in (None, "auto", "keyring", "file"):
        raise UsageError("--secrets-backend must be auto, keyring or file.")
    if api_key_stdin and sys.stdin.isatty():
        raise UsageError(
            "--api-key-stdin reads the key from a pipe, e.g. `pass show immich | immich-gphotos init --api-key-stdin ...`."
        )

    url = immich_url
    if not url and interactive:
        url = typer.prompt("Immich server URL", default=current_url or None)
    url = url or current_url
    if not url:
        raise UsageError(
            "No Immich URL: pass --immich-url URL (or run init on a terminal to be asked)."
        )
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"The Immich URL must start with http:// or https://, not {url!r}.")

    # no keyring and no passphrase (a headless server): ask for one now, not fail at the end
    passphrase, keep = None, False
    why = setup.passphrase_needed(path, existing, secrets_backend)
    if why is not None:
        if not interactive:
            raise setup.no_passphrase_error(path, why)
        passphrase, keep = _ask_passphrase(why, setup.secrets_file_exists(existing), path)

    stored = setup.api_key_stored(existing, secrets_backend, passphrase) if interactive else None
    api_key, new_key = _api_key(api_key_stdin, interactive, stored is not False)
    secrets_file = client_secrets
    if secrets_file is None and interactive:
        current = existing.get("google", {}).get("client_secrets")
        answer = typer.prompt(
            "Google OAuth client JSON (Desktop app; empty to skip for now)",
            default=current or "",
            show_default=bool(current),
        )
        secrets_file = Path(answer) if answer and answer != current else None

    verify: bool | str = existing.get("immich", {}).get("verify_tls", True)
    if ca_bundle is not None:
        if not ca_bundle.expanduser().is_file():
            raise ConfigError(
                f"The CA bundle {ca_bundle} does not exist; give the path of a PEM file."
            )
        verify = str(ca_bundle.expanduser().resolve())

    result = configure(
        SetupRequest(
            path,
            url,
            api_key,
            new_key,
            verify,
            secrets_file,
            secrets_backend,
            passphrase=passphrase,
            keep_passphrase=keep,
        ),
        existing,
    )
    say(
        f"Connected to Immich {result.server_version} at {result.settings.immich.url} as {result.user.name} ({result.user.email})."
    )
    say(f"Config saved to {path}.")
    for warning in security_warnings(result.settings):
        warn(warning)
    say(f"Immich API key kept in {result.secrets_where}.")
    if passphrase is not None:
        _say_how_runs_get_the_passphrase(result.passphrase_file)
    if result.client:
        say(f"Google OAuth client: {result.client.client_id} (kept in {result.client.path}).")
        say("Next: `immich-gphotos auth` to log in to Google, then `immich-gphotos albums`.")
    else:
        say(
            "Next: add a Google OAuth client with `immich-gphotos init --client-secrets FILE`, then `immich-gphotos auth`."
        )


def _ask_passphrase(why: str, exists: bool, config_path: Path) -> tuple[str, bool]:
    """A passphrase for the encrypted secrets file, typed twice (hidden), and whether to keep it
    in a 0600 file beside the config for cron and systemd."""
    from immich_gphotos.commands.init import passphrase_path
    from immich_gphotos.ui.console import say

    say(f"Because {why}, the secrets will be kept in an encrypted file locked by a passphrase.")
    if exists:
        passphrase = typer.prompt("Passphrase of the existing secrets file", hide_input=True)
    else:
        while True:
            passphrase = typer.prompt(
                "New passphrase (12 characters or more)",
                hide_input=True,
                confirmation_prompt="Repeat the passphrase",
            )
            if len(passphrase) >= 12:
                break
            say("That is short for a passphrase that guards your Google login; try a longer one.")
    keep = typer.confirm(
        f"Keep it in {passphrase_path(config_path)} (readable only by you), so cron and "
        "systemd can use it?",
        default=True,
    )
    return passphrase, keep


def _say_how_runs_get_the_passphrase(kept: Path | None) -> None:
    from immich_gphotos.ui.console import say

    if kept is not None:
        say(f"Passphrase kept in {kept} (mode 0600). Every run needs to be told where it is:")
        say(f"  export IMMICH_GPHOTOS_PASSPHRASE_FILE={kept}")
        say(
            "cron: put that variable before the command (see examples/crontab); systemd: "
            f"LoadCredential=passphrase:{kept} (see examples/systemd/)."
        )
    else:
        say(
            "The passphrase was not written down: give every run IMMICH_GPHOTOS_PASSPHRASE, or "
            "IMMICH_GPHOTOS_PASSPHRASE_FILE naming a 0600 file that holds it."
        )


def _api_key(
    from_stdin: bool, interactive: bool, maybe_stored: bool = True
) -> tuple[str | None, bool]:
    """The key and whether it should be stored: env, stdin, or a hidden prompt."""
    if from_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise UsageError("--api-key-stdin was given but stdin held no key.")
        return key, True
    from immich_gphotos.credentials.base import api_key_from_env

    env = api_key_from_env()  # IMMICH_API_KEY, or the file IMMICH_API_KEY_FILE names
    if env:
        return env, True
    if interactive and not maybe_stored:  # nothing to keep: a key is required
        key = typer.prompt("Immich API key", hide_input=True)
        return key.strip(), True
    if interactive:
        key = typer.prompt(
            "Immich API key (empty keeps the stored one)",
            default="",
            hide_input=True,
            show_default=False,
        )
        return (key.strip(), True) if key.strip() else (None, False)
    return None, False
