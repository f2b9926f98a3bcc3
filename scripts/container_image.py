"""`make test-container`, first half: build the image with podman, with no container registry.

Only Debian's packages and PyPI are reachable here, so the base image is made with debootstrap
(--variant=minbase, bookworm, from the Debian mirror this machine's apt uses) and imported
into podman as localhost/debian:bookworm; the package's wheels are built on the host (whose pip
reaches PyPI) and handed to the Dockerfile as a wheelhouse. Then `podman build` with the
repository's own Dockerfile. Prints each step's time and the image size.

podman on these machines needs `--runtime runc` (crun refuses the cgroup layout) and
/etc/containers/containers.conf with `default_ulimits = []` (the default ulimits are not
permitted); this script writes that file when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "localhost/debian:bookworm"
IMAGE = os.environ.get("IGPHOTOS_CONTAINER_IMAGE", "localhost/immich-gphotos:test")
PODMAN = ["podman", "--runtime", "runc"]
CONTAINERS_CONF = Path("/etc/containers/containers.conf")
FALLBACK_MIRROR = "http://deb.debian.org/debian"


def run(*args: str, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    print("$ " + " ".join(args), flush=True)
    return subprocess.run(args, check=True, text=True, **kw)


def debian_mirror() -> str:
    """The Debian archive this machine's apt uses (deb822 .sources or one-line .list files)."""
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file() or not path.name.endswith((".list", ".sources")):
            continue
        text = path.read_text(errors="replace")
        for match in re.finditer(r"^\s*URIs:\s*(\S+)", text, re.M):  # deb822
            if match.group(1).rstrip("/").endswith("/debian"):
                return match.group(1)
        for match in re.finditer(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\b", text, re.M):
            if match.group(1).rstrip("/").endswith("/debian"):
                return match.group(1)
    return FALLBACK_MIRROR


def podman_conf() -> None:
    if CONTAINERS_CONF.exists() and "default_ulimits" in CONTAINERS_CONF.read_text():
        return
    CONTAINERS_CONF.parent.mkdir(parents=True, exist_ok=True)
    with CONTAINERS_CONF.open("a") as fh:
        fh.write("\n[containers]\ndefault_ulimits = []\n")
    print(f"wrote default_ulimits = [] to {CONTAINERS_CONF}", flush=True)


def base_image() -> None:
    if subprocess.run([*PODMAN, "image", "exists", BASE]).returncode == 0:
        print(f"{BASE} is there already", flush=True)
        return
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="igphotos-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(
            "debootstrap",
            "--variant=minbase",
            "bookworm",
            str(rootfs),
            mirror,
            stdout=subprocess.DEVNULL,
        )
        slim(rootfs)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run(*PODMAN, "import", "-", BASE, stdin=tar.stdout, stdout=subprocess.DEVNULL)
        if tar.wait() != 0:
            raise SystemExit("tar of the debootstrap folder failed")


# What debian:bookworm-slim leaves out, so the base made here is about as small (~75 MB).
SLIM_DPKG = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
SLIM_APT = """DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
"""


def slim(rootfs: Path) -> None:
    """debootstrap leaves the downloaded packages, the package lists, docs and translations."""
    (rootfs / "etc/dpkg/dpkg.cfg.d/slim").write_text(SLIM_DPKG)
    (rootfs / "etc/apt/apt.conf.d/slim").write_text(SLIM_APT)
    for pattern in (
        "var/cache/apt/archives/*.deb",
        "var/cache/apt/*.bin",
        "var/lib/apt/lists/*",
        "usr/share/man/*",
        "usr/share/info/*",
        "usr/share/locale/*",
    ):
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.name not in ("lock", "partial", "locale.alias"):
                path.unlink()
    for doc in (rootfs / "usr/share/doc").glob("*"):
        for path in doc.glob("*"):
            if path.name != "copyright":
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def context(folder: Path) -> None:
    """The build context: what the Dockerfile copies, plus a wheelhouse built on the host."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE", "Dockerfile", ".dockerignore"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(
        ROOT / "src", folder / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    # the project's wheel, its dependencies, and its build backend (pip builds /src with it)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--wheel-dir",
        str(folder / "wheels"),
        str(folder),
        "hatchling",
    )


def build() -> None:
    work = ROOT / "build" / "container"
    timings: list[tuple[str, float]] = []
    for name, step in (
        ("podman config", podman_conf),
        ("base image (debootstrap + import)", base_image),
        ("build context and wheels", lambda: context(work / "context")),
    ):
        start = time.monotonic()
        step()
        timings.append((name, time.monotonic() - start))
    start = time.monotonic()
    run(
        *PODMAN,
        "build",
        "--format",
        "docker",  # keeps HEALTHCHECK (the OCI format has no place for it)
        "--network",
        "host",
        "--build-arg",
        f"BASE={BASE}",
        "--build-arg",
        "PIP_OPTIONS=--no-index --find-links /src/wheels",
        "--tag",
        IMAGE,
        str(work / "context"),
    )
    timings.append(("podman build", time.monotonic() - start))
    size = int(
        run(
            *PODMAN, "image", "inspect", "--format", "{{.Size}}", IMAGE, capture_output=True
        ).stdout.strip()
    )
    for name, seconds in timings:
        print(f"  {name}: {seconds:.0f} s")
    print(f"image {IMAGE}: {size / 1e6:.0f} MB", flush=True)


if __name__ == "__main__":
    build()
