"""The app catalog: what each app is, where its credential goes, and how to find it.

The dataclasses below are the App schema of DESIGN section 3. They are the contract the
rules, the injection, the engine, the workspace and the REST server build on.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from workbench.core.ids import BASE62

AuthType = Literal["oauth", "keys", "none"]
InjectionKind = Literal["header", "query", "basic", "path_prefix"]
FieldKind = Literal["host", "label", "text"]
Origin = Literal["builtin", "imported", "sandbox"]

_APP_ID_LENGTH = 6
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")


@dataclass(frozen=True)
class FieldSpec:
    """One per-account value an account is connected with.

    ``custom_fields`` are not secret (a subdomain, a region); ``credentials`` are, and live
    only in the vault. ``kind`` says how a value is checked: ``host`` is a DNS name,
    ``label`` a single DNS label (a subdomain), ``text`` anything matching ``pattern``.
    """

    name: str
    label: str
    required: bool = True
    secret: bool = False
    kind: FieldKind = "text"
    pattern: str | None = None
    default: str | None = None
    example: str | None = None
    description: str = ""
    source: str = "user"  # "user" (typed by a person) or "oauth" (from a token exchange)


@dataclass(frozen=True)
class Injection:
    """Where one credential goes on the way upstream.

    - ``header``: header ``name`` set to ``template`` rendered.
    - ``query``: query parameter ``name`` set to ``template`` rendered.
    - ``basic``: ``Authorization: Basic`` from ``username`` and ``password`` templates.
    - ``path_prefix``: ``template`` rendered and put in front of the URL's path.

    Templates use ``{{credentials.x}}`` and ``{{custom_fields.x}}``.
    """

    kind: InjectionKind
    name: str | None = None
    template: str | None = None
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class ConnectSpec:
    """Pipedream's ``connect`` object: may the proxy be used, and where to."""

    proxy_enabled: bool
    allowed_domains: tuple[str, ...]
    base_proxy_target_url: str


@dataclass(frozen=True)
class OAuthSpec:
    """How an OAuth app's tokens are obtained (not used by the proxy itself)."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    pkce: bool = False


@dataclass(frozen=True)
class Verification:
    """A cheap request that proves an account's credential works."""

    method: str
    path: str
    expect_status: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class App:
    """One catalog entry."""

    name_slug: str
    name: str
    auth_type: AuthType
    connect: ConnectSpec
    id: str = ""  # "app_..."; derived from the slug when the source has none
    description: str = ""
    categories: tuple[str, ...] = ()
    img_src: str = ""
    featured_weight: float = 0.0
    custom_fields: tuple[FieldSpec, ...] = ()
    credentials: tuple[FieldSpec, ...] = ()
    injection: tuple[Injection, ...] = ()
    static_headers: tuple[tuple[str, str], ...] = ()
    oauth: OAuthSpec | None = None
    verification: Verification | None = None
    rate_limit: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    notes: str = ""
    origin: Origin = "builtin"

    @property
    def is_dynamic(self) -> bool:
        """True when the base URL holds account-specific placeholders (relative paths only)."""
        return "{{" in self.connect.base_proxy_target_url


class CatalogError(ValueError):
    """A catalog entry or file that cannot be loaded.

    The message names the file (when there is one), the app (slug, or ``#index`` when it
    has no usable slug) and the field, e.g.
    ``app 'zendesk': connect.allowed_domains[0]: ...``.

    Attributes:
        app: the app's slug or ``#index``, when known.
        field: the dotted path of the offending field, when known.
        source: the file the app came from, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        app: str | None = None,
        field: str | None = None,
        source: str | None = None,
    ) -> None:
        self.app = app
        self.field = field
        self.source = source
        self.reason = message
        parts = [source, f"app {app}" if app else None, field, message]
        super().__init__(": ".join(part for part in parts if part))

    def in_file(self, source: str) -> CatalogError:
        """The same error, with the file it came from named in front."""
        return CatalogError(self.reason, app=self.app, field=self.field, source=source)


def app_id_for(slug: str) -> str:
    """The stable ``app_...`` id of a slug: ``app_`` and 6 base62 chars of its SHA-256.

    Catalog files may carry their own ids; apps without one get this, so an app's id
    never changes between runs or machines.
    """
    number = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big")
    chars = []
    for _ in range(_APP_ID_LENGTH):
        number, digit = divmod(number, len(BASE62))
        chars.append(BASE62[digit])
    return "app_" + "".join(chars)


# The parsing lives in catalog_schema, catalog_pipedream and catalog_io. They build the
# dataclasses above, so they are imported inside these functions: a module-level import
# would be circular.


def parse_app(data: Mapping[str, Any], *, origin: Origin = "builtin") -> App:
    """Build and validate one app from our own JSON schema (see ``app_to_dict``).

    Args:
        data: one entry of ``apps.json`` (or of an imported file in our schema).
        origin: where the app comes from: ``builtin``, ``imported`` or ``sandbox``.

    Raises:
        CatalogError: naming the app and the field, for any missing key, wrong type,
            bad template, unusable ``allowed_domains`` or inconsistent entry.
    """
    from workbench.core import catalog_schema

    return catalog_schema.parse_app(data, origin=origin)


def app_to_dict(app: App) -> dict[str, Any]:
    """Our JSON schema for ``app``; ``parse_app(app_to_dict(app))`` gives ``app`` back."""
    from workbench.core import catalog_schema

    return catalog_schema.app_to_dict(app)


def parse_pipedream_app(data: Mapping[str, Any]) -> App:
    """Build one app from an App object of Pipedream's ``/v1/connect/apps`` JSON.

    Pipedream's App has no injection spec, so an app without one gets the documented
    default for its ``auth_type`` (our default, not Pipedream's data: import our own
    schema for any other style):

    - ``oauth``: header ``Authorization: Bearer {{credentials.oauth_access_token}}``,
      credential ``oauth_access_token`` (source ``oauth``);
    - ``keys``: header ``Authorization: Bearer {{credentials.api_key}}``, credential
      ``api_key``;
    - ``none``: no injection.

    ``custom_fields_json`` (a JSON string) becomes ``custom_fields``, and placeholders of
    ``base_proxy_target_url`` that it does not declare become required custom fields.
    An app without ``connect`` or with ``connect.proxy_enabled`` false imports as not
    proxy-enabled. The result has origin ``imported``.

    Raises:
        CatalogError: naming the app and the field.
    """
    from workbench.core import catalog_pipedream

    return catalog_pipedream.parse_pipedream_app(data)


def load_app_file(path: str | os.PathLike[str]) -> list[App]:
    """Read apps to import from a JSON file, detecting its format.

    Accepted: our schema (``{"apps": [...]}`` or a bare list of apps) and a page of
    Pipedream's ``/v1/connect/apps`` (``{"data": [...], "page_info": ...}``, or a single
    ``{"data": {...}}``). Every app gets origin ``imported``.

    Raises:
        CatalogError: naming the file (and the line for broken JSON) and the app.
    """
    from workbench.core import catalog_io

    return catalog_io.load_app_file(path)


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
    from workbench.core import catalog_io

    resource = importlib.resources.files("workbench.resources.catalog") / "apps.json"
    return tuple(catalog_io.parse_catalog_text(resource.read_text("utf-8"), source="apps.json"))
