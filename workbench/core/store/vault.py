"""The vault: where secrets live (OS keychain, encrypted file or session memory), never SQLite.

Account secrets are one keyring entry per account (``account:<apn_id>``, a JSON object of
its secrets); a project's REST client secret is ``project:<proj_id>:client_secret``. Where
no system keychain exists the vault does not fall back silently: :func:`open_vault` in
``auto`` mode raises :class:`VaultUnavailable` and the user picks a fallback. Memory is
only ever a choice made at start (``--secrets memory``): a store that fails later raises
:class:`VaultError` naming what could not be saved or read, and one damaged entry raises
:class:`VaultEntryDamaged` for that entry alone.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import Literal, TypeVar

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from workbench.core.store.vaultfile import (
    EncryptedFileKeyring,
    VaultEntryDamaged,
    VaultError,
    VaultLocked,
)

__all__ = [
    "ACCOUNT_PREFIX",
    "PASSPHRASE_ENV",
    "MemoryKeyring",
    "Vault",
    "VaultEntryDamaged",
    "VaultError",
    "VaultLocked",
    "VaultUnavailable",
    "account_key",
    "client_secret_key",
    "default_secrets_file",
    "oauth_client_secret_key",
    "open_vault",
]

PASSPHRASE_ENV = "WORKBENCH_VAULT_PASSPHRASE"
VaultKind = Literal["keychain", "memory", "encrypted-file"]
VaultMode = Literal["auto", "keychain", "memory", "file"]
MEMORY_REASON = "secrets are kept in memory for this session only and are lost when it ends"

# Backends that are not a keychain: they fail, drop secrets, or write files in plaintext or
# behind a terminal prompt (see environment.md section 3).
_NOT_A_KEYCHAIN = (
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyring.backends.chainer",
    "keyrings.alt",
    "keyrings.cryptfile",
)

T = TypeVar("T")


class VaultUnavailable(VaultError):
    """No system keychain exists and the user has not chosen a fallback."""


class MemoryKeyring(KeyringBackend):
    """A process-local keyring backend: secrets vanish when the process ends.

    Its priority is -1 because keyring registers every backend class it sees as a
    candidate: with a positive priority it would be chosen silently on headless machines.
    ``PYTHON_KEYRING_BACKEND`` and ``keyring.set_keyring`` still accept it.
    """

    priority = -1

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self._store: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        """The secret stored under ``service``/``username``, or None."""
        with self._lock:
            return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        with self._lock:
            self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Remove a secret; raises ``PasswordDeleteError`` when there is none."""
        with self._lock:
            if self._store.pop((service, username), None) is None:
                raise PasswordDeleteError(f"no secret named {username!r}")

    def usernames(self, service: str) -> list[str]:
        """The names stored for ``service`` (tests use it to prove a secret is gone)."""
        with self._lock:
            return sorted(user for svc, user in self._store if svc == service)


ACCOUNT_PREFIX = "account:"


def account_key(account_id: str) -> str:
    """The vault key holding an account's secrets."""
    return f"{ACCOUNT_PREFIX}{account_id}"


def _key_description(key: str) -> str:
    """What a key holds, for a message: ``the secrets of account apn_x``."""
    if key.startswith(ACCOUNT_PREFIX):
        return f"the secrets of account {key.removeprefix(ACCOUNT_PREFIX)}"
    project, _, rest = key.removeprefix("project:").partition(":")
    if key.startswith("project:") and rest == "client_secret":
        return f"the client secret of project {project}"
    if key.startswith(OAUTH_CLIENT_PREFIX):
        app = key.removeprefix(OAUTH_CLIENT_PREFIX).partition(":")[0]
        return f"the OAuth client secret of app {app}"
    if key.startswith("journal:"):
        return "the vault's journal of unfinished changes"
    return f"the vault entry {key!r}"


OAUTH_CLIENT_PREFIX = "oauth-client:"


def oauth_client_secret_key(app_slug: str, client_id: str) -> str:
    """The vault key holding the secret of the user's OAuth client ``client_id`` of an app.

    Keyed by the client id too: an account refreshes with the client it was connected
    with, and a secret can never be paired with another client's id.
    """
    return f"{OAUTH_CLIENT_PREFIX}{app_slug}:{client_id}"


def client_secret_key(project_id: str) -> str:
    """The vault key holding a project's REST client secret."""
    return f"project:{project_id}:client_secret"


def default_secrets_file(workspace_path: str | PathLike[str]) -> Path:
    """The encrypted secrets file that belongs next to a workspace file."""
    return Path(workspace_path).with_suffix(".secrets")


def _real_keychain(backend: KeyringBackend) -> KeyringBackend | None:
    """The first real OS keychain in ``backend`` (a chainer's members are tried in order)."""
    candidates = getattr(backend, "backends", None) or [backend]
    for candidate in candidates:
        if isinstance(candidate, MemoryKeyring | EncryptedFileKeyring):
            continue
        if not type(candidate).__module__.startswith(_NOT_A_KEYCHAIN):
            return candidate
    return None


def _describe(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


class Vault:
    """Secrets by key, kept in one keyring backend; a ``CredentialSource`` for the engine.

    Every failure of the backend is raised as :class:`VaultError`, naming what could not be
    saved, read or deleted; nothing is ever kept elsewhere instead.

    Attributes:
        service: the keyring service name every entry is stored under.
        reason: why secrets are not in the system keychain ("" when they are).
    """

    def __init__(
        self,
        service: str = "workbench",
        backend: KeyringBackend | None = None,
        *,
        reason: str = "",
    ) -> None:
        """Use ``backend``, or else the system keychain.

        Raises:
            VaultUnavailable: no backend is given and no system keychain exists.
        """
        self.service = service
        self.reason = reason
        self._lock = threading.RLock()
        self._backend = backend if backend is not None else _system_keychain("keychain")

    @property
    def backend(self) -> KeyringBackend:
        """The keyring backend in use."""
        return self._backend

    @property
    def kind(self) -> VaultKind:
        """Where secrets go: ``keychain``, ``memory`` or ``encrypted-file``."""
        if isinstance(self._backend, MemoryKeyring):
            return "memory"
        if isinstance(self._backend, EncryptedFileKeyring):
            return "encrypted-file"
        return "keychain"

    @property
    def persistent(self) -> bool:
        """True when secrets outlive this process."""
        return self.kind != "memory"

    def get(self, key: str) -> str | None:
        """The secret stored under ``key``, or None.

        Raises:
            VaultEntryDamaged: this entry cannot be read back.
            VaultError: the store cannot be read.
        """
        return self._call(
            lambda backend: backend.get_password(self.service, key), f"read {_key_description(key)}"
        )

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous one.

        Raises:
            VaultError: it was not saved (the previous value, if any, is unchanged).
        """
        self._call(
            lambda backend: backend.set_password(self.service, key, value),
            f"save {_key_description(key)}",
        )

    def delete(self, key: str) -> bool:
        """Remove the secret under ``key``; True when there was one.

        Raises:
            VaultError: it could not be removed.
        """

        def delete(backend: KeyringBackend) -> bool:
            try:
                backend.delete_password(self.service, key)
            except PasswordDeleteError:
                if self._backend_get(backend, key) is None:
                    return False
                raise
            return True

        return self._call(delete, f"delete {_key_description(key)}")

    def account_ids(self) -> frozenset[str] | None:
        """The ids of the accounts with an entry, when the backend can list its entries.

        The encrypted file and the memory backend can; a system keychain cannot (None).

        Raises:
            VaultError: the store cannot be read.
        """
        names = getattr(self._backend, "usernames", None)
        if names is None:
            return None
        listed: list[str] = self._call(lambda _: names(self.service), "list the vault's entries")
        return frozenset(
            n.removeprefix(ACCOUNT_PREFIX) for n in listed if n.startswith(ACCOUNT_PREFIX)
        )

    def set_credentials(self, account_id: str, mapping: Mapping[str, str]) -> None:
        """Store an account's secrets (all of them, replacing the previous set).

        Raises:
            VaultError: they were not saved.
        """
        if mapping:
            self.set(account_key(account_id), json.dumps(dict(mapping)))
        else:
            self.delete(account_key(account_id))

    def credentials(self, account_id: str) -> dict[str, str]:
        """An account's secrets by name; empty when it has none.

        Raises:
            VaultEntryDamaged: the account's entry is damaged (other accounts are unaffected).
            VaultError: the store cannot be read.
        """
        key = account_key(account_id)
        raw = self.get(key)
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise VaultEntryDamaged(
                key, f"{_key_description(key)} in {self.where} are damaged (not a JSON object)"
            )
        return data

    def delete_credentials(self, account_id: str) -> bool:
        """Remove an account's secrets; True when it had some.

        Raises:
            VaultError: they could not be removed.
        """
        return self.delete(account_key(account_id))

    @property
    def where(self) -> str:
        """The store, for a message: ``the secrets file X``, ``memory``, ``the system keychain``."""
        if isinstance(self._backend, EncryptedFileKeyring):
            return f"the secrets file {self._backend.path}"
        if isinstance(self._backend, MemoryKeyring):
            return "this session's memory"
        return f"the system keychain ({_describe(self._backend)})"

    def _backend_get(self, backend: KeyringBackend, key: str) -> str | None:
        try:
            return backend.get_password(self.service, key)
        except VaultEntryDamaged:
            return "damaged"  # present, only unreadable

    def _call(self, operation: Callable[[KeyringBackend], T], what: str) -> T:
        with self._lock:
            try:
                return operation(self._backend)
            except VaultError:
                raise  # already names the store and the problem
            except (KeyringError, OSError) as exc:
                # A backend's message names its own problem, never a secret.
                detail = (
                    str(exc)
                    if isinstance(self._backend, EncryptedFileKeyring)
                    else (f"{self.where} failed: {type(exc).__name__}: {exc}")
                )
                raise VaultError(f"could not {what}: {detail}") from exc


def _unavailable_message(active: KeyringBackend | None, load_error: str) -> str:
    if active is not None:
        found = f" (keyring found only {_describe(active)})"
    else:
        found = f" (keyring failed to load: {load_error})"
    return (
        f"No system keychain is available on this machine{found}, so secrets cannot be saved "
        "safely by default. Choose a fallback: '--secrets memory' keeps secrets for this "
        "process only; '--secrets file' keeps them in an encrypted file unlocked by a "
        f"passphrase from {PASSPHRASE_ENV} or a prompt."
    )


def open_vault(
    mode: VaultMode = "auto",
    *,
    path: str | PathLike[str] | None = None,
    passphrase: str | None = None,
    service: str = "workbench",
) -> Vault:
    """Open the vault the user chose.

    Args:
        mode: ``auto`` (the system keychain; an in-memory backend only when the user named
            it in ``PYTHON_KEYRING_BACKEND``), ``keychain`` (the system keychain only),
            ``memory`` (session only) or ``file`` (encrypted file at ``path``).
        path: the secrets file for ``file`` mode.
        passphrase: unlocks the file; defaults to ``$WORKBENCH_VAULT_PASSPHRASE``.
        service: the keyring service name.

    Raises:
        VaultUnavailable: ``auto``/``keychain`` and no system keychain exists.
        VaultLocked: ``file`` and no or a wrong passphrase.
        VaultError: ``file`` and no path, or the file is damaged.
        ValueError: an unknown mode.
    """
    if mode == "memory":
        return Vault(service, MemoryKeyring(), reason=MEMORY_REASON)
    if mode == "file":
        if path is None:
            raise VaultError("an encrypted secrets file needs a path")
        secret = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
        if not secret:
            raise VaultLocked(
                f"no passphrase for the secrets file {path}: set {PASSPHRASE_ENV} or enter it "
                "when asked"
            )
        return Vault(
            service,
            EncryptedFileKeyring(path, secret),
            reason=f"secrets are kept in the file {path}",
        )
    if mode not in ("auto", "keychain"):
        raise ValueError(f"unknown secrets mode {mode!r}; choose auto, keychain, memory or file")
    keychain = _system_keychain(mode)
    if isinstance(keychain, MemoryKeyring):
        return Vault(service, keychain, reason=f"{MEMORY_REASON} (PYTHON_KEYRING_BACKEND)")
    return Vault(service, keychain)


def _system_keychain(mode: Literal["auto", "keychain"]) -> KeyringBackend:
    """The OS keychain (or, in ``auto`` mode, the memory backend the user named).

    Raises:
        VaultUnavailable: there is none.
    """
    load_error = ""
    try:
        active: KeyringBackend | None = keyring.get_keyring()
    except Exception as exc:  # a typo in PYTHON_KEYRING_BACKEND raises ImportError
        active, load_error = None, f"{type(exc).__name__}: {exc}"
    if mode == "auto" and isinstance(active, MemoryKeyring):
        # Only an explicit choice (PYTHON_KEYRING_BACKEND, set_keyring) makes it active:
        # its priority keeps it out of keyring's auto-detection.
        return active
    chosen = _real_keychain(active) if active is not None else None
    if chosen is None:
        raise VaultUnavailable(_unavailable_message(active, load_error))
    return chosen
