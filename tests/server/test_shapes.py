"""Every JSON shape the server sends passes the Python SDK's own pydantic models."""

from __future__ import annotations

import json

import pytest
from pipedream.types.account import Account as SdkAccount
from pipedream.types.app import App as SdkApp
from pipedream.types.external_user import ExternalUser as SdkUser

from workbench.core.accounts import Account
from workbench.core.catalog import Catalog
from workbench.core.store.workspace import ExternalUser
from workbench.server.shapes import account_json, app_json, missing_app_json, user_json

BUILTIN = Catalog.load_builtin()


@pytest.mark.parametrize("app", list(BUILTIN), ids=lambda app: app.name_slug)
def test_every_builtin_app_is_a_valid_sdk_app(app):
    body = json.loads(json.dumps(app_json(app)))
    parsed = SdkApp.model_validate(body)
    assert parsed.name_slug == app.name_slug
    assert parsed.connect == {
        "proxy_enabled": app.connect.proxy_enabled,
        "allowed_domains": list(app.connect.allowed_domains),
        "base_proxy_target_url": app.connect.base_proxy_target_url,
    }
    fields = json.loads(parsed.custom_fields_json)
    assert [f["name"] for f in fields] == [f.name for f in app.custom_fields]


def test_account_shape_with_and_without_credentials():
    app = next(iter(BUILTIN))
    account = Account(
        id="apn_abc",
        project_id="proj_x",
        app_slug=app.name_slug,
        external_user_id="user-1",
        environment="production",
        custom_fields={"subdomain": "acme"},
        healthy=False,
        health_detail="HTTP 401: bad token",
        created_at="2026-01-02T03:04:05.000Z",
        updated_at="2026-01-02T03:04:05.000Z",
    )
    plain = SdkAccount.model_validate(account_json(account, app))
    assert (plain.id, plain.external_id, plain.healthy, plain.error) == (
        "apn_abc",
        "user-1",
        False,
        "HTTP 401: bad token",
    )
    assert plain.credentials is None
    assert plain.app is not None
    assert plain.app.name_slug == app.name_slug
    with_secrets = account_json(account, app, credentials={"api_key": "k"})
    assert with_secrets["credentials"] == {"subdomain": "acme", "api_key": "k"}
    assert SdkAccount.model_validate(with_secrets).credentials is not None


def test_account_of_an_app_no_longer_in_the_catalog():
    account = Account(
        id="apn_gone", project_id="proj_x", app_slug="removed_app", external_user_id="u"
    )
    body = account_json(account, None)
    assert body["app"] == missing_app_json("removed_app")
    assert body["created_at"] is None
    assert SdkAccount.model_validate(body).app.name_slug == "removed_app"


def test_user_shape():
    user = ExternalUser("exu_1", "proj_x", "team/user 1", "2026-01-02T03:04:05Z", "")
    parsed = SdkUser.model_validate(user_json(user))
    assert (parsed.id, parsed.external_id, parsed.updated_at) == ("exu_1", "team/user 1", None)
