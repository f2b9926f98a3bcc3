"""`make bench`: figures for the targets, measured on the stand-ins; prints one line per figure.

(1) sync throughput, and its ratio to a minimal streaming copy between the same two servers
(2) peak memory of a sync moving one 200 MB and one 2 GB video
(3) a no-op re-sync over 20,000 synced assets in 10 albums: wall time, requests to each side
(4) Google requests per uploaded photo
(5) `immich-gphotos --help` start-up time
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tomli_w  # noqa: E402
from tests.standins.content import Content  # noqa: E402
from tests.standins.google import GoogleStandIn  # noqa: E402
from tests.standins.immich import ImmichStandIn, Library  # noqa: E402

KEY = "bench-key"
MB = 1_000_000


class Setup:
    """A throwaway home with init done, the Google login stored and the given albums selected."""

    def __init__(
        self, library: Library, albums: list[str], budget: int = 9500, concurrency: int = 4
    ) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="immich-gphotos-bench-"))
        self.env = os.environ | {
            "HOME": str(self.home),
            "IMMICH_GPHOTOS_CONFIG": str(self.home / "config.toml"),
            "IMMICH_GPHOTOS_STATE_DIR": str(self.home / "state"),
            "IMMICH_GPHOTOS_PASSPHRASE": "bench",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        }
        self.env.pop("IMMICH_API_KEY", None)
        self.immich = ImmichStandIn(library, version=3).start()
        self.google = GoogleStandIn().start()
        secrets = self.google.client_secrets(self.home / "client.json")
        self.cli(
            "init",
            "--immich-url",
            self.immich.url,
            "--client-secrets",
            str(secrets),
            "--api-key-stdin",
            stdin=KEY,
        )
        raw = tomllib.loads((self.home / "config.toml").read_text())
        raw["google"].update(api_url=self.google.url, daily_request_budget=budget)
        raw["sync"] = {"concurrency": concurrency}
        (self.home / "config.toml").write_text(tomli_w.dumps(raw))
        from immich_gphotos.credentials.file_store import FileStore
        from immich_gphotos.state.store import StateStore

        os.environ["IMMICH_GPHOTOS_PASSPHRASE"] = "bench"
        refresh, _ = self.google.issue_tokens()
        store = FileStore(self.home / "state" / "secrets.enc")
        store.set("google-refresh-token", refresh)
        state = StateStore.open(self.home / "state")
        state.set_meta("oauth_client_id", self.google.client_id)
        state.close()
        self.cli("albums", "add", *albums)

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "immich_gphotos", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(
                f"bench: immich-gphotos {' '.join(args)} failed ({result.returncode}): {result.stderr}"
            )
        return result

    def sync_measured(self) -> tuple[float, int]:
        """Wall seconds and peak RSS (kB) of one `sync` in a child process."""
        peak = self.home / "peak"
        code = (
            "import atexit, resource, runpy, sys\n"
            f"atexit.register(lambda: open({str(peak)!r}, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))\n"
            "sys.argv = ['immich-gphotos', 'sync', '--quiet']\n"
            "runpy.run_module('immich_gphotos', run_name='__main__')\n"
        )
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", code], env=self.env, capture_output=True, text=True
        )
        wall = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"bench: sync failed ({result.returncode}): {result.stderr[-2000:]}")
        return wall, int(peak.read_text())

    def close(self) -> None:
        self.immich.close()
        self.google.stop()


def baseline_copy(setup: Setup, asset_ids: list[str], concurrency: int) -> float:
    """The physical limit here: stream each original from Immich into a raw upload, nothing else."""
    _, access = setup.google.issue_tokens()
    code = (
        "import sys, httpx\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "immich, google, key, token, n = sys.argv[1:6]\n"
        "ids = sys.stdin.read().split()\n"
        "ih = httpx.Client(base_url=immich, headers={'x-api-key': key}, timeout=120)\n"
        "gh = httpx.Client(base_url=google, headers={'Authorization': 'Bearer ' + token}, timeout=120)\n"
        "def copy(i):\n"
        "    with ih.stream('GET', f'/api/assets/{i}/original') as r:\n"
        "        size = r.headers['content-length']\n"
        "        gh.post('/v1/uploads', content=r.iter_bytes(1 << 20), headers={'Content-Length': size,\n"
        "                'X-Goog-Upload-Protocol': 'raw', 'Content-Type': 'application/octet-stream'}).raise_for_status()\n"
        "with ThreadPoolExecutor(int(n)) as pool:\n"
        "    list(pool.map(copy, ids))\n"
    )
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            setup.immich.url,
            setup.google.url,
            KEY,
            access,
            str(concurrency),
        ],
        input="\n".join(asset_ids),
        text=True,
        check=True,
    )
    return time.perf_counter() - start


def throughput(concurrency: int) -> str:
    lib = Library(seed=5)
    me = lib.add_user("Bench", key=KEY)
    album = lib.add_album("Throughput", me)
    ids = [lib.add_asset(me, f"T_{i:03d}.jpg", size=20 * MB, albums=[album]).id for i in range(48)]
    total = sum(lib.assets[i].content.size for i in ids)
    setup = Setup(lib, ["Throughput"], concurrency=concurrency)
    try:
        for i in ids:  # checksums are computed once, outside the timings
            _ = lib.assets[i].checksum
        base = baseline_copy(setup, ids, concurrency)
        wall, _ = setup.sync_measured()
    finally:
        setup.close()
    tool, copy = total / wall / MB, total / base / MB
    return (
        f"(1) throughput: {tool:.1f} MB/s for {len(ids)} x 20 MB photos, concurrency {concurrency}; "
        f"minimal streaming copy {copy:.1f} MB/s; ratio {tool / copy:.2f} (target >= 0.80)"
    )


def memory() -> str:
    lib = Library(seed=6)
    me = lib.add_user("Bench", key=KEY)
    album = lib.add_album("Videos", me)
    for name, size in (("V200.mp4", 200 * MB), ("V2000.mp4", 2000 * MB)):
        lib.add_asset(me, name, content=Content(f"bench-{name}", size), albums=[album])
    for asset in lib.assets.values():
        _ = asset.checksum
    setup = Setup(lib, ["Videos"])
    try:
        wall, peak_kb = setup.sync_measured()
        moved = sum(len(a.items) for a in setup.google.albums.values())
    finally:
        setup.close()
    return (
        f"(2) peak memory: {peak_kb / 1000:.0f} MB RSS for a sync moving a 200 MB and a 2 GB video "
        f"({moved} placed, {2200 / wall:.0f} MB/s) (target < 150 MB, flat in file size)"
    )


def no_op(albums: int = 10, per_album: int = 2000) -> tuple[str, str]:
    lib = Library(seed=7)
    me = lib.add_user("Bench", key=KEY)
    names = []
    for k in range(albums):
        album = lib.add_album(f"Album {k:02d}", me)
        names.append(album.name)
        for i in range(per_album):
            lib.add_asset(me, f"P{k:02d}_{i:05d}.jpg", size=200, albums=[album])
    for asset in lib.assets.values():
        _ = asset.checksum
    setup = Setup(lib, names, budget=100_000, concurrency=8)
    try:
        first_wall, _ = setup.sync_measured()
        uploaded = sum(len(a.items) for a in setup.google.albums.values())
        per_item = setup.google.library_requests / uploaded
        immich_before, google_before = setup.immich.count(), setup.google.library_requests
        token_before = len([r for r in setup.google.requests if r[1] == "/token"])
        walls = [setup.sync_measured()[0] for _ in range(3)]
        immich_calls = (setup.immich.count() - immich_before) // 3
        google_calls = (setup.google.library_requests - google_before) // 3
        token_calls = len([r for r in setup.google.requests if r[1] == "/token"]) - token_before
    finally:
        setup.close()
    line3 = (
        f"(3) no-op re-sync over {uploaded} synced assets in {albums} albums: median {statistics.median(walls):.2f} s "
        f"(target < 5 s); requests per run: Immich {immich_calls}, Google {google_calls} "
        f"(token refreshes over 3 runs: {token_calls}) (target: zero to Google)"
    )
    line4 = (
        f"(4) Google requests per uploaded photo: {per_item:.4f} (first sync of {uploaded} photos in "
        f"{albums} albums, {first_wall:.0f} s) (target <= 1.03)"
    )
    return line3, line4


def startup() -> str:
    times = []
    for _ in range(10):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "immich_gphotos", "--help"], capture_output=True, check=True
        )
        times.append(time.perf_counter() - start)
    return f"(5) `immich-gphotos --help` start-up: median {statistics.median(times):.3f} s over 10 runs (target < 0.3 s)"


def main() -> None:
    parser = argparse.ArgumentParser(description="immich-gphotos benchmark")
    parser.add_argument(
        "--quick", action="store_true", help="smaller no-op library (2 x 500) for a fast look"
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}",
        flush=True,
    )
    print(throughput(4), flush=True)
    print(memory(), flush=True)
    line3, line4 = no_op(2, 500) if args.quick else no_op()
    print(line3, flush=True)
    print(line4, flush=True)
    print(startup(), flush=True)


if __name__ == "__main__":
    main()
