"""Test configuration shared by every layer.

Set before anything imports Qt or keyring: the offscreen Qt platform (with a screen of a
realistic size), the Qt binding qasync should pick, a throwaway home for user files, and
the in-memory keyring backend (inherited by subprocesses, so no test ever touches a
developer's real keychain).
"""

import os
import tempfile
from pathlib import Path

# Offscreen Qt with a realistic 1920x1200 screen: the default 800x800 one would clamp every
# restored window geometry, so tests of the window's layout would test the clamp instead.
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    _screen = Path(__file__).with_name("offscreen-screen.json")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"
os.environ.setdefault("QT_API", "pyside6")
# Settings, crash logs, caches and default workspaces go to a throwaway home for the run
# (subprocesses inherit it), never to the developer's own directories.
_home = Path(tempfile.mkdtemp(prefix="workbench-tests-"))
for _variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_variable] = str(_home / _variable.lower())
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
