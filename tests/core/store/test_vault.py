"""The vault: memory, encrypted file and keychain modes, refusal without a keychain, failures."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import InitError, PasswordDeleteError

from tests.helpers.workspace import use_memory_keyring
from workbench.core.store.vault import (
    PASSPHRASE_ENV,
    MemoryKeyring,
    Vault,
    VaultEntryDamaged,
    VaultError,
    VaultLocked,
    VaultUnavailable,
    account_key,
    default_secrets_file,
    open_vault,
)
from workbench.core.store.vaultfile import EncryptedFileKeyring

CANARY = "CANARY-sk-9f8e7d"
FAST_N = 2**12  # scrypt cost for test files: the format is the same, unlocking is quick


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    """Every test starts with a fresh, empty in-memory keyring backend."""
    return use_memory_keyring()


class FakeKeychain(KeyringBackend):
    """Stands in for an OS keychain (SecretService, macOS Keychain...) in this process."""

    priority = -1  # never picked by keyring's own detection in other tests

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("missing")


class BrokenKeychain(FakeKeychain):
    """A keychain that looks fine but fails on use (gnome-keyring without a prompter)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise InitError("Failed to create the collection: Prompt dismissed.")


class Chain(KeyringBackend):
    """The shape of keyring's ChainerBackend: a ``backends`` list, highest priority first."""

    priority = -1

    def __init__(self, *backends: KeyringBackend) -> None:
        super().__init__()
        self.backends = list(backends)

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("the vault must use a member, not the chain")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("the vault must use a member, not the chain")


def make_file(path: Path, passphrase: str = "correct horse") -> EncryptedFileKeyring:
    return EncryptedFileKeyring(path, passphrase, scrypt_n=FAST_N)


def test_memory_keyring_stays_out_of_keyring_auto_detection() -> None:
    assert MemoryKeyring.priority == -1
    assert not keyring.core.recommended(MemoryKeyring())


def test_memory_mode_round_trip() -> None:
    vault = open_vault("memory")
    assert (vault.kind, vault.persistent) == ("memory", False)
    assert "this session only" in vault.reason
    vault.set("k", "v1")
    vault.set("k", "v2")
    assert vault.get("k") == "v2"
    assert vault.delete("k") is True
    assert vault.delete("k") is False
    assert vault.get("k") is None


def test_account_credentials_are_one_json_entry_per_account(
    memory_keyring: MemoryKeyring,
) -> None:
    vault = open_vault("auto")
    vault.set_credentials("apn_1", {"api_key": CANARY, "user": "me"})
    assert memory_keyring.usernames("workbench") == ["account:apn_1"]
    raw = memory_keyring.get_password("workbench", account_key("apn_1"))
    assert raw is not None
    assert json.loads(raw) == {"api_key": CANARY, "user": "me"}
    assert vault.credentials("apn_1") == {"api_key": CANARY, "user": "me"}
    assert vault.credentials("apn_2") == {}
    vault.set_credentials("apn_1", {})  # nothing to keep: the entry goes
    assert memory_keyring.usernames("workbench") == []
    assert vault.delete_credentials("apn_1") is False


@pytest.mark.parametrize("raw", ["{not json " + CANARY, '["' + CANARY + '"]', '{"k": 5}'])
def test_a_damaged_credentials_entry_is_reported_for_that_entry_alone(
    memory_keyring: MemoryKeyring, raw: str
) -> None:
    vault = open_vault("auto")
    vault.set_credentials("apn_good", {"api_key": "fine"})
    memory_keyring.set_password("workbench", account_key("apn_bad"), raw)
    with pytest.raises(VaultEntryDamaged) as caught:
        vault.credentials("apn_bad")
    assert caught.value.key == account_key("apn_bad")
    assert "the secrets of account apn_bad" in str(caught.value)
    assert CANARY not in str(caught.value)
    assert vault.credentials("apn_good") == {"api_key": "fine"}


def test_auto_uses_the_memory_backend_the_user_named(memory_keyring: MemoryKeyring) -> None:
    vault = open_vault("auto")
    assert vault.backend is memory_keyring
    assert (vault.kind, vault.persistent) == ("memory", False)
    assert "PYTHON_KEYRING_BACKEND" in vault.reason


@pytest.mark.parametrize("mode", ["auto", "keychain"])
@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_no_keychain_is_refused_plainly(mode: str, backend: type[KeyringBackend]) -> None:
    keyring.set_keyring(backend())
    with pytest.raises(VaultUnavailable) as caught:
        open_vault(mode)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("No system keychain is available on this machine")
    assert "'--secrets memory' keeps secrets for this process only" in message
    assert "'--secrets file'" in message
    assert PASSPHRASE_ENV in message


def test_keychain_mode_does_not_accept_the_memory_backend() -> None:
    with pytest.raises(VaultUnavailable):
        open_vault("keychain")


def test_a_real_keychain_is_used_and_persistent() -> None:
    keychain = FakeKeychain()
    keyring.set_keyring(keychain)
    vault = open_vault("auto")
    assert vault.backend is keychain
    assert (vault.kind, vault.persistent, vault.reason) == ("keychain", True, "")
    vault.set("k", "v")
    assert keychain.store == {("workbench", "k"): "v"}


def test_from_a_chain_the_first_real_keychain_is_picked() -> None:
    keychain = FakeKeychain()
    keyring.set_keyring(Chain(null.Keyring(), MemoryKeyring(), keychain, FakeKeychain()))
    assert open_vault("keychain").backend is keychain


def test_vault_without_backend_uses_the_keychain_or_refuses() -> None:
    keychain = FakeKeychain()
    keyring.set_keyring(keychain)
    assert Vault().backend is keychain
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(VaultUnavailable):
        Vault()
    keyring.set_keyring(MemoryKeyring())
    with pytest.raises(VaultUnavailable):  # memory is never taken without being chosen
        Vault()


def test_a_failing_keychain_raises_and_nothing_goes_to_memory() -> None:
    keychain = BrokenKeychain()
    vault = Vault(backend=keychain)
    with pytest.raises(VaultError) as caught:
        vault.set_credentials("apn_1", {"api_key": CANARY})
    message = str(caught.value)
    assert message.startswith("could not save the secrets of account apn_1: ")
    assert "InitError: Failed to create the collection" in message
    assert CANARY not in message
    assert (vault.backend, vault.kind, vault.persistent) == (keychain, "keychain", True)
    assert vault.credentials("apn_1") == {}  # not kept anywhere else either
    with pytest.raises(VaultError, match="could not save the client secret of project proj_1"):
        vault.set("project:proj_1:client_secret", "pd_secret_x")


class UnreadableKeychain(FakeKeychain):
    """A keychain whose reads fail (locked, or its daemon gone)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise InitError("the collection is locked")


def test_a_keychain_that_cannot_be_read_says_so_instead_of_reading_as_empty() -> None:
    vault = Vault(backend=UnreadableKeychain())
    with pytest.raises(VaultError, match=r"could not read the secrets of account apn_1: .*locked"):
        vault.credentials("apn_1")


def test_unknown_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown secrets mode 'disk'"):
        open_vault("disk")  # type: ignore[arg-type]


def test_default_secrets_file_sits_next_to_the_workspace(tmp_path: Path) -> None:
    assert default_secrets_file(tmp_path / "workspace.sqlite3") == tmp_path / "workspace.secrets"


def test_file_mode_round_trips_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ws.secrets"
    make_file(path)
    vault = open_vault("file", path=path, passphrase="correct horse")
    assert (vault.kind, vault.persistent) == ("encrypted-file", True)
    assert str(path) in vault.reason
    vault.set_credentials("apn_1", {"api_key": CANARY})
    vault.set("project:proj_1:client_secret", "pd_secret_x")
    reopened = open_vault("file", path=path, passphrase="correct horse")
    assert reopened.credentials("apn_1") == {"api_key": CANARY}
    assert reopened.delete("project:proj_1:client_secret") is True
    assert vault.get("project:proj_1:client_secret") is None  # both read the file


def test_file_mode_never_writes_plaintext_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "ws.secrets"
    vault = Vault(backend=make_file(path))
    vault.set_credentials("apn_1", {"api_key": CANARY})
    vault.set("k2", CANARY * 3)
    data = path.read_bytes()
    assert CANARY.encode() not in data
    assert b"9f8e7d" not in data
    assert b"account:apn_1" in data  # entry names are not secret; the scan sees the file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # No temporary copy is left; the writers' lock file holds nothing.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.secrets", "ws.secrets.lock"]
    assert (tmp_path / "ws.secrets.lock").read_bytes() == b""


def test_file_mode_with_a_wrong_passphrase_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "ws.secrets"
    make_file(path).set_password("workbench", "k", CANARY)
    with pytest.raises(VaultLocked, match="wrong passphrase for the secrets file"):
        open_vault("file", path=path, passphrase="wrong horse")


def test_file_mode_takes_the_passphrase_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ws.secrets"
    make_file(path, "from env").set_password("workbench", "k", "v")
    monkeypatch.setenv(PASSPHRASE_ENV, "from env")
    assert open_vault("file", path=path).get("k") == "v"
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(VaultLocked, match=PASSPHRASE_ENV):
        open_vault("file", path=path)


def test_file_mode_needs_a_path_and_a_non_empty_passphrase(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="needs a path"):
        open_vault("file", passphrase="x")
    with pytest.raises(VaultLocked, match="must not be empty"):
        EncryptedFileKeyring(tmp_path / "x.secrets", "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{ not json", "damaged"),
        ('{"format": "something-else"}', "damaged"),
        ('{"format": "workbench-secrets", "version": 9}', "newer workbench"),
        (
            '{"format": "workbench-secrets", "version": 1, "kdf": {"name": "scrypt", '
            '"salt": "AAAA", "n": 1073741824}}',
            "bad scrypt cost",
        ),
    ],
)
def test_a_damaged_file_is_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "ws.secrets"
    path.write_text(content)
    with pytest.raises(VaultError, match=message):
        EncryptedFileKeyring(path, "pw")


def test_a_token_moved_to_another_slot_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "ws.secrets"
    backend = make_file(path)
    backend.set_password("workbench", "account:apn_a", "secret-a")
    backend.set_password("workbench", "account:apn_b", "secret-b")
    document = json.loads(path.read_text())
    slots = document["entries"]["workbench"]
    slots["account:apn_b"] = slots["account:apn_a"]
    path.write_text(json.dumps(document))
    with pytest.raises(VaultError, match="does not belong to this slot"):
        backend.get_password("workbench", "account:apn_b")
    assert backend.get_password("workbench", "account:apn_a") == "secret-a"


def test_deleting_a_missing_file_secret_raises_the_keyring_error(tmp_path: Path) -> None:
    backend = make_file(tmp_path / "ws.secrets")
    with pytest.raises(PasswordDeleteError):
        backend.delete_password("workbench", "nothing")


def test_a_broken_backend_setting_is_named_in_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # detect again on next use
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "typo.Nope")
    with pytest.raises(VaultUnavailable, match="keyring failed to load: ModuleNotFoundError"):
        open_vault("auto")


PROBE = """
from workbench.core.store.vault import VaultUnavailable, open_vault
try:
    vault = open_vault()
except VaultUnavailable as exc:
    print("unavailable:", exc)
else:
    print(vault.kind, type(vault.backend).__name__)
"""


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("workbench.core.store.vault.MemoryKeyring", "memory MemoryKeyring"),
        ("keyring.backends.fail.Keyring", "unavailable: No system keychain is available"),
    ],
)
def test_the_environment_variable_decides_in_a_fresh_process(backend: str, expected: str) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": backend}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(expected)
