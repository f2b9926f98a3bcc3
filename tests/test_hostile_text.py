"""Other people's text stays inert: an Immich serving names, descriptions and errors full of
terminal escapes, line breaks and bidi overrides, through every command, the log and Google."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from immich_gphotos.text import clean, is_clean
from tests.helpers import GOOD_KEY, run_cli, set_config
from tests.homes import store_google_login
from tests.standins.immich import ImmichStandIn, Library

# retitles the terminal, clears it, hides what follows, forges a line, reverses the text, a C1 CSI
HOSTILE = "Evil\x1b]0;pwned\x07\x1b[2J\x1b[8mhidden\r\nFORGED LINE\u202egnp.exe\u2066x\u2069\x9b31m\x7fend"
# what must never reach a stream or the log: C0 but the newline ending a line, DEL, C1, bidi
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def assert_inert(text: str, where: str) -> None:
    found = FORBIDDEN.search(text)
    assert found is None, f"{where}: {found.group(0)!r} in {text!r}"
    for line in text.splitlines():
        assert not line.startswith("FORGED"), f"{where}: a forged line {line!r}"


def assert_run_inert(result, where: str) -> None:  # type: ignore[no-untyped-def]
    assert_inert(result.stdout, f"{where} stdout")
    assert_inert(result.stderr, f"{where} stderr")


def test_the_sanitiser() -> None:
    cleaned = clean(HOSTILE)
    assert is_clean(cleaned) and not is_clean(HOSTILE)
    assert FORBIDDEN.search(cleaned) is None
    assert "\u241b]0;pwned\u2407" in cleaned  # ESC and BEL shown as their control pictures
    assert "\u240d\u240aFORGED" in cleaned  # CR LF visible, on the same line
    assert clean(cleaned) == cleaned
    assert clean("Café 2024 — 日本 🌸") == "Café 2024 — 日本 🌸"  # ordinary text is untouched


@pytest.fixture
def hostile(google, config_path: Path, state_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    lib = Library(seed=3)
    me = lib.add_user(HOSTILE, key=GOOD_KEY)
    friend = lib.add_user("Friend " + HOSTILE, key="friend-key")
    mine = lib.add_album(HOSTILE, me)
    shared = lib.add_album("Shared " + HOSTILE, friend, shared_with=[me])
    for i in range(3):
        lib.add_asset(me, f"{i}{HOSTILE}.jpg", albums=[mine], description=f"caption {i}\n{HOSTILE}")
    broken = lib.add_asset(me, f"broken{HOSTILE}.jpg", albums=[mine])
    lib.add_asset(friend, f"theirs{HOSTILE}.jpg", albums=[shared])
    with ImmichStandIn(lib, version=3) as immich:
        immich.broken = broken  # type: ignore[attr-defined]
        immich.shared = shared  # type: ignore[attr-defined]
        yield immich


def test_hostile_text_never_reaches_a_stream_the_log_or_google(
    hostile, google, config_path: Path, state_dir: Path
) -> None:
    env = os.environ | {"IMMICH_API_KEY": GOOD_KEY}
    init = run_cli(
        "init", "--immich-url", hostile.url, "--client-secrets", str(google.secrets_path), env=env
    )
    assert init.returncode == 0, init.stderr
    assert "Connected to Immich" in init.stdout and "\u241b]0;pwned" in init.stdout
    assert_run_inert(init, "init")
    set_config(config_path, "google", "api_url", google.url)
    store_google_login(google, state_dir)

    listed = run_cli("albums")  # a pipe: one line per album, tabs between the fields
    assert listed.returncode == 0, listed.stderr
    assert "Evil" in listed.stdout
    rows = listed.stdout.splitlines()
    assert len(rows) == 2 and all(row.count("\t") == 8 for row in rows), "no tab from a name"
    listed.stdout = listed.stdout.replace("\t", " ")  # the separators are ours, and harmless
    assert_run_inert(listed, "albums")

    as_json = run_cli("albums", "--json")
    rows = json.loads(as_json.stdout)
    assert {r["name"] for r in rows} == {HOSTILE, "Shared " + HOSTILE}, "--json keeps originals"
    assert {r["owner"] for r in rows} >= {"Friend " + HOSTILE}
    assert_run_inert(as_json, "albums --json")

    unknown = run_cli("albums", "add", "nothing like it")
    assert unknown.returncode == 2 and "Evil" in unknown.stderr
    assert_run_inert(unknown, "albums add (unknown)")

    added = run_cli("albums", "add", "Evil", "Shared")
    assert added.returncode == 0, added.stderr
    assert_run_inert(added, "albums add")
    saved = config_path.read_text(encoding="utf-8").splitlines()
    assert all(is_clean(line) for line in saved), "the Google titles saved in the config are clean"

    dry = run_cli("sync", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "to upload" in dry.stdout
    assert_run_inert(dry, "sync --dry-run")

    # one original fails with a hostile error text: it is quoted in the problems and the log
    hostile.faults.error_text = HOSTILE
    hostile.faults.broken_status = 404
    hostile.broken_assets.add(hostile.broken.id)
    plain = run_cli("sync", timeout=300)
    assert plain.returncode == 1, plain.stderr
    assert "sync finished" in plain.stdout
    assert_run_inert(plain, "sync")

    quiet = run_cli("sync", "--quiet", timeout=300)
    assert quiet.returncode == 1, quiet.stderr
    assert "failed" in quiet.stdout and "pwned" in quiet.stdout, "the problem is still told"
    assert_run_inert(quiet, "sync --quiet")

    status = run_cli("status")
    assert status.returncode == 0, status.stderr
    assert "Evil" in status.stdout
    assert_run_inert(status, "status")
    status_json = json.loads(run_cli("status", "--json").stdout)
    assert status_json["immich"]["user"] == HOSTILE, "--json keeps originals"

    log = (state_dir / "immich-gphotos.log").read_text(encoding="utf-8")
    assert "pwned" in log
    assert_inert(log, "log")
    for line in log.splitlines():  # one line per record: every line starts with its timestamp
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line), line

    titles = [a.title for a in google.albums.values()]
    assert clean(HOSTILE) in titles and clean("Shared " + HOSTILE) in titles
    assert all(is_clean(t) for t in titles)
    for media in google.media.values():  # file names too; descriptions keep their line breaks
        assert is_clean(media.filename), media.filename
    assert any(
        m.description and m.description.startswith("caption 0\n") for m in google.media.values()
    )

    # a server error text on the way in (a rejected key at init)
    rejected = run_cli(
        "init",
        "--immich-url",
        hostile.url,
        env=os.environ | {"IMMICH_API_KEY": "not-a-key-at-all"},
    )
    assert rejected.returncode == 4 and "pwned" in rejected.stderr
    assert_run_inert(rejected, "init (rejected key)")
