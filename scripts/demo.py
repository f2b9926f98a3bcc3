"""`make demo`: the real CLI against local stand-in servers, in a throwaway home. No account needed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standins.immich import ImmichStandIn, demo_library  # noqa: E402

DEMO_KEY = "demo-immich-api-key"


def step(title: str, *args: str, env: dict[str, str], stdin: str = "") -> None:
    print(f"\n== {title}\n$ immich-gphotos {' '.join(args)}", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", "immich_gphotos", *args], env=env, input=stdin, text=True
    )
    if result.returncode != 0:
        raise SystemExit(
            f"demo step failed with exit code {result.returncode}: immich-gphotos {' '.join(args)}"
        )


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="immich-gphotos-demo-"))
    env = os.environ | {
        "HOME": str(home),
        "IMMICH_GPHOTOS_CONFIG": str(home / "config.toml"),
        "IMMICH_GPHOTOS_STATE_DIR": str(home / "state"),
        "IMMICH_GPHOTOS_PASSPHRASE": "demo passphrase",  # the encrypted-file secrets backend
        "COLUMNS": os.environ.get("COLUMNS", "120"),
    }
    env.pop("IMMICH_API_KEY", None)
    client_secrets = home / "client_secret.json"
    client_secrets.write_text(
        '{"installed": {"client_id": "demo.apps.googleusercontent.com", "client_secret": "demo-secret",'
        ' "auth_uri": "http://127.0.0.1:9/o/oauth2/auth", "token_uri": "http://127.0.0.1:9/token",'
        ' "redirect_uris": ["http://localhost"]}}'
    )
    library = demo_library(photos=300, videos=4, key=DEMO_KEY)
    with ImmichStandIn(library, version=3) as immich:
        print(
            f"Stand-in Immich v3.1 at {immich.url}: {len(library.assets)} assets in {len(library.albums)} albums"
        )
        step(
            "Set up the Immich connection (the key is read from stdin, never an argument)",
            "init",
            "--immich-url",
            immich.url,
            "--client-secrets",
            str(client_secrets),
            "--secrets-backend",
            "file",
            "--api-key-stdin",
            env=env,
            stdin=DEMO_KEY + "\n",
        )
        step("List the Immich albums", "albums", env=env)
        step("Select an album by its name", "albums", "add", "Family", env=env)
        step(
            "Select another by a prefix, under its own Google title",
            "albums",
            "add",
            "sam",
            "--as",
            "Sam's Garden (from Immich)",
            env=env,
        )
        step("What is configured and what is pending", "status", env=env)
    print(
        "\n`auth` (Google login) and `sync` arrive with the next issues; this demo grows with them.\n"
        f"Look around: config {home / 'config.toml'}, state and encrypted secrets in {home / 'state'}.\n"
        f"Remove the demo with: rm -rf {home}"
    )


if __name__ == "__main__":
    main()
