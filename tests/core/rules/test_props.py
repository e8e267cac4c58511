"""Properties: accepted URLs stay on the allowlist, url64 round-trips, headers stay clean."""

from __future__ import annotations

import base64
from urllib.parse import quote, urlsplit

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.rules import (
    RESTRICTED_HEADERS,
    RuleError,
    check_headers,
    decode_url64,
    encode_url64,
    host_allowed,
    resolve_target,
)

# No example database: the tests must not write into the tree, and xdist workers share it.
SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Pieces that broke real validators (security-policy sections 1-2), glued in any order.
URL_TOKENS = [
    "https://", "HTTPS://", "http://", "https:", "//", "/", "\\", "@", ":", "443", "8443", "#",
    "?", ".", "..", "%2e", "%2E%2e", "%252e", "%2f", "%5c", "%40", "%00", "%0a", ";", "&",
    "slack.com", "SLACK.COM", "api.slack.com", "evil.com", "evilslack.com", "slack.com.",
    "slack.com.evil.com", "127.0.0.1", "0x7f.0.0.1", "2130706433", "[::1]", "localhost",
    "\u3002", "\uff0f", "\t", "\r\n", " ", "{{custom_fields.subdomain}}", "acme", "zendesk.com",
    "x", "-", "_", "~", "=", "0",
]  # fmt: skip
ADVERSARIAL_CHARS = "/\\@:#?.%2e5cfFA0x7 \t\r\n\x00[]{}~;&=+-_\u3002\uff0fsl"

structured_urls = st.builds(
    lambda scheme, authority, path: scheme + authority + path,
    st.sampled_from(["https://", "HTTPS://", "http://", "", "//", "https:"]),
    st.sampled_from(
        [
            "", "slack.com", "Api.Slack.com", "slack.com:443", "slack.com:8443", "evil.com",
            "evilslack.com", "slack.com.evil.com", "slack.com@evil.com", "evil.com#@slack.com",
            "evil.com\\@slack.com", "127.0.0.1:8123", "127.0.0.1", "acme.zendesk.com",
            "localhost:8123", "[::1]:8123", "slack.com.",
        ]
    ),
    st.text(alphabet="/abc.%2e5cf?&=#@:~", max_size=16).map(lambda tail: "/" + tail),
)  # fmt: skip
relative_paths = st.text(alphabet="/abc.%2e5cf?&=#@:~-_", max_size=16).map(lambda p: "/" + p)
urls = st.one_of(
    structured_urls,
    relative_paths,
    st.lists(st.sampled_from(URL_TOKENS), max_size=12).map("".join),
    st.text(alphabet=ADVERSARIAL_CHARS, max_size=40),
)
field_values = st.one_of(
    st.sampled_from(["acme", "ACME", "my-co", "slack.com", "api.slack.com", "b.zendesk.com"]),
    st.sampled_from(["acme.evil.com", "evil.com#", "127.0.0.1", "127.0.0.1:8123", "a:1", ""]),
    st.text(alphabet=ADVERSARIAL_CHARS + "abc", max_size=12),
)

APPS = [
    ("https://slack.com", ["slack.com"]),
    ("https://{{custom_fields.subdomain}}.zendesk.com", ["zendesk.com"]),
    ("https://{{custom_fields.subdomain}}", ["{{custom_fields.subdomain}}", "slack.com"]),
    ("http://127.0.0.1:8123/t/{{custom_fields.subdomain}}", ["127.0.0.1:8123", "slack.com"]),
]


@SETTINGS
@given(url=urls, app=st.sampled_from(APPS), value=field_values, private=st.booleans())
def test_accepted_url_host_is_allowed_and_unambiguous(
    url: str, app: tuple[str, list[str]], value: str, private: bool
) -> None:
    base, allowed = app
    fields = {"subdomain": value}
    try:
        result = resolve_target(
            url,
            base_proxy_target_url=base,
            allowed_domains=allowed,
            custom_fields=fields,
            allow_private_networks=private,
        )
    except RuleError:
        return
    parsed = httpx.URL(result)
    split = urlsplit(result)
    host = parsed.raw_host.decode("ascii")
    assert str(parsed) == result
    assert host == split.hostname == split.netloc.partition(":")[0]
    assert parsed.port == split.port
    assert not parsed.userinfo
    assert not parsed.fragment
    authority = split.netloc
    assert host_allowed(authority, allowed, fields, allow_private_networks=private)
    if parsed.scheme == "http" or parsed.port is not None:
        # Only private mode, and only an authority an entry names exactly: the sandbox's,
        # or the one an account stored for a template entry (a LAN server).
        assert private
        assert authority in {"127.0.0.1:8123", value.lower()}
    else:
        assert parsed.scheme == "https"
        assert (
            host == "slack.com"
            or host.endswith((".slack.com", ".zendesk.com"))
            or (host == value.lower())
        )


@SETTINGS
@given(url=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1))
def test_url64_round_trips_printable_ascii(url: str) -> None:
    assert decode_url64(encode_url64(url)) == url
    python_sdk = base64.urlsafe_b64encode(url.encode()).decode()
    node_sdk = quote(base64.b64encode(url.encode()).decode(), safe="")
    assert decode_url64(python_sdk) == url
    assert decode_url64(node_sdk) == url


RESTRICTED_SAMPLES = [
    *RESTRICTED_HEADERS,
    "proxy-authorization", "sec-fetch-site", "authorization", "proxy", "forwarded",
    "x-forwarded-for", "x-real-ip", "x-pd-proxy-host",
]  # fmt: skip
NAME_CHARS = "abcxyzHOST-_!#$%&'*+.^`|~0 :\r\n\u00e9"


def _disguise(name: str, flips: int, underscore: bool) -> str:
    """``name`` with the letters picked by the bits of ``flips`` upper-cased."""
    cased = "".join(c.upper() if flips >> i & 1 else c for i, c in enumerate(name))
    return cased.replace("-", "_") if underscore else cased


header_names = st.one_of(
    st.builds(
        lambda prefix, name, flips, underscore: prefix + _disguise(name, flips, underscore),
        st.sampled_from(["", "x-pd-proxy-", "X-PD-PROXY-", "x-Pd-proxy-"]),
        st.sampled_from(RESTRICTED_SAMPLES),
        st.integers(min_value=0, max_value=2**40),
        st.booleans(),
    ),
    st.text(alphabet=NAME_CHARS, max_size=20),
    st.builds(
        lambda a, b: a + b,
        st.sampled_from(["x-pd-proxy-", "Sec", "Proxy", "X-Forwarded"]),
        st.text(NAME_CHARS, max_size=8),
    ),
)
header_rows = st.lists(
    st.tuples(header_names, st.text(alphabet="ab \t\r\n\x00\x7f\u00e9TRACE,", max_size=10)),
    max_size=6,
)


@SETTINGS
@given(rows=header_rows)
def test_check_headers_never_forwards_a_restricted_name(rows: list[tuple[str, str]]) -> None:
    try:
        forwarded = check_headers(rows)
    except RuleError:
        return
    seen: set[str] = set()
    for name, value in forwarded:
        norm = name.lower().replace("_", "-")
        assert norm not in RESTRICTED_HEADERS
        assert not norm.startswith(("proxy-", "sec-", "x-pd-proxy", "x-forwarded-"))
        assert norm not in {"authorization", "proxy", "forwarded", "x-real-ip"}
        assert norm not in seen
        seen.add(norm)
        assert all(" " <= c <= "~" or c == "\t" for c in name + value)
        assert value == value.strip(" \t")
