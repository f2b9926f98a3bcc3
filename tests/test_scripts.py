"""The scripts behind make bench and make chaos still start: they import
test helpers that move, and nothing else in make test runs them."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT

SCRIPTS = ["bench.py", "chaos.py"]  # container_image.py is make test-container itself


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_answers_help(script: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
