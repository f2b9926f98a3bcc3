"""What running beside Immich in a container needs besides the loop: the API key from a Docker
secret file, a state volume owned by another user named with its fix, and shell completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from immich_gphotos.errors import ConfigError
from immich_gphotos.state.store import StateStore
from tests.helpers import GOOD_KEY, ROOT, run_cli
from tests.homes import write_secrets
from tests.inprocess import run_in_process
from tests.world import SYNCED, World


def test_the_immich_key_from_a_docker_secret_file(
    world3: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_secrets(world3.state_dir, {"immich-api-key": "an-old-revoked-key"})
    secret = tmp_path / "immich_api_key"
    secret.write_text(GOOD_KEY + "\n")  # as `echo KEY > file` leaves it
    monkeypatch.setenv("IMMICH_API_KEY_FILE", str(secret))
    result = run_in_process("sync")
    assert result.returncode == 0, result.stderr
    world3.assert_mirrored(*SYNCED)


@pytest.mark.parametrize(
    ("content", "says"), [(None, "Cannot read"), ("\n", "is empty"), ("two words\n", "characters")]
)
def test_a_bad_key_file_is_exit_4_naming_the_variable(
    world3: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str | None,
    says: str,
) -> None:
    secret = tmp_path / "immich_api_key"
    if content is not None:
        secret.write_text(content)
    monkeypatch.setenv("IMMICH_API_KEY_FILE", str(secret))
    result = run_in_process("sync")
    assert result.returncode == 4
    assert "IMMICH_API_KEY_FILE" in result.stderr and says in result.stderr
    assert "two words" not in result.stderr  # never the key itself
    assert world3.google.library_requests == 0


def test_init_takes_the_key_from_the_file(configured, tmp_path: Path, config_path: Path) -> None:  # type: ignore[no-untyped-def]
    immich, google = configured
    secret = tmp_path / "immich_api_key"
    secret.write_text(GOOD_KEY + "\n")
    config_path.unlink()
    env = os.environ | {"IMMICH_API_KEY_FILE": str(secret)}
    env.pop("IMMICH_API_KEY", None)
    result = run_cli(
        "init",
        "--immich-url",
        immich.url,
        "--client-secrets",
        str(google.secrets_path),
        "--secrets-backend",
        "file",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Alex Tester" in result.stdout  # the key from the file was accepted by Immich


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_state_volume_of_another_user_names_the_chown(tmp_path: Path) -> None:
    volume = tmp_path / "state"
    volume.mkdir(mode=0o700)
    os.chown(volume, 4242, -1)  # a volume made by root, or by an image with another uid
    with pytest.raises(ConfigError) as caught:
        StateStore.open(volume)
    message = caught.value.message
    assert f"chown -R {os.geteuid()} {volume}" in message  # the number: no name in a container
    assert "uid 4242" in message and "docker compose run" in message


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_installs_and_completes(isolated_env: Path) -> None:
    env = os.environ | {"HOME": str(isolated_env), "SHELL": "/bin/bash"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # as a user does: typed at a bash prompt (Typer asks shellingham which shell runs it)
    installed = subprocess.run(
        [
            "bash",
            "--norc",
            "-c",
            f"{sys.executable} -m immich_gphotos --install-completion; exit $?",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    script = isolated_env / ".bash_completions" / "immich-gphotos.sh"
    assert script.is_file() and str(script) in (isolated_env / ".bashrc").read_text()
    # what bash does on <TAB>: the function the script registered fills COMPREPLY
    probe = (
        f"source {script}; complete -p immich-gphotos >/dev/null || exit 9; "
        'for words in "immich-gphotos sy" "immich-gphotos sync --ev" "immich-gphotos al"; do '
        "COMP_WORDS=($words); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
        '_immich_gphotos_completion immich-gphotos; echo "${COMPREPLY[*]}"; done'
    )
    result = subprocess.run(
        ["bash", "--norc", "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["sync", "--every", "albums"]
