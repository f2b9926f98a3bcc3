"""`[notify] metrics_file`: Prometheus text format after every run, read back with Prometheus'
own parser (prometheus_client); an unwritable file never changes the exit code."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from immich_gphotos.commands.metrics import escape_label
from tests.helpers import set_config
from tests.world import SYNCED, World

P = "immich_gphotos_"


def parse(path: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    """metric name -> [(labels, value)], as a Prometheus server reads the file."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def value(metrics: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    [(labels, number)] = metrics[P + name]
    assert labels == {}
    return number


def test_metrics_after_a_run(world3: World, tmp_path: Path) -> None:
    target = tmp_path / "textfile" / "immich_gphotos.prom"
    target.parent.mkdir()
    set_config(world3.config, "notify", "metrics_file", str(target))
    before = time.time()
    assert world3.sync().returncode == 0
    metrics = parse(target)
    assert value(metrics, "last_exit_code") == 0
    assert int(before) <= value(metrics, "last_run_timestamp_seconds") <= time.time()
    last_run = value(metrics, "last_run_timestamp_seconds")
    assert last_run - 1 <= value(metrics, "last_success_timestamp_seconds") <= last_run
    assert value(metrics, "google_requests_today") == world3.google.library_requests > 0
    assert value(metrics, "daily_request_budget") == 9500
    uploaded = sum(
        m.size for a in world3.google.albums.values() for m in world3.google.album_files(a.id)
    )
    assert value(metrics, "uploaded_bytes") == uploaded > 0
    items = {(labels["album"], labels["state"]): n for labels, n in metrics[P + "album_items"]}
    for name in SYNCED:
        assert items[(name, "in_sync")] == len(world3.eligible(name))
        assert items[(name, "pending")] == items[(name, "failed")] == 0
    assert items[("Mixed Bag", "skipped")] == 1
    assert P + "login_expiry_timestamp_seconds" not in metrics  # not known for this login
    assert target.stat().st_mode & 0o777 == 0o644  # node_exporter runs as another user
    assert not [p for p in target.parent.iterdir() if p != target]  # no temp file left


def test_a_failed_run_keeps_the_last_success(world3: World, tmp_path: Path) -> None:
    target = tmp_path / "immich_gphotos.prom"
    set_config(world3.config, "notify", "metrics_file", str(target))
    assert world3.sync().returncode == 0
    success = value(parse(target), "last_success_timestamp_seconds")
    world3.google.faults.invalid_grant = True
    world3.add_photo("Holidays")
    assert world3.sync().returncode == 4
    metrics = parse(target)
    assert value(metrics, "last_exit_code") == 4
    assert value(metrics, "last_success_timestamp_seconds") == success
    assert value(metrics, "last_run_timestamp_seconds") >= success


def test_other_peoples_album_names_are_escaped_as_the_format_requires(
    world3: World, tmp_path: Path
) -> None:
    hostile = 'Say "hi" \\ C:\\new\nline} # HELP x'
    garden = world3.album("Garden")
    garden.name = hostile  # a friend's shared album, named by the friend
    target = tmp_path / "immich_gphotos.prom"
    set_config(world3.config, "notify", "metrics_file", str(target))
    assert world3.sync().returncode == 0
    labels = {
        labels["immich_id"]: labels["album"] for labels, _ in parse(target)[P + "album_items"]
    }
    # the line break was made inert where the name entered (text.clean); the rest is kept
    assert labels[garden.id] == hostile.replace("\n", "\u240a")
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_an_unwritable_metrics_file_is_logged_and_never_changes_the_exit_code(
    world3: World, tmp_path: Path
) -> None:
    in_the_way = tmp_path / "a-folder.prom"
    in_the_way.mkdir()  # the path names a folder: the rename onto it fails
    set_config(world3.config, "notify", "metrics_file", str(in_the_way))
    assert world3.sync().returncode == 0
    set_config(world3.config, "notify", "metrics_file", str(tmp_path / "missing" / "x.prom"))
    world3.google.faults.invalid_grant = True
    world3.add_photo("Holidays")
    assert world3.sync().returncode == 4  # the run's own exit code, not the metrics'
    log = (world3.state_dir / "immich-gphotos.log").read_text()
    assert log.count("metrics file") == 2 and "cannot be written" in log
    assert not (tmp_path / "missing").exists()  # not ours to create


def test_login_expiry_where_google_says_it(configured, config_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An app in 'Testing' status: Google's token answer says the login lives 7 days."""
    import httpx

    from tests.helpers import set_config
    from tests.homes import albums_named, select_albums
    from tests.test_auth import auth_url, finish, start_auth

    immich, google = configured
    google.refresh_token_lifetime = 7 * 86400
    proc, reader = start_auth()
    redirect = httpx.get(auth_url(reader, google), follow_redirects=False, timeout=30)
    assert proc.stdin is not None
    proc.stdin.write(redirect.headers["location"] + "\n")
    proc.stdin.flush()
    logged_in = time.time()
    code, err = finish(proc)
    assert code == 0, err
    config = config_path
    select_albums(config, albums_named(immich.scenario.library, "Holidays"))
    set_config(config, "google", "api_url", google.url)
    target = tmp_path / "immich_gphotos.prom"
    set_config(config, "notify", "metrics_file", str(target))
    from tests.inprocess import run_in_process

    assert run_in_process("sync").returncode == 0
    expiry = value(parse(target), "login_expiry_timestamp_seconds")
    assert abs(expiry - (logged_in + 7 * 86400)) < 120
