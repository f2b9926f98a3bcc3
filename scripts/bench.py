"""`make bench`: figures for the targets, measured on the stand-ins; prints one line per figure.

(1) sync throughput, and its ratio to a minimal streaming copy between the same two servers
(2) peak memory of a sync moving one 200 MB and one 2 GB video
(3) a no-op re-sync over 20,000 synced assets in 10 albums: wall time, requests to each side
(4) Google requests per uploaded photo
(5) `immich-gphotos --help` start-up time
(6) the mixed library (120 x 4 MB photos + 2 x 300 MB videos, concurrency 4): throughput against
    the minimal copy, CPU seconds per GB moved, Google requests per uploaded item
(7) a slow link: the stand-in Google answers each request 100 ms late and takes upload bodies at
    100 Mbit/s in all, with and without a 40 Mbit/s cap per stream; throughput as a fraction of
    the link, at each concurrency tried, and the best

`make bench BENCH_ARGS="--figures 6,7"` picks figures; `--slow-photos N` sizes figure 7's library,
`--slow-full` runs it on figure 6's mix, `--slow-concurrency 3,4,6` the concurrencies it tries.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
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
from tests.standins.google import GoogleStandIn, Link  # noqa: E402
from tests.standins.immich import ImmichStandIn, Library  # noqa: E402

KEY = "bench-key"
MB = 1_000_000


class Setup:
    """A throwaway home with init done, the Google login stored and the given albums selected."""

    def __init__(
        self,
        library: Library,
        albums: list[str],
        budget: int = 9500,
        concurrency: int = 4,
        keyring: bool = False,
    ) -> None:
        """Secrets in the passphrase-encrypted file (a headless machine), or with ``keyring``
        in an OS keyring (a desktop; here a plain file shared by the home's processes)."""
        self.home = Path(tempfile.mkdtemp(prefix="immich-gphotos-bench-"))
        backend = "keyring.backends.fail.Keyring"
        if keyring:
            backend = "tests.standins.file_keyring.FileKeyring"
        self.env = os.environ | {
            "HOME": str(self.home),
            "IMMICH_GPHOTOS_CONFIG": str(self.home / "config.toml"),
            "IMMICH_GPHOTOS_STATE_DIR": str(self.home / "state"),
            "IMMICH_GPHOTOS_PASSPHRASE": "bench",
            "PYTHON_KEYRING_BACKEND": backend,
            "BENCH_KEYRING_FILE": str(self.home / "keyring.json"),
            "PYTHONPATH": str(ROOT),
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
        from immich_gphotos.credentials.keyring_store import KeyringStore
        from immich_gphotos.state.store import StateStore

        os.environ["IMMICH_GPHOTOS_PASSPHRASE"] = "bench"
        refresh, _ = self.google.issue_tokens()
        if keyring:
            import keyring as keyring_mod
            from tests.standins.file_keyring import FileKeyring

            os.environ["BENCH_KEYRING_FILE"] = self.env["BENCH_KEYRING_FILE"]
            keyring_mod.set_keyring(FileKeyring())
            KeyringStore().set("google-refresh-token", refresh)
        else:
            FileStore(self.home / "state" / "secrets.enc").set("google-refresh-token", refresh)
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
        """Wall seconds and peak RSS (kB) of one `sync` in a child process (its CPU seconds in
        ``self.cpu``)."""
        peak = self.home / "peak"
        # The peak of this process's own memory: /proc's VmHWM (ru_maxrss can carry the parent's
        # size over the fork, and this benchmark's process holds the stand-ins' data).
        code = (
            "import atexit, resource, runpy, sys\n"
            "def hwm():\n"
            "    try:\n"
            "        return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
            "    except (OSError, StopIteration):\n"
            "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"atexit.register(lambda: open({str(peak)!r}, 'w').write(str(hwm())))\n"
            "sys.argv = ['immich-gphotos', 'sync', '--quiet']\n"
            "runpy.run_module('immich_gphotos', run_name='__main__')\n"
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", code], env=self.env, capture_output=True, text=True
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
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
    """Peak RSS of a sync moving a 200 MB and a 2 GB video, with the secrets in the encrypted
    file (scrypt's fixed 128 MiB at the start is in that peak) and in an OS keyring."""
    lib = Library(seed=6)
    me = lib.add_user("Bench", key=KEY)
    album = lib.add_album("Videos", me)
    for name, size in (("V200.mp4", 200 * MB), ("V2000.mp4", 2000 * MB)):
        lib.add_asset(me, name, content=Content(f"bench-{name}", size), albums=[album])
    for asset in lib.assets.values():
        _ = asset.checksum
    peaks = {}
    for keyring in (False, True):
        setup = Setup(lib, ["Videos"], keyring=keyring)
        try:
            wall, peaks[keyring] = setup.sync_measured()
            moved = sum(len(a.items) for a in setup.google.albums.values())
        finally:
            setup.close()
    return (
        f"(2) peak memory of a sync moving a 200 MB and a 2 GB video ({moved} placed, "
        f"{2200 / wall:.0f} MB/s): {peaks[True] / 1000:.0f} MB RSS with the secrets in an OS "
        f"keyring (target < 100 MiB, flat in file size); {peaks[False] / 1000:.0f} MB with the "
        "passphrase-encrypted secrets file, whose scrypt key derivation (N=2^17, r=8) holds "
        "128 MiB for a moment at the start"
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


def _mixed_library(
    seed: int, photos: int, videos: list[tuple[int, int]]
) -> tuple[Library, list[str]]:
    """``photos`` 4 MB photos with each (position, bytes) video among them in capture order."""
    lib = Library(seed=seed)
    me = lib.add_user("Bench", key=KEY)
    album = lib.add_album("Mixed", me)
    ids = []
    where = dict(videos)
    for i in range(photos + len(videos)):
        if i in where:
            name = f"V_{i:03d}.mp4"
            content = Content(f"bench-mixed-{seed}-{i}", where[i])
            ids.append(lib.add_asset(me, name, content=content, albums=[album]).id)
        else:
            ids.append(lib.add_asset(me, f"M_{i:03d}.jpg", size=4 * MB, albums=[album]).id)
    for i in ids:  # checksums are computed once, outside the timings
        _ = lib.assets[i].checksum
    return lib, ids


def mixed(concurrency: int = 4, trials: int = 3) -> str:
    """Figure 6, ``trials`` times on fresh stand-ins (the machines here are shared): the median
    ratio, with each trial's figures."""
    lib, ids = _mixed_library(8, 120, [(40, 300 * MB), (121, 300 * MB)])
    total = sum(lib.assets[i].content.size for i in ids)
    runs = []
    for _ in range(trials):
        setup = Setup(lib, ["Mixed"], concurrency=concurrency)
        try:
            before_copy = resource.getrusage(resource.RUSAGE_CHILDREN)
            base = baseline_copy(setup, ids, concurrency)
            after_copy = resource.getrusage(resource.RUSAGE_CHILDREN)
            copy_cpu = (after_copy.ru_utime - before_copy.ru_utime) + (
                after_copy.ru_stime - before_copy.ru_stime
            )
            before = setup.google.library_requests
            wall, _ = setup.sync_measured()
            requests = setup.google.library_requests - before
            placed = sum(len(a.items) for a in setup.google.albums.values())
        finally:
            setup.close()
        runs.append(
            (
                base / wall,
                total / wall / MB,
                total / base / MB,
                setup.cpu,
                copy_cpu,
                requests,
                placed,
            )
        )
    runs.sort()
    ratio, tool, copy, cpu, copy_cpu, requests, placed = runs[len(runs) // 2]
    each = ", ".join(f"{r[0]:.2f}" for r in runs)
    gb = total / 1e9
    return (
        f"(6) mixed library, {len(ids) - 2} x 4 MB photos + 2 x 300 MB videos, concurrency "
        f"{concurrency}, median of {trials}: {tool:.1f} MB/s; minimal streaming copy {copy:.1f} "
        f"MB/s; ratio {ratio:.2f} (each: {each}) (target >= 0.90); CPU {cpu / gb:.2f} s per GB "
        f"moved (the minimal copy: {copy_cpu / gb:.2f}); Google requests per uploaded item "
        f"{requests / placed:.3f} ({requests} for {placed}: 120 raw uploads, 2 x 2 resumable, 3 "
        "batchCreates, the album, and the one albums.list a new state makes before creating an "
        "album) (target <= 1.05)"
    )


def slow_link(photos: int, concurrencies: tuple[int, ...], full: bool = False) -> list[str]:
    """The tool over a simulated uplink; a 100 MB video last in capture order (the worst case
    for a scheduler that uploads in capture order), or with ``full`` figure 6's mix."""
    videos = [(40, 300 * MB), (photos + 1, 300 * MB)] if full else [(photos, 100 * MB)]
    link = 100e6 / 8  # bytes per second
    lines = []
    for cap in (None, 40e6 / 8):
        lib, ids = _mixed_library(9, photos, videos)
        total = sum(lib.assets[i].content.size for i in ids)
        setup = Setup(lib, ["Mixed"], concurrency=4)
        try:  # the minimal copy over the same link: what the simulation allows here
            setup.google.latency = 0.1
            setup.google.link = Link(link, cap)
            copy = total / baseline_copy(setup, ids, 4) / link
        finally:
            setup.close()
        fractions: dict[int, float] = {}
        moving: dict[int, float] = {}  # the same without the fixed start-up cost
        for concurrency in concurrencies:
            lib, ids = _mixed_library(9, photos, videos)
            total = sum(lib.assets[i].content.size for i in ids)
            setup = Setup(lib, ["Mixed"], concurrency=concurrency)
            try:
                setup.google.latency = 0.1
                setup.google.link = Link(link, cap)
                wall, _ = setup.sync_measured()
                fixed, _ = setup.sync_measured()  # a no-op run: start-up, login, listing
            finally:
                setup.close()
            fractions[concurrency] = total / wall / link
            moving[concurrency] = total / max(wall - fixed, 1e-3) / link
        best = max(fractions, key=lambda c: fractions[c])
        tried = ", ".join(f"{c}: {f:.2f} ({moving[c]:.2f})" for c, f in fractions.items())
        target = 0.95 if cap is None else 0.9
        what = "no per-stream cap" if cap is None else "40 Mbit/s per stream"
        lines.append(
            f"(7) slow link (100 Mbit/s, 100 ms per request, {what}), {photos} x 4 MB photos + "
            f"{'2 x 300 MB videos' if full else 'a 100 MB video'}: fraction of the link by concurrency (without the start-up a no-op "
            f"run takes) {tried}; best "
            f"{fractions[best]:.2f} at {best} (target >= {target}); minimal copy, 4 streams, "
            f"{copy:.2f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="immich-gphotos benchmark")
    parser.add_argument(
        "--quick", action="store_true", help="smaller no-op library (2 x 500) for a fast look"
    )
    parser.add_argument(
        "--figures", default="1,2,3,4,5,6,7", help="which figures, e.g. 6,7 (3 and 4 come together)"
    )
    parser.add_argument("--slow-photos", type=int, default=40, help="figure 7's photos")
    parser.add_argument(
        "--slow-full", action="store_true", help="figure 7 on figure 6's mix (about 6 minutes)"
    )
    parser.add_argument(
        "--slow-concurrency", default="4,8", help="figure 7's concurrencies to try, e.g. 3,4,6"
    )
    args = parser.parse_args()
    figures = {int(f) for f in args.figures.split(",") if f.strip()}
    # An installed tool runs from bytecode (pip compiles it); this checkout may not have it, and
    # PYTHONDONTWRITEBYTECODE (set on some machines) would make every child compile src/ anew.
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}",
        flush=True,
    )
    if 1 in figures:
        print(throughput(4), flush=True)
    if 2 in figures:
        print(memory(), flush=True)
    if figures & {3, 4}:
        line3, line4 = no_op(2, 500) if args.quick else no_op()
        print(line3, flush=True)
        print(line4, flush=True)
    if 5 in figures:
        print(startup(), flush=True)
    if 6 in figures:
        print(mixed(4), flush=True)
    if 7 in figures:
        tried = tuple(int(c) for c in args.slow_concurrency.split(","))
        photos = 120 if args.slow_full else args.slow_photos
        for line in slow_link(photos, tried, args.slow_full):
            print(line, flush=True)


if __name__ == "__main__":
    main()
