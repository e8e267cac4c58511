"""The encrypted secrets file under faults: full disk, damage, concurrent writers, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.disk import SmallDisk
from workbench.core.store.faults import CRASH_ENV
from workbench.core.store.vault import (
    Vault,
    VaultEntryDamaged,
    VaultError,
    account_key,
)
from workbench.core.store.vaultfile import EncryptedFileKeyring

PASSPHRASE = "correct horse"
FAST_N = 2**10
CANARY = "CANARY-sk-77aa11"


def file_vault(path: Path) -> Vault:
    return Vault(backend=EncryptedFileKeyring(path, PASSPHRASE, scrypt_n=FAST_N))


def leftovers(directory: Path) -> list[str]:
    """Temporary copies of a secrets file in ``directory``."""
    return sorted(p.name for p in directory.glob(".*.tmp"))


def test_a_full_disk_fails_the_write_and_changes_nothing(full_disk: SmallDisk) -> None:
    path = full_disk.root / "ws.secrets"
    vault = file_vault(path)
    vault.set_credentials("apn_kept", {"api_key": "kept"})
    before = path.read_bytes()
    full_disk.fill()
    with pytest.raises(VaultError) as saving:
        vault.set_credentials("apn_new", {"api_key": CANARY})
    with pytest.raises(VaultError) as deleting:
        vault.delete_credentials("apn_kept")
    for caught in (saving, deleting):
        message = str(caught.value)
        assert "No space left on device" in message
        assert str(path) in message
        assert CANARY not in message
    assert str(saving.value).startswith("could not save the secrets of account apn_new: ")
    assert str(deleting.value).startswith("could not delete the secrets of account apn_kept: ")
    assert path.read_bytes() == before
    assert leftovers(full_disk.root) == []
    full_disk.free()
    vault.set_credentials("apn_new", {"api_key": "now"})
    assert vault.credentials("apn_kept") == {"api_key": "kept"}
    assert vault.credentials("apn_new") == {"api_key": "now"}


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "",
        lambda text: "\0" * 64,
        lambda text: json.dumps({**json.loads(text), "entries": []}),
    ],
)
def test_a_damaged_file_fails_every_call_and_is_never_replaced(tmp_path: Path, damage) -> None:
    path = tmp_path / "ws.secrets"
    vault = file_vault(path)
    vault.set_credentials("apn_1", {"api_key": "x"})
    path.write_text(damage(path.read_text()))
    damaged = path.read_bytes()
    with pytest.raises(VaultError, match="is damaged or not a secrets file"):
        vault.credentials("apn_1")
    with pytest.raises(VaultError, match="is damaged or not a secrets file"):
        vault.set_credentials("apn_2", {"api_key": "y"})
    assert path.read_bytes() == damaged  # nothing was written over what may be recoverable


def test_one_damaged_entry_leaves_the_others_readable_and_writable(tmp_path: Path) -> None:
    path = tmp_path / "ws.secrets"
    vault = file_vault(path)
    for name in ("a", "b"):
        vault.set_credentials(f"apn_{name}", {"api_key": f"secret-{name}"})
    document = json.loads(path.read_text())
    slots = document["entries"]["workbench"]
    token = slots[account_key("apn_a")]
    slots[account_key("apn_a")] = token[:-8] + ("A" * 8 if token[-8:] != "A" * 8 else "B" * 8)
    path.write_text(json.dumps(document))
    with pytest.raises(VaultEntryDamaged) as caught:
        vault.credentials("apn_a")
    assert caught.value.key == account_key("apn_a")
    assert "cannot be decrypted" in str(caught.value)
    assert vault.credentials("apn_b") == {"api_key": "secret-b"}
    vault.set_credentials("apn_c", {"api_key": "secret-c"})
    assert vault.credentials("apn_c") == {"api_key": "secret-c"}
    assert vault.account_ids() == {"apn_a", "apn_b", "apn_c"}
    assert vault.delete_credentials("apn_a") is True  # a damaged entry can still be removed


WRITER = """
import sys, time
from pathlib import Path
from workbench.core.store.vaultfile import EncryptedFileKeyring

path, name, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
backend = EncryptedFileKeyring(path, "correct horse")
while not start.exists():
    time.sleep(0.001)
for n in range(count):
    backend.set_password("workbench", f"{name}-{n}", f"value-{name}-{n}")
print("done", flush=True)
"""


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ws.secrets"
    EncryptedFileKeyring(path, PASSPHRASE, scrypt_n=FAST_N)
    start = tmp_path / "start"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"w{n}", "25", str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    start.touch()  # all four begin together
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert (writer.returncode, out.strip()) == (0, "done"), err
    backend = EncryptedFileKeyring(path, PASSPHRASE)
    names = backend.usernames("workbench")
    assert len(names) == 100
    for n in range(4):
        for m in range(25):
            assert backend.get_password("workbench", f"w{n}-{m}") == f"value-w{n}-{m}"


CRASHER = """
import sys
from workbench.core.store.vaultfile import EncryptedFileKeyring

backend = EncryptedFileKeyring(sys.argv[1], "correct horse")
backend.set_password("workbench", "account:apn_new", "never-in-place")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_writer_killed_before_its_rename_leaves_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "ws.secrets"
    vault = file_vault(path)
    vault.set_credentials("apn_old", {"api_key": "old"})
    before = path.read_bytes()
    env = {**os.environ, CRASH_ENV: "vault-file.replace"}
    died = subprocess.run(
        [sys.executable, "-c", CRASHER, str(path)], env=env, capture_output=True, timeout=60
    )
    assert died.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert len(leftovers(tmp_path)) == 1  # the dead writer's copy
    reopened = file_vault(path)
    assert leftovers(tmp_path) == []  # removed under the writers' lock on open
    assert reopened.credentials("apn_old") == {"api_key": "old"}
    assert reopened.credentials("apn_new") == {}
