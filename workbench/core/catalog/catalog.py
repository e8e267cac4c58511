"""The catalog: an immutable, searchable set of apps, and the one shipped with the product."""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Iterable, Iterator

from workbench.core.catalog.files import parse_catalog_text
from workbench.core.catalog.model import App, CatalogError

_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")


class Catalog:
    """An immutable set of apps, looked up by slug or id and searched by name or domain.

    Iteration yields apps sorted by name (case-insensitive). Search is a substring match
    over a lower-cased haystack precomputed per app (name, slug, allowed domains), so it
    stays fast at tens of thousands of apps.
    """

    def __init__(self, apps: Iterable[App] = ()) -> None:
        """Index ``apps``.

        Raises:
            CatalogError: when two apps share a slug or an id.
        """
        by_slug: dict[str, App] = {}
        by_id: dict[str, App] = {}
        for app in apps:
            if app.name_slug in by_slug:
                raise CatalogError("duplicate name_slug", app=repr(app.name_slug))
            if app.id and app.id in by_id:
                raise CatalogError(
                    f"id {app.id!r} is already used by app {by_id[app.id].name_slug!r}",
                    app=repr(app.name_slug),
                    field="id",
                )
            by_slug[app.name_slug] = app
            if app.id:
                by_id[app.id] = app
        self._by_slug = by_slug
        self._by_id = by_id
        self._sorted = sorted(by_slug.values(), key=lambda a: (a.name.casefold(), a.name_slug))
        self._haystacks = [_haystack(app) for app in self._sorted]

    @classmethod
    def load_builtin(cls) -> Catalog:
        """The catalog shipped with the product (``resources/catalog/apps.json``).

        Raises:
            CatalogError: when the shipped file is broken (a packaging bug).
        """
        return cls(_builtin_apps())

    def get(self, slug_or_id: str) -> App | None:
        """The app with this slug or ``app_...`` id, or None."""
        return self._by_slug.get(slug_or_id) or self._by_id.get(slug_or_id)

    def __len__(self) -> int:
        return len(self._sorted)

    def __iter__(self) -> Iterator[App]:
        return iter(self._sorted)

    def __contains__(self, slug_or_id: object) -> bool:
        return isinstance(slug_or_id, str) and self.get(slug_or_id) is not None

    def __repr__(self) -> str:
        return f"Catalog({len(self)} apps)"

    def search(self, query: str = "", *, proxy_enabled: bool | None = None) -> list[App]:
        """Apps whose name, slug or an allowed domain contains ``query``, sorted by name.

        Args:
            query: a case-insensitive substring; blank matches every app.
            proxy_enabled: keep only apps whose ``connect.proxy_enabled`` equals this;
                None keeps both.
        """
        needle = query.strip().casefold()
        return [
            app
            for app, haystack in zip(self._sorted, self._haystacks, strict=True)
            if needle in haystack
            and (proxy_enabled is None or app.connect.proxy_enabled == proxy_enabled)
        ]

    def with_apps(self, apps: Iterable[App]) -> Catalog:
        """A new catalog holding these apps too; an app replaces the one with its slug.

        Among ``apps`` themselves the later of two with the same slug wins, so imports
        and sandbox apps can be layered over the builtin catalog.
        """
        merged = dict(self._by_slug)
        for app in apps:
            merged.pop(app.name_slug, None)
            merged[app.name_slug] = app
        return Catalog(merged.values())


def _haystack(app: App) -> str:
    # The separator keeps a query from matching across two parts ("slack" + "com"), and
    # placeholders are dropped so that "custom_fields" does not match every dynamic app.
    domains = (_PLACEHOLDER.sub("", domain) for domain in app.connect.allowed_domains)
    return "\n".join((app.name, app.name_slug, *domains)).casefold()


@functools.cache
def _builtin_apps() -> tuple[App, ...]:
    # Parsed once per process: the file is immutable package data and App is frozen.
    resource = importlib.resources.files("workbench.resources.catalog") / "apps.json"
    return tuple(parse_catalog_text(resource.read_text("utf-8"), source="apps.json"))
