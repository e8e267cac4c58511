"""Test configuration shared by every layer.

Set before anything imports Qt or keyring: the offscreen Qt platform, the Qt binding
qasync should pick, and the in-memory keyring backend (inherited by subprocesses, so
no test ever touches a developer's real keychain).
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
os.environ["PYTHON_KEYRING_BACKEND"] = "workbench.core.store.vault.MemoryKeyring"
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)

import keyring  # noqa: E402  (after PYTHON_KEYRING_BACKEND is set)
import pytest  # noqa: E402

from workbench.core.store.vault import MemoryKeyring  # noqa: E402

# Fixtures shared by every layer: ``full_disk`` (a tmpfs filled to ENOSPC, or injected).
pytest_plugins = ["tests.helpers.disk"]


@pytest.fixture(autouse=True)
def _isolated_keyring() -> None:
    """Every test starts with an empty in-memory keychain (never a developer's real one)."""
    keyring.set_keyring(MemoryKeyring())
