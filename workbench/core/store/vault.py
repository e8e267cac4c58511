"""The vault: where secrets live (OS keychain, encrypted file or session memory), never SQLite.

Account secrets are one keyring entry per account (``account:<apn_id>``, a JSON object of
its secrets); a project's REST client secret is ``project:<proj_id>:client_secret``. Where
no system keychain exists the vault does not fall back silently: :func:`open_vault` in
``auto`` mode raises :class:`VaultUnavailable` and the user picks a fallback. A keychain
that fails later degrades the vault to memory, with a reason and an ``on_change`` call so
the GUI and CLI can say that secrets are no longer saved.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import Literal, TypeVar

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from workbench.core.store.vaultfile import EncryptedFileKeyring, VaultError, VaultLocked

__all__ = [
    "PASSPHRASE_ENV",
    "MemoryKeyring",
    "Vault",
    "VaultError",
    "VaultLocked",
    "VaultUnavailable",
    "account_key",
    "client_secret_key",
    "default_secrets_file",
    "open_vault",
]

log = logging.getLogger(__name__)

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


def account_key(account_id: str) -> str:
    """The vault key holding an account's secrets."""
    return f"account:{account_id}"


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

    Attributes:
        service: the keyring service name every entry is stored under.
        on_change: called with the vault after it degraded to memory.
        reason: why secrets are not in the system keychain ("" when they are).
    """

    def __init__(
        self,
        service: str = "workbench",
        backend: KeyringBackend | None = None,
        on_change: Callable[[Vault], None] | None = None,
        *,
        reason: str = "",
    ) -> None:
        """Use ``backend``, or else the system keychain, or else memory (with a reason).

        Prefer :func:`open_vault`, which refuses to fall back to memory silently.
        """
        self.service = service
        self.on_change = on_change
        self.reason = reason
        self._lock = threading.RLock()
        if backend is None:
            try:
                active = keyring.get_keyring()
            except Exception as exc:  # a typo in PYTHON_KEYRING_BACKEND raises ImportError
                active = None
                self.reason = f"keyring failed to load: {exc}"
            backend = _real_keychain(active) if active is not None else None
            if backend is None:
                detail = f" ({_describe(active)})" if active is not None else ""
                self.reason = self.reason or f"no system keychain{detail}; {MEMORY_REASON}"
                log.warning("secrets kept in memory only: %s", self.reason)
                backend = MemoryKeyring()
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        """The keyring backend in use now (it changes when the vault degrades)."""
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
        """The secret stored under ``key``, or None."""
        return self._call(lambda backend: backend.get_password(self.service, key))

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous one."""
        self._call(lambda backend: backend.set_password(self.service, key, value))

    def delete(self, key: str) -> bool:
        """Remove the secret under ``key``; True when there was one."""

        def delete(backend: KeyringBackend) -> bool:
            try:
                backend.delete_password(self.service, key)
            except PasswordDeleteError:
                return False
            return True

        return self._call(delete)

    def set_credentials(self, account_id: str, mapping: Mapping[str, str]) -> None:
        """Store an account's secrets (all of them, replacing the previous set)."""
        if mapping:
            self.set(account_key(account_id), json.dumps(dict(mapping)))
        else:
            self.delete(account_key(account_id))

    def credentials(self, account_id: str) -> dict[str, str]:
        """An account's secrets by name; empty when it has none."""
        raw = self.get(account_key(account_id))
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            log.warning("the vault entry for account %s is damaged; ignoring it", account_id)
            return {}
        return data

    def delete_credentials(self, account_id: str) -> bool:
        """Remove an account's secrets; True when it had some."""
        return self.delete(account_key(account_id))

    def _call(self, operation: Callable[[KeyringBackend], T]) -> T:
        with self._lock:
            try:
                return operation(self._backend)
            except KeyringError as exc:
                self._degrade(exc)
                return operation(self._backend)

    def _degrade(self, exc: KeyringError) -> None:
        # The message of a keyring error names the backend's problem, never a secret.
        self.reason = f"the secret store failed ({type(exc).__name__}: {exc}); {MEMORY_REASON}"
        log.warning("falling back to in-memory secrets: %s", self.reason)
        self._backend = MemoryKeyring()
        if self.on_change is not None:
            self.on_change(self)


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
    on_change: Callable[[Vault], None] | None = None,
) -> Vault:
    """Open the vault the user chose.

    Args:
        mode: ``auto`` (the system keychain; an in-memory backend only when the user named
            it in ``PYTHON_KEYRING_BACKEND``), ``keychain`` (the system keychain only),
            ``memory`` (session only) or ``file`` (encrypted file at ``path``).
        path: the secrets file for ``file`` mode.
        passphrase: unlocks the file; defaults to ``$WORKBENCH_VAULT_PASSPHRASE``.
        service: the keyring service name.
        on_change: called when the vault degrades to memory later.

    Raises:
        VaultUnavailable: ``auto``/``keychain`` and no system keychain exists.
        VaultLocked: ``file`` and no or a wrong passphrase.
        VaultError: ``file`` and no path, or the file is damaged.
        ValueError: an unknown mode.
    """
    if mode == "memory":
        return Vault(service, MemoryKeyring(), on_change, reason=MEMORY_REASON)
    if mode == "file":
        if path is None:
            raise VaultError("an encrypted secrets file needs a path")
        secret = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
        if not secret:
            raise VaultLocked(
                f"no passphrase for the secrets file {path}: set {PASSPHRASE_ENV} or enter it "
                "when asked"
            )
        backend = EncryptedFileKeyring(path, secret)
        return Vault(service, backend, on_change, reason=f"secrets are kept in the file {path}")
    if mode not in ("auto", "keychain"):
        raise ValueError(f"unknown secrets mode {mode!r}; choose auto, keychain, memory or file")
    load_error = ""
    try:
        active: KeyringBackend | None = keyring.get_keyring()
    except Exception as exc:  # a typo in PYTHON_KEYRING_BACKEND raises ImportError
        active, load_error = None, f"{type(exc).__name__}: {exc}"
    if mode == "auto" and isinstance(active, MemoryKeyring):
        # Only an explicit choice (PYTHON_KEYRING_BACKEND, set_keyring) makes it active:
        # its priority keeps it out of keyring's auto-detection.
        return Vault(service, active, on_change, reason=f"{MEMORY_REASON} (PYTHON_KEYRING_BACKEND)")
    chosen = _real_keychain(active) if active is not None else None
    if chosen is None:
        raise VaultUnavailable(_unavailable_message(active, load_error))
    return Vault(service, chosen, on_change)
