"""The app model: what each app is and where its credential goes.

The dataclasses below are the App schema of DESIGN section 3. They are the contract the
rules, the injection, the engine, the workspace and the REST server build on; every other
module of the catalog builds on this one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from workbench.core.store.ids import BASE62

AuthType = Literal["oauth", "keys", "none"]
InjectionKind = Literal["header", "query", "basic", "path_prefix"]
FieldKind = Literal["host", "label", "text"]
TokenAuth = Literal["client_secret_post", "client_secret_basic"]
TokenTake = Literal["value", "host"]
Origin = Literal["builtin", "imported", "sandbox"]

_APP_ID_LENGTH = 6


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
class TokenField:
    """A custom field whose value comes from the token response, not from a person.

    ``take`` is ``value`` (the response member as it is) or ``host`` (the host, with any
    port, of a URL such as Salesforce's ``instance_url``). The value then passes the
    same checks as a typed custom field (see ``account_input.check_token_fields``).
    """

    field: str  # the custom field it fills
    key: str  # the member of the token response it comes from
    take: TokenTake = "value"


@dataclass(frozen=True)
class OAuthSpec:
    """How an OAuth app's tokens are obtained (authorization code with PKCE).

    ``scopes`` are the ones preselected when connecting; ``scope_separator`` joins them
    (a comma for Slack or Zoho). ``pkce`` says the provider requires PKCE (the workbench
    always sends it). ``authorize_params`` are extra fixed authorize parameters (Google's
    ``access_type=offline``); ``token_auth`` is how the client authenticates at the token
    URL; ``token_fields`` map token-response members to custom fields.
    """

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    pkce: bool = False
    authorize_params: tuple[tuple[str, str], ...] = ()
    token_auth: TokenAuth = "client_secret_post"
    token_fields: tuple[TokenField, ...] = ()


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
