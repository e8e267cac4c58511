"""Edges of the rule book that mutation testing showed no other test pins down."""

from __future__ import annotations

import pytest

from workbench.core.rules import RuleError, host_allowed, render_base, resolve_target
from workbench.core.rules.hosts import (
    classify_entry,
    field_value,
    match_kind,
    placeholder_slots,
    private_authority,
    render,
    show,
    usable_entries,
)
from workbench.core.rules.urls import check_input, classify

PRIVATE = "127.0.0.1:8123"
LAN = {"h": "10.0.0.1:8080"}


def code_of(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(RuleError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.code


# Private networks are off unless a caller turns them on, in every entry point.


def test_private_networks_are_off_by_default() -> None:
    assert not host_allowed(PRIVATE, [PRIVATE])
    assert host_allowed(PRIVATE, [PRIVATE], allow_private_networks=True)
    assert match_kind(PRIVATE, [("private", PRIVATE)]) is None
    assert match_kind(PRIVATE, [("private", PRIVATE)], allow_private_networks=True) == "private"
    assert usable_entries([PRIVATE, "slack.com"], {}) == [("domain", "slack.com")]
    assert code_of(field_value, "h", "host", LAN) == "bad_custom_field"
    assert field_value("h", "host", LAN, allow_private_networks=True) == "10.0.0.1:8080"
    assert code_of(render, "http://{{custom_fields.h}}", LAN) == "bad_custom_field"
    assert code_of(render_base, "http://{{custom_fields.h}}", LAN) == "bad_custom_field"
    assert (
        render_base("http://{{custom_fields.h}}", LAN, allow_private_networks=True)
        == "http://10.0.0.1:8080"
    )
    assert code_of(classify, "http://slack.com/") == "scheme_not_allowed"
    assert classify("http://slack.com/", allow_private_networks=True) == "absolute"
    assert code_of(check_input, "http://slack.com/", dynamic=False) == "scheme_not_allowed"


def test_a_public_match_is_named_public() -> None:
    assert match_kind("api.slack.com", [("wildcard", "slack.com")]) == "public"
    assert match_kind("slack.com", [("domain", "slack.com")]) == "public"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("*.a.com", ("wildcard", "a.com")),
        ("*.Slack.com", ("wildcard", "slack.com")),
        ("Slack.com", ("domain", "slack.com")),
        ("{{custom_fields.x}}.com", ("template", "{{custom_fields.x}}.com")),
        ("LOCALHOST:8080", ("private", "localhost:8080")),
        ("10.0.0.1", ("private", "10.0.0.1")),
    ],
)
def test_entries_are_classified(entry: str, expected: tuple[str, str]) -> None:
    assert classify_entry(entry) == expected


def test_a_brace_alone_makes_an_entry_a_bad_template() -> None:
    with pytest.raises(RuleError) as caught:
        classify_entry("{x.com")
    assert caught.value.message.endswith("may only use {{custom_fields.NAME}} placeholders")


def test_one_bad_entry_does_not_hide_the_ones_after_it() -> None:
    assert usable_entries(["bad entry!", "*.", "slack.com"], {}) == [("domain", "slack.com")]


@pytest.mark.parametrize(
    ("template", "slots"),
    [
        ("https://a.com/{{custom_fields.x}}/b", [("x", "text")]),
        ("https://{{custom_fields.h}}/r?next=http://y", [("h", "host")]),
        ("://{{custom_fields.x}}", [("x", "host")]),
        ("https://{{custom_fields.s}}.z.com/{{custom_fields.t}}", [("s", "label"), ("t", "text")]),
    ],
)
def test_each_placeholder_gets_the_kind_of_its_place(
    template: str, slots: list[tuple[str, str]]
) -> None:
    assert placeholder_slots(template) == slots


def test_a_template_without_a_scheme_has_no_place_for_a_placeholder() -> None:
    assert code_of(placeholder_slots, "ab{{custom_fields.x}}") == "bad_template"
    assert placeholder_slots("{{custom_fields.x}}.com", host_only=True) == [("x", "label")]


def test_a_private_authority_is_ldh_labels_or_an_ipv4_address() -> None:
    assert private_authority("a_b:80") is None
    assert private_authority("a.b_c") is None
    assert private_authority("gitlab.lan:8443") == "gitlab.lan:8443"


def test_show_cuts_at_40_characters_by_default() -> None:
    assert show("x" * 38) == "'" + "x" * 38 + "'"
    assert show("x" * 39) == "'" + "x" * 35 + "...'"


# Relative paths are checked on their own too (the composer's diagnosis relies on it).


@pytest.mark.parametrize(
    ("url", "code"),
    [("/a/../b", "dot_segments"), ("/x#f", "fragment_not_allowed"), ("/%zz", "bad_path")],
)
def test_a_relative_path_is_checked_before_any_base(url: str, code: str) -> None:
    assert code_of(check_input, url, dynamic=True) == code


def test_only_the_path_of_a_relative_url_is_checked_for_dot_segments() -> None:
    assert check_input("/x?/../y?z", dynamic=True) == "relative"
    assert check_input("https://slack.com/x", dynamic=False) == "absolute"


def test_a_bad_base_path_is_the_fault_of_the_account_field_it_came_with() -> None:
    with pytest.raises(RuleError) as caught:
        resolve_target(
            "/x",
            base_proxy_target_url="https://{{custom_fields.s}}.zendesk.com/a/../b",
            allowed_domains=["zendesk.com"],
            custom_fields={"s": "acme"},
        )
    assert (caught.value.code, caught.value.field) == ("dot_segments", "custom_fields")


def test_custom_fields_may_be_none_for_a_static_app() -> None:
    resolved = resolve_target(
        "/x",
        base_proxy_target_url="https://slack.com",
        allowed_domains=["slack.com"],
        custom_fields=None,  # type: ignore[arg-type]
    )
    assert resolved == "https://slack.com/x"


def test_a_template_entry_renders_a_private_authority_when_private_networks_are_on() -> None:
    fields = {"h": "10.0.0.1:8080"}
    assert usable_entries(["{{custom_fields.h}}"], fields, allow_private_networks=True) == [
        ("private", "10.0.0.1:8080")
    ]
    assert usable_entries(["{{custom_fields.h}}"], fields) == []


def test_an_unhashable_field_value_is_checked_without_the_cache() -> None:
    # A static app reads no field, so a list among them is no reason to refuse.
    resolved = resolve_target(
        "/x",
        base_proxy_target_url="https://slack.com",
        allowed_domains=["slack.com"],
        custom_fields={"tags": ["a", "b"]},  # type: ignore[dict-item]
    )
    assert resolved == "https://slack.com/x"
