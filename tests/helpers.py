"""Test helpers: run the CLI as a subprocess, build the stand-in libraries, make certificates."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.standins.content import Content
from tests.standins.immich import Library, User

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"  # the official API documents, beside the project
GOOD_KEY = "good-key-0123456789abcdef"
NO_DOWNLOAD_KEY = "scoped-no-download"
NO_ALBUM_KEY = "scoped-no-album"
BIG_ALBUM_SIZE = 2600


def spec_path(name: str) -> Path:
    """An API document from ../shared/specs. A missing one fails the test that needs it, naming
    the path: skipping would let the stand-ins drift from the real APIs with the suite green."""
    import pytest

    path = SPECS / name
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: the conformance tests check the stand-ins and the clients "
            "against the official API documents in ../shared/specs beside the project",
            pytrace=False,
        )
    return path


def run_cli(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process, stdin not a terminal (as under cron)."""
    return subprocess.run(
        [sys.executable, "-m", "immich_gphotos", *args],
        env=env if env is not None else os.environ.copy(),
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@dataclass
class Scenario:
    library: Library
    me: User
    friend: User
    expected: dict[str, set[str]]  # album name -> the asset ids a complete listing returns


def scenario_library(big: bool = True) -> Scenario:
    """Albums with every trap both versions have; ``expected`` is what a correct client returns."""
    lib = Library(seed=42)
    me = lib.add_user("Alex Tester", key=GOOD_KEY)
    friend = lib.add_user("Sam Friend", key="friend-key")
    lib.add_key(NO_DOWNLOAD_KEY, me, {"user.read", "album.read", "asset.read"})
    lib.add_key(NO_ALBUM_KEY, me, {"user.read", "asset.read", "asset.download"})

    holidays = lib.add_album("Holidays", me)
    holidays23 = lib.add_album("Holidays 2023", me)
    garden = lib.add_album("Garden", friend, shared_with=[me])
    mixed = lib.add_album("Mixed Bag", me)
    lib.add_album("Friend Private", friend)  # not shared: never listed for me

    expected: dict[str, set[str]] = {
        name: set() for name in ("Holidays", "Holidays 2023", "Garden", "Mixed Bag")
    }
    for i in range(5):
        expected["Holidays"].add(
            lib.add_asset(me, f"HOL_{i}.jpg", albums=[holidays], description=f"Day {i}").id
        )
    for i in range(3):
        expected["Holidays 2023"].add(lib.add_asset(me, f"H23_{i}.heic", albums=[holidays23]).id)
    for i in range(4):  # another user's assets in a shared album: v2 search would miss them
        expected["Garden"].add(lib.add_asset(friend, f"GARDEN_{i}.jpg", albums=[garden]).id)
    expected["Garden"].add(lib.add_asset(me, "MINE_IN_GARDEN.jpg", albums=[garden]).id)

    expected["Mixed Bag"] |= {
        lib.add_asset(me, "PLAIN.jpg", albums=[mixed]).id,
        lib.add_asset(
            me, "ARCHIVED.jpg", albums=[mixed], visibility="archive"
        ).id,  # v2 search: timeline only
        lib.add_asset(
            me, "NO_EXIF.png", albums=[mixed], has_exif=False
        ).id,  # v3 withExif inner join
        lib.add_asset(
            me, "EXTERNAL.jpg", albums=[mixed], library_id="0e0c2a44-3d5b-4c38-9a4b-6c1d8e6f7a10"
        ).id,
        lib.add_asset(me, "CLIP.mp4", albums=[mixed], size=50_000).id,
    }
    motion = lib.add_asset(
        me, "LIVE.mov", visibility="hidden", size=30_000
    )  # in no album, as Immich does
    expected["Mixed Bag"].add(
        lib.add_asset(me, "LIVE.heic", albums=[mixed], live_photo_video_id=motion.id).id
    )
    lib.add_asset(me, "TRASHED.jpg", albums=[mixed], trashed=True)  # never listed

    _smart_facts(lib, me)
    if big:
        album = lib.add_album("Big Album", me)
        expected["Big Album"] = {
            lib.add_asset(me, f"BIG_{i:05d}.jpg", size=64, albums=[album]).id
            for i in range(BIG_ALBUM_SIZE)
        }
    return Scenario(lib, me, friend, expected)


def _smart_facts(lib: Library, me: User) -> None:
    """People, tags, favourites, ratings and places on some of my assets (smart albums)."""
    alice = lib.add_person(me, "Alice")
    bob = lib.add_person(me, "Bob")
    unnamed = lib.add_person(me)  # recognised, never named: reachable by id only
    lib.add_person(me, "Alicia")  # shares a prefix with Alice
    kids = lib.add_tag(me, "Family/Kids")
    trips = lib.add_tag(me, "Trips")
    by_name = {a.file_name: a for a in lib.assets.values()}
    facts: dict[str, dict[str, object]] = {
        "HOL_0.jpg": {"people": [alice.id], "country": "Portugal", "city": "Lisbon"},
        "HOL_1.jpg": {"people": [alice.id, bob.id], "country": "Portugal", "city": "Porto"},
        "HOL_2.jpg": {"people": [bob.id], "favorite": True, "rating": 4},
        "HOL_3.jpg": {"favorite": True, "rating": 5, "tags": [trips.id]},
        "HOL_4.jpg": {"rating": 3, "people": [unnamed.id]},
        "H23_0.heic": {"favorite": True, "tags": [kids.id], "country": "Spain"},
        "H23_1.heic": {"people": [alice.id], "tags": [kids.id]},
        "PLAIN.jpg": {"tags": [trips.id]},
        "ARCHIVED.jpg": {"people": [alice.id], "favorite": True},
        "NO_EXIF.png": {"favorite": True},
        "MINE_IN_GARDEN.jpg": {"people": [alice.id]},
        "CLIP.mp4": {"favorite": True, "people": [alice.id]},
    }
    for name, values in facts.items():
        for key, value in values.items():
            setattr(by_name[name], key, value)


def large_asset(
    lib: Library, owner: User, size: int, name: str = "LARGE.mp4"
) -> tuple[str, Content]:
    content = Content(f"large-{size}", size)
    asset = lib.add_asset(owner, name, content=content)
    return asset.id, content


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A CA-less self-signed certificate for 127.0.0.1, as homelab servers often have."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "immich.home.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def set_config(path: Path, section: str, key: str, value: object) -> None:
    """Change one key of a saved config, as a user editing the file would."""
    import tomllib

    import tomli_w

    raw = tomllib.loads(path.read_text())
    raw.setdefault(section, {})[key] = value
    path.write_text(tomli_w.dumps(raw))


class LineReader:
    """Reads a child's stdout lines on a thread, so a test waits on lines with a deadline."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        import queue
        import threading

        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []

        def pump() -> None:
            for line in stream:
                self.lines.put(line)
            self.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 30) -> str:  # type: ignore[no-untyped-def]
        import queue
        import time

        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no matching line within {timeout} s; saw {self.seen!r}"
                ) from None
            if line is None:
                raise AssertionError(f"the process ended first; saw {self.seen!r}")
            self.seen.append(line)
            if predicate(line.strip()):
                return line.strip()
