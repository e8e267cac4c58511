"""The settings store: the declared options of ``workbench.core.settings`` in an INI file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from workbench.core.settings import OPTIONS, SCHEMA_VERSION, option, upgrade


def default_settings_path() -> Path:
    """``workbench.ini`` in the user's configuration directory."""
    return Path(platformdirs.user_config_dir("workbench", appauthor=False)) / "workbench.ini"


class Settings(QObject):
    """Typed access to the declared settings, stored with QSettings in INI format.

    Only keys declared in :data:`workbench.core.settings.OPTIONS` can be read or written;
    a stored value that does not fit its type falls back to the default.

    Signals:
        changed(str, object): a setting was written with a new value (key, value).
    """

    changed = Signal(str, object)

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        """Open (or create on first write) the INI file at ``path``."""
        super().__init__(parent)
        self._store = QSettings(str(path), QSettings.Format.IniFormat)
        self._migrate()

    @classmethod
    def from_file(cls, path: Path) -> Settings:
        """Settings stored in ``path`` (tests use a temporary file)."""
        return cls(path)

    @property
    def path(self) -> Path:
        """The INI file."""
        return Path(self._store.fileName())

    def get(self, key: str) -> Any:
        """The value of ``key``, or its default."""
        declared = option(key)
        value = self._store.value(key)
        if declared.type is bytes:
            return bytes(value.data()) if isinstance(value, QByteArray) else declared.default
        return declared.coerce(value)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` for ``key`` (coerced to the declared type) and emit ``changed``."""
        declared = option(key)
        if declared.type is bytes:
            stored: Any = QByteArray(bytes(value))
            current = self.get(key)
            new: Any = bytes(value)
        else:
            new = declared.coerce(value)
            stored, current = new, self.get(key)
        self._store.setValue(key, stored)
        if new != current:
            self.changed.emit(key, new)

    def sync(self) -> None:
        """Write pending changes to disk now."""
        self._store.sync()

    def _migrate(self) -> None:
        version = option("settings/version").coerce(self._store.value("settings/version"))
        if not self._store.allKeys() or version >= SCHEMA_VERSION:
            self._store.setValue("settings/version", max(version, SCHEMA_VERSION))
            return
        stored = {key: self._store.value(key) for key in self._store.allKeys()}
        for key, value in upgrade(stored, version).items():
            if key in OPTIONS:
                self._store.setValue(key, value)
        self._store.setValue("settings/version", SCHEMA_VERSION)
