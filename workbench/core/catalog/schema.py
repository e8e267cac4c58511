"""Our catalog JSON schema for one app: parse and validate it, and write it back.

:mod:`workbench.core.catalog` exports ``parse_app`` and ``app_to_dict``. The
URL-facing checks (allowed domains, base URL, custom-field values, headers) are those of
:mod:`workbench.core.rules`, so the catalog accepts exactly what the engine will.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, get_args

from workbench.core.catalog import checks
from workbench.core.catalog.jsonobj import Invalid, JsonObject
from workbench.core.catalog.model import (
    App,
    AuthType,
    CatalogError,
    ConnectSpec,
    FieldKind,
    FieldSpec,
    Injection,
    InjectionKind,
    OAuthSpec,
    Origin,
    TokenAuth,
    TokenField,
    TokenTake,
    Verification,
    app_id_for,
)

_APP_KEYS = frozenset(
    {
        "name_slug",
        "name",
        "id",
        "auth_type",
        "description",
        "categories",
        "img_src",
        "featured_weight",
        "connect",
        "custom_fields",
        "credentials",
        "injection",
        "static_headers",
        "oauth",
        "verification",
        "rate_limit",
        "notes",
    }
)
_CUSTOM_FIELD_KEYS = frozenset(
    {"name", "label", "required", "kind", "pattern", "default", "example", "description"}
)
_CREDENTIAL_KEYS = frozenset({"name", "label", "source", "required", "description"})
_SLUG = re.compile(r"[a-z0-9_]{1,100}\Z")
_APP_ID = re.compile(r"app_[A-Za-z0-9]{1,40}\Z")


def parse_app(data: object, *, origin: Origin = "builtin", index: int | None = None) -> App:
    """Build and validate one app from our own JSON schema (see :func:`app_to_dict`).

    Args:
        data: one entry of ``apps.json`` (or of an imported file in our schema).
        origin: where the app comes from: ``builtin``, ``imported`` or ``sandbox``.
        index: the app's position in its file, named in errors when it has no slug.

    Raises:
        CatalogError: naming the app and the field, for any missing key, wrong type,
            bad template, unusable ``allowed_domains`` or inconsistent entry.
    """
    if origin not in get_args(Origin):
        raise CatalogError(f"unknown origin {origin!r}", app=app_label(data, index))
    try:
        return _build(JsonObject(data, ""), origin)
    except Invalid as error:
        raise CatalogError(error.reason, app=app_label(data, index), field=error.field) from None


def parse_apps(items: object, *, origin: Origin, field: str = "apps") -> list[App]:
    """Parse a list of apps in our schema, refusing duplicate slugs.

    Raises:
        CatalogError: naming the app (slug or ``#index``) and the field.
    """
    if not isinstance(items, list):
        raise CatalogError("must be a list of app objects", field=field)
    return parse_unique(items, lambda item, index: parse_app(item, origin=origin, index=index))


def parse_unique(items: list[Any], parse: Callable[[object, int], App]) -> list[App]:
    """Parse every item with ``parse(item, index)``, refusing a ``name_slug`` seen before.

    Raises:
        CatalogError: from ``parse``, or naming the duplicated slug.
    """
    apps: list[App] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        app = parse(item, index)
        if app.name_slug in seen:
            raise CatalogError(
                "duplicate name_slug (each app may appear once)",
                app=repr(app.name_slug),
                field="name_slug",
            )
        seen.add(app.name_slug)
        apps.append(app)
    return apps


def app_to_dict(app: App) -> dict[str, Any]:
    """Our JSON schema for ``app``; ``parse_app(app_to_dict(app))`` gives ``app`` back.

    Optional keys are written only when they differ from their defaults, so a catalog
    file written from parsed apps is canonical: ``app_to_dict(parse_app(d)) == d``.
    """
    data: dict[str, Any] = {
        "name_slug": app.name_slug,
        "name": app.name,
        "id": app.id,
        "auth_type": app.auth_type,
        "description": app.description,
        "categories": list(app.categories),
        "img_src": app.img_src,
        "featured_weight": _number(app.featured_weight),
        "connect": {
            "proxy_enabled": app.connect.proxy_enabled,
            "allowed_domains": list(app.connect.allowed_domains),
            "base_proxy_target_url": app.connect.base_proxy_target_url,
        },
        "custom_fields": [_custom_field_to_dict(spec) for spec in app.custom_fields],
        "credentials": [_credential_to_dict(spec) for spec in app.credentials],
        "injection": [_injection_to_dict(injection) for injection in app.injection],
    }
    if app.static_headers:
        data["static_headers"] = dict(app.static_headers)
    if app.oauth is not None:
        data["oauth"] = _oauth_to_dict(app.oauth)
    if app.verification is not None:
        data["verification"] = {
            "method": app.verification.method,
            "path": app.verification.path,
            "expect_status": list(app.verification.expect_status),
        }
    if app.rate_limit:
        data["rate_limit"] = dict(app.rate_limit)
    if app.notes:
        data["notes"] = app.notes
    return data


def _build(obj: JsonObject, origin: Origin) -> App:
    obj.check_keys(_APP_KEYS)
    slug = obj.text("name_slug")
    if not _SLUG.match(slug):
        raise Invalid("name_slug", "must be 1-100 characters of a-z, 0-9 and _")
    app_id = obj.text("id", default="") or app_id_for(slug)
    if not _APP_ID.match(app_id):
        raise Invalid("id", "must look like app_ followed by letters and digits")
    auth_type = obj.choice("auth_type", get_args(AuthType))
    connect = obj.child("connect")
    connect.check_keys({"proxy_enabled", "allowed_domains", "base_proxy_target_url"})
    proxy_enabled = connect.flag("proxy_enabled")
    base = connect.text("base_proxy_target_url", default="")
    domains = connect.strings("allowed_domains")
    slots = checks.url_slots(base, domains)
    custom_fields = tuple(_custom_field(item, slots) for item in obj.objects("custom_fields"))
    credentials = tuple(_credential(item) for item in obj.objects("credentials"))
    checks.unique_names("custom_fields", custom_fields)
    checks.unique_names("credentials", credentials)
    private = checks.check_connect(proxy_enabled, base, domains, custom_fields, field_slots=slots)
    checks.check_defaults(custom_fields, allow_private_networks=private)
    injection = tuple(_injection(item) for item in obj.objects("injection"))
    checks.check_injection(injection, custom_fields, credentials)
    if proxy_enabled and auth_type != "none" and not injection:
        raise Invalid("injection", f"a proxy-enabled {auth_type!r} app needs at least one entry")
    static_headers = checks.static_headers(obj.optional_child("static_headers"), injection)
    oauth = _oauth(obj.optional_child("oauth"), custom_fields, domains, private=private)
    if oauth is not None:
        # A field the token response fills is not typed by a person.
        filled = {token.field for token in oauth.token_fields}
        custom_fields = tuple(
            dataclasses.replace(spec, source="oauth") if spec.name in filled else spec
            for spec in custom_fields
        )
    return App(
        name_slug=slug,
        name=obj.text("name"),
        auth_type=auth_type,
        connect=ConnectSpec(proxy_enabled, domains, base),
        id=app_id,
        description=obj.text("description", default=""),
        categories=obj.strings("categories"),
        img_src=obj.text("img_src", default="", allow_empty=True),
        featured_weight=obj.number("featured_weight", default=0.0),
        custom_fields=custom_fields,
        credentials=credentials,
        injection=injection,
        static_headers=static_headers,
        oauth=oauth,
        verification=_verification(obj.optional_child("verification")),
        rate_limit=obj.mapping("rate_limit"),
        notes=obj.text("notes", default="", allow_empty=True),
        origin=origin,
    )


def _custom_field(obj: JsonObject, slots: Mapping[str, set[FieldKind]]) -> FieldSpec:
    obj.check_keys(_CUSTOM_FIELD_KEYS)
    name = checks.field_name(obj)
    kinds = get_args(FieldKind)
    kind = obj.choice("kind", kinds) if "kind" in obj else checks.infer_kind(slots.get(name, set()))
    return FieldSpec(
        name=name,
        label=obj.text("label", default=name),
        required=obj.flag("required", default=True),
        kind=kind,
        pattern=checks.pattern(obj),
        default=obj.text("default") if "default" in obj else None,
        example=obj.text("example") if "example" in obj else None,
        description=obj.text("description", default=""),
    )


def _credential(obj: JsonObject) -> FieldSpec:
    obj.check_keys(_CREDENTIAL_KEYS)
    name = checks.field_name(obj)
    return FieldSpec(
        name=name,
        label=obj.text("label", default=name),
        required=obj.flag("required", default=True),
        secret=True,
        description=obj.text("description", default=""),
        source=obj.choice("source", ("user", "oauth"), default="user"),
    )


def _injection(obj: JsonObject) -> Injection:
    kind = obj.choice("in", get_args(InjectionKind))
    if kind == "basic":
        obj.check_keys({"in", "username", "password"})
        return Injection(
            "basic",
            username=obj.text("username"),
            password=obj.text("password", allow_empty=True),
        )
    if kind == "path_prefix":
        obj.check_keys({"in", "template"})
        return Injection("path_prefix", template=obj.text("template"))
    obj.check_keys({"in", "name", "template"})
    return Injection(kind, name=obj.text("name"), template=obj.text("template"))


def _oauth(
    obj: JsonObject | None,
    custom_fields: tuple[FieldSpec, ...],
    domains: Sequence[str],
    *,
    private: bool,
) -> OAuthSpec | None:
    if obj is None:
        return None
    obj.check_keys(
        {
            "authorize_url",
            "token_url",
            "scopes",
            "scope_separator",
            "pkce",
            "authorize_params",
            "token_auth",
            "token_fields",
        }
    )
    declared = {spec.name for spec in custom_fields}
    urls = {key: obj.text(key) for key in ("authorize_url", "token_url")}
    for key, url in urls.items():
        checks.check_oauth_url(obj.where(key), url, declared, domains, private=private)
    params = obj.mapping("authorize_params")
    for name, value in params.items():
        if not isinstance(value, str) or name in checks.FLOW_PARAMS:
            raise Invalid(
                f"{obj.where('authorize_params')}.{name}",
                "must be a text value and not one the flow sets itself",
            )
    tokens = tuple(_token_field(item) for item in obj.objects("token_fields"))
    checks.check_token_fields(obj.where("token_fields"), tokens, custom_fields, domains)
    token_auth: TokenAuth = obj.choice(
        "token_auth", get_args(TokenAuth), default="client_secret_post"
    )
    return OAuthSpec(
        authorize_url=urls["authorize_url"],
        token_url=urls["token_url"],
        scopes=obj.strings("scopes"),
        scope_separator=obj.text("scope_separator", default=" ", allow_empty=True),
        pkce=obj.flag("pkce", default=False),
        authorize_params=tuple(sorted(params.items())),
        token_auth=token_auth,
        token_fields=tokens,
    )


def _token_field(obj: JsonObject) -> TokenField:
    obj.check_keys({"field", "from", "take"})
    take: TokenTake = obj.choice("take", get_args(TokenTake), default="value")
    return TokenField(field=obj.text("field"), key=obj.text("from"), take=take)


def _oauth_to_dict(oauth: OAuthSpec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "authorize_url": oauth.authorize_url,
        "token_url": oauth.token_url,
        "scopes": list(oauth.scopes),
        "scope_separator": oauth.scope_separator,
        "pkce": oauth.pkce,
    }
    if oauth.authorize_params:
        data["authorize_params"] = dict(oauth.authorize_params)
    if oauth.token_auth != "client_secret_post":
        data["token_auth"] = oauth.token_auth
    if oauth.token_fields:
        data["token_fields"] = [
            {"field": token.field, "from": token.key}
            | ({"take": token.take} if token.take != "value" else {})
            for token in oauth.token_fields
        ]
    return data


def _verification(obj: JsonObject | None) -> Verification | None:
    if obj is None:
        return None
    obj.check_keys({"method", "path", "expect_status"})
    method = checks.method(obj)
    path = obj.text("path")
    checks.check_verification_path(obj.where("path"), path)
    statuses = obj.statuses("expect_status", default=(200,))
    return Verification(method, path, statuses)


def app_label(data: object, index: int | None) -> str:
    """How errors name an app: its slug quoted, else ``#index`` in its file."""
    slug = data.get("name_slug") if isinstance(data, Mapping) else None
    if isinstance(slug, str) and _SLUG.match(slug):
        return repr(slug)
    return f"#{index}" if index is not None else "(without a valid name_slug)"


def _custom_field_to_dict(spec: FieldSpec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": spec.name,
        "label": spec.label,
        "required": spec.required,
        "kind": spec.kind,
    }
    for key in ("pattern", "default", "example"):
        if getattr(spec, key) is not None:
            data[key] = getattr(spec, key)
    if spec.description:
        data["description"] = spec.description
    return data


def _credential_to_dict(spec: FieldSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": spec.name, "label": spec.label, "source": spec.source}
    if not spec.required:
        data["required"] = False
    if spec.description:
        data["description"] = spec.description
    return data


def _injection_to_dict(injection: Injection) -> dict[str, Any]:
    if injection.kind == "basic":
        return {"in": "basic", "username": injection.username, "password": injection.password}
    if injection.kind == "path_prefix":
        return {"in": "path_prefix", "template": injection.template}
    return {"in": injection.kind, "name": injection.name, "template": injection.template}


def _number(value: float) -> int | float:
    # Whole weights are written as JSON integers, which read back as equal floats.
    return int(value) if float(value).is_integer() else value
