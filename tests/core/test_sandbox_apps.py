"""The sandbox catalog apps: they parse, round-trip, and resolve only in private-network mode."""

from __future__ import annotations

import pytest

from workbench.core import rules
from workbench.core.catalog import App, Catalog, app_to_dict, parse_app
from workbench.core.errors import RuleError
from workbench.core.rules import reserved_headers
from workbench.sandbox.apps import SANDBOX_SLUGS, sandbox_app_dicts, sandbox_apps

AUTHORITY = "127.0.0.1:8123"
BASE = f"http://{AUTHORITY}"


@pytest.fixture(scope="module")
def apps() -> dict[str, App]:
    return {app.name_slug: app for app in sandbox_apps(AUTHORITY)}


def resolve(app: App, url: str, *, private: bool, **fields: str) -> str:
    return rules.resolve_target(
        url,
        base_proxy_target_url=app.connect.base_proxy_target_url,
        allowed_domains=app.connect.allowed_domains,
        custom_fields=fields,
        allow_private_networks=private,
    )


def test_four_proxy_enabled_apps_allow_exactly_the_sandbox(apps: dict[str, App]) -> None:
    assert tuple(apps) == SANDBOX_SLUGS
    for app in apps.values():
        assert app.origin == "sandbox"
        assert app.auth_type == "keys"
        assert app.connect.proxy_enabled
        assert app.connect.allowed_domains == (AUTHORITY,)
        assert app.verification is not None
        assert (app.verification.method, app.verification.path) == ("GET", "/v1/me")
        assert app.name.startswith("Sandbox ")


def test_each_app_uses_a_different_injection_style(apps: dict[str, App]) -> None:
    styles = {
        slug: [(i.kind, i.name, i.template, i.username, i.password) for i in app.injection]
        for slug, app in apps.items()
    }
    assert styles == {
        "sandbox_bearer": [
            ("header", "Authorization", "Bearer {{credentials.api_token}}", None, None)
        ],
        "sandbox_keyheader": [("header", "X-Api-Key", "{{credentials.api_key}}", None, None)],
        "sandbox_query": [("query", "api_key", "{{credentials.api_key}}", None, None)],
        "sandbox_basic": [
            ("basic", None, None, "{{credentials.username}}", "{{credentials.password}}")
        ],
    }
    assert [name.lower() for name in reserved_headers(apps["sandbox_keyheader"].injection)] == [
        "x-api-key"
    ]


def test_one_static_base_and_one_account_specific_base(apps: dict[str, App]) -> None:
    assert not apps["sandbox_bearer"].is_dynamic
    keyheader = apps["sandbox_keyheader"]
    assert keyheader.is_dynamic
    assert keyheader.connect.base_proxy_target_url == f"{BASE}/tenants/{{{{custom_fields.tenant}}}}"
    assert [(f.name, f.kind, f.required) for f in keyheader.custom_fields] == [
        ("tenant", "label", True)
    ]


def test_apps_round_trip_through_our_schema(apps: dict[str, App]) -> None:
    for app in apps.values():
        assert parse_app(app_to_dict(app), origin="sandbox") == app


def test_apps_follow_the_authority_they_are_built_for() -> None:
    (app, *_) = sandbox_apps("127.0.0.1:40001")
    assert app.connect.allowed_domains == ("127.0.0.1:40001",)
    assert app.connect.base_proxy_target_url == "http://127.0.0.1:40001"
    assert [d["name_slug"] for d in sandbox_app_dicts("127.0.0.1:40001")] == list(SANDBOX_SLUGS)


@pytest.mark.parametrize("slug", ["sandbox_bearer", "sandbox_query", "sandbox_basic"])
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/echo/hello?x=1", f"{BASE}/echo/hello?x=1"),
        (f"{BASE}/v1/contacts?limit=5", f"{BASE}/v1/contacts?limit=5"),
    ],
)
def test_static_apps_resolve_with_private_networks_allowed(
    apps: dict[str, App], slug: str, url: str, expected: str
) -> None:
    assert resolve(apps[slug], url, private=True) == expected


@pytest.mark.parametrize("url", ["/echo", f"{BASE}/echo"])
def test_static_apps_are_refused_without_private_networks(apps: dict[str, App], url: str) -> None:
    with pytest.raises(RuleError) as refused:
        resolve(apps["sandbox_bearer"], url, private=False)
    assert refused.value.code in {
        "scheme_not_allowed",
        "ip_literal_not_allowed",
        "port_not_allowed",
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9999/echo",  # another port on the same host
        "http://localhost:8123/echo",  # the same port under another name
        "http://10.0.0.1:8123/echo",
        "https://api.github.com/user",
    ],
)
def test_static_apps_allow_no_other_authority(apps: dict[str, App], url: str) -> None:
    with pytest.raises(RuleError):
        resolve(apps["sandbox_bearer"], url, private=True)


def test_tenant_app_resolves_relative_paths_under_the_tenant(apps: dict[str, App]) -> None:
    keyheader = apps["sandbox_keyheader"]
    resolved = resolve(keyheader, "/v1/tickets?page=2", private=True, tenant="acme")
    assert resolved == f"{BASE}/tenants/acme/v1/tickets?page=2"
    with pytest.raises(RuleError) as absolute:
        resolve(keyheader, f"{BASE}/tenants/acme/v1/me", private=True, tenant="acme")
    assert absolute.value.code == "relative_path_required"
    with pytest.raises(RuleError) as missing:
        resolve(keyheader, "/v1/me", private=True)
    assert missing.value.code == "missing_custom_field"
    with pytest.raises(RuleError):
        resolve(keyheader, "/v1/me", private=False, tenant="acme")


@pytest.mark.parametrize("tenant", ["acme", "globex-2", "Initech"])
def test_tenant_field_accepts_labels(tenant: str) -> None:
    assert rules.check_custom_field_value("tenant", tenant, "label").lower() == tenant.lower()


@pytest.mark.parametrize("tenant", ["evil.com", "a/b", "a b", "../x", "", "x\r\n"])
def test_tenant_field_refuses_anything_but_one_label(tenant: str) -> None:
    with pytest.raises(RuleError) as refused:
        rules.check_custom_field_value("tenant", tenant, "label")
    assert "tenant" in refused.value.message


def test_builtin_catalog_with_sandbox_apps() -> None:
    builtin = Catalog.load_builtin()
    catalog = builtin.with_apps(sandbox_apps(AUTHORITY))
    assert len(catalog) == len(builtin) + len(SANDBOX_SLUGS)
    found = {app.name_slug for app in catalog.search("sandbox") if app.origin == "sandbox"}
    assert found == set(SANDBOX_SLUGS)
    assert {app.name_slug for app in catalog if app.origin == "sandbox"} == set(SANDBOX_SLUGS)
    assert catalog.get("sandbox_query") in catalog.search(AUTHORITY, proxy_enabled=True)
