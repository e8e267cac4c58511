"""The app catalog: what each app is, where its credential goes, and how to find it.

The dataclasses below are the App schema of DESIGN section 3. They are the contract the
rules, the injection, the engine, the workspace and the REST server build on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AuthType = Literal["oauth", "keys", "none"]
InjectionKind = Literal["header", "query", "basic", "path_prefix"]
FieldKind = Literal["host", "label", "text"]


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
    origin: Literal["builtin", "imported", "sandbox"] = "builtin"

    @property
    def is_dynamic(self) -> bool:
        """True when the base URL holds account-specific placeholders (relative paths only)."""
        return "{{" in self.connect.base_proxy_target_url
