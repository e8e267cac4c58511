"""The builtin catalog, validation of our app schema, search and catalog layering."""

from __future__ import annotations

import copy
import dataclasses
import importlib.resources
import json
import re
from typing import Any

import pytest

from workbench.core import rules
from workbench.core.catalog import (
    App,
    Catalog,
    CatalogError,
    ConnectSpec,
    app_id_for,
    app_to_dict,
    parse_app,
)


def builtin_dicts() -> list[dict[str, Any]]:
    resource = importlib.resources.files("workbench.resources.catalog") / "apps.json"
    document = json.loads(resource.read_text("utf-8"))
    assert document["schema"] == 1
    return document["apps"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load_builtin()


def sample_values(app: App) -> dict[str, str]:
    """Plausible account values: each field's default or example, else one of its kind."""
    synthetic = {"label": "acme", "host": "acme.example.com", "text": "abc123"}
    return {
        spec.name: spec.default or spec.example or synthetic[spec.kind]
        for spec in app.custom_fields
    }


# --- the builtin catalog --------------------------------------------------------------


def test_every_builtin_app_loads(catalog: Catalog) -> None:
    assert len(catalog) == len(builtin_dicts()) == 67
    assert all(app.origin == "builtin" for app in catalog)


@pytest.mark.parametrize("data", builtin_dicts(), ids=lambda d: d["name_slug"])
def test_builtin_app_round_trips(data: dict[str, Any]) -> None:
    app = parse_app(data)
    assert app_to_dict(app) == data
    assert parse_app(app_to_dict(app)) == app


def test_builtin_covers_every_injection_style(catalog: Catalog) -> None:
    headers = [(i.name, i.template or "") for app in catalog for i in app.injection if i.name]
    authorization = [template for name, template in headers if name == "Authorization"]
    assert any(t.startswith("Bearer {{credentials.") for t in authorization)
    custom_schemes = {t.split(" ")[0] for t in authorization if not t.startswith(("Bearer", "{{"))}
    assert {"Bot", "Token", "SSWS", "Zoho-oauthtoken", "Klaviyo-API-Key"} <= custom_schemes
    assert {"X-Shopify-Access-Token", "x-api-key"} <= {name for name, _ in headers}
    query = {(app.name_slug, i.name) for app in catalog for i in app.injection if i.kind == "query"}
    assert {("google_gemini", "key"), ("trello", "key"), ("trello", "token")} <= query
    kinds = {i.kind for app in catalog for i in app.injection}
    assert kinds == {"header", "query", "basic", "path_prefix"}
    telegram = catalog.get("telegram_bot_api")
    assert telegram is not None
    assert telegram.injection[0].template == "/bot{{credentials.bot_token}}"


def test_builtin_has_static_and_dynamic_domains(catalog: Catalog) -> None:
    dynamic = {app.name_slug for app in catalog if app.is_dynamic}
    assert {"zendesk", "gitlab", "salesforce", "shopify", "datadog", "jira"} <= dynamic
    assert {"slack", "github", "stripe"}.isdisjoint(dynamic)


@pytest.mark.parametrize(
    ("slug", "field", "kind"),
    [
        ("salesforce", "instance_host", "host"),
        ("pipedrive", "api_host", "host"),
        ("activecampaign", "api_host", "host"),
        ("zoho_crm", "api_host", "host"),
        ("docusign", "base_host", "host"),
        ("gitlab", "base_api_url", "host"),
        ("okta", "domain", "host"),
        ("sentry", "host", "host"),
        ("intercom", "api_host", "host"),
        ("datadog", "site", "host"),
        ("zendesk", "subdomain", "label"),
        ("shopify", "shop", "label"),
        ("mailchimp", "dc", "label"),
        ("freshdesk", "domain", "label"),
        ("jira_api_token", "subdomain", "label"),
        ("jira", "cloud_id", "text"),
        ("bigcommerce", "store_hash", "text"),
        ("bamboohr", "company_domain", "text"),
        ("docusign", "account_id", "text"),
    ],
)
def test_custom_field_kinds(catalog: Catalog, slug: str, field: str, kind: str) -> None:
    app = catalog.get(slug)
    assert app is not None
    assert {spec.name: spec.kind for spec in app.custom_fields}[field] == kind


def test_salesforce_uses_a_host_field(catalog: Catalog) -> None:
    app = catalog.get("salesforce")
    assert app is not None
    assert app.connect.base_proxy_target_url == "https://{{custom_fields.instance_host}}"
    assert app.connect.allowed_domains == ("{{custom_fields.instance_host}}",)


def test_datadog_site_renders(catalog: Catalog) -> None:
    app = catalog.get("datadog")
    assert app is not None
    base = app.connect.base_proxy_target_url
    assert rules.render_base(base, {"site": "datadoghq.eu"}) == "https://api.datadoghq.eu"
    assert rules.render_base(base, sample_values(app)) == "https://api.datadoghq.com"


def test_every_proxy_enabled_app_resolves_a_relative_path(catalog: Catalog) -> None:
    enabled = catalog.search(proxy_enabled=True)
    assert len(enabled) >= 60
    for app in enabled:
        url = rules.resolve_target(
            "/probe",
            base_proxy_target_url=app.connect.base_proxy_target_url,
            allowed_domains=list(app.connect.allowed_domains),
            custom_fields=sample_values(app),
        )
        assert re.fullmatch(r"https://[^/]+(/\S*)?/probe", url), app.name_slug


def test_every_default_is_a_valid_value(catalog: Catalog) -> None:
    for app in catalog:
        for spec in app.custom_fields:
            if spec.default is not None:
                assert rules.check_custom_field_value(spec.name, spec.default, spec.kind)
                if spec.pattern:
                    assert re.fullmatch(spec.pattern, spec.default)


@pytest.mark.parametrize("slug", ["aws", "netsuite"])
def test_signed_apps_are_browseable_but_not_proxy_enabled(catalog: Catalog, slug: str) -> None:
    app = catalog.get(slug)
    assert app is not None
    assert not app.connect.proxy_enabled
    assert app.injection == ()
    assert "Not proxy-enabled" in app.notes


def test_builtin_details(catalog: Catalog) -> None:
    verified = {app.name_slug: app.verification for app in catalog if app.verification}
    assert len(verified) >= 10
    assert verified["slack"] is not None
    assert verified["slack"].path == "/api/auth.test"
    assert verified["github"] is not None
    assert verified["github"].method == "GET"
    ids = [app.id for app in catalog]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"app_[0-9A-Za-z]{6}", app_id) for app_id in ids)
    assert all("<" not in value for app in catalog for _, value in app.static_headers)
    github = catalog.get("github")
    assert github is not None
    assert dict(github.static_headers) == {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    slack = catalog.get("slack")
    assert slack is not None
    assert slack.categories == ("Communication",)
    assert slack.featured_weight > catalog.get("pushbullet").featured_weight  # type: ignore[union-attr]


def test_app_ids_are_stable() -> None:
    assert app_id_for("slack") == app_id_for("slack")
    assert app_id_for("slack") != app_id_for("slack2")
    assert re.fullmatch(r"app_[0-9A-Za-z]{6}", app_id_for("x"))
    assert parse_app(minimal_app()).id == app_id_for("acme")


# --- validation -----------------------------------------------------------------------


def minimal_app(**changes: Any) -> dict[str, Any]:
    """A small valid app in our schema, with top-level keys replaced by ``changes``."""
    data: dict[str, Any] = {
        "name_slug": "acme",
        "name": "Acme",
        "auth_type": "keys",
        "connect": {
            "proxy_enabled": True,
            "allowed_domains": ["{{custom_fields.sub}}.acme.example"],
            "base_proxy_target_url": "https://{{custom_fields.sub}}.acme.example/api",
        },
        "custom_fields": [{"name": "sub", "label": "Subdomain"}],
        "credentials": [{"name": "api_key", "label": "API key"}],
        "injection": [{"in": "header", "name": "X-Api-Key", "template": "{{credentials.api_key}}"}],
    }
    data.update(changes)
    return data


def with_path(path: str, value: Any) -> dict[str, Any]:
    """``minimal_app()`` with the value at a dotted path (``connect.x``, ``injection.0.y``)."""
    data = copy.deepcopy(minimal_app())
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


_DELETE = object()
STATIC = {"allowed_domains": ["acme.example"], "base_proxy_target_url": "https://acme.example"}
BROKEN: list[tuple[str, dict[str, Any], str]] = [
    ("missing name", with_path("name", _DELETE), "name: is required"),
    ("empty name", with_path("name", ""), "name: must not be empty"),
    ("unknown key", minimal_app(custom_field=[]), "custom_field: is not a known key"),
    ("bad id", minimal_app(id="acme"), "id: "),
    ("auth type", minimal_app(auth_type="password"), "auth_type: must be one of"),
    ("categories type", minimal_app(categories="CRM"), "categories: must be a list"),
    ("weight type", minimal_app(featured_weight="high"), "featured_weight: must be a number"),
    ("no connect", with_path("connect", _DELETE), "connect: is required"),
    ("proxy flag", with_path("connect.proxy_enabled", "yes"), "connect.proxy_enabled:"),
    ("wildcard", with_path("connect.allowed_domains", ["*"]), "connect.allowed_domains[0]:"),
    (
        "mid wildcard",
        with_path("connect.allowed_domains", ["a.*.example"]),
        "connect.allowed_domains[0]:",
    ),
    ("one label", with_path("connect.allowed_domains", ["intranet"]), "connect.allowed_domains[0]"),
    (
        "undeclared domain field",
        with_path("connect.allowed_domains", ["acme.example", "{{custom_fields.x}}.acme.example"]),
        "connect.allowed_domains[1]: uses custom field 'x'",
    ),
    (
        "credential in domain",
        with_path("connect.allowed_domains", ["{{credentials.api_key}}.acme.example"]),
        "connect.allowed_domains[0]:",
    ),
    (
        "scheme",
        with_path("connect.base_proxy_target_url", "ftp://acme.example"),
        "connect.base_proxy_target_url: must start with https://",
    ),
    (
        "base off the allowlist",
        minimal_app(
            connect={"proxy_enabled": True, **STATIC, "base_proxy_target_url": "https://x.example"}
        ),
        "connect.base_proxy_target_url: ",
    ),
    (
        "http base not listed",
        minimal_app(
            connect={
                **STATIC,
                "proxy_enabled": True,
                "base_proxy_target_url": "http://api.acme.example",
            }
        ),
        "connect.base_proxy_target_url: an http:// or private-address base",
    ),
    (
        "http base with a public host",
        minimal_app(
            connect={
                **STATIC,
                "proxy_enabled": True,
                "base_proxy_target_url": "http://acme.example",
            }
        ),
        "connect.base_proxy_target_url: Scheme 'http' is not allowed",
    ),
    (
        "ip base not listed",
        minimal_app(
            connect={**STATIC, "proxy_enabled": True, "base_proxy_target_url": "https://10.0.0.1"}
        ),
        "connect.base_proxy_target_url: an http:// or private-address base",
    ),
    (
        "no base",
        with_path("connect.base_proxy_target_url", _DELETE),
        "connect.base_proxy_target_url: is required for a proxy-enabled app",
    ),
    ("no host", with_path("connect.base_proxy_target_url", "https:///x"), "has no host"),
    (
        "static host of a templated base off the allowlist",
        with_path(
            "connect.base_proxy_target_url", "https://api.other.example/{{custom_fields.sub}}"
        ),
        "connect.base_proxy_target_url: ",
    ),
    (
        "base query",
        with_path(
            "connect.base_proxy_target_url", "https://{{custom_fields.sub}}.acme.example/?a=1"
        ),
        "connect.base_proxy_target_url: may not hold a query",
    ),
    (
        "credential in base",
        with_path("connect.base_proxy_target_url", "https://{{credentials.api_key}}.acme.example"),
        "connect.base_proxy_target_url:",
    ),
    (
        "undeclared base field",
        with_path("connect.base_proxy_target_url", "https://{{custom_fields.zone}}.acme.example"),
        "connect.base_proxy_target_url: uses custom field 'zone'",
    ),
    (
        "kind does not fit",
        with_path("custom_fields.0.kind", "host"),
        "needs kind 'label'",
    ),
    ("unknown kind", with_path("custom_fields.0.kind", "dns"), "custom_fields[0].kind:"),
    ("bad pattern", with_path("custom_fields.0.pattern", "("), "custom_fields[0].pattern:"),
    (
        "bad default",
        with_path("custom_fields.0.default", "not a label!"),
        "custom_fields[0].default:",
    ),
    (
        "default off pattern",
        minimal_app(
            custom_fields=[{"name": "sub", "label": "S", "pattern": "^a+$", "default": "b"}]
        ),
        "custom_fields[0].default: does not match",
    ),
    ("field name", with_path("custom_fields.0.name", "sub-domain"), "custom_fields[0].name:"),
    (
        "duplicate field",
        minimal_app(custom_fields=[{"name": "sub", "label": "A"}, {"name": "sub", "label": "B"}]),
        "custom_fields[1].name: duplicate name 'sub'",
    ),
    ("credential source", with_path("credentials.0.source", "magic"), "credentials[0].source:"),
    ("injection kind", with_path("injection.0.in", "cookie"), "injection[0].in: must be one of"),
    (
        "undeclared credential",
        with_path("injection.0.template", "{{credentials.token}}"),
        "injection[0].template: uses credentials.token",
    ),
    (
        "unknown template form",
        with_path("injection.0.template", "{{secrets.api_key}}"),
        "injection[0].template: may only use",
    ),
    ("control character", with_path("injection.0.template", "a\r\nb"), "injection[0].template:"),
    ("header syntax", with_path("injection.0.name", "X Api Key"), "injection[0].name:"),
    ("engine header", with_path("injection.0.name", "Host"), "injection[0].name: Host is set"),
    ("injection key", with_path("injection.0.value", "x"), "injection[0].value: is not a known"),
    (
        "query name",
        minimal_app(
            injection=[{"in": "query", "name": "a b", "template": "{{credentials.api_key}}"}]
        ),
        "injection[0].name:",
    ),
    (
        "path prefix",
        minimal_app(injection=[{"in": "path_prefix", "template": "bot{{credentials.api_key}}"}]),
        "injection[0].template: must be a path",
    ),
    (
        "two basics",
        minimal_app(
            injection=[
                {"in": "basic", "username": "{{credentials.api_key}}", "password": ""},
                {"in": "basic", "username": "x", "password": "{{credentials.api_key}}"},
            ]
        ),
        "injection[1]: puts a second credential",
    ),
    ("no injection", minimal_app(injection=[]), "injection: a proxy-enabled 'keys' app needs"),
    ("restricted static", minimal_app(static_headers={"Cookie": "a=b"}), "static_headers.Cookie:"),
    (
        "static authorization",
        minimal_app(static_headers={"Authorization": "Basic x"}),
        "static_headers.Authorization:",
    ),
    (
        "static collides with credential",
        minimal_app(static_headers={"x-api-key": "fixed"}),
        "static_headers.x-api-key:",
    ),
    (
        "static placeholder",
        minimal_app(static_headers={"X-Tenant": "{{custom_fields.sub}}"}),
        "static_headers.X-Tenant:",
    ),
    (
        "oauth url",
        minimal_app(
            oauth={"authorize_url": "https://a.example/auth", "token_url": "http://a.example/t"}
        ),
        "oauth.token_url: must start with https://",
    ),
    (
        "verify method",
        minimal_app(verification={"method": "TRACE", "path": "/me"}),
        "verification.method:",
    ),
    (
        "verify path",
        minimal_app(verification={"method": "GET", "path": "me"}),
        "verification.path:",
    ),
    (
        "verify status",
        minimal_app(verification={"method": "GET", "path": "/me", "expect_status": [700]}),
        "verification.expect_status[0]:",
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_app_names_app_and_field(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_app(data)
    assert str(caught.value).startswith("app 'acme': ")
    assert expected in str(caught.value)
    assert caught.value.app == "'acme'"


def test_bad_slug_is_named_by_field() -> None:
    with pytest.raises(CatalogError, match=r"name_slug: must be 1-100 characters"):
        parse_app(minimal_app(name_slug="Acme CRM"))


def test_non_object_app() -> None:
    with pytest.raises(CatalogError, match="must be a JSON object"):
        parse_app(["acme"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "domains",
    [[], None, ["*"], ["*.", "a.*.b"]],
    ids=["empty", "null", "star", "unusable"],
)
def test_proxy_enabled_app_without_usable_domains_fails_closed(domains: Any) -> None:
    data = with_path("connect.allowed_domains", domains)
    with pytest.raises(CatalogError, match=r"app 'acme': connect\.allowed_domains"):
        parse_app(data)


def test_disabled_app_may_have_no_domains() -> None:
    connect = {"proxy_enabled": False, "allowed_domains": None, "base_proxy_target_url": None}
    app = parse_app(minimal_app(connect=connect, injection=[]))
    assert app.connect == ConnectSpec(False, (), "")


@pytest.mark.parametrize(
    ("base", "domains", "private"),
    [
        ("http://127.0.0.1:8123", ["127.0.0.1:8123"], True),
        ("http://127.0.0.1:8123/tenants/{{custom_fields.sub}}", ["127.0.0.1:8123"], True),
        ("https://10.0.0.5:8443/api", ["10.0.0.5:8443"], True),
        ("http://gitlab.lan:8080", ["gitlab.lan:8080"], True),
        ("https://api.acme.example/v1", ["acme.example"], False),
        ("https://api.{{custom_fields.sub}}", ["acme.example"], False),
    ],
)
def test_private_and_public_bases(base: str, domains: list[str], private: bool) -> None:
    kind = "host" if base.endswith(".{{custom_fields.sub}}") else "label"
    fields = [{"name": "sub", "label": "S", "kind": kind}]
    connect = {"proxy_enabled": True, "allowed_domains": domains, "base_proxy_target_url": base}
    app = parse_app(minimal_app(connect=connect, custom_fields=fields), origin="sandbox")
    assert app.origin == "sandbox"
    if private and "{{" not in base:
        with pytest.raises(rules.RuleError):
            rules.resolve_target(
                "/x", base_proxy_target_url=base, allowed_domains=domains, custom_fields={}
            )


def test_unknown_origin() -> None:
    with pytest.raises(CatalogError, match="unknown origin"):
        parse_app(minimal_app(), origin="elsewhere")  # type: ignore[arg-type]


def test_kind_is_inferred_from_placement() -> None:
    connect = {
        "proxy_enabled": True,
        "allowed_domains": ["{{custom_fields.host}}"],
        "base_proxy_target_url": "https://{{custom_fields.host}}/t/{{custom_fields.tenant}}",
    }
    fields = [{"name": "host", "label": "Host"}, {"name": "tenant", "label": "Tenant"}]
    app = parse_app(minimal_app(connect=connect, custom_fields=fields))
    assert [(spec.name, spec.kind) for spec in app.custom_fields] == [
        ("host", "host"),
        ("tenant", "text"),
    ]
    assert parse_app(minimal_app()).custom_fields[0].kind == "label"


# --- Catalog ----------------------------------------------------------------------------


def test_lookup_by_slug_and_id(catalog: Catalog) -> None:
    slack = catalog.get("slack")
    assert slack is not None
    assert catalog.get(slack.id) is slack
    assert "slack" in catalog
    assert slack.id in catalog
    assert "nope" not in catalog
    assert catalog.get("nope") is None
    assert 42 not in catalog


def test_iteration_is_sorted_by_name(catalog: Catalog) -> None:
    names = [app.name.casefold() for app in catalog]
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("slack", {"slack"}),
        ("SLACK", {"slack"}),
        ("  Git ", {"github", "gitlab"}),
        ("google_", {"google_sheets", "google_drive", "google_gemini"}),
        ("hubapi", {"hubspot"}),
        ("api.telegram.org", {"telegram_bot_api"}),
        ("zendesk.com", {"zendesk"}),
        ("custom_fields", set()),
        ("atlassian", {"jira", "jira_api_token", "confluence"}),
        ("no such app", set()),
    ],
)
def test_search(catalog: Catalog, query: str, expected: set[str]) -> None:
    found = catalog.search(query)
    assert {app.name_slug for app in found} == expected
    assert [app.name.casefold() for app in found] == sorted(app.name.casefold() for app in found)


def test_search_filters_on_proxy_enabled(catalog: Catalog) -> None:
    assert {app.name_slug for app in catalog.search(proxy_enabled=False)} == {"aws", "netsuite"}
    enabled = catalog.search(proxy_enabled=True)
    assert len(enabled) == len(catalog) - 2
    assert catalog.search("amazon", proxy_enabled=True) == []
    assert catalog.search() == list(catalog)


def make_app(slug: str, name: str, domains: tuple[str, ...], enabled: bool = True) -> App:
    return App(
        name_slug=slug,
        name=name,
        auth_type="none",
        connect=ConnectSpec(enabled, domains, f"https://{domains[0]}"),
        id=app_id_for(slug),
    )


def test_search_over_ten_thousand_apps() -> None:
    words = ["Alpha", "beta", "Gamma", "delta", "Epsilon"]
    apps = [
        make_app(
            f"app_{i:05d}",
            f"{words[i % 5]} Service {i}",
            (f"api{i}.{words[i % 3].lower()}.example",),
            enabled=i % 4 != 0,
        )
        for i in range(10_000)
    ]
    big = Catalog(reversed(apps))
    assert len(big) == 10_000

    def expected(predicate: Any) -> list[str]:
        chosen = [app for app in apps if predicate(app)]
        chosen.sort(key=lambda app: (app.name.casefold(), app.name_slug))
        return [app.name_slug for app in chosen]

    assert [a.name_slug for a in big.search("GAMMA")] == expected(
        lambda a: "gamma" in a.name.lower() or ".gamma." in a.connect.allowed_domains[0]
    )
    assert [a.name_slug for a in big.search("app_0999")] == expected(
        lambda a: a.name_slug.startswith("app_0999")
    )
    assert [a.name_slug for a in big.search("api1234.")] == ["app_01234"]
    assert [a.name_slug for a in big.search("service 77", proxy_enabled=False)] == expected(
        lambda a: "service 77" in a.name.lower() and not a.connect.proxy_enabled
    )
    assert len(big.search(proxy_enabled=True)) == 7_500


def test_duplicate_slug_or_id_is_refused() -> None:
    app = make_app("one", "One", ("one.example",))
    with pytest.raises(CatalogError, match=r"app 'one': duplicate name_slug"):
        Catalog([app, app])
    twin = dataclasses.replace(make_app("two", "Two", ("two.example",)), id=app.id)
    with pytest.raises(
        CatalogError, match=r"app 'two': id: id 'app_\w+' is already used by app 'one'"
    ):
        Catalog([app, twin])


def test_with_apps_replaces_by_slug(catalog: Catalog) -> None:
    slack = catalog.get("slack")
    assert slack is not None
    mine = dataclasses.replace(slack, name="Slack (mine)", origin="imported")
    extra = make_app("my_api", "My API", ("api.mine.example",))
    later = dataclasses.replace(extra, name="My API v2")
    layered = catalog.with_apps([mine, extra, later])
    assert len(layered) == len(catalog) + 1
    assert layered.get("slack") is mine
    assert layered.get(slack.id) is mine
    assert layered.get("my_api") is later
    assert catalog.get("slack") is slack  # the original is untouched
    assert [app.name_slug for app in layered.search("slack (mine)")] == ["slack"]
