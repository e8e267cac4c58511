"""The body viewer's Qt-free text work: reindent, rows, highlight spans, sniffing, hex, check."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from workbench.ui import textwork
from workbench.ui.textwork import (
    check_json,
    hex_column,
    hex_row,
    index_rows,
    json_spans,
    json_string_state,
    reindent_json,
    row_starts,
    sniff_kind,
)


@pytest.fixture(autouse=True)
def _no_leaked_windows() -> None:
    """Overrides the ui conftest's guard, which needs a QApplication: these tests have none."""


def test_textwork_imports_no_qt() -> None:
    code = (
        "import sys, workbench.ui.textwork, workbench.ui.textsearch, workbench.ui.rows,"
        " workbench.ui.bodyprep;"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync')));"
        "sys.exit(', '.join(bad) or None)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- reindent_json -------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300)
@given(value=json_values, ensure_ascii=st.booleans(), indent=st.integers(0, 4))
def test_reindent_lays_out_like_json_dumps(value: object, ensure_ascii: bool, indent: int) -> None:
    minified = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii)
    expected = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    assert reindent_json(minified.encode(), indent).decode() == expected


@settings(max_examples=200)
@given(value=json_values, spaces=st.sampled_from([" ", "\n", "\t", "\r\n  "]))
def test_reindent_keeps_the_token_sequence(value: object, spaces: str) -> None:
    """Already spaced-out input (``json.dumps`` with odd separators) parses to the same."""
    text = json.dumps(value, separators=(f"{spaces},{spaces}", f"{spaces}:{spaces}"))
    out = reindent_json(text.encode())
    assert json.loads(out, object_pairs_hook=list) == json.loads(text, object_pairs_hook=list)


def test_reindent_keeps_tokens_exactly_as_sent() -> None:
    data = b'{"a":1.50E+3,"a":-0,"s":"\\u00e9\\n\\"","big":123456789012345678901234567890}'
    assert reindent_json(data) == (
        b'{\n  "a": 1.50E+3,\n  "a": -0,\n  "s": "\\u00e9\\n\\"",\n'
        b'  "big": 123456789012345678901234567890\n}'
    )


def test_reindent_keeps_empty_containers_on_one_line() -> None:
    assert reindent_json(b'{"a":[],"b":{},"c":[{}]}') == (
        b'{\n  "a": [],\n  "b": {},\n  "c": [\n    {}\n  ]\n}'
    )


def test_reindent_formats_a_truncated_body_as_far_as_it_goes() -> None:
    assert reindent_json(b'{"items":[{"id":1},{"na') == (
        b'{\n  "items": [\n    {\n      "id": 1\n    },\n    {\n      "na'
    )


def test_reindent_puts_values_without_a_separator_on_their_own_lines() -> None:
    assert reindent_json(b'{"a":1}\n{"a":2}\n') == b'{\n  "a": 1\n}\n{\n  "a": 2\n}'
    assert reindent_json(b'1 2 "x"') == b'1\n2\n"x"'


def test_reindent_survives_stray_closers_and_commas() -> None:
    assert reindent_json(b"]],[1,,]") == b"]\n],\n[\n  1,,\n]"


def _without_whitespace(data: bytes) -> bytes:
    return data.translate(None, b" \t\r\n")


@settings(max_examples=300)
@given(data=st.binary(max_size=300))
@example(data=b'"a\\')
@example(data=b'{"a\\')
def test_reindent_never_raises_and_only_changes_whitespace(data: bytes) -> None:
    assert _without_whitespace(reindent_json(data)) == _without_whitespace(data)


json_ish = st.lists(
    st.sampled_from([b"{", b"}", b"[", b"]", b",", b":", b'"k"', b'"a\\"b"', b"1.5", b" ", b"\\"])
).map(b"".join)


@settings(max_examples=300)
@given(data=json_ish | st.binary(max_size=60), window=st.integers(1, 9))
def test_windows_of_any_size_give_the_same_output(data: bytes, window: int) -> None:
    """A window's end may cut a string or an escape: the output must not notice."""
    whole = reindent_json(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textwork, "_WINDOW", window)
        assert reindent_json(data) == whole


def test_reindent_reports_progress_and_can_be_abandoned() -> None:
    data = json.dumps([{"n": n} for n in range(20000)]).encode()
    seen: list[tuple[int, int]] = []
    reindent_json(data, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 3
    assert seen[-1] == (len(data), len(data))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)

    class Stop(Exception):
        pass

    def stop(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        reindent_json(data, progress=stop)


# --- rows ----------------------------------------------------------------------------------


def _check_rows(data: bytes, max_cols: int) -> list[bytes]:
    starts, widest = index_rows(data, max_cols)
    assert starts.typecode == "Q"
    assert starts[0] == 0
    assert list(starts) == sorted(set(starts)), "starts strictly increase"
    if data:
        assert starts[-1] < len(data)
    bounds = [*starts, len(data)]
    rows = [data[a:b] for a, b in pairwise(bounds)]
    assert b"".join(rows) == data, "every byte exactly once"
    for row in rows:
        body = row[:-1] if row.endswith(b"\n") else row
        assert b"\n" not in body, "a line break only ever ends a row"
        assert len(body) <= max(max_cols, 4)
    assert widest == max((len(r) - r.endswith(b"\n") for r in rows), default=0)
    return rows


@settings(max_examples=300)
@given(data=st.binary(max_size=200), max_cols=st.integers(1, 20))
def test_rows_cover_every_byte_exactly_once(data: bytes, max_cols: int) -> None:
    _check_rows(data, max_cols)


@settings(max_examples=300)
@given(text=st.text(max_size=120), max_cols=st.integers(4, 20))
def test_rows_split_long_lines_between_characters(text: str, max_cols: int) -> None:
    for row in _check_rows(text.encode(), max_cols):
        row.decode("utf-8")  # never half a character


def test_row_starts_of_typical_text() -> None:
    assert list(row_starts(b"", 10)) == [0]
    assert list(row_starts(b"ab\ncd\n", 10)) == [0, 3]
    assert list(row_starts(b"ab\n\ncd", 10)) == [0, 3, 4]
    assert list(row_starts(b"abcdefghij", 4)) == [0, 4, 8]
    assert list(row_starts("aéé".encode(), 4)) == [0, 3]  # not inside the second é


# --- highlighting --------------------------------------------------------------------------


def _kinds(text: str, in_string: bool = False) -> list[tuple[str, str]]:
    return [(text[a:b], kind) for a, b, kind in json_spans(text, in_string)]


def test_json_spans_name_each_token() -> None:
    assert _kinds('  "name": "x\\"y", "n": -1.5e3, "ok": true, "none": null},') == [
        ('"name"', "key"),
        (":", "punct"),
        ('"x\\"y"', "string"),
        (",", "punct"),
        ('"n"', "key"),
        (":", "punct"),
        ("-1.5e3", "number"),
        (",", "punct"),
        ('"ok"', "key"),
        (":", "punct"),
        ("true", "literal"),
        (",", "punct"),
        ('"none"', "key"),
        (":", "punct"),
        ("null", "literal"),
        ("}", "punct"),
        (",", "punct"),
    ]


def test_json_spans_leave_junk_plain_and_continue_strings() -> None:
    assert _kinds("nope 01 [") == [("[", "punct")]
    assert _kinds('rest of a string", 1', in_string=True) == [
        ('rest of a string"', "string"),
        (",", "punct"),
        ("1", "number"),
    ]
    assert _kinds("all string", in_string=True) == [("all string", "string")]


def _reference_state(data: bytes, end: int) -> tuple[bool, bool]:
    """(inside a string, just after a backslash in one) at offset ``end``, byte by byte."""
    inside = escaped = False
    for byte in data[:end]:
        if escaped:
            escaped = False
        elif inside and byte == 0x5C:
            escaped = True
        elif byte == 0x22:
            inside = not inside
    return inside, escaped


@settings(max_examples=300)
@given(data=st.lists(st.sampled_from([b'"', b"\\", b"a", b":", b"\\\\"])).map(b"".join))
def test_string_state_agrees_with_a_byte_by_byte_scan(data: bytes) -> None:
    for end in range(len(data) + 1):
        inside = _reference_state(data, end)[0]
        assert json_string_state(data, 0, end) == inside
        for middle in range(end + 1):
            middle_inside, escaped = _reference_state(data, middle)
            if not escaped:  # rows never start between a backslash and what it escapes
                assert json_string_state(data, middle, end, middle_inside) == inside


# --- kinds ---------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(20)


@pytest.mark.parametrize(
    ("content_type", "data", "kind"),
    [
        ("application/json", b'{"a":1}', "json"),
        ("application/problem+json; charset=utf-8", b"{}", "json"),
        (None, b"  [1, 2]", "json"),
        ("text/plain", b'{"looks": "like json"}', "json"),
        ("text/html", b"<html>{</html>", "text"),
        ("text/plain", "grüße\n".encode(), "text"),
        (None, b"", "text"),
        ("text/csv", b"a,b\n1,2\n", "text"),
        ("image/png", PNG, "png"),
        ("application/octet-stream", PNG, "png"),
        ("image/png", b"not a png at all", "binary"),
        ("image/jpeg", b"\xff\xd8\xff\xe0" + bytes(10), "jpeg"),
        (None, b"GIF89a" + bytes(10), "gif"),
        ("image/webp", b"RIFF\x10\0\0\0WEBPVP8 ", "webp"),
        ("image/svg+xml", b'<?xml version="1.0"?>\n<svg xmlns="x"></svg>', "svg"),
        (None, b"<!-- made by hand -->\n<svg width='1'/>", "svg"),
        ("text/xml", b"<svg><rect/></svg>", "svg"),
        ("application/xml", b"<feed/>", "text"),
        ("application/octet-stream", bytes(range(256)), "binary"),
        (None, b"\x00\x01\x02", "binary"),
        ("text/plain", b"\x00 text says the label", "text"),
        (None, "é".encode() * 4096 + b"\xc3", "text"),  # a character cut by the window
        (None, b"ok\xff\xfe then not UTF-8", "binary"),
    ],
)
def test_sniff_kind(content_type: str | None, data: bytes, kind: str) -> None:
    assert sniff_kind(content_type, data) == kind


# --- hex -----------------------------------------------------------------------------------


def test_hex_rows_show_offset_two_groups_and_ascii() -> None:
    data = b'{"ok":true}\n\x00\x01\xff' + bytes(range(0x41, 0x45))
    assert hex_row(data, 0) == (
        '00000000  7b 22 6f 6b 22 3a 74 72  75 65 7d 0a 00 01 ff 41  |{"ok":true}....A|'
    )
    assert hex_row(data, 1) == "00000010  42 43 44" + " " * 42 + "|BCD|"
    assert hex_row(b"", 0) == "00000000" + " " * 52 + "||"
    row = hex_row(bytes(range(16)), 0)
    assert [row[hex_column(i) : hex_column(i) + 2] for i in range(16)] == [
        f"{i:02x}" for i in range(16)
    ]
    assert row[textwork.HEX_ASCII_COLUMN - 1] == "|"


def test_hex_offsets_grow_past_eight_digits() -> None:
    assert textwork.hex_row_count(0) == 0
    assert textwork.hex_row_count(17) == 2
    assert hex_row(bytes(16), 0x1_0000_0000 // 16).startswith("100000000  ")


# --- the composer's check -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', None),
        ("   \n", None),
        ('{"a": 1,}', (1, 9, "Expecting property name enclosed in double quotes.")),
        ('{\n  "a": 1\n  "b": 2\n}', (3, 3, "Expecting ',' delimiter.")),
        ("[1, 2", (1, 6, "Expecting ',' delimiter.")),
        ('{"a": NaN}', (1, 7, "NaN is not valid JSON.")),
        ("[1,\n -Infinity]", (2, 2, "-Infinity is not valid JSON.")),
        ('{"a": 1} x', (1, 10, "Extra data.")),
    ],
)
def test_check_json(text: str, expected: tuple[int, int, str] | None) -> None:
    assert check_json(text) == expected
