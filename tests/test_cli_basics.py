"""The CLI's surface: help, version, exit codes for what is not there."""

from __future__ import annotations

from pathlib import Path

from immich_gphotos import __version__
from tests.helpers import run_cli


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("init", "auth", "albums", "sync", "status"):
        assert f"  {command}" in result.stdout
    assert (
        "--config" in result.stdout and "--version" in result.stdout and "--debug" in result.stdout
    )


def test_every_command_has_help() -> None:
    for command in (
        ["init"],
        ["auth"],
        ["albums"],
        ["albums", "add"],
        ["albums", "remove"],
        ["sync"],
        ["status"],
    ):
        result = run_cli(*command, "--help")
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage:" in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"immich-gphotos {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_commands_need_a_config(config_path: Path) -> None:
    for command in ("sync", "auth", "albums"):
        result = run_cli(command)
        assert result.returncode == 3, (command, result.stderr)
        assert "immich-gphotos init" in result.stderr


def test_missing_config_names_init(config_path: Path) -> None:
    result = run_cli("status")
    assert result.returncode == 3
    assert str(config_path) in result.stderr
    assert "immich-gphotos init" in result.stderr
    assert "Traceback" not in result.stderr


def test_global_config_before_or_after_the_command(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere.toml"
    for args in (["--config", str(missing), "status"], ["status", "--config", str(missing)]):
        result = run_cli(*args)
        assert result.returncode == 3
        assert str(missing) in result.stderr


def test_python_dash_m_and_console_script_agree() -> None:
    import shutil
    import subprocess

    script = shutil.which("immich-gphotos")
    if script is None:
        import sys

        candidate = Path(sys.executable).parent / "immich-gphotos"
        script = str(candidate) if candidate.exists() else None
    assert script, "the console script immich-gphotos is not installed"
    out = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=30)
    assert out.stdout == run_cli("--version").stdout


def test_json_commands_print_one_object_when_they_fail_before_starting() -> None:
    """shared/SPEC.md, Output: a script reading --json always gets one JSON value."""
    import json

    for command, code in ((["sync"], 3), (["albums"], 3), (["sync", "--limit", "-4"], 2)):
        result = run_cli(*command, "--json")
        assert result.returncode == code, (command, result.stderr)
        data = json.loads(result.stdout)
        assert data["exit_code"] == code and data["error"], (command, data)
        assert result.stderr.strip(), "the sentence for a person still goes to stderr"


def test_help_states_every_exit_code_from_the_one_table() -> None:
    from immich_gphotos.errors import ExitCode

    text = " ".join(run_cli("sync", "--help").stdout.split())
    for code in ExitCode:
        assert f"{int(code)} " in text, code
