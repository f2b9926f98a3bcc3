"""Choosing the secret store: the configured backend, or for "auto" the best one available."""

from __future__ import annotations

from pathlib import Path

from immich_gphotos.credentials import file_store
from immich_gphotos.credentials.base import SECRETS_FILE_NAME, SecretStore
from immich_gphotos.credentials.file_store import FileStore
from immich_gphotos.credentials.keyring_store import KeyringStore, keyring_problem
from immich_gphotos.errors import SecretsUnavailable


def prefetch(backend: str, state_dir: Path) -> None:
    """Start deriving the secrets file's key where ``open_store`` will read that file (see
    ``file_store.prefetch``); never probes the keyring."""
    secrets_file = state_dir / SECRETS_FILE_NAME
    if backend != "keyring" and secrets_file.exists():
        file_store.prefetch(secrets_file)


def file_backend_chosen(backend: str, state_dir: Path) -> str | None:
    """When ``open_store`` would take the encrypted file for ``backend``: why (for the user),
    else None (the OS keyring)."""
    if backend == "keyring":
        return None
    if backend == "file":
        return '[secrets] backend is "file"'
    if (state_dir / SECRETS_FILE_NAME).exists():
        return "an encrypted secrets file already exists"
    problem = keyring_problem()
    return f"no OS keyring is usable ({problem})" if problem else None


def open_store(backend: str, state_dir: Path, passphrase: str | None = None) -> SecretStore:
    """Open the configured backend.

    "auto" takes the encrypted file when one already exists in the state dir (so a cron job
    set up with a passphrase keeps using it), else a usable OS keyring, else the file.
    """
    secrets_file = state_dir / SECRETS_FILE_NAME
    if backend == "file":
        return FileStore(secrets_file, passphrase=passphrase)
    if backend == "keyring":
        problem = keyring_problem()
        if problem:
            raise SecretsUnavailable(
                f"The OS keyring cannot be used ({problem}); unlock it, or set "
                '[secrets] backend = "file" and IMMICH_GPHOTOS_PASSPHRASE (or _PASSPHRASE_FILE).'
            )
        return KeyringStore()
    if secrets_file.exists():
        return FileStore(secrets_file, passphrase=passphrase)
    problem = keyring_problem()
    if problem is None:
        return KeyringStore()
    return FileStore(secrets_file, keyring_problem=problem, passphrase=passphrase)
