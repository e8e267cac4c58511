"""Credential injection at its edges: exact errors, URL splitting, path prefixes, scrubbing."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.core.test_injection import BASE, app_with
from workbench.core.catalog import Injection
from workbench.core.errors import RuleError
from workbench.core.injection import Scrubber, inject, mask_secret, redact


def injected_url(injection: Injection, url: str, secret: str = "s3cret") -> str:
    app = app_with(injection)
    return inject(app, url, [], custom_fields={"sid": "AC1"}, credentials={"key": secret}).url


def refusal(injection: Injection, credentials: dict[str, str], url: str = f"{BASE}/x") -> tuple:
    with pytest.raises(RuleError) as caught:
        inject(app_with(injection), url, [], custom_fields={}, credentials=credentials)
    error = caught.value
    return error.code, error.field, error.message


QUERY = Injection("query", name="key", template="{{credentials.key}}")
PREFIX = Injection("path_prefix", template="/bot{{credentials.key}}")


@pytest.mark.parametrize(
    ("injection", "url", "expected"),
    [
        (PREFIX, f"{BASE}/getMe", f"{BASE}/bots3cret/getMe"),
        (PREFIX, f"{BASE}/", f"{BASE}/bots3cret/"),
        (PREFIX, f"{BASE}/getMe?next=https://a.b/c?d", f"{BASE}/bots3cret/getMe?next=https://a.b/c?d"),
        (QUERY, f"{BASE}/v1?next=https://a.b/c", f"{BASE}/v1?next=https://a.b/c&key=s3cret"),
        (QUERY, f"{BASE}/v1", f"{BASE}/v1?key=s3cret"),
        (QUERY, f"{BASE}/v1?", f"{BASE}/v1?key=s3cret"),
        (Injection("path_prefix", template="/v1/{{credentials.key}}/"), f"{BASE}/me",
         f"{BASE}/v1/s3cret/me"),
    ],
)  # fmt: skip
def test_where_the_credential_lands(injection: Injection, url: str, expected: str) -> None:
    assert injected_url(injection, url) == expected


def test_a_path_prefix_keeps_a_credential_that_ends_in_x_or_space() -> None:
    assert injected_url(PREFIX, f"{BASE}/me", secret="123:ABX") == f"{BASE}/bot123:ABX/me"
    assert injected_url(PREFIX, f"{BASE}/me", secret="a b ") == f"{BASE}/bota%20b%20/me"


@pytest.mark.parametrize(
    ("injection", "credentials", "expected"),
    [
        (Injection("header", "X-Api-Key", "{{credentials.key}}"), {"key": "a\r\nb"},
         ("bad_credential", "credentials",
          "The value for header 'X-Api-Key' has characters a header cannot carry; "
          "check the account's credential")),
        (Injection("basic", username="{{credentials.key}}", password="X"), {"key": "a:b"},
         ("bad_credential", "credentials",
          "The account's Basic username contains ':', which Basic auth cannot carry")),
        (Injection("header", "X-Api-Key", "{{credentials.key}}"), {},
         ("missing_credential", "credentials",
          "This account has no credential 'key'; reconnect the account")),
        (Injection("header", "X-Api-Key", "{{custom_fields.sid}}"), {"key": "k"},
         ("missing_custom_field", "custom_fields",
          "This account has no value for custom field 'sid'")),
        (Injection("header", "X-Api-Key", "{{credentials.key}} {{secret}}"), {"key": "k"},
         ("bad_template", "app",
          "The app's injection template has a placeholder other than "
          "{{credentials.NAME}} or {{custom_fields.NAME}}")),
        (Injection("path_prefix", template="bot{{credentials.key}}"), {"key": "k"},
         ("bad_template", "app", "The app's path prefix must start with '/'")),
    ],
)  # fmt: skip
def test_refusals(injection: Injection, credentials: dict[str, str], expected: tuple) -> None:
    assert refusal(injection, credentials) == expected


def test_a_caller_parameter_named_like_the_credential_is_refused() -> None:
    assert refusal(QUERY, {"key": "k"}, url=f"{BASE}/x?a=1&KEY=mine") == (
        "credential_param_conflict",
        "url",
        "Query parameter 'key' is set by the proxy from the account's credential; "
        "remove it from the URL",
    )


def test_the_longest_form_is_scrubbed_first() -> None:
    # "zz" sorts after "azzb" but is shorter: scrubbing it first would leave "a...b".
    assert redact("token azzb end", ["zz", "azzb"]) == "token [REDACTED] end"
    assert redact("token zz end", ["zz", "azzb"]) == "token [REDACTED] end"


def test_a_scrubber_is_true_when_it_has_something_to_scrub() -> None:
    assert not Scrubber([])
    assert not Scrubber([""])
    assert Scrubber(["k"])
    assert Scrubber(["a/b"])


def test_a_secret_that_is_not_url_safe_is_masked_not_erased() -> None:
    secret = "Zq9/+=%x ?&"
    shown = Scrubber([secret]).mask(f"Bearer {secret} and key={quote(secret, safe='')}")
    assert shown == f"Bearer {mask_secret(secret)} and key={mask_secret(secret)}"
    assert mask_secret(secret) == "Zq••••••"
