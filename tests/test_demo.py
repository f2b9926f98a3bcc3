"""`make demo` runs the whole flow against the stand-ins and ends with a full, then an idle, sync."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT


@pytest.mark.slow
def test_demo_runs_the_whole_flow() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMMICH_")}
    result = subprocess.run(
        [sys.executable, "scripts/demo.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for command in (
        "init",
        "auth --no-browser",
        "auth --status",
        "albums",
        "sync --dry-run",
        "sync",
        "status",
    ):
        assert f"$ immich-gphotos {command}" in out
    assert 'albums smart "Mia (from Immich)" --person Mia' in out
    # Mia's 20 photos are all in Family: the smart album takes them by reference, no new upload
    assert "sync finished: uploaded 304, added 20, removed 0, skipped 0, failed 0" in out
    assert "(Google requests made by the second sync: 0)" in out
    assert "Demo finished." in out
    assert '$ immich-gphotos albums add "Trips 2024" Family' in out
    assert "demo-immich-api-key" not in out, "the key never shows"


def _demo_module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_leaves_the_width_to_the_real_terminal(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """bash does not export COLUMNS: a made-up one wider than the screen leaves stale frames."""
    monkeypatch.delenv("COLUMNS", raising=False)
    env = _demo_module().demo_env(tmp_path, tmp_path / "config.toml")
    assert "COLUMNS" not in env


def test_demo_transcript_quotes_names_so_they_can_be_copied() -> None:
    import shlex

    typed = _demo_module().typed(("albums", "add", "Trips 2024", "Family", "--as", "Sam's Garden"))
    assert typed == 'albums add "Trips 2024" Family --as "Sam\'s Garden"'
    assert shlex.split(typed)[2:4] == ["Trips 2024", "Family"]
