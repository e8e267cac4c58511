"""Token responses, what the vault keeps of them, and the token-field rule on real apps."""

from __future__ import annotations

import pytest

from workbench.core.catalog import Catalog
from workbench.core.errors import RuleError
from workbench.core.oauth.tokens import TokenResponseInvalid, TokenSet
from workbench.core.store.account_input import check_token_fields, check_typed_fields

NOW = 1_700_000_000.0


def test_a_token_response_becomes_vault_members_and_back() -> None:
    tokens = TokenSet.from_response(
        {
            "access_token": "at_1x",
            "refresh_token": "rt_1x",
            "expires_in": "3600",
            "scope": ["a", "b"],
        },
        now=NOW,
        client_id="cid",
    )
    assert tokens.expires_at == NOW + 3600
    assert tokens.scope == "a b"
    assert TokenSet.from_credentials(tokens.to_credentials()) == tokens
    assert "_1x" not in repr(tokens)
    assert tokens.expires_within(61, NOW + 3540)
    assert not tokens.expires_within(59, NOW + 3540)


@pytest.mark.parametrize("expires_in", [None, 0, -5, "soon", True, float("inf")])
def test_an_unusable_lifetime_means_unknown_expiry(expires_in: object) -> None:
    tokens = TokenSet.from_response(
        {"access_token": "at", "expires_in": expires_in}, now=NOW, client_id="c"
    )
    assert tokens.expires_at is None
    assert "oauth_expires_at" not in tokens.to_credentials()


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one() -> None:
    old = TokenSet("at", "rt-1", NOW, "cid", "scope")
    new = TokenSet.from_response({"access_token": "at-2"}, now=NOW, client_id="cid", previous=old)
    assert (new.refresh_token, new.scope) == ("rt-1", "scope")


@pytest.mark.parametrize(
    "response", [{}, {"access_token": ""}, {"access_token": 5}, {"access_token": "a\nb"},
                 {"access_token": "a", "refresh_token": 7}]
)  # fmt: skip
def test_a_response_without_a_usable_token_is_refused(response: dict[str, object]) -> None:
    with pytest.raises(TokenResponseInvalid):
        TokenSet.from_response(response, now=NOW, client_id="c")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load_builtin()


@pytest.mark.parametrize(
    ("slug", "response", "typed", "expected"),
    [
        ("zoho_crm", {"api_domain": "https://www.zohoapis.eu"}, {},
         {"api_host": "www.zohoapis.eu"}),
        ("salesforce", {"instance_url": "https://acme.my.salesforce.com"}, {},
         {"instance_host": "acme.my.salesforce.com"}),
        ("pipedrive", {"api_domain": "https://acme.pipedrive.com/"}, {},
         {"api_host": "acme.pipedrive.com"}),
        ("zoho_crm", {}, {}, {}),  # absent: the field's default applies when stored
    ],
)  # fmt: skip
def test_token_fields_of_builtin_apps(
    catalog: Catalog, slug: str, response: dict[str, object], typed: dict[str, str],
    expected: dict[str, str],
) -> None:  # fmt: skip
    app = catalog.get(slug)
    assert app is not None
    assert check_token_fields(app, response, typed) == expected


@pytest.mark.parametrize(
    ("slug", "response"),
    [
        ("zoho_crm", {"api_domain": "https://evil.example"}),
        ("zoho_crm", {"api_domain": "https://www.zohoapis.eu.evil.example"}),
        ("salesforce", {"instance_url": "https://evil.example"}),
        ("salesforce", {"instance_url": "https://acme.my.salesforce.com.evil.example"}),
        ("salesforce", {"instance_url": "http://acme.my.salesforce.com"}),
        ("salesforce", {"instance_url": "https://user@acme.my.salesforce.com"}),
        ("salesforce", {"instance_url": "https://acme.my.salesforce.com/services"}),
        ("salesforce", {"instance_url": ["https://acme.my.salesforce.com"]}),
        ("pipedrive", {"api_domain": "https://127.0.0.1"}),
        ("pipedrive", {"api_domain": "https://acme.pipedrive.com:8443"}),
    ],
)
def test_a_hostile_token_response_cannot_move_the_account(
    catalog: Catalog, slug: str, response: dict[str, object]
) -> None:
    app = catalog.get(slug)
    assert app is not None
    with pytest.raises(RuleError) as refused:
        check_token_fields(app, response, {})
    assert refused.value.field == "custom_fields"


def test_typed_fields_leave_the_token_fields_to_the_response(catalog: Catalog) -> None:
    salesforce = catalog.get("salesforce")
    assert salesforce is not None
    assert check_typed_fields(salesforce, {}) == {"login_host": "login.salesforce.com"}
    with pytest.raises(RuleError, match="comes from Salesforce's token response"):
        check_typed_fields(salesforce, {"instance_host": "evil.example"})
    with pytest.raises(RuleError, match="has no custom field 'nope'"):
        check_typed_fields(salesforce, {"nope": "x"})
