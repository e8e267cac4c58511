"""The body view's Qt-free preparation: modes per kind, sizes, charsets, the text prepared."""

from __future__ import annotations

import json

import pytest

from workbench.ui import bodyprep
from workbench.ui.bodyprep import PREVIEW_BYTES, ROW_COLS, human_size, prepare
from workbench.ui.textwork import reindent_json


@pytest.fixture(autouse=True)
def _no_leaked_windows() -> None:
    """Overrides the ui conftest's guard, which needs a QApplication: these tests have none."""


def test_human_size() -> None:
    assert [human_size(n) for n in (0, 1023, 256 * 1024, 20 * 1024 * 1024 + 1)] == [
        "0 B",
        "1023 B",
        "256 KiB",
        "20.0 MB",
    ]


def test_text_in_other_charsets_becomes_utf8() -> None:
    assert bodyprep.charset_of('text/plain; charset="ISO-8859-1"') == "ISO-8859-1"
    assert bodyprep.charset_of("application/json") is None
    latin = "grüße".encode("latin-1")
    assert bodyprep.to_utf8(latin, "iso-8859-1") == "grüße".encode()
    assert bodyprep.to_utf8(latin, None) is latin
    assert bodyprep.to_utf8(latin, "no-such-charset") is latin
    assert bodyprep.to_utf8(b"abc", "us-ascii") == b"abc"
    wide = "ü€".encode("utf-16")
    assert bodyprep.to_utf8(wide, "utf-16") == "ü€".encode()


def test_modes_names_and_file_names_per_kind() -> None:
    assert bodyprep.modes_for("json") == ("pretty", "raw", "hex")
    assert bodyprep.modes_for("png") == ("preview", "hex")
    assert bodyprep.modes_for("binary") == ("hex",)
    assert [bodyprep.kind_name(k) for k in ("json", "text", "binary", "webp")] == [
        "JSON",
        "Text",
        "Binary",
        "WEBP",
    ]
    assert bodyprep.file_name("jpeg") == "response.jpg"
    assert bodyprep.file_name("svg") == "response.svg"


def test_prepare_cuts_the_start_of_a_body_after_its_last_whole_row() -> None:
    body = json.dumps([{"n": n} for n in range(40_000)]).encode()
    text, starts, widest = prepare(body[:PREVIEW_BYTES], ("pretty", True), None, lambda d, t: None)
    assert reindent_json(body).startswith(text)
    assert text.endswith(b"\n")
    assert starts[-1] < len(text)
    assert widest <= ROW_COLS
    whole = prepare(body, ("raw", False), None, lambda d, t: None)
    assert whole[0] is body
    assert len(whole[1]) == -(-len(body) // ROW_COLS)  # one line, in rows


def test_prepare_reports_progress_in_two_phases() -> None:
    body = json.dumps([{"n": n} for n in range(100_000)]).encode()
    seen: list[int] = []
    prepare(body, ("pretty", False), None, lambda done, total: seen.append(done * 100 // total))
    assert seen == sorted(seen)
    assert seen[-1] == 100
    assert any(70 < p < 100 for p in seen), "rows are the last 30%"
