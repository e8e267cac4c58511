"""Where the workbench keeps a user's files: the platform's per-user folders, one app name.

Every default location comes from here, so they agree on every platform (on Windows
``platformdirs`` would otherwise add an "author" folder to some paths and not others).
README's "Where things live" lists what each one is on Linux, macOS and Windows.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "workbench"  # also the keychain's service name (workbench.core.store.vault)


def data_dir() -> Path:
    """The workspace, its secrets file (``--secrets file``) and ``crash.log``."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The settings file, ``workbench.ini``."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """What can be made again: the screenshot tour rendered where there is no display."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
