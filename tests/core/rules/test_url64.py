"""The ``{url_64}`` segment: both SDK flavours decode, everything else is refused."""

from __future__ import annotations

import pytest

from workbench.core.rules import RuleError, decode_url64, encode_url64, resolve_target

EXAMPLE = "https://api.example.com/v1/echo?sel=>>?&t=~~~"
SLACK_URL = "https://slack.com/api/chat.postMessage"


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        # pipedream-rest.md 4.1: the docs (URL-safe, unpadded) and the Python SDK
        ("aHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvZWNobz9zZWw9Pj4_JnQ9fn5-", EXAMPLE),
        # the Node SDK: standard alphabet through encodeURIComponent
        ("aHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvZWNobz9zZWw9Pj4%2FJnQ9fn5%2B", EXAMPLE),
        ("aHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvZWNobz9zZWw9Pj4%2fJnQ9fn5%2b", EXAMPLE),
        # the standard alphabet not percent-encoded (a raw "/" never survives routing)
        ("aHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvZWNobz9zZWw9Pj4/JnQ9fn5+", EXAMPLE),
        # the product document's example (unpadded) and its padded forms
        ("aHR0cHM6Ly9zbGFjay5jb20vYXBpL2NoYXQucG9zdE1lc3NhZ2U", SLACK_URL),
        ("aHR0cHM6Ly9zbGFjay5jb20vYXBpL2NoYXQucG9zdE1lc3NhZ2U=", SLACK_URL),
        ("aHR0cHM6Ly9zbGFjay5jb20vYXBpL2NoYXQucG9zdE1lc3NhZ2U%3D", SLACK_URL),
        ("L2FwaS91c2Vycw", "/api/users"),
        ("L2FwaS91c2Vycw==", "/api/users"),
        ("L2FwaS91c2Vycw%3D%3D", "/api/users"),
        ("Lw", "/"),
    ],
)
def test_decode_accepts_both_sdk_flavours(segment: str, expected: str) -> None:
    assert decode_url64(segment) == expected


@pytest.mark.parametrize(
    "segment",
    [
        "",
        "=",
        "====",
        "L2FwaS91c2Vycw===",
        "L2FwaS91c2Vycw=",
        "L2FwaS91c2Vycw=x",
        "L2FwaS91c2Vycw==L2Fw",
        "L2FwaS91c2Vycw==%00",
        "L2Fw=aS91c2Vycw",
        "L2FwaS91c2Vycw!",
        "L2FwaS91c2Vy cw",
        "L2FwaS91c2Vy\ncw",
        "L2FwaS91c2Vy.cw",
        "L2FwaS91c2Vy%",
        "L2FwaS91c2Vy%zz",
        "L2FwaS91c2Vyc",
        "L2FwaS91c2Vycx",
        "Pj4_Jn+9fn5-",
        "L2FwaS91c2Vycw\u00e9",
        "L2FwaS91c2Vycw%C3%A9",
        "__79",
        "wyg",
        "L2NhZsOp",
        "A" * 40_000,
    ],
)
def test_decode_refuses(segment: str) -> None:
    with pytest.raises(RuleError) as caught:
        decode_url64(segment)
    assert caught.value.code == "bad_url64"


def test_encode_is_urlsafe_unpadded() -> None:
    assert encode_url64(EXAMPLE) == "aHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvZWNobz9zZWw9Pj4_JnQ9fn5-"
    assert encode_url64(SLACK_URL) == "aHR0cHM6Ly9zbGFjay5jb20vYXBpL2NoYXQucG9zdE1lc3NhZ2U"


def test_encode_refuses_non_ascii() -> None:
    with pytest.raises(RuleError) as caught:
        encode_url64("/caf\u00e9")
    assert caught.value.code == "bad_url64"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://slack.com@evil.com/", "userinfo_not_allowed"),
        ("https://evil.com/", "domain_not_allowed"),
        ("//evil.com/x", "bad_url"),
        ("/x\r\nHost: evil.com", "bad_url"),
        ("/a/../b", "dot_segments"),
    ],
)
def test_encoded_forms_of_refused_urls_stay_refused(url: str, code: str) -> None:
    decoded = decode_url64(encode_url64(url))
    with pytest.raises(RuleError) as caught:
        resolve_target(
            decoded,
            base_proxy_target_url="https://slack.com",
            allowed_domains=["slack.com"],
            custom_fields={},
        )
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("segment", "reason"),
    [
        ("", "is empty"),
        (None, "is empty"),
        (b"L2FwaS91c2Vycw", "is empty"),  # bytes are not a segment, however they look
        ("L2Fw\u00e9", "is too long or not ASCII"),
        ("L2FwaS91c2Vycw%C3%A9", "percent-decodes to non-ASCII bytes"),
        ("L2FwaS91c2Vycw!", "holds characters outside one base64 alphabet, or data after padding"),
        ("Pj4_Jn+9fn5-", "holds characters outside one base64 alphabet, or data after padding"),
        ("=", "has a length no base64 encoder produces"),
        ("abcde", "has a length no base64 encoder produces"),
        ("L2FwaS91c2Vycw=", "has a length no base64 encoder produces"),
        ("L2FwaS91c2Vycx", "is not canonical base64 (stray trailing bits)"),
        ("__79", "does not decode to UTF-8 text"),
        ("L2NhZsOp", "decodes to a URL with non-ASCII characters"),
    ],
)
def test_each_refusal_says_why(segment: object, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        decode_url64(segment)  # type: ignore[arg-type]
    error = caught.value
    assert (error.code, error.field, error.message) == (
        "bad_url64",
        "url",
        f"The url_64 segment {reason}",
    )


@pytest.mark.parametrize("url", ["/caf\u00e9", None])
def test_encode_refusal_says_why(url: object) -> None:
    with pytest.raises(RuleError) as caught:
        encode_url64(url)  # type: ignore[arg-type]
    error = caught.value
    assert (error.code, error.field, error.message) == (
        "bad_url64",
        "url",
        "Only an ASCII URL can be encoded as url_64",
    )


def test_a_segment_that_ends_in_x_keeps_it() -> None:
    # "X" is an ordinary base64 digit: only "=" is padding, on either side.
    assert encode_url64("/aW") == "L2FX"
    assert decode_url64("L2FX") == "/aW"
