"""The window's settings, declared once: key, type, default and what each one means.

Every key the window reads or writes is declared here (a test reads the UI's source and
fails on an undeclared key, so a typo cannot silently create a new setting). Secrets are
never settings: they live in the vault. Stored files carry :data:`SCHEMA_VERSION`;
:func:`upgrade` brings older files forward.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1

THEMES = ("system", "light", "dark")
ZOOM_STEPS = (70, 80, 90, 100, 110, 125, 150, 175, 200)  # percent of the system font size


@dataclass(frozen=True)
class Option:
    """One setting.

    Attributes:
        key: the storage key, ``group/name``.
        type: the Python type of its value (``bytes`` for Qt's saved geometry and state).
        default: the value when nothing is stored (or what is stored is unusable).
        description: what it means, for people reading the settings file or this code.
        choices: the allowed values, when there is a fixed set.
    """

    key: str
    type: type
    default: Any
    description: str
    choices: tuple[Any, ...] = ()

    def coerce(self, value: object) -> Any:
        """``value`` as this option's type, or the default when it cannot be."""
        try:
            if value is None:
                return self.default
            if self.type is bool and isinstance(value, str):
                converted: Any = value.strip().lower() in ("1", "true", "yes", "on")
            else:
                converted = self.type(value)
        except (TypeError, ValueError):
            return self.default
        if self.choices and converted not in self.choices:
            return self.default
        return converted


OPTIONS: Mapping[str, Option] = {
    option.key: option
    for option in (
        Option("window/geometry", bytes, b"", "The main window's size and place."),
        Option("window/state", bytes, b"", "The main window's toolbars and docks."),
        Option("window/splitter_main", bytes, b"", "Apps browser beside the workbench."),
        Option("window/splitter_apps", bytes, b"", "App list above the app's details."),
        Option("window/splitter_work", bytes, b"", "Composer above the response."),
        Option("appearance/theme", str, "system", "Colour theme.", THEMES),
        Option("appearance/zoom", int, 100, "Text size in percent.", ZOOM_STEPS),
        Option("apps/proxy_enabled_only", bool, False, "Hide apps the proxy cannot call."),
        Option("selection/project", str, "", "The project last chosen."),
        Option("selection/environment", str, "development", "The environment last chosen."),
        Option("selection/user", str, "", "The external user last chosen."),
        Option("selection/account", str, "", "The account last chosen."),
        Option("selection/app", str, "", "The app last chosen."),
        Option("settings/version", int, SCHEMA_VERSION, "The layout of this file."),
    )
}

# version -> function taking the stored values of that version to the next one.
UPGRADES: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def option(key: str) -> Option:
    """The declared option ``key``.

    Raises:
        KeyError: the key is not declared (a typo in the code).
    """
    try:
        return OPTIONS[key]
    except KeyError:
        raise KeyError(f"setting {key!r} is not declared in workbench.core.settings") from None


def upgrade(values: dict[str, Any], version: int) -> dict[str, Any]:
    """Bring ``values`` stored by schema ``version`` up to :data:`SCHEMA_VERSION`.

    A file from a newer version is kept as it is: unknown values fall back to defaults
    one by one (:meth:`Option.coerce`), and the newer program still finds them.
    """
    while version < SCHEMA_VERSION:
        values = UPGRADES[version](values) if version in UPGRADES else values
        version += 1
    return values
