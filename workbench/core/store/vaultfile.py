"""An encrypted secrets file, the explicit fallback where no system keychain exists.

The file is JSON: a header with the scrypt salt and cost, a check token proving the
passphrase, and one Fernet token per secret. Each token encrypts the value together with
its service and username, so a token copied into another slot is detected. The file is
rewritten atomically (temporary file, fsync, ``os.replace``) with mode 0600; nothing in it
is plaintext except the entry names (``account:apn_...``), which are not secret.

Writers in several processes are serialised by a lock file (``<file>.lock``) held across
re-reading the file, changing it and replacing it, so no writer loses another's entry.
Readers need no lock: they always see a whole file. One entry that cannot be decrypted or
does not belong to its slot is reported as that entry's damage (:class:`VaultEntryDamaged`)
and leaves every other entry readable.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.fernet import Fernet
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError, PasswordSetError

from workbench.core.store.faults import checkpoint
from workbench.core.store.filelock import FileLock, lock_path

FORMAT = "workbench-secrets"
DEFAULT_SCRYPT_N = 2**17  # OWASP's minimum for scrypt (r=8, p=1): about 0.5 s per unlock
_SCRYPT_N_RANGE = (2**10, 2**20)  # a tampered header must not make us allocate gigabytes
_CHECK_PLAINTEXT = b"workbench-secrets-check"


class VaultError(KeyringError):
    """The secret store cannot be used; the message says why and never holds a secret.

    A keyring error, as any failure of a keyring backend is: callers report it and stop.
    """


class VaultLocked(VaultError):
    """The encrypted secrets file cannot be unlocked (no or wrong passphrase)."""


class VaultEntryDamaged(VaultError):
    """One entry cannot be read back (undecryptable, moved, malformed); the rest can.

    Attributes:
        key: the entry's name (``account:apn_...``), which is not secret.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _derive_key(passphrase: str, salt: bytes, n: int) -> Fernet:
    # cryptography (about 8 MB resident) is imported only when a secrets file is opened:
    # the keychain and the demo's memory vault never need it.
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    raw = Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(raw))


class EncryptedFileKeyring(KeyringBackend):
    """A keyring backend storing secrets in a passphrase-encrypted file.

    Its priority is -1 so that keyring's auto-detection never picks it; it is used only
    when the user asks for it (``--secrets file``).
    """

    priority = -1

    def __init__(
        self, path: str | PathLike[str], passphrase: str, *, scrypt_n: int = DEFAULT_SCRYPT_N
    ) -> None:
        """Unlock ``path`` with ``passphrase``, creating the file when it does not exist.

        Args:
            path: the secrets file (usually next to the workspace).
            passphrase: unlocks the file; for a new file, it becomes its passphrase.
            scrypt_n: the scrypt cost for a new file (an existing file keeps its own).

        Raises:
            VaultLocked: the passphrase is empty or wrong.
            VaultError: the file is damaged, not a secrets file, or cannot be written.
        """
        super().__init__()
        if not passphrase:
            raise VaultLocked("the passphrase for the secrets file must not be empty")
        self.path = Path(path).expanduser()
        self._lock = FileLock(lock_path(self.path))
        try:
            with self._lock:
                if not self.path.exists():  # checked under the lock: one process creates it
                    self._create(passphrase, scrypt_n)
                    return
                self._remove_stale_copies()
        except OSError as exc:  # the lock file itself: an unwritable directory, a full disk
            raise VaultError(f"cannot use the secrets file {self.path}: {exc}") from exc
        # The key derivation is slow on purpose: run it without holding the writers' lock.
        header = self._read_document()
        salt, n = self._kdf_params(header)
        self._fernet = _derive_key(passphrase, salt, n)
        self._check(header)

    def _create(self, passphrase: str, scrypt_n: int) -> None:
        salt = secrets.token_bytes(16)
        self._fernet = _derive_key(passphrase, salt, scrypt_n)
        document = {
            "format": FORMAT,
            "version": 1,
            "kdf": {"name": "scrypt", "salt": base64.b64encode(salt).decode(), "n": scrypt_n},
            "check": self._fernet.encrypt(_CHECK_PLAINTEXT).decode(),
            "entries": {},
        }
        try:
            self._write_document(document)
        except OSError as exc:
            raise VaultError(f"cannot create the secrets file {self.path}: {exc}") from exc

    def _remove_stale_copies(self) -> None:
        """Delete temporary copies a writer left when it died before its rename.

        Called with the lock held, so no live writer is between writing and renaming one.
        """
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    def get_password(self, service: str, username: str) -> str | None:
        """The secret stored under ``service``/``username``, or None.

        Raises:
            VaultEntryDamaged: this entry cannot be read (other entries still can).
            VaultError: the file as a whole cannot be read.
        """
        token = self._entries(self._read_document()).get(service, {}).get(username)
        return None if token is None else self._open(token, service, username)

    def usernames(self, service: str) -> list[str]:
        """The names of the entries stored for ``service`` (names are not secret)."""
        return sorted(self._entries(self._read_document()).get(service, {}))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret, rewriting the file atomically under the writers' lock.

        Raises:
            PasswordSetError: the file cannot be written.
        """
        payload = json.dumps({"s": service, "u": username, "v": password}).encode("utf-8")
        with self._locked(PasswordSetError):
            document = self._read_document()
            self._entries(document).setdefault(service, {})[username] = self._fernet.encrypt(
                payload
            ).decode()
            self._save(document, PasswordSetError)

    def delete_password(self, service: str, username: str) -> None:
        """Remove a secret.

        Raises:
            PasswordDeleteError: there is no such secret, or the file cannot be written.
        """
        with self._locked(PasswordDeleteError):
            document = self._read_document()
            slots = self._entries(document).get(service, {})
            if slots.pop(username, None) is None:
                raise PasswordDeleteError(f"no secret named {username!r} in {self.path}")
            self._save(document, PasswordDeleteError)

    @contextlib.contextmanager
    def _locked(self, error: type[KeyringError]) -> Iterator[None]:
        """The writers' lock; failing to take it is the write's failure."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self._lock)
            except OSError as exc:  # StoreBusy included
                raise error(f"cannot lock the secrets file {self.path}: {exc}") from exc
            yield

    def _damaged(self, why: str) -> VaultError:
        return VaultError(f"the secrets file {self.path} is damaged or not a secrets file ({why})")

    def _read_document(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise VaultError(f"the secrets file {self.path} has disappeared") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._damaged(type(exc).__name__) from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise self._damaged("unknown format")
        if document.get("version") != 1:
            raise VaultError(
                f"the secrets file {self.path} has version {document.get('version')!r}; "
                "open it with a newer workbench"
            )
        return document

    def _kdf_params(self, document: dict[str, Any]) -> tuple[bytes, int]:
        kdf = document.get("kdf")
        if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
            raise self._damaged("unknown key derivation")
        n = kdf.get("n")
        low, high = _SCRYPT_N_RANGE
        if not isinstance(n, int) or not low <= n <= high or n & (n - 1):
            raise self._damaged("bad scrypt cost")
        try:
            salt = base64.b64decode(str(kdf.get("salt")), validate=True)
        except binascii.Error as exc:
            raise self._damaged("bad salt") from exc
        return salt, n

    def _check(self, document: dict[str, Any]) -> None:
        from cryptography.fernet import InvalidToken  # loaded already: see _derive_key

        try:
            plain = self._fernet.decrypt(str(document.get("check", "")).encode())
        except InvalidToken as exc:
            raise VaultLocked(f"wrong passphrase for the secrets file {self.path}") from exc
        if plain != _CHECK_PLAINTEXT:
            raise self._damaged("bad check value")

    def _entries(self, document: dict[str, Any]) -> dict[str, dict[str, str]]:
        entries = document.setdefault("entries", {})
        if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
            raise self._damaged("bad entries")
        return entries

    def _open(self, token: str, service: str, username: str) -> str:
        from cryptography.fernet import InvalidToken  # loaded already: see _derive_key

        try:
            payload = json.loads(self._fernet.decrypt(str(token).encode()))
        except (InvalidToken, ValueError) as exc:
            raise VaultEntryDamaged(
                username,
                f"the entry {username!r} in the secrets file {self.path} is damaged "
                "(it cannot be decrypted)",
            ) from exc
        if (
            not isinstance(payload, dict)
            or payload.get("s") != service
            or payload.get("u") != username
            or not isinstance(payload.get("v"), str)
        ):
            raise VaultEntryDamaged(
                username,
                f"the entry {username!r} in the secrets file {self.path} is damaged "
                "(it does not belong to this slot)",
            )
        return str(payload["v"])

    def _save(self, document: dict[str, Any], error: type[KeyringError]) -> None:
        try:
            self._write_document(document)
        except OSError as exc:
            raise error(f"cannot write the secrets file {self.path}: {exc}") from exc

    def _write_document(self, document: dict[str, Any]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                checkpoint("vault-file.write")
                json.dump(document, out, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            checkpoint("vault-file.replace")
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        # fsync the directory so the rename itself survives a crash.
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
