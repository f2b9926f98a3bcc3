"""`make chaos`: real `sync` processes against the stand-ins, killed and signalled at random
moments, through fault storms; then one converged sync and a check that nothing is missing and
nothing was created twice. Loopback only, bounded in rounds and minutes; not part of `make test`.

    python scripts/chaos.py [--rounds 30] [--minutes 4] [--seed N]

Exit 0 when the end state is right (every album complete, no item created twice, the state
consistent with Google, no traceback anywhere); 1 with the list of what was wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tomli_w  # noqa: E402
from tests.homes import store_google_login  # noqa: E402
from tests.standins.google import GoogleStandIn  # noqa: E402
from tests.standins.immich import ImmichStandIn, Library  # noqa: E402

KEY = "chaos-immich-api-key"
ALBUMS = ("Trips", "Family", "Shared Garden")
RUN_TIMEOUT = 120.0  # one sync; a run past it is killed and counted as a finding
ACTIONS = ("kill9", "sigterm", "sigint", "double-sigint", "storm", "storm+sigterm", "clean")


def handlers_installed(pid: int) -> bool:
    """Whether the child catches SIGTERM yet (cli.main installs the handlers first thing), or
    ignores it already (its outcome is said and it is shutting down)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # gone, or not Linux: judge by the exit code alone
    masks = [
        int(x.split()[1], 16) for x in status.splitlines() if x.startswith(("SigCgt:", "SigIgn:"))
    ]
    return any(m & (1 << (signal.SIGTERM - 1)) for m in masks)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    kills: int = 0

    def bad(self, text: str) -> None:
        self.problems.append(text)
        print(f"   !! {text}", flush=True)


def library(rng: random.Random) -> Library:
    """Three albums (one over 50 items, so more than one batch), small photos and two videos."""
    lib = Library(rng.randint(0, 10_000))
    me = lib.add_user("Chaos Tester", key=KEY)
    friend = lib.add_user("Sam Friend")
    albums = [
        lib.add_album(ALBUMS[0], me),
        lib.add_album(ALBUMS[1], me),
        lib.add_album(ALBUMS[2], friend, shared_with=[me]),
    ]
    for i in range(130):
        album = albums[0] if i < 70 else albums[1 + i % 2]
        owner = friend if album is albums[2] else me
        lib.add_asset(owner, f"IMG_{i:04d}.jpg", size=rng.randint(4_000, 60_000), albums=[album])
    for i in range(2):
        lib.add_asset(
            me, f"VID_{i}.mp4", size=rng.randint(1_500_000, 3_000_000), albums=[albums[0]]
        )
    return lib


class Chaos:
    def __init__(self, home: Path, immich: ImmichStandIn, google: GoogleStandIn) -> None:
        self.home, self.immich, self.google = home, immich, google
        self.lib = immich.library
        self.state_dir = home / "state"
        self.env = os.environ | {
            "HOME": str(home),
            "IMMICH_GPHOTOS_CONFIG": str(home / "config.toml"),
            "IMMICH_GPHOTOS_STATE_DIR": str(self.state_dir),
            "IMMICH_GPHOTOS_PASSPHRASE": "chaos passphrase",
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        self.env.pop("IMMICH_API_KEY", None)

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "immich_gphotos", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )

    def setup(self) -> None:
        secrets = self.google.client_secrets(self.home / "client_secret.json")
        done = self.cli(
            "init",
            "--immich-url",
            self.immich.url,
            "--client-secrets",
            str(secrets),
            "--secrets-backend",
            "file",
            "--api-key-stdin",
            stdin=KEY + "\n",
        )
        assert done.returncode == 0, done.stderr
        config = self.home / "config.toml"
        raw = tomllib.loads(config.read_text())
        raw["google"]["api_url"] = self.google.url
        config.write_text(tomli_w.dumps(raw))
        os.environ["IMMICH_GPHOTOS_PASSPHRASE"] = self.env["IMMICH_GPHOTOS_PASSPHRASE"]
        store_google_login(self.google, self.state_dir)
        added = self.cli("albums", "add", *ALBUMS)
        assert added.returncode == 0, added.stderr

    # --- one round ---------------------------------------------------------------------------

    def start(self) -> tuple[subprocess.Popen[str], list[str]]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "immich_gphotos", "sync", "--json"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        err: list[str] = []

        def pump() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                err.append(line)

        threading.Thread(target=pump, daemon=True).start()
        return proc, err

    def finish(
        self, proc: subprocess.Popen[str], err: list[str], found: Findings, what: str
    ) -> int | None:
        try:
            out, _ = proc.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            found.bad(f"{what}: still running after {RUN_TIMEOUT:.0f} s (killed)")
            return None
        code = proc.returncode
        text = "".join(err)
        if "Traceback" in text or "unexpected" in text:
            found.bad(f"{what}: exit {code} with a traceback or bug report: {text[-600:]!r}")
        if code >= 0:
            try:
                answer = json.loads(out)
                if answer.get("exit_code") != code:
                    found.bad(f"{what}: exit {code} but the JSON says {answer.get('exit_code')}")
            except ValueError:
                found.bad(f"{what}: exit {code} without one JSON object on stdout: {out[-300:]!r}")
        return code

    def faults(self, on: bool) -> None:
        self.immich.faults.slow_body_seconds = 0.02  # transfers take a moment: signals land mid-run
        self.immich.faults.error_rate = 0.12 if on else 0.0
        self.immich.faults.reset_rate = 0.12 if on else 0.0
        self.google.faults.error_rate = 0.12 if on else 0.0
        self.google.faults.upload_break_rate = 0.12 if on else 0.0

    def round(self, number: int, action: str, rng: random.Random, found: Findings) -> None:
        self.faults(action.startswith("storm"))
        runs_before = self.runs()
        proc, err = self.start()
        moment = rng.uniform(0.05, 1.5)
        what = f"round {number} {action}"
        signalled = ""
        early = False
        if action in ("kill9", "sigterm", "sigint", "double-sigint", "storm+sigterm"):
            try:
                proc.wait(timeout=moment)  # the random moment; if the run ends first, so be it
            except subprocess.TimeoutExpired:
                signalled = f" at {moment:.2f} s"
                if action != "kill9" and not handlers_installed(proc.pid):
                    # the interpreter is still starting: no Python code of ours runs yet, the
                    # kernel's default action applies (-15, -2); nothing has been touched
                    early = True
                    signalled += " (before the handlers were installed)"
                if action == "kill9":
                    proc.kill()
                    found.kills += 1
                elif action == "sigint":
                    proc.send_signal(signal.SIGINT)
                elif action == "double-sigint":
                    proc.send_signal(signal.SIGINT)
                    deadline = time.monotonic() + 30
                    while proc.poll() is None and time.monotonic() < deadline:
                        if any("Stopping" in line or "Interrupted" in line for line in err):
                            break
                        time.sleep(0.01)  # polling the child's own words
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGINT)
                else:
                    proc.send_signal(signal.SIGTERM)
        code = self.finish(proc, err, found, what)
        self.faults(False)
        found.codes[str(code)] += 1
        allowed = {
            "kill9": {-9, 0, 1},
            "clean": {0, 1},
            "storm": {0, 1, 7},
        }.get(action, {0, 1, 7, 130})
        if early:
            allowed = allowed | {-signal.SIGTERM, -signal.SIGINT}
        if code is not None and code not in allowed:
            found.bad(f"{what}: exit {code}, expected one of {sorted(allowed)}")
        if signalled and code == 130 and action != "double-sigint" and self.runs() > runs_before:
            # (a signal before the lock was taken ends the process before a run is recorded)
            last = self.last_run()
            if last is None or last.get("exit_code") != 130:
                found.bad(f"{what}: exit 130 but the run record says {last}")
        self.integrity(found, what)
        print(f"{what}{signalled}: exit {code}", flush=True)

    def runs(self) -> int:
        with sqlite3.connect(self.state_dir / "state.sqlite3") as db:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])

    def last_run(self) -> dict[str, object] | None:
        status = self.cli("status", "--json")
        try:
            runs = json.loads(status.stdout)["runs"]
        except (ValueError, KeyError):
            return None
        return runs[0] if runs else None

    def integrity(self, found: Findings, what: str) -> None:
        with sqlite3.connect(self.state_dir / "state.sqlite3") as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            found.bad(f"{what}: integrity_check says {verdict}")

    def grow(self, rng: random.Random) -> str:
        """New photos in random albums, so later rounds have work."""
        me = next(u for u in self.lib.users.values() if u.name == "Chaos Tester")
        names = []
        for _ in range(rng.randint(2, 15)):
            album = rng.choice([a for a in self.lib.albums.values() if a.name in ALBUMS])
            owner = album.owner_id
            user = self.lib.users.get(owner, me)
            name = f"NEW_{len(self.lib.assets):05d}.jpg"
            self.lib.add_asset(user, name, size=rng.randint(4_000, 60_000), albums=[album])
            names.append(name)
        return ", ".join(names)

    # --- the end -----------------------------------------------------------------------------

    def converge(self, found: Findings) -> None:
        self.faults(False)
        for attempt in range(1, 6):
            proc, err = self.start()
            code = self.finish(proc, err, found, f"final sync {attempt}")
            print(f"final sync {attempt}: exit {code}", flush=True)
            if code == 0:
                return
        found.bad("the final syncs did not converge to exit 0")

    def check(self, found: Findings) -> None:
        g = self.google
        with sqlite3.connect(self.state_dir / "state.sqlite3") as db:
            recorded = dict(
                db.execute("SELECT immich_album_id, google_album_id FROM google_albums").fetchall()
            )
        for name in ALBUMS:
            album = next(a for a in self.lib.albums.values() if a.name == name)
            want = {
                self.lib.assets[i].content.sha1_base64
                for i in album.asset_ids
                if not self.lib.assets[i].trashed
            }
            google_id = recorded.get(album.id)
            got = [m.sha1 for m in g.album_files(google_id)] if google_id in g.albums else []
            others = [
                a
                for a in g.albums.values()
                if a.title == name and a.id != google_id and not a.deleted
            ]
            if others:
                found.bad(
                    f'"{name}": {len(others)} more Google album(s) of that title the state does not '
                    f"know, holding {sum(len(a.items) for a in others)} items (a run ended between "
                    "albums.create and its record)"
                )
            missing, extra = want - set(got), set(got) - want
            repeated = len(got) - len(set(got))
            print(f'album "{name}": {len(want)} wanted, {len(got)} in Google', flush=True)
            if missing:
                found.bad(f'"{name}": {len(missing)} items missing in Google')
            if extra:
                found.bad(f'"{name}": {len(extra)} items in Google that Immich does not have')
            if repeated:
                found.bad(f'"{name}": {repeated} items twice in the album')
        created = Counter(u.sha1 for u in g.uploads.values() if getattr(u, "used", False))
        twice = {sha: n for sha, n in created.items() if n > 1}
        if twice:
            found.bad(
                f"{len(twice)} files were batch-created more than once "
                f"({sum(twice.values()) - len(twice)} extra creates): duplicates where Google "
                "keeps one item per create"
            )
        with sqlite3.connect(self.state_dir / "state.sqlite3") as db:
            rows = db.execute(
                "SELECT aa.google_album_id, a.google_media_item_id FROM album_assets aa "
                "JOIN assets a ON a.immich_id = aa.asset_id WHERE aa.google_album_id IS NOT NULL"
            ).fetchall()
            open_runs = db.execute("SELECT count(*) FROM runs WHERE exit_code IS NULL").fetchone()[
                0
            ]
        for google_album_id, media in rows:
            album = g.albums.get(google_album_id)
            if album is None or media not in album.items:
                found.bad(f"the state says {media} is in {google_album_id}; Google disagrees")
                break
        if open_runs > found.kills:
            found.bad(f"{open_runs} runs left open (exit ?), more than the {found.kills} kill -9s")
        self.integrity(found, "the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randint(0, 99_999)
    rng = random.Random(seed)
    print(f"chaos: seed {seed}, at most {args.rounds} rounds or {args.minutes} minutes", flush=True)
    found = Findings()
    actions: Counter[str] = Counter()
    home = Path(tempfile.mkdtemp(prefix="immich-gphotos-chaos-"))
    started = time.monotonic()
    lib = library(rng)
    with ImmichStandIn(lib, version=rng.choice([2, 3])) as immich, GoogleStandIn() as google:
        chaos = Chaos(home, immich, google)
        chaos.setup()
        for number in range(1, args.rounds + 1):
            if time.monotonic() - started > args.minutes * 60:
                print(f"time is up after {number - 1} rounds", flush=True)
                break
            if rng.random() < 0.7:
                print(f"   (new in Immich: {chaos.grow(rng)})", flush=True)
            action = rng.choice(ACTIONS)
            actions[action] += 1
            chaos.round(number, action, rng, found)
        chaos.converge(found)
        chaos.check(found)
    elapsed = time.monotonic() - started
    print(
        f"\nchaos: {sum(actions.values())} rounds in {elapsed:.0f} s (seed {seed}): "
        + ", ".join(f"{a} x{n}" for a, n in sorted(actions.items()))
    )
    print("exit codes seen: " + ", ".join(f"{c} x{n}" for c, n in sorted(found.codes.items())))
    print(f"Google holds {len(google.media)} items; state and log in {home}")
    if found.problems:
        print(f"\nOUTCOME: {len(found.problems)} problem(s):")
        for problem in found.problems:
            print(f" - {problem}")
        sys.exit(1)
    print("\nOUTCOME: converged; nothing missing, nothing created twice, state consistent.")


if __name__ == "__main__":
    main()
