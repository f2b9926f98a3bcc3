"""`auth`: Google login by the loopback-browser flow; --status, --logout, --no-browser, --new-client."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, load_settings
from immich_gphotos.errors import AuthError, UsageError

HELP = """Log in to Google Photos and store the refresh token as a secret.

Listens on 127.0.0.1 (a random port, or --port N), opens the browser at Google's consent page,
checks the answer's state, uses PKCE and stores the refresh token. Over SSH use --no-browser:
the URL is printed on one line; open it anywhere and either let the browser reach the listener
(through `ssh -L N:127.0.0.1:N host` with --port N) or paste the address it was sent to.
--status checks that the stored login still refreshes (exit 0, else 4); --logout revokes it at
Google and deletes it here; --new-client accepts a different OAuth client than the state's."""


def auth(
    ctx: typer.Context,
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser",
            help="Print the URL instead of opening a browser; accept the redirect URL pasted on stdin.",
        ),
    ] = False,
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            metavar="N",
            help="Listen on this port (for an SSH tunnel); default: a random one.",
        ),
    ] = 0,
    status: Annotated[
        bool, typer.Option("--status", help="Say whether a login is stored and still refreshes.")
    ] = False,
    logout: Annotated[
        bool, typer.Option("--logout", help="Revoke the login at Google and delete it here.")
    ] = False,
    new_client: Annotated[
        bool,
        typer.Option(
            "--new-client", help="Accept a different OAuth client than the state was built with."
        ),
    ] = False,
    timeout: Annotated[
        int,
        typer.Option(
            "--timeout", min=10, metavar="SECONDS", help="How long to wait for the login."
        ),
    ] = 300,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    from immich_gphotos.commands import auth as account
    from immich_gphotos.ui.console import say, warn

    if status and logout:
        raise UsageError("--status and --logout do not go together; run one, then the other.")
    from immich_gphotos.commands.connect import open_secrets

    settings = load_settings(ctx, config)
    store = open_secrets(settings)

    if status:
        result = account.login_status(settings, store)
        say(f"Google OAuth client: {result.client_id}")
        say("Login stored: " + ("yes" if result.token_stored else "no"))
        say(f"Secrets kept in: {store.describe()}")
        if result.refresh_works:
            say("Login refreshes: yes")
            return
        raise AuthError(
            result.problem or "the stored Google login does not refresh; run `immich-gphotos auth`"
        )

    if logout:
        outcome = account.logout(settings, store)
        if outcome is None:
            say("No Google login is stored; nothing to log out.")
        elif outcome:
            say("Logged out: the login was revoked at Google and deleted here.")
        else:
            warn(
                "Deleted here, but Google did not confirm the revocation; remove immich-gphotos at https://myaccount.google.com/permissions."
            )
        return

    _login(
        settings, store, no_browser=no_browser, port=port, new_client=new_client, timeout=timeout
    )
    say("Next: `immich-gphotos albums add NAME`, then `immich-gphotos sync`.")


def _login(settings, store, *, no_browser: bool, port: int, new_client: bool, timeout: int) -> None:  # type: ignore[no-untyped-def]
    from immich_gphotos.commands.auth import login
    from immich_gphotos.ui.console import say

    def present(flow) -> None:  # type: ignore[no-untyped-def]
        say(f"Listening on 127.0.0.1:{flow.port} for Google's answer.")
        if port:
            say(
                f"From another machine, tunnel first: ssh -L {flow.port}:127.0.0.1:{flow.port} THIS-HOST"
            )
        opened = False if no_browser else _open_browser(flow.url)
        say(
            "Open this URL in a browser to log in:"
            if not opened
            else "A browser was opened; if it was not, open this URL:"
        )
        print(flow.url, flush=True)  # whole, on one line, never wrapped
        if no_browser:
            say(
                f"Then either let the browser reach 127.0.0.1:{flow.port}, or paste here the address it was sent to (starting http://127.0.0.1:{flow.port}/):"
            )
            flow.read_pasted(complain=say)

    done = login(
        settings, store, port=port, new_client=new_client, timeout=timeout, present=present
    )
    say(
        f"Logged in to Google with OAuth client {done.client_id}; the login is kept in {done.kept_in}."
    )
    if done.switched_client:
        say("The OAuth client changed: the Google albums will be created again by the next sync.")
    if done.expires is not None:
        from immich_gphotos.commands.auth import TESTING_FIX
        from immich_gphotos.ui.console import warn

        warn(
            f"Warning: Google says this login ends on {done.expires:%Y-%m-%d %H:%M} UTC; "
            + TESTING_FIX
            + "."
        )


def _open_browser(url: str) -> bool:
    """Open a graphical browser where there is one; never a text browser in this terminal."""
    graphical = (
        sys.platform in ("darwin", "win32")
        or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
    )
    if not graphical and not os.environ.get("BROWSER"):
        return False
    import webbrowser

    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False
