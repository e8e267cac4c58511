"""Rule tables for target resolution (security-policy 3.1-3.3): exact URLs or exact codes."""

from __future__ import annotations

import httpx
import pytest

from workbench.core.rules import (
    MAX_URL_LENGTH,
    RuleError,
    check_allowed_domain_entry,
    check_custom_field_value,
    host_allowed,
    placeholders,
    render_base,
    resolve_target,
)

SLACK = {"base_proxy_target_url": "https://slack.com", "allowed_domains": ["slack.com"]}
GITHUB = {"base_proxy_target_url": "https://api.github.com", "allowed_domains": ["api.github.com"]}
ZENDESK = {
    "base_proxy_target_url": "https://{{custom_fields.subdomain}}.zendesk.com",
    "allowed_domains": ["zendesk.com"],
}
GITLAB = {
    "base_proxy_target_url": "https://{{custom_fields.base_api_url}}",
    "allowed_domains": ["gitlab.com", "{{custom_fields.base_api_url}}"],
}
BIGCOMMERCE = {
    "base_proxy_target_url": "https://api.bigcommerce.com/stores/{{custom_fields.store_hash}}",
    "allowed_domains": ["api.bigcommerce.com"],
}
SANDBOX = {"base_proxy_target_url": "http://127.0.0.1:8123", "allowed_domains": ["127.0.0.1:8123"]}
TENANTS = {
    "base_proxy_target_url": "http://127.0.0.1:8123/tenants/{{custom_fields.tenant}}",
    "allowed_domains": ["127.0.0.1:8123"],
}


def resolve(url: str, app: dict, fields: dict | None = None, *, private: bool = False) -> str:
    return resolve_target(
        url,
        base_proxy_target_url=app["base_proxy_target_url"],
        allowed_domains=app["allowed_domains"],
        custom_fields=fields or {},
        allow_private_networks=private,
    )


def refusal(url: str, app: dict, fields: dict | None = None, *, private: bool = False) -> str:
    with pytest.raises(RuleError) as caught:
        resolve(url, app, fields, private=private)
    return caught.value.code


STATIC_PASS = [
    ("https://slack.com/api/chat.postMessage", "https://slack.com/api/chat.postMessage"),
    ("/api/chat.postMessage", "https://slack.com/api/chat.postMessage"),
    ("HTTPS://SLACK.COM/api/X", "https://slack.com/api/X"),
    ("https://slack.com:443/api", "https://slack.com/api"),
    ("https://slack.com", "https://slack.com/"),
    ("https://slack.com?x=1", "https://slack.com/?x=1"),
    ("/", "https://slack.com/"),
    ("https://files.slack.com/x", "https://files.slack.com/x"),
    ("https://a.b.slack.com/x", "https://a.b.slack.com/x"),
    (
        "/api?q=..%2F..&next=https://evil.com/&nl=%0A",
        "https://slack.com/api?q=..%2F..&next=https://evil.com/&nl=%0A",
    ),
    ("/groups/a%2Fb/x", "https://slack.com/groups/a%2Fb/x"),
    ("/a//b", "https://slack.com/a//b"),
    ("/a/...b/.c/..d", "https://slack.com/a/...b/.c/..d"),
    ("/a%25b", "https://slack.com/a%25b"),
    ("/v1/echo?sel=>>?&t=~~~", "https://slack.com/v1/echo?sel=%3E%3E?&t=~~~"),
    ('/p"<>`|^[]@:', "https://slack.com/p%22%3C%3E%60|^[]@:"),
]


@pytest.mark.parametrize(("url", "expected"), STATIC_PASS)
def test_static_app_accepts(url: str, expected: str) -> None:
    assert resolve(url, SLACK) == expected
    # The returned string is exactly what httpx sends: no re-encoding, same host.
    assert str(httpx.URL(expected)) == expected


STATIC_FAIL = [
    # rule 1: characters
    ("", "bad_url"),
    (" https://slack.com/api", "bad_url"),
    ("https://slack.com /api", "bad_url"),
    ("https://sla\tck.com/", "bad_url"),
    ("/api\r\nHost: evil.com", "bad_url"),
    ("/api\n", "bad_url"),
    ("/api\x00", "bad_url"),
    ("/api\x7f", "bad_url"),
    ("https://slack\u3002com/", "bad_url"),
    ("https://\uff53\uff4c\uff41\uff43\uff4b.com/", "bad_url"),
    ("https://sl\u0430ck.com/", "bad_url"),
    ("/caf\u00e9", "bad_url"),
    ("/x\u560a", "bad_url"),
    ("https://evil.com\\@slack.com", "bad_url"),
    ("https://slack.com\\@evil.com/", "bad_url"),
    ("/\\/evil.com", "bad_url"),
    ("/api/{{custom_fields.x}}", "bad_url"),
    ("/api?x={{oauth_access_token}}", "bad_url"),
    ("/" + "a" * MAX_URL_LENGTH, "url_too_long"),
    # rule 2: shape and scheme
    ("//evil.com/x", "bad_url"),
    ("https:evil.com/x", "bad_url"),
    ("https:/evil.com/x", "bad_url"),
    ("api/x", "bad_url"),
    ("evil.com", "bad_url"),
    ("?q", "bad_url"),
    ("#f", "bad_url"),
    ("@evil.com/x", "bad_url"),
    (".evil.com/x", "bad_url"),
    (":8443/x", "bad_url"),
    ("http://slack.com/api", "scheme_not_allowed"),
    ("file:///etc/passwd", "scheme_not_allowed"),
    ("ftp://slack.com/x", "scheme_not_allowed"),
    ("gopher://slack.com/x", "scheme_not_allowed"),
    ("ws://slack.com/x", "scheme_not_allowed"),
    ("javascript:alert(1)", "scheme_not_allowed"),
    # rule 4: authority
    ("https://slack.com@evil.com/", "userinfo_not_allowed"),
    ("https://evil.com;@slack.com/", "userinfo_not_allowed"),
    ("https://slack.com%2F@evil.com/", "userinfo_not_allowed"),
    ("https://:@slack.com/", "userinfo_not_allowed"),
    ("https://[::1]/", "ip_literal_not_allowed"),
    ("https://[0000::1]/", "ip_literal_not_allowed"),
    ("https://[::ffff:127.0.0.1]/", "ip_literal_not_allowed"),
    ("https://2130706433/", "ip_literal_not_allowed"),
    ("https://0x7f000001/", "ip_literal_not_allowed"),
    ("https://0x7f.0.0.1/", "ip_literal_not_allowed"),
    ("https://127.1/", "ip_literal_not_allowed"),
    ("https://0/", "ip_literal_not_allowed"),
    ("https://017700000001/", "ip_literal_not_allowed"),
    ("https://127.0.0.1/", "ip_literal_not_allowed"),
    ("https://0177.0.0.1/", "ip_literal_not_allowed"),
    ("https://169.254.169.254/latest", "ip_literal_not_allowed"),
    ("https://slack.com.127.0.0.1/", "ip_literal_not_allowed"),
    ("https://slack.com:8443/", "port_not_allowed"),
    ("https://slack.com:80/", "port_not_allowed"),
    ("https://slack.com:0/", "port_not_allowed"),
    ("https://slack.com:65536/", "port_not_allowed"),
    ("https://slack.com:+443/", "port_not_allowed"),
    ("https://slack.com:0443/", "port_not_allowed"),
    ("https://slack.com:/", "port_not_allowed"),
    ("https://slack.com:443:443/", "port_not_allowed"),
    ("https://slack.com./api", "bad_host"),
    ("https://.slack.com/", "bad_host"),
    ("https://slack..com/", "bad_host"),
    ("https:///api", "bad_host"),
    ("https://-slack.com/", "bad_host"),
    ("https://slack-.com/", "bad_host"),
    ("https://sla_ck.com/", "bad_host"),
    ("https://slack.com%40evil.com/", "bad_host"),
    ("https://xn--slack.com%2e/", "bad_host"),
    ("https://localhost/", "bad_host"),
    ("https://slack.localhost/", "bad_host"),
    ("https://" + "a" * 64 + ".slack.com/", "bad_host"),
    # rule 5: the allowlist, at a dot boundary
    ("https://evil.com/", "domain_not_allowed"),
    ("https://evilslack.com/", "domain_not_allowed"),
    ("https://slack.com.evil.com/", "domain_not_allowed"),
    ("https://slack.co/", "domain_not_allowed"),
    ("https://evil.com#@slack.com", "domain_not_allowed"),
    ("https://evil.com?@slack.com", "domain_not_allowed"),
    ("https://evil.com/@slack.com", "domain_not_allowed"),
    # rule 6: path
    ("https://slack.com/api#frag", "fragment_not_allowed"),
    ("/api#", "fragment_not_allowed"),
    ("/api?x=1#f", "fragment_not_allowed"),
    ("/api/../admin", "dot_segments"),
    ("/api/./x", "dot_segments"),
    ("/..", "dot_segments"),
    ("/api/..?x", "dot_segments"),
    ("https://slack.com/api/../admin", "dot_segments"),
    ("/api/%2e%2e/admin", "dot_segments"),
    ("/api/%2E%2E/admin", "dot_segments"),
    ("/api/.%2e/admin", "dot_segments"),
    ("/api/%2e/admin", "dot_segments"),
    ("/api/%252e%252e/admin", "dot_segments"),
    ("/api/%25252e%25252e/admin", "dot_segments"),
    ("/api%2f..%2fadmin", "dot_segments"),
    ("/api%2F..", "dot_segments"),
    ("/api%5c..%5cadmin", "dot_segments"),
    ("/api%255c..", "dot_segments"),
    ("/api/%00", "bad_path"),
    ("/api/%0d%0aHost:evil", "bad_path"),
    ("/api/%7F", "bad_path"),
    ("/api/%250a", "bad_path"),
    ("/api/%zz", "bad_path"),
    ("/api/%", "bad_path"),
    ("/api/%4", "bad_path"),
]


@pytest.mark.parametrize(("url", "code"), STATIC_FAIL)
def test_static_app_refuses(url: str, code: str) -> None:
    assert refusal(url, SLACK) == code


def test_refusal_names_field_and_problem() -> None:
    with pytest.raises(RuleError) as caught:
        resolve("https://evil.com/x", SLACK)
    assert caught.value.field == "url"
    assert caught.value.message == "Domain evil.com is not allowed for this app"


def test_control_characters_are_not_echoed_raw() -> None:
    with pytest.raises(RuleError) as caught:
        resolve("/x\r\nSet-Cookie: a=b", SLACK)
    assert "\r" not in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.github.com/user", "https://api.github.com/user"),
        ("https://x.api.github.com/user", "https://x.api.github.com/user"),
        ("/repos/o/r", "https://api.github.com/repos/o/r"),
    ],
)
def test_subdomain_of_entry_allowed(url: str, expected: str) -> None:
    assert resolve(url, GITHUB) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/user",
        "https://uploads.github.com/x",
        "https://evilapi.github.com/x",
        "https://api.github.com.evil.com/x",
    ],
)
def test_parent_and_sibling_of_entry_refused(url: str) -> None:
    assert refusal(url, GITHUB) == "domain_not_allowed"


@pytest.mark.parametrize(
    ("url", "fields", "expected"),
    [
        ("/api/v2/users.json", {"subdomain": "acme"}, "https://acme.zendesk.com/api/v2/users.json"),
        ("/api/v2/users.json", {"subdomain": "ACME"}, "https://acme.zendesk.com/api/v2/users.json"),
        ("/api?q=a", {"subdomain": "my-co"}, "https://my-co.zendesk.com/api?q=a"),
        ("/", {"subdomain": "a"}, "https://a.zendesk.com/"),
    ],
)
def test_dynamic_subdomain(url: str, fields: dict, expected: str) -> None:
    assert resolve(url, ZENDESK, fields) == expected


@pytest.mark.parametrize(
    ("url", "fields", "code"),
    [
        ("https://acme.zendesk.com/api/v2", {"subdomain": "acme"}, "relative_path_required"),
        ("https://evil.zendesk.com/api/v2", {"subdomain": "acme"}, "relative_path_required"),
        ("http://acme.zendesk.com/api", {"subdomain": "acme"}, "scheme_not_allowed"),
        ("/api", {}, "missing_custom_field"),
        ("/api", {"subdomain": ""}, "missing_custom_field"),
        ("/api", {"other": "acme"}, "missing_custom_field"),
        ("/api", {"subdomain": "evil.com#"}, "bad_custom_field"),
        ("/api", {"subdomain": "evil.com/"}, "bad_custom_field"),
        ("/api", {"subdomain": "evil.com?"}, "bad_custom_field"),
        ("/api", {"subdomain": "user@evil.com"}, "bad_custom_field"),
        ("/api", {"subdomain": "evil.com:443"}, "bad_custom_field"),
        ("/api", {"subdomain": "evil.com\\"}, "bad_custom_field"),
        ("/api", {"subdomain": "acme\r\nHost: x"}, "bad_custom_field"),
        ("/api", {"subdomain": "acme.evil"}, "bad_custom_field"),
        ("/api", {"subdomain": "127.0.0.1"}, "bad_custom_field"),
        ("/api", {"subdomain": "acme%2e"}, "bad_custom_field"),
        ("/api", {"subdomain": "{{custom_fields.subdomain}}"}, "bad_custom_field"),
        ("/api/../x", {"subdomain": "acme"}, "dot_segments"),
        ("//evil.com/x", {"subdomain": "acme"}, "bad_url"),
    ],
)
def test_dynamic_subdomain_refuses(url: str, fields: dict, code: str) -> None:
    assert refusal(url, ZENDESK, fields) == code


def test_custom_field_error_names_field() -> None:
    with pytest.raises(RuleError) as caught:
        resolve("/api", ZENDESK, {})
    assert caught.value.field == "custom_fields"
    assert "'subdomain'" in caught.value.message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"base_api_url": "gitlab.com"}, "https://gitlab.com/api/v4/user"),
        ({"base_api_url": "GitLab.Corp.Example"}, "https://gitlab.corp.example/api/v4/user"),
    ],
)
def test_dynamic_host_with_template_entry(fields: dict, expected: str) -> None:
    assert resolve("/api/v4/user", GITLAB, fields) == expected


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"base_api_url": "127.0.0.1"}, "bad_custom_field"),
        ({"base_api_url": "localhost"}, "bad_custom_field"),
        ({"base_api_url": "gitlab.corp.example:8443"}, "bad_custom_field"),
        ({"base_api_url": "gitlab.corp.example/evil"}, "bad_custom_field"),
        ({"base_api_url": "evil.com@gitlab.com"}, "bad_custom_field"),
        ({"base_api_url": "https://gitlab.com"}, "bad_custom_field"),
    ],
)
def test_dynamic_host_refuses(fields: dict, code: str) -> None:
    assert refusal("/api/v4/user", GITLAB, fields) == code


def test_dynamic_host_must_be_on_allowlist() -> None:
    static_only = {**GITLAB, "allowed_domains": ["gitlab.com"]}
    with pytest.raises(RuleError) as caught:
        resolve("/api", static_only, {"base_api_url": "evil.com"})
    assert (caught.value.code, caught.value.field) == ("domain_not_allowed", "custom_fields")


@pytest.mark.parametrize(
    ("url", "fields", "expected"),
    [
        (
            "/v3/catalog",
            {"store_hash": "Ab12c"},
            "https://api.bigcommerce.com/stores/Ab12c/v3/catalog",
        ),
        ("/", {"store_hash": "a_b~c-d.e"}, "https://api.bigcommerce.com/stores/a_b~c-d.e/"),
    ],
)
def test_dynamic_path_segment(url: str, fields: dict, expected: str) -> None:
    assert resolve(url, BIGCOMMERCE, fields) == expected


@pytest.mark.parametrize("value", ["..", ".", "a/b", "a%2fb", "a?b", "a#b", "a b", "x\n"])
def test_dynamic_path_segment_refuses(value: str) -> None:
    assert refusal("/v3", BIGCOMMERCE, {"store_hash": value}) == "bad_custom_field"


def test_custom_fields_never_spliced_into_static_base() -> None:
    assert resolve("/x", SLACK, {"subdomain": "evil.com"}) == "https://slack.com/x"


@pytest.mark.parametrize("allowed", [[], None, ["*"], ["slack"], ["127.0.0.1"], "slack.com"])
def test_unusable_allowlist_fails_closed(allowed: object) -> None:
    app = {"base_proxy_target_url": "https://slack.com", "allowed_domains": allowed}
    assert refusal("/api", app) == "no_allowed_domains"
    assert refusal("https://slack.com/api", app) == "no_allowed_domains"


def test_static_base_outside_allowlist_refused() -> None:
    app = {"base_proxy_target_url": "https://slack.com", "allowed_domains": ["other.com"]}
    assert refusal("/api", app) == "domain_not_allowed"


@pytest.mark.parametrize(
    ("base", "code"),
    [
        ("/api", "bad_url"),
        ("slack.com", "bad_url"),
        ("", "bad_url"),
        ("https://slack.com/?token=1", "bad_url"),
        ("https://slack.com/#x", "fragment_not_allowed"),
        ("http://slack.com", "scheme_not_allowed"),
    ],
)
def test_malformed_static_base_refused(base: str, code: str) -> None:
    app = {"base_proxy_target_url": base, "allowed_domains": ["slack.com"]}
    with pytest.raises(RuleError) as caught:
        resolve("/api", app)
    assert (caught.value.code, caught.value.field) == (code, "url")


def test_wildcard_entry_needs_subdomain() -> None:
    app = {"base_proxy_target_url": "https://api.example.com", "allowed_domains": ["*.example.com"]}
    assert resolve("https://a.example.com/x", app) == "https://a.example.com/x"
    assert refusal("https://example.com/x", app) == "domain_not_allowed"


PRIVATE_PASS = [
    ("http://127.0.0.1:8123/echo", SANDBOX, {}, "http://127.0.0.1:8123/echo"),
    ("/echo?x=1", SANDBOX, {}, "http://127.0.0.1:8123/echo?x=1"),
    ("/echo", TENANTS, {"tenant": "T1"}, "http://127.0.0.1:8123/tenants/T1/echo"),
    (
        "http://localhost:9000/x",
        {"base_proxy_target_url": "http://localhost:9000", "allowed_domains": ["localhost:9000"]},
        {},
        "http://localhost:9000/x",
    ),
    (
        "/api/v4",
        {
            "base_proxy_target_url": "http://{{custom_fields.host}}",
            "allowed_domains": ["{{custom_fields.host}}"],
        },
        {"host": "gitlab.lan:8080"},
        "http://gitlab.lan:8080/api/v4",
    ),
    ("https://slack.com/api", SLACK, {}, "https://slack.com/api"),
]


@pytest.mark.parametrize(("url", "app", "fields", "expected"), PRIVATE_PASS)
def test_private_mode_accepts_exact_authority(
    url: str, app: dict, fields: dict, expected: str
) -> None:
    assert resolve(url, app, fields, private=True) == expected


@pytest.mark.parametrize(
    ("url", "app", "code"),
    [
        ("http://127.0.0.1:8124/echo", SANDBOX, "scheme_not_allowed"),
        ("https://127.0.0.1:8124/echo", SANDBOX, "port_not_allowed"),
        ("http://127.0.0.1/echo", SANDBOX, "scheme_not_allowed"),
        ("http://localhost:8123/echo", SANDBOX, "scheme_not_allowed"),
        ("http://slack.com/api", SLACK, "scheme_not_allowed"),
        ("https://slack.com:8443/api", SLACK, "port_not_allowed"),
        ("http://user@127.0.0.1:8123/echo", SANDBOX, "userinfo_not_allowed"),
        ("http://127.0.0.1:8123/a/../echo", SANDBOX, "dot_segments"),
        ("http://127.0.0.1:8123/echo#f", SANDBOX, "fragment_not_allowed"),
        ("http://127.0.0.1:8123/echo\\x", SANDBOX, "bad_url"),
        ("http://127.0.0.1:8123/\r\n", SANDBOX, "bad_url"),
        ("http://[::1]:8123/echo", SANDBOX, "ip_literal_not_allowed"),
    ],
)
def test_private_mode_keeps_other_rules(url: str, app: dict, code: str) -> None:
    assert refusal(url, app, private=True) == code


@pytest.mark.parametrize(
    ("url", "app", "fields", "code"),
    [
        ("http://127.0.0.1:8123/echo", SANDBOX, {}, "scheme_not_allowed"),
        ("/echo", SANDBOX, {}, "scheme_not_allowed"),
        ("/echo", TENANTS, {"tenant": "t1"}, "scheme_not_allowed"),
        (
            "/x",
            {
                "base_proxy_target_url": "https://127.0.0.1:8123",
                "allowed_domains": ["127.0.0.1:8123"],
            },
            {},
            "port_not_allowed",
        ),
    ],
)
def test_private_forms_refused_without_flag(url: str, app: dict, fields: dict, code: str) -> None:
    assert refusal(url, app, fields) == code


@pytest.mark.parametrize(
    ("name", "value", "kind", "expected"),
    [
        ("subdomain", "Acme", "label", "acme"),
        ("subdomain", "a-1", "label", "a-1"),
        ("subdomain", "123", "label", "123"),
        ("base_api_url", "GitLab.Example.com", "host", "gitlab.example.com"),
        ("cloud_id", "AbC-123_x.y~z", "text", "AbC-123_x.y~z"),
    ],
)
def test_custom_field_value_accepts(name: str, value: str, kind: str, expected: str) -> None:
    assert check_custom_field_value(name, value, kind) == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("", "label"),
        ("a.b", "label"),
        ("-a", "label"),
        ("a" * 64, "label"),
        ("k\u212a", "label"),
        ("evil.com#", "host"),
        ("evil.com/x", "host"),
        ("evil.com?", "host"),
        ("a@evil.com", "host"),
        ("evil.com:443", "host"),
        ("evil.com\\", "host"),
        ("evil.com\r\n", "host"),
        ("evil.com.", "host"),
        ("127.0.0.1", "host"),
        ("2130706433", "host"),
        ("localhost", "host"),
        ("single", "host"),
        ("a/b", "text"),
        ("..", "text"),
        (".", "text"),
        ("a%2e", "text"),
        ("a b", "text"),
        ("x", "color"),
    ],
)
def test_custom_field_value_refuses(value: str, kind: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_custom_field_value("the_field", value, kind)
    assert caught.value.code == "bad_custom_field"
    assert "'the_field'" in caught.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:8123", "127.0.0.1:8123"),
        ("LOCALHOST", "localhost"),
        ("gitlab", "gitlab"),
        ("gitlab.lan:8080", "gitlab.lan:8080"),
        ("10.0.0.5", "10.0.0.5"),
    ],
)
def test_custom_field_private_host(value: str, expected: str) -> None:
    assert check_custom_field_value("h", value, allow_private_networks=True) == expected


@pytest.mark.parametrize(
    "value",
    [
        "127.1:80",
        "0x7f:80",
        "2130706433",
        "a.com:0",
        "a.com:65536",
        "a.com:080",
        "a.com:",
        "[::1]:80",
    ],
)
def test_custom_field_private_host_refuses(value: str) -> None:
    with pytest.raises(RuleError, match="'h'"):
        check_custom_field_value("h", value, allow_private_networks=True)


@pytest.mark.parametrize(
    ("template", "names"),
    [
        ("https://slack.com", []),
        ("https://{{custom_fields.subdomain}}.zendesk.com", ["subdomain"]),
        ("https://{{custom_fields.a}}.x.com/{{custom_fields.b}}/{{custom_fields.a}}", ["a", "b"]),
    ],
)
def test_placeholders(template: str, names: list[str]) -> None:
    assert placeholders(template) == names


@pytest.mark.parametrize(
    "template",
    [
        "https://{{credentials.token}}.x.com",
        "https://{{ custom_fields.a }}.x.com",
        "https://{{custom_fields.a}.x.com",
        "https://{custom_fields.a}.x.com",
        "https://{{oauth_access_token}}",
        "https://{{custom_fields.}}",
        "https://x.com/{{custom_fields.a-b}}",
    ],
)
def test_placeholders_refuse_other_forms(template: str) -> None:
    with pytest.raises(RuleError) as caught:
        placeholders(template)
    assert caught.value.code == "bad_template"


def test_render_base_positions() -> None:
    template = "https://{{custom_fields.sub}}.{{custom_fields.domain}}/s/{{custom_fields.id}}"
    fields = {"sub": "EU", "domain": "Example.com", "id": "AbC"}
    assert render_base(template, fields) == "https://eu.example.com/s/AbC"
    with pytest.raises(RuleError, match="'sub'"):
        render_base(template, {**fields, "sub": "a.b"})
    with pytest.raises(RuleError, match="'id'"):
        render_base(template, {**fields, "id": "a/b"})
    with pytest.raises(RuleError) as caught:
        render_base(template, {"sub": "eu", "domain": "example.com"})
    assert caught.value.code == "missing_custom_field"


def test_render_base_refuses_placeholder_in_scheme() -> None:
    with pytest.raises(RuleError) as caught:
        render_base("{{custom_fields.scheme}}://x.com", {"scheme": "https"})
    assert caught.value.code == "bad_template"


@pytest.mark.parametrize(
    "entry",
    [
        "slack.com",
        "API.Example.COM",
        "*.slack.com",
        "{{custom_fields.subdomain}}.zendesk.com",
        "{{custom_fields.base_api_url}}",
        "127.0.0.1",
        "127.0.0.1:8123",
        "localhost",
        "localhost:8000",
        "gitlab.lan:8080",
    ],
)
def test_allowed_domain_entry_accepts(entry: str) -> None:
    check_allowed_domain_entry(entry)


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "*",
        "*.",
        "*foo.com",
        "a.*.b",
        "*.*.com",
        "slack",
        "slack.com.",
        ".slack.com",
        "slack.com/api",
        "https://slack.com",
        "user@slack.com",
        "[::1]",
        "127.1",
        "2130706433",
        "0x7f000001:80",
        ".",
        "slack.com:0",
        "sl\u0430ck.com",
        "{{credentials.x}}.com",
        "{{custom_fields.a}}/x",
        "evil.{{custom_fields.a}}@x.com",
    ],
)
def test_allowed_domain_entry_refuses(entry: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_allowed_domain_entry(entry)
    assert caught.value.code == "bad_allowed_domain"


@pytest.mark.parametrize(
    ("host", "allowed", "fields", "private", "expected"),
    [
        ("slack.com", ["slack.com"], None, False, True),
        ("SLACK.COM", ["Slack.com"], None, False, True),
        ("a.slack.com", ["slack.com"], None, False, True),
        ("evilslack.com", ["slack.com"], None, False, False),
        ("slack.com.", ["slack.com"], None, False, False),
        ("slack.com", ["*.slack.com"], None, False, False),
        ("x.slack.com", ["*.slack.com"], None, False, True),
        ("acme.zendesk.com", ["{{custom_fields.s}}.zendesk.com"], {"s": "acme"}, False, True),
        ("x.acme.zendesk.com", ["{{custom_fields.s}}.zendesk.com"], {"s": "acme"}, False, True),
        ("other.zendesk.com", ["{{custom_fields.s}}.zendesk.com"], {"s": "acme"}, False, False),
        ("acme.zendesk.com", ["{{custom_fields.s}}.zendesk.com"], {}, False, False),
        ("a.com", ["{{custom_fields.s}}.zendesk.com"], {"s": "a.com"}, False, False),
        ("127.0.0.1:8123", ["127.0.0.1:8123"], None, False, False),
        ("127.0.0.1:8123", ["127.0.0.1:8123"], None, True, True),
        ("127.0.0.1", ["127.0.0.1:8123"], None, True, False),
        ("127.0.0.1:8124", ["127.0.0.1:8123"], None, True, False),
        ("x.localhost:80", ["localhost:80"], None, True, False),
        ("slack.com", [], None, False, False),
        ("slack.com", None, None, False, False),
        ("slack.com", ["*", "slack"], None, False, False),
        ("slack.com", "slack.com", None, False, False),
        ("", ["slack.com"], None, False, False),
        ("sl\u0430ck.com", ["slack.com"], None, False, False),
        ("\u212a.slack.com", ["slack.com"], None, False, False),
    ],
)
def test_host_allowed(
    host: str, allowed: object, fields: dict | None, private: bool, expected: bool
) -> None:
    assert host_allowed(host, allowed, fields, allow_private_networks=private) is expected  # type: ignore[arg-type]
