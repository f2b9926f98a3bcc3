"""`make demo`: the real CLI against local stand-in servers, in a throwaway home. No account needed.

init, auth (this script plays the browser), albums, a smart album, sync with its real progress
output, a second sync that has nothing to do, and status. The stand-ins are the ones the tests use.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import tomli_w  # noqa: E402
from tests.standins.google import GoogleStandIn  # noqa: E402
from tests.standins.immich import ImmichStandIn, demo_library  # noqa: E402

DEMO_KEY = "demo-immich-api-key"


def typed(args: tuple[str, ...]) -> str:
    """The command as a person types it: a name with spaces in quotes, so it can be copied."""
    from immich_gphotos.selection import shell_quote

    return " ".join(shell_quote(a) for a in args)


def demo_env(home: Path, config: Path) -> dict[str, str]:
    env = os.environ | {
        "HOME": str(home),
        "IMMICH_GPHOTOS_CONFIG": str(config),
        "IMMICH_GPHOTOS_STATE_DIR": str(home / "state"),
        "IMMICH_GPHOTOS_PASSPHRASE": "demo passphrase",  # the encrypted-file secrets backend
        # The stand-in Google speaks plain http on 127.0.0.1; oauthlib allows that only with this.
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }
    # No COLUMNS here: Rich reads the real terminal's width. bash does not export COLUMNS, and a
    # made-up value wider than the screen left every progress frame behind as a stale line.
    env.pop("IMMICH_API_KEY", None)
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "immich_gphotos", *args]


def step(
    title: str, *args: str, env: dict[str, str], stdin: str = "", ok: tuple[int, ...] = (0,)
) -> None:
    print(f"\n== {title}\n$ immich-gphotos {typed(args)}", flush=True)
    result = subprocess.run(cli(*args), env=env, input=stdin, text=True)
    if result.returncode not in ok:
        raise SystemExit(
            f"demo step failed with exit code {result.returncode}: immich-gphotos {typed(args)}"
        )


def login(env: dict[str, str], google: GoogleStandIn) -> None:
    """`auth --no-browser`, with this script as the browser that approves the consent screen."""
    print("\n== Log in to Google (the stand-in approves at once; this script plays the browser)")
    print("$ immich-gphotos auth --no-browser", flush=True)
    proc = subprocess.Popen(
        cli("auth", "--no-browser"),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.startswith(f"{google.url}/o/oauth2/auth?"):
            page = httpx.get(line.strip(), follow_redirects=True, timeout=30)
            print(
                f'   (browser: {page.status_code}, page says "Logged in": {"Logged in" in page.text})'
            )
    assert proc.stdin is not None
    proc.stdin.close()
    if proc.wait(timeout=60) != 0:
        raise SystemExit("demo step failed: immich-gphotos auth")


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="immich-gphotos-demo-"))
    config = home / "config.toml"
    env = demo_env(home, config)
    library = demo_library(photos=300, videos=4, key=DEMO_KEY)
    with ImmichStandIn(library, version=3) as immich, GoogleStandIn() as google:
        secrets_json = google.client_secrets(home / "client_secret.json")
        print(
            f"Stand-in Immich v3.1 at {immich.url}: {len(library.assets)} assets in {len(library.albums)} albums"
        )
        print(f"Stand-in Google at {google.url} (OAuth endpoints and the Photos Library API)")

        step(
            "Set up the Immich connection (the key comes on stdin, never as an argument)",
            "init",
            "--immich-url",
            immich.url,
            "--client-secrets",
            str(secrets_json),
            "--secrets-backend",
            "file",
            "--api-key-stdin",
            env=env,
            stdin=DEMO_KEY + "\n",
        )
        raw = tomllib.loads(
            config.read_text()
        )  # point [google] api_url at the stand-in, as tests do
        raw["google"]["api_url"] = google.url
        config.write_text(tomli_w.dumps(raw))
        login(env, google)
        step("Is the login good?", "auth", "--status", env=env)
        step("List the Immich albums", "albums", env=env)
        step("Select albums by name", "albums", "add", "Trips 2024", "Family", env=env)
        step(
            "Select one by a prefix of its name, under its own Google title",
            "albums",
            "add",
            "sam",
            "--as",
            "Sam's Garden (from Immich)",
            env=env,
        )
        step(
            "A smart album: every photo of Mia, fed by an Immich search",
            "albums",
            "smart",
            "Mia (from Immich)",
            "--person",
            "Mia",
            env=env,
        )
        step("See what a sync would do", "sync", "--dry-run", env=env)
        step(
            "Sync (streamed from Immich straight into Google, saved after every batch)",
            "sync",
            env=env,
        )
        before = google.library_requests
        step("Sync again: nothing changed, so Google is not asked anything", "sync", env=env)
        print(f"   (Google requests made by the second sync: {google.library_requests - before})")
        step("Status", "status", env=env)
        titles = sorted((a.title, len(a.items)) for a in google.albums.values() if not a.deleted)
        print()
        _wrapped(
            "The stand-in Google now holds: " + ", ".join(f'"{t}" ({n} items)' for t, n in titles)
        )
    print()
    _wrapped(
        f"Demo finished. Look around: config {config}, state, log and encrypted secrets in {home / 'state'}."
    )
    print(f"Remove it with: rm -rf {home}")


def _wrapped(text: str) -> None:
    """The demo's own sentences, broken between words at the terminal's real width (paths whole)."""
    import shutil
    import textwrap

    width = shutil.get_terminal_size((80, 24)).columns
    print(textwrap.fill(text, width=max(40, width), break_long_words=False, break_on_hyphens=False))


if __name__ == "__main__":
    main()
