"""The catalog's OAuth entries: extra authorize parameters, token auth and token fields."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.catalog.test_catalog import minimal_app
from workbench.core.catalog import Catalog, CatalogError, TokenField, app_to_dict, parse_app

OAUTH = {"authorize_url": "https://acme.example/auth", "token_url": "https://acme.example/token"}


def oauth_app(**oauth: Any) -> dict[str, Any]:
    return minimal_app(auth_type="oauth", oauth={**OAUTH, **oauth})


def test_builtin_token_fields_fill_bounded_custom_fields() -> None:
    catalog = Catalog.load_builtin()
    for slug, field, key in (
        ("salesforce", "instance_host", "instance_url"),
        ("zoho_crm", "api_host", "api_domain"),
        ("pipedrive", "api_host", "api_domain"),
    ):
        app = catalog.get(slug)
        assert app is not None
        assert app.oauth is not None
        assert app.oauth.token_fields == (TokenField(field, key, "host"),)
        spec = next(spec for spec in app.custom_fields if spec.name == field)
        assert spec.source == "oauth"
        assert spec.pattern, f"{slug}.{field} must be bounded by a pattern"
    google = catalog.get("google_sheets")
    assert google is not None
    assert google.oauth is not None
    assert dict(google.oauth.authorize_params) == {"access_type": "offline", "prompt": "consent"}
    notion = catalog.get("notion")
    assert notion is not None
    assert notion.oauth is not None
    assert notion.oauth.token_auth == "client_secret_basic"


def test_oauth_options_round_trip() -> None:
    data = oauth_app(
        authorize_params={"access_type": "offline"},
        token_auth="client_secret_basic",
        token_fields=[{"field": "sub", "from": "tenant"}],
    )
    data["custom_fields"][0]["pattern"] = "^[a-z]+$"
    app = parse_app(data)
    assert app.oauth is not None
    assert app.oauth.token_fields == (TokenField("sub", "tenant", "value"),)
    assert app.custom_fields[0].source == "oauth"
    assert parse_app(app_to_dict(app)) == app


@pytest.mark.parametrize(
    ("oauth", "expected"),
    [
        (
            {"token_fields": [{"field": "nope", "from": "x"}]},
            "oauth.token_fields[0].field: names 'nope'",
        ),
        (
            {"token_fields": [{"field": "sub", "from": "x"}]},
            "give it a pattern that bounds it",
        ),
        (
            {"token_fields": [{"field": "sub", "from": "x", "take": "path"}]},
            "oauth.token_fields[0].take",
        ),
        ({"authorize_params": {"state": "fixed"}}, "oauth.authorize_params.state"),
        ({"authorize_params": {"n": 1}}, "oauth.authorize_params.n"),
        ({"token_auth": "private_key_jwt"}, "oauth.token_auth"),
        ({"authorize_url": "http://127.0.0.1:9/auth"}, "oauth.authorize_url: must start with"),
    ],
)
def test_bad_oauth_entries_are_named(oauth: dict[str, Any], expected: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_app(oauth_app(**oauth))
    assert expected in str(caught.value)


def test_http_oauth_urls_only_on_a_private_app_that_lists_their_authority() -> None:
    local = "127.0.0.1:8123"
    data = minimal_app(
        auth_type="oauth",
        connect={
            "proxy_enabled": True,
            "allowed_domains": [local],
            "base_proxy_target_url": f"http://{local}",
        },
        custom_fields=[],
        oauth={"authorize_url": f"http://{local}/authorize", "token_url": f"http://{local}/token"},
    )
    assert parse_app(data, origin="sandbox").oauth is not None
    data["oauth"]["token_url"] = "http://127.0.0.1:9999/token"
    with pytest.raises(CatalogError, match=r"oauth\.token_url: must start with https://"):
        parse_app(data, origin="sandbox")
