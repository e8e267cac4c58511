"""Where the workbench keeps its files on this machine, in one place (via platformdirs).

Linux: ``~/.local/share/workbench`` (data), ``~/.config/workbench`` (settings),
``~/.cache/workbench`` (cache); macOS: ``~/Library/Application Support/workbench`` and
``~/Library/Caches/workbench``; Windows: ``%LOCALAPPDATA%\\workbench\\workbench``.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "workbench"


def data_dir() -> Path:
    """The per-user data directory: the default workspace, its secrets file, crash.log."""
    return Path(platformdirs.user_data_dir(APP))


def config_dir() -> Path:
    """The per-user configuration directory: the window's settings."""
    return Path(platformdirs.user_config_dir(APP))


def cache_dir() -> Path:
    """The per-user cache directory: things that may be deleted (the screenshot tour)."""
    return Path(platformdirs.user_cache_dir(APP))


def default_workspace_path() -> Path:
    """Where the user's own workspace lives."""
    return data_dir() / "workspace.sqlite3"
