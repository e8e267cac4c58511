"""Catalog entries for the sandbox upstream: one app per credential injection style.

Each app allows exactly the sandbox's ``host:port`` authority, so it is usable only when
private networks are allowed (the demo accounts opt in); anywhere else the rules refuse it
like any other private address.
"""

from __future__ import annotations

from typing import Any

from workbench.core.catalog import App, parse_app

SANDBOX_CATEGORY = "Sandbox"
SANDBOX_SLUGS = ("sandbox_bearer", "sandbox_keyheader", "sandbox_query", "sandbox_basic")


def _app(
    authority: str,
    *,
    slug: str,
    name: str,
    description: str,
    base: str,
    credentials: list[dict[str, Any]],
    injection: list[dict[str, Any]],
    custom_fields: list[dict[str, Any]] | None = None,
    static_headers: dict[str, str] | None = None,
    notes: str = "",
) -> dict[str, Any]:
    return {
        "name_slug": slug,
        "name": name,
        "auth_type": "keys",
        "description": description,
        "categories": [SANDBOX_CATEGORY],
        "featured_weight": 0,
        "connect": {
            "proxy_enabled": True,
            "allowed_domains": [authority],
            "base_proxy_target_url": base,
        },
        "custom_fields": custom_fields or [],
        "credentials": credentials,
        "injection": injection,
        "static_headers": static_headers or {},
        "verification": {"method": "GET", "path": "/v1/me", "expect_status": [200]},
        "notes": notes,
    }


def sandbox_app_dicts(authority: str) -> list[dict[str, Any]]:
    """The sandbox apps in our catalog JSON schema, for a sandbox at ``authority``.

    Args:
        authority: the sandbox's ``host:port``, e.g. ``127.0.0.1:8123``.
    """
    static_base = f"http://{authority}"
    return [
        _app(
            authority,
            slug="sandbox_bearer",
            name="Sandbox CRM (bearer token)",
            description="Offline demo API: the token goes in 'Authorization: Bearer ...'.",
            base=static_base,
            credentials=[{"name": "api_token", "label": "API token"}],
            injection=[
                {
                    "in": "header",
                    "name": "Authorization",
                    "template": "Bearer {{credentials.api_token}}",
                }
            ],
            static_headers={"Accept": "application/json"},
            notes="Try GET /v1/contacts (cursor pages) or any path under /echo.",
        ),
        _app(
            authority,
            slug="sandbox_keyheader",
            name="Sandbox Helpdesk (API-key header, per-tenant URL)",
            description="Offline demo API with an account-specific base URL: each account "
            "names its tenant, and the key goes in an 'X-Api-Key' header.",
            base=f"{static_base}/tenants/{{{{custom_fields.tenant}}}}",
            custom_fields=[
                {
                    "name": "tenant",
                    "label": "Tenant",
                    "kind": "label",
                    "example": "acme",
                    "description": "The tenant's short name, as in /tenants/<tenant>/...",
                }
            ],
            credentials=[{"name": "api_key", "label": "API key"}],
            injection=[
                {"in": "header", "name": "X-Api-Key", "template": "{{credentials.api_key}}"}
            ],
            static_headers={"X-Sandbox-Version": "2024-06-01"},
            notes="Account-specific base: send relative paths such as /v1/tickets.",
        ),
        _app(
            authority,
            slug="sandbox_query",
            name="Sandbox Weather (API key in the query)",
            description="Offline demo API: the key goes in the 'api_key' query parameter.",
            base=static_base,
            credentials=[{"name": "api_key", "label": "API key"}],
            injection=[{"in": "query", "name": "api_key", "template": "{{credentials.api_key}}"}],
            notes="Caller query parameters are kept; the key is added once.",
        ),
        _app(
            authority,
            slug="sandbox_basic",
            name="Sandbox Files (basic auth)",
            description="Offline demo API: username and password go in 'Authorization: Basic ...'.",
            base=static_base,
            credentials=[
                {"name": "username", "label": "Username"},
                {"name": "password", "label": "Password"},
            ],
            injection=[
                {
                    "in": "basic",
                    "username": "{{credentials.username}}",
                    "password": "{{credentials.password}}",
                }
            ],
            notes="Try GET /ratelimited a few times to see rate-limit headers and a 429.",
        ),
    ]


def sandbox_apps(authority: str) -> list[App]:
    """The sandbox apps as catalog entries (origin ``sandbox``) for a sandbox at ``authority``.

    Args:
        authority: the sandbox's ``host:port``, e.g. ``127.0.0.1:8123``.
    """
    return [parse_app(data, origin="sandbox") for data in sandbox_app_dicts(authority)]
