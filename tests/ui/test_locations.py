"""Every default location comes from ``workbench.core.paths``, so they agree on every platform."""

from __future__ import annotations

import os
from pathlib import Path

import workbench
from workbench.core import paths
from workbench.core.store.vault import default_secrets_file
from workbench.core.store.workspace import default_workspace_path
from workbench.ui.app import default_tour_dir
from workbench.ui.errors import crash_log_path
from workbench.ui.settings import default_settings_path


def test_the_default_files_sit_in_the_user_folders_the_readme_names() -> None:
    # tests/conftest.py points the XDG variables at a throwaway home
    data = Path(os.environ["XDG_DATA_HOME"]) / "workbench"
    assert paths.data_dir() == data
    assert default_workspace_path() == data / "workspace.sqlite3"
    assert default_secrets_file(default_workspace_path()) == data / "workspace.secrets"
    assert crash_log_path() == data / "crash.log"
    assert default_settings_path() == (
        Path(os.environ["XDG_CONFIG_HOME"]) / "workbench" / "workbench.ini"
    )
    assert default_tour_dir() == Path(os.environ["XDG_CACHE_HOME"]) / "workbench" / "tour"


def test_no_other_module_asks_platformdirs() -> None:
    """One place decides the folders (on Windows, platformdirs' defaults differ per call)."""
    package = Path(workbench.__file__).parent
    asking = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "platformdirs." in path.read_text(encoding="utf-8")
    )
    assert asking == ["core/paths.py"]
