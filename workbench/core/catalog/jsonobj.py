"""Typed reads from a catalog entry's JSON: every failure names the field's dotted path.

:class:`Invalid` carries that path; :mod:`workbench.core.catalog.schema` turns it into a
``CatalogError`` naming the app as well.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

_MISSING: Any = object()
_Kind = TypeVar("_Kind", bound=str)


class Invalid(Exception):
    """One invalid field of an app: ``field`` is its dotted path, ``reason`` the problem."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class JsonObject:
    """Typed reads from one JSON object; failures name the key's path."""

    def __init__(self, data: object, path: str) -> None:
        """Wrap ``data`` found at ``path`` (``""`` for the app itself).

        Raises:
            Invalid: when ``data`` is not a JSON object.
        """
        if not isinstance(data, Mapping):
            raise Invalid(path or None, "must be a JSON object")
        self.data: Mapping[str, Any] = data
        self.path = path

    def __contains__(self, key: str) -> bool:
        return self.data.get(key) is not None

    def where(self, key: str) -> str:
        """The dotted path of ``key`` in this object."""
        return f"{self.path}.{key}" if self.path else key

    def check_keys(self, allowed: Collection[str]) -> None:
        """Refuse keys this object may not have (a typo must not pass silently)."""
        for key in self.data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise Invalid(self.where(str(key)), f"is not a known key (known: {known})")

    def _get(self, key: str, default: Any) -> Any:
        value = self.data.get(key)
        if value is None:
            if default is _MISSING:
                raise Invalid(self.where(key), "is required")
            return default
        return value

    def text(self, key: str, default: Any = _MISSING, *, allow_empty: bool = False) -> str:
        """A string value; optional when ``default`` is given."""
        value = self._get(key, default)
        if not isinstance(value, str):
            raise Invalid(self.where(key), "must be a string")
        if not value and not allow_empty and default is _MISSING:
            raise Invalid(self.where(key), "must not be empty")
        return value

    def choice(self, key: str, options: Sequence[_Kind], default: Any = _MISSING) -> _Kind:
        """A string value that must be one of ``options``."""
        value = self.text(key, default)
        for option in options:
            if value == option:
                return option
        raise Invalid(self.where(key), f"must be one of {', '.join(options)}; got {value!r}")

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        """A boolean value."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise Invalid(self.where(key), "must be true or false")
        return value

    def number(self, key: str, default: float) -> float:
        """A finite number."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(self.where(key), "must be a number")
        if not math.isfinite(value):
            raise Invalid(self.where(key), "must be finite")
        return float(value)

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings (missing or null: empty)."""
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise Invalid(self.where(key), "must be a list of strings")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise Invalid(self.where(f"{key}[{index}]"), "must be a string")
        return tuple(value)

    def statuses(self, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
        """A non-empty list of HTTP status codes."""
        value = self._get(key, default)
        if not isinstance(value, list | tuple) or not value:
            raise Invalid(self.where(key), "must be a non-empty list of HTTP status codes")
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int) or not 100 <= item <= 599:
                raise Invalid(self.where(f"{key}[{index}]"), "must be an HTTP status (100-599)")
        return tuple(value)

    def mapping(self, key: str) -> dict[str, Any]:
        """A free-form JSON object (missing: empty)."""
        value = self._get(key, {})
        if not isinstance(value, Mapping):
            raise Invalid(self.where(key), "must be a JSON object")
        return dict(value)

    def child(self, key: str) -> JsonObject:
        """A required nested object."""
        return JsonObject(self._get(key, _MISSING), self.where(key))

    def optional_child(self, key: str) -> JsonObject | None:
        """A nested object, or None when absent or null."""
        value = self.data.get(key)
        return None if value is None else JsonObject(value, self.where(key))

    def objects(self, key: str) -> list[JsonObject]:
        """A list of nested objects (missing: empty)."""
        value = self._get(key, [])
        if not isinstance(value, list):
            raise Invalid(self.where(key), "must be a list of JSON objects")
        return [JsonObject(item, self.where(f"{key}[{index}]")) for index, item in enumerate(value)]
