"""Credential injection: templates, every injection style, redaction and masking."""

from __future__ import annotations

import base64
import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import rules
from workbench.core.catalog import App, Catalog, ConnectSpec, FieldSpec, Injection
from workbench.core.errors import RuleError
from workbench.core.injection import (
    MASK,
    REDACTED,
    Scrubber,
    inject,
    mask_secret,
    mask_text,
    preview_injection,
    redact,
    render_template,
)

SECRET = "sk_test_51Habc/+=?&"
BASE = "https://api.example.com"


def app_with(*injection: Injection, static: tuple[tuple[str, str], ...] = ()) -> App:
    return App(
        name_slug="example",
        name="Example",
        auth_type="keys",
        connect=ConnectSpec(True, ("api.example.com",), BASE),
        injection=injection,
        static_headers=static,
    )


def header(name: str, template: str) -> Injection:
    return Injection("header", name=name, template=template)


# --- render_template -------------------------------------------------------------------


def test_render_fills_both_scopes() -> None:
    rendered = render_template(
        "{{custom_fields.sid}}:{{credentials.token}}",
        custom_fields={"sid": "AC1"},
        credentials={"token": "t0k"},
    )
    assert rendered == "AC1:t0k"


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("Bearer {{credentials.missing}}", "missing_credential"),
        ("Bearer {{credentials.empty}}", "missing_credential"),
        ("{{custom_fields.nope}}", "missing_custom_field"),
        ("{{custom_fields.blank}}", "missing_custom_field"),
        ("{{oauth_access_token}}", "bad_template"),
        ("{{ credentials.token }}", "bad_template"),
        ("{{credentials.token}} }}", "bad_template"),
    ],
)
def test_render_refuses_unresolved_placeholders(template: str, code: str) -> None:
    with pytest.raises(RuleError) as caught:
        render_template(
            template,
            custom_fields={"blank": ""},
            credentials={"token": "t0k", "empty": ""},
        )
    assert caught.value.code == code


def test_render_escapes_only_substituted_values() -> None:
    rendered = render_template(
        "/bot{{credentials.t}}/x",
        custom_fields={},
        credentials={"t": "a/b"},
        escape=lambda v: v.replace("/", "%2F"),
    )
    assert rendered == "/bota%2Fb/x"


# --- each style --------------------------------------------------------------------------


def test_bearer_header_is_set_after_caller_headers() -> None:
    app = app_with(header("Authorization", "Bearer {{credentials.api_key}}"))
    result = inject(
        app,
        f"{BASE}/v1/me",
        [("Accept", "application/json")],
        custom_fields={},
        credentials={"api_key": SECRET},
    )
    assert result.headers == [("Accept", "application/json"), ("Authorization", f"Bearer {SECRET}")]
    assert result.url == f"{BASE}/v1/me"
    assert SECRET in result.secrets


@pytest.mark.parametrize(
    ("name", "template", "expected"),
    [
        ("Authorization", "Bot {{credentials.bot_token}}", "Bot T0K"),
        ("Authorization", 'Token token="{{credentials.bot_token}}"', 'Token token="T0K"'),
        ("X-Shopify-Access-Token", "{{credentials.bot_token}}", "T0K"),
        ("x-api-key", "{{credentials.bot_token}}", "T0K"),
    ],
)
def test_custom_schemes_and_headers(name: str, template: str, expected: str) -> None:
    result = inject(
        app_with(header(name, template)),
        f"{BASE}/",
        [],
        custom_fields={},
        credentials={"bot_token": "T0K"},
    )
    assert result.headers == [(name, expected)]


def test_injected_header_replaces_a_same_named_header() -> None:
    result = inject(
        app_with(header("X-Api-Key", "{{credentials.k}}")),
        f"{BASE}/",
        [("x-api-key", "caller"), ("Accept", "*/*")],
        custom_fields={},
        credentials={"k": "real"},
    )
    assert result.headers == [("Accept", "*/*"), ("X-Api-Key", "real")]


def test_query_credential_keeps_the_caller_query_byte_for_byte() -> None:
    app = app_with(Injection("query", name="key", template="{{credentials.api_key}}"))
    caller = f"{BASE}/v1/models?q=a%20b&flag&list=a,b"
    result = inject(app, caller, [], custom_fields={}, credentials={"api_key": SECRET})
    assert result.url.startswith(caller + "&key=")
    params = httpx.URL(result.url).params
    assert params.get_list("key") == [SECRET]
    assert params["q"] == "a b"
    encoded = result.url.rsplit("key=", 1)[1]
    assert encoded in result.secrets  # the encoded form is redacted too
    assert result.url.count(encoded) == 1


def test_two_query_credentials() -> None:
    app = app_with(
        Injection("query", name="key", template="{{credentials.api_key}}"),
        Injection("query", name="token", template="{{credentials.token}}"),
    )
    result = inject(
        app,
        f"{BASE}/1/members/me",
        [],
        custom_fields={},
        credentials={"api_key": "K", "token": "T"},
    )
    assert result.url == f"{BASE}/1/members/me?key=K&token=T"


@pytest.mark.parametrize("query", ["key=evil", "KEY=evil", "a=1&key=", "key"])
def test_caller_query_param_with_the_credential_name_is_refused(query: str) -> None:
    app = app_with(Injection("query", name="key", template="{{credentials.api_key}}"))
    with pytest.raises(RuleError) as caught:
        inject(app, f"{BASE}/x?{query}", [], custom_fields={}, credentials={"api_key": SECRET})
    assert (caught.value.code, caught.value.field) == ("credential_param_conflict", "url")
    assert SECRET not in caught.value.message


def test_basic_auth_blob_and_secrets() -> None:
    app = app_with(
        Injection("basic", username="{{custom_fields.sid}}", password="{{credentials.auth_token}}")
    )
    result = inject(
        app, f"{BASE}/", [], custom_fields={"sid": "AC123"}, credentials={"auth_token": "pw!"}
    )
    (name, value), *_ = result.headers
    blob = value.removeprefix("Basic ")
    assert name == "Authorization"
    assert base64.b64decode(blob) == b"AC123:pw!"
    assert blob in result.secrets
    assert "pw!" in result.secrets
    assert "AC123" not in result.secrets  # custom fields are not secret


def test_basic_username_with_colon_is_refused() -> None:
    app = app_with(Injection("basic", username="{{credentials.u}}", password="x"))
    with pytest.raises(RuleError) as caught:
        inject(app, f"{BASE}/", [], custom_fields={}, credentials={"u": "a:b"})
    assert caught.value.code == "bad_credential"


def test_path_prefix_goes_in_front_and_stays_one_segment() -> None:
    app = app_with(Injection("path_prefix", template="/bot{{credentials.bot_token}}"))
    result = inject(
        app,
        "https://api.telegram.org/getMe?x=1",
        [],
        custom_fields={},
        credentials={"bot_token": "123:AB/../c?d"},
    )
    assert result.url == "https://api.telegram.org/bot123:AB%2F..%2Fc%3Fd/getMe?x=1"
    assert "123:AB%2F..%2Fc%3Fd" in result.secrets


def test_static_headers_added_unless_the_caller_set_them() -> None:
    app = app_with(
        header("Authorization", "Bearer {{credentials.k}}"),
        static=(("Notion-Version", "2022-06-28"), ("X-Static", "1")),
    )
    result = inject(
        app,
        f"{BASE}/",
        [("notion-version", "2025-09-03")],
        custom_fields={},
        credentials={"k": "v"},
    )
    assert result.headers == [
        ("notion-version", "2025-09-03"),
        ("Authorization", "Bearer v"),
        ("X-Static", "1"),
    ]


@pytest.mark.parametrize("bad", ["line\r\nX-Evil: 1", "nul\x00", "tab-at-end\t", "café"])
def test_credentials_that_cannot_be_a_header_value_are_refused(bad: str) -> None:
    app = app_with(header("Authorization", "Bearer {{credentials.k}}"))
    with pytest.raises(RuleError) as caught:
        inject(app, f"{BASE}/", [], custom_fields={}, credentials={"k": bad})
    assert caught.value.code == "bad_credential"
    assert bad not in caught.value.message


# --- redaction and masking -----------------------------------------------------------------


def test_redact_raw_and_encoded_forms() -> None:
    text = f"raw={SECRET} q={httpx.QueryParams({'k': SECRET})} other"
    cleaned = redact(text, [SECRET])
    assert "sk_test_51Habc" not in cleaned
    assert cleaned.count(REDACTED) == 2
    assert cleaned.isascii()


def test_redact_ignores_empty_secrets() -> None:
    assert redact("unchanged", ["", "zzz"]) == "unchanged"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("sk_test_51Habcdef", "sk_t••••••"),
        ("abcdefgh", "ab••••••"),
        ("abc", "••••••"),
        ("", ""),
    ],
)
def test_mask_secret(value: str, masked: str) -> None:
    assert mask_secret(value) == masked


def test_mask_text_masks_in_place() -> None:
    assert mask_text("Bearer sk_test_51Habcdef", ["sk_test_51Habcdef"]) == "Bearer sk_t••••••"


# --- every builtin app ------------------------------------------------------------------------

SYNTHETIC = {"label": "acme", "host": "acme.example.com", "text": "acme-42"}


def field_value(spec: FieldSpec) -> str:
    """A valid value for a custom field: its default, its example, or a synthetic one."""
    for candidate in (spec.default, spec.example, SYNTHETIC[spec.kind]):
        if not candidate:
            continue
        if spec.pattern and not re.fullmatch(spec.pattern, candidate):
            continue
        try:
            return rules.check_custom_field_value(spec.name, candidate, spec.kind)
        except RuleError:
            continue
    raise AssertionError(f"no valid value for custom field {spec.name}")


def proxy_apps() -> list[App]:
    return [app for app in Catalog.load_builtin() if app.connect.proxy_enabled]


def test_the_builtin_catalog_covers_every_style() -> None:
    kinds = {spec.kind for app in proxy_apps() for spec in app.injection}
    assert kinds == {"header", "query", "basic", "path_prefix"}


@pytest.mark.parametrize("app", proxy_apps(), ids=lambda app: app.name_slug)
def test_injection_over_every_builtin_app(app: App) -> None:
    custom = {spec.name: field_value(spec) for spec in app.custom_fields}
    creds = {
        spec.name: f"Sx{index}-{app.name_slug}-9Qz" for index, spec in enumerate(app.credentials)
    }
    url = rules.resolve_target(
        "/probe?caller=1",
        base_proxy_target_url=app.connect.base_proxy_target_url,
        allowed_domains=app.connect.allowed_domains,
        custom_fields=custom,
    )
    result = inject(
        app, url, [("Accept", "application/json")], custom_fields=custom, credentials=creds
    )
    sent = httpx.URL(result.url)
    assert sent.raw_host == httpx.URL(url).raw_host  # injection never moves the request
    headers = dict((name.lower(), value) for name, value in result.headers)
    assert headers["accept"] == "application/json"
    for spec in app.injection:

        def render(template: str | None) -> str:
            return render_template(template or "", custom_fields=custom, credentials=creds)

        if spec.kind == "header":
            assert headers[(spec.name or "").lower()] == render(spec.template)
        elif spec.kind == "query":
            assert sent.params.get_list(spec.name or "") == [render(spec.template)]
        elif spec.kind == "basic":
            blob = headers["authorization"].removeprefix("Basic ")
            decoded = base64.b64decode(blob).decode()
            assert decoded == f"{render(spec.username)}:{render(spec.password)}"
            assert blob in result.secrets
        else:
            assert sent.path.startswith(render(spec.template) + "/")
            assert sent.path.endswith("/probe")
    for name, value in creds.items():
        used = any(
            f"credentials.{name}}}" in (t or "")
            for spec in app.injection
            for t in (spec.template, spec.username, spec.password)
        )
        assert (value in result.secrets) == used
        if used:
            masked = mask_text(f"{result.url} {result.headers}", result.secrets)
            assert value not in masked


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com", "https://api.example.com/?key=K"),
        ("https://api.example.com?a=/b", "https://api.example.com/?a=/b&key=K"),
        ("https://api.example.com/p?", "https://api.example.com/p?key=K"),
        ("http://127.0.0.1:8123/p/q?x=1", "http://127.0.0.1:8123/p/q?x=1&key=K"),
    ],
)
def test_query_injection_on_url_shapes(url: str, expected: str) -> None:
    app = app_with(Injection("query", name="key", template="{{credentials.api_key}}"))
    assert inject(app, url, [], custom_fields={}, credentials={"api_key": "K"}).url == expected


def test_path_prefix_must_start_with_a_slash() -> None:
    app = app_with(Injection("path_prefix", template="bot{{credentials.t}}"))
    with pytest.raises(RuleError) as caught:
        inject(app, f"{BASE}/getMe", [], custom_fields={}, credentials={"t": "1"})
    assert caught.value.code == "bad_template"


# --- preview_injection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("injection", "url", "headers"),
    [
        (
            header("Authorization", "Bearer {{credentials.k}}"),
            f"{BASE}/v1/me",
            (("Authorization", f"Bearer {MASK}"),),
        ),
        (
            Injection("query", name="key", template="{{credentials.k}}"),
            f"{BASE}/v1/me?a=1&key={MASK}",
            (),
        ),
        (
            Injection("basic", username="{{credentials.k}}", password="{{credentials.p}}"),
            f"{BASE}/v1/me",
            (("Authorization", f"Basic {MASK}"),),
        ),
        (Injection("path_prefix", template="/bot{{credentials.k}}"), f"{BASE}/bot{MASK}/v1/me", ()),
    ],
)
def test_preview_shows_where_each_style_puts_the_credential_masked(
    injection: Injection, url: str, headers: tuple[tuple[str, str], ...]
) -> None:
    target = f"{BASE}/v1/me" + ("?a=1" if injection.kind == "query" else "")
    preview = preview_injection(app_with(injection), target, custom_fields={})
    assert preview.url == url
    assert preview.headers == headers


def test_preview_keeps_static_headers_and_needs_custom_fields() -> None:
    app = app_with(
        header("X-Api-Key", "{{credentials.k}}-{{custom_fields.region}}"),
        static=(("Accept", "application/json"),),
    )
    preview = preview_injection(app, f"{BASE}/x", custom_fields={"region": "eu"})
    assert preview.headers == (("X-Api-Key", f"{MASK}-eu"), ("Accept", "application/json"))
    with pytest.raises(RuleError) as caught:
        preview_injection(app, f"{BASE}/x", custom_fields={})
    assert caught.value.code == "missing_custom_field"


@given(
    name=st.text(min_size=1, max_size=12),
    value=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40),
)
def test_query_credentials_are_encoded_exactly_as_httpx_encodes_them(name: str, value: str) -> None:
    """The injection once used httpx here; the standard library must match it byte for byte."""
    import httpx

    app = app_with(Injection("query", name=name, template="{{credentials.k}}"))
    try:
        injected = inject(app, f"{BASE}/x?a=1", [], custom_fields={}, credentials={"k": value})
    except RuleError:  # a name the caller's own query already holds: refused, not encoded
        return
    assert injected.url == f"{BASE}/x?a=1&{httpx.QueryParams({name: value})}"
    assert str(httpx.QueryParams({"v": value}))[2:] in injected.secrets


def test_a_secret_in_a_header_name_is_found_in_any_letter_case() -> None:
    scrubber = Scrubber(["sk_MiXeD_9z"])
    assert scrubber.in_name("X-sk_MiXeD_9z-Echo")
    assert scrubber.in_name("x-sk_mixed_9z-echo")  # names are case-insensitive
    assert scrubber.in_name("X-SK_MIXED_9Z")
    assert not scrubber.in_name("X-Request-Id")
    assert not Scrubber([]).in_name("X-sk_MiXeD_9z")
