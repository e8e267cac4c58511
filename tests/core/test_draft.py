"""The composer's draft: query <-> params table, bulk header text, body forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.core.draft import (
    Row,
    content_type,
    form_body,
    headers_to_text,
    join_url,
    json_error,
    params_after_url_edit,
    sent_pairs,
    sent_row_indexes,
    split_url,
    text_to_headers,
    url_after_params_edit,
)


@pytest.mark.parametrize(
    ("url", "base", "params", "fragment"),
    [
        ("/echo", "/echo", (), None),
        ("/echo?a=1&b=2", "/echo", (Row("a", "1"), Row("b", "2")), None),
        ("/echo?flag&x=", "/echo", (Row("flag", None), Row("x", "")), None),
        ("/e?a=1&&b=%20#top", "/e", (Row("a", "1"), Row("b", "%20")), "top"),
        ("/e?q=a=b", "/e", (Row("q", "a=b"),), None),
        ("https://api.example.com/x?", "https://api.example.com/x", (), None),
        ("/e#", "/e", (), ""),
    ],
)
def test_split_url_keeps_every_piece_as_typed(
    url: str, base: str, params: tuple[Row, ...], fragment: str | None
) -> None:
    parts = split_url(url)
    assert (parts.base, parts.params, parts.fragment) == (base, params, fragment)


_piece = st.text(st.characters(blacklist_characters="&#?="), min_size=1, max_size=8)


@given(
    base=st.text(st.characters(blacklist_characters="#?"), max_size=20),
    params=st.lists(
        st.tuples(
            _piece,
            st.one_of(st.none(), st.text(st.characters(blacklist_characters="&#"), max_size=8)),
        )
    ),
    fragment=st.one_of(st.none(), st.text(max_size=8)),
)
def test_join_inverts_split(
    base: str, params: list[tuple[str, str | None]], fragment: str | None
) -> None:
    rows = [Row(name, value) for name, value in params]
    url = join_url(base, rows, fragment)
    parts = split_url(url)
    assert (parts.base, list(parts.params), parts.fragment) == (base, rows, fragment)


def test_switched_off_params_leave_the_url_and_survive_url_edits() -> None:
    rows = [Row("a", "1"), Row("debug", "true", enabled=False), Row("b", "2")]
    url = url_after_params_edit("/echo?old=1#frag", rows)
    assert url == "/echo?a=1&b=2#frag"
    # The person now edits the URL by hand: its params come first, the disabled row stays.
    assert params_after_url_edit("/echo?a=9", rows) == [
        Row("a", "9"),
        Row("debug", "true", enabled=False),
    ]


def test_blank_rows_are_neither_sent_nor_written() -> None:
    rows = [Row("", ""), Row("X-A", "1"), Row("X-B", "2", enabled=False), Row("", "")]
    assert sent_pairs(rows) == [("X-A", "1")]
    assert sent_row_indexes(rows) == [1]
    assert join_url("/e", rows) == "/e?X-A=1"
    assert headers_to_text(rows) == "X-A: 1\n# X-B: 2"


def test_bulk_text_round_trips_and_loses_nothing_typed() -> None:
    rows = [Row("Accept", "application/json"), Row("X-Trace", "a: b", enabled=False)]
    assert text_to_headers(headers_to_text(rows)) == rows
    assert text_to_headers("  Cookie:a=b  \n\nNoColon\n#X-Off:1\n") == [
        Row("Cookie", "a=b"),
        Row("NoColon", ""),
        Row("X-Off", "1", enabled=False),
    ]


def test_body_forms() -> None:
    assert content_type("none") is None
    assert content_type("json") == "application/json"
    assert content_type("form") == "application/x-www-form-urlencoded"
    assert form_body([Row("q", "a b&c"), Row("off", "x", enabled=False), Row("n", "é")]) == (
        b"q=a+b%26c&n=%C3%A9"
    )


def test_json_error_names_line_and_column() -> None:
    assert json_error('{"a": [1, 2]}') is None
    assert json_error('{\n  "a": 1,\n}') == (
        "line 3, column 1: Expecting property name enclosed in double quotes"
    )
