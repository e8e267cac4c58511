"""Every size and count limit of the rule book, at the limit (accepted) and one past it.

Each test builds its input from the limit's own number, so a ``>`` turned into ``>=``
(or a limit moved by one) fails on one side or the other.
"""

from __future__ import annotations

import base64

import pytest

from workbench.core.rules import (
    MAX_URL_LENGTH,
    RuleError,
    check_custom_field_value,
    check_headers,
    decode_url64,
    resolve_target,
)
from workbench.core.rules.headers import MAX_HEADERS, MAX_VALUE_LENGTH
from workbench.core.rules.hosts import host_problem, private_authority
from workbench.core.rules.url64 import MAX_SEGMENT_LENGTH

SLACK = {"base_proxy_target_url": "https://slack.com", "allowed_domains": ["slack.com"]}
DEEP_BASE = {
    "base_proxy_target_url": "https://slack.com/api/v2",
    "allowed_domains": ["slack.com"],
}


def resolve(url: str, app: dict[str, object]) -> str:
    return resolve_target(
        url,
        base_proxy_target_url=str(app["base_proxy_target_url"]),
        allowed_domains=list(app["allowed_domains"]),  # type: ignore[call-overload]
        custom_fields={},
    )


def refused(call: object, *args: object) -> RuleError:
    with pytest.raises(RuleError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def padded(prefix: str, length: int) -> str:
    """``prefix`` followed by ``a`` up to exactly ``length`` characters."""
    assert length >= len(prefix)
    return prefix + "a" * (length - len(prefix))


# URL length ------------------------------------------------------------------------------


def test_an_absolute_url_at_the_limit_is_accepted() -> None:
    url = padded("https://slack.com/api/", MAX_URL_LENGTH)
    assert resolve(url, SLACK) == url


def test_an_absolute_url_one_past_the_limit_is_refused() -> None:
    error = refused(resolve, padded("https://slack.com/api/", MAX_URL_LENGTH + 1), SLACK)
    assert (error.code, error.field) == ("url_too_long", "url")
    assert error.message == f"The URL is longer than {MAX_URL_LENGTH} characters"


def test_a_path_at_the_limit_is_accepted_when_the_final_url_fits() -> None:
    base = "https://slack.com/api/v2"
    path = padded("/x", MAX_URL_LENGTH - len(base))
    assert resolve(path, DEEP_BASE) == base + path  # the final URL is exactly at the limit


def test_a_path_whose_final_url_is_one_past_the_limit_is_refused() -> None:
    base = "https://slack.com/api/v2"
    path = padded("/x", MAX_URL_LENGTH - len(base) + 1)
    assert len(path) < MAX_URL_LENGTH  # the path alone would pass
    assert refused(resolve, path, DEEP_BASE).code == "url_too_long"


@pytest.mark.parametrize("extra", [0, 1])
def test_a_path_alone_at_and_past_the_limit(extra: int) -> None:
    path = padded("/", MAX_URL_LENGTH + extra)
    # At the limit the path itself passes rule 1; the base makes the final URL too long.
    error = refused(resolve, path, SLACK)
    assert error.code == "url_too_long"


# header count and size -------------------------------------------------------------------


def test_the_most_headers_allowed_are_accepted() -> None:
    rows = [(f"X-H{i}", "v") for i in range(MAX_HEADERS)]
    assert check_headers(rows) == rows


def test_one_header_past_the_count_is_refused() -> None:
    error = refused(check_headers, [(f"X-H{i}", "v") for i in range(MAX_HEADERS + 1)])
    assert (error.code, error.field, error.row) == ("too_many_headers", "headers", None)
    assert error.message == f"At most {MAX_HEADERS} headers may be sent"


def test_a_header_value_at_the_limit_is_accepted() -> None:
    value = "v" * MAX_VALUE_LENGTH
    assert check_headers([("X-Big", value)]) == [("X-Big", value)]


def test_the_limit_counts_the_value_as_sent_before_trimming() -> None:
    value = " " + "v" * (MAX_VALUE_LENGTH - 2) + " "
    assert check_headers([("X-Big", value)]) == [("X-Big", value.strip())]
    error = refused(check_headers, [("X-Big", value + "\t")])
    assert error.code == "bad_header_value"


def test_a_header_value_one_past_the_limit_is_refused() -> None:
    error = refused(check_headers, [("X-Ok", "v"), ("X-Big", "v" * (MAX_VALUE_LENGTH + 1))])
    assert (error.code, error.field, error.row) == ("bad_header_value", "headers", 1)
    assert error.message == f"Header 'X-Big' is longer than {MAX_VALUE_LENGTH}"


# the url_64 segment ----------------------------------------------------------------------


def test_a_url64_segment_at_the_limit_decodes() -> None:
    url = padded("https://slack.com/", MAX_SEGMENT_LENGTH // 4 * 3)
    segment = base64.urlsafe_b64encode(url.encode()).decode()
    assert len(segment) == MAX_SEGMENT_LENGTH
    assert decode_url64(segment) == url


def test_a_url64_segment_one_past_the_limit_is_refused() -> None:
    url = padded("https://slack.com/", MAX_SEGMENT_LENGTH // 4 * 3)
    segment = base64.urlsafe_b64encode(url.encode()).decode() + "A"
    error = refused(decode_url64, segment)
    assert (error.code, error.field) == ("bad_url64", "url")
    assert error.message == "The url_64 segment is too long or not ASCII"


# DNS names, custom fields and private ports ----------------------------------------------


def dotted(length: int) -> str:
    """A valid DNS name of exactly ``length`` characters (63-character labels)."""
    labels, rest = [], length - len(".com")
    while rest > 0:
        size = min(63, rest - 1 if rest > 64 else rest)
        labels.append("a" * size)
        rest -= size + 1
    name = ".".join(labels) + ".com"
    assert len(name) == length, name
    return name


def test_a_host_name_at_253_characters_is_accepted() -> None:
    assert host_problem(dotted(253)) is None


def test_a_host_name_of_254_characters_is_refused() -> None:
    assert host_problem(dotted(254)) == (
        "bad_host",
        "is not a valid DNS name (letters, digits, hyphens, dots)",
    )


@pytest.mark.parametrize(("length", "valid"), [(63, True), (64, False)])
def test_a_label_of_63_characters_is_the_longest(length: int, valid: bool) -> None:
    assert (host_problem("a" * length + ".com") is None) is valid
    label = "b" * length
    if valid:
        assert check_custom_field_value("sub", label, "label") == label
    else:
        assert refused(check_custom_field_value, "sub", label, "label").code == "bad_custom_field"


@pytest.mark.parametrize(("length", "valid"), [(255, True), (256, False)])
def test_a_text_custom_field_of_255_characters_is_the_longest(length: int, valid: bool) -> None:
    value = "T" * length
    if valid:
        assert check_custom_field_value("store", value, "text") == value
    else:
        assert refused(check_custom_field_value, "store", value, "text").code == "bad_custom_field"


@pytest.mark.parametrize(
    ("authority", "expected"),
    [
        ("127.0.0.1:65535", "127.0.0.1:65535"),
        ("127.0.0.1:65536", None),
        ("127.0.0.1:1", "127.0.0.1:1"),
        ("127.0.0.1:0", None),
        ("127.0.0.1:99999", None),
        ("127.0.0.1:100000", None),
    ],
)
def test_a_private_port_is_1_to_65535(authority: str, expected: str | None) -> None:
    assert private_authority(authority) == expected
