"""JSON shapes of the Connect REST API: App, Account and external user objects.

Every field the Python SDK requires is always present (it rejects a whole page when one
is missing); optional ones are ``null`` rather than absent, which both SDKs accept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workbench.core.accounts import Account
from workbench.core.catalog import App, FieldSpec
from workbench.core.store.workspace import ExternalUser


def _custom_field_json(spec: FieldSpec) -> dict[str, Any]:
    # Pipedream's custom_fields_json entries: name, label, description, optional, default.
    return {
        "name": spec.name,
        "label": spec.label,
        "description": spec.description or None,
        "optional": not spec.required,
        "default": spec.default,
    }


def app_json(app: App) -> dict[str, Any]:
    """An App object: the SDK's required fields, ``connect``, and our ids."""
    return {
        "id": app.id or None,
        "name_slug": app.name_slug,
        "name": app.name,
        "auth_type": app.auth_type,
        "description": app.description or None,
        "img_src": app.img_src,
        "custom_fields_json": json.dumps([_custom_field_json(f) for f in app.custom_fields]),
        "categories": list(app.categories),
        "featured_weight": app.featured_weight,
        # Named OAuth scope subsets; no catalog entry defines any, so always empty.
        "scope_profiles": [],
        "oauth_app_id": None,
        "connect": {
            "proxy_enabled": app.connect.proxy_enabled,
            "allowed_domains": list(app.connect.allowed_domains),
            "base_proxy_target_url": app.connect.base_proxy_target_url,
        },
    }


def missing_app_json(slug: str) -> dict[str, Any]:
    """An App object for an account whose app left the catalog (e.g. an import was removed)."""
    return {
        "id": None,
        "name_slug": slug,
        "name": slug,
        "auth_type": None,
        "description": "This app is no longer in the catalog",
        "img_src": "",
        "custom_fields_json": "[]",
        "categories": [],
        "featured_weight": 0,
        "scope_profiles": [],
        "oauth_app_id": None,
        "connect": None,
    }


def _timestamp(value: str) -> str | None:
    return value or None


def account_json(
    account: Account,
    app: App | None,
    *,
    credentials: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An Account object with its app embedded.

    ``credentials`` (custom fields plus secrets) is included only when given; the router
    decides whether the caller may see them.
    """
    body: dict[str, Any] = {
        "id": account.id,
        "name": account.name or None,
        "external_id": account.external_user_id,
        "healthy": account.healthy,
        "dead": False,
        "error": (account.health_detail or None) if account.healthy is False else None,
        "app": app_json(app) if app is not None else missing_app_json(account.app_slug),
        "created_at": _timestamp(account.created_at),
        "updated_at": _timestamp(account.updated_at),
        "expires_at": None,
        "last_refreshed_at": None,
        "next_refresh_at": None,
        "authorized_scopes": [],
        "environment": account.environment,
    }
    if credentials is not None:
        body["credentials"] = {**account.custom_fields, **credentials}
    return body


def user_json(user: ExternalUser) -> dict[str, Any]:
    """An external user object."""
    return {
        "id": user.id,
        "external_id": user.external_id,
        "created_at": _timestamp(user.created_at),
        "updated_at": _timestamp(user.updated_at),
    }
