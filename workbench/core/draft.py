"""The request a person is composing: switchable rows, query and params in step, body forms.

A draft has rows that can be switched off, a query kept in step with its params table,
headers as ``Name: value`` text, and a body in one of five forms. Front doors turn a draft
into a :class:`~workbench.core.exchange.ProxyRequest`; nothing here judges the request
(that is :func:`workbench.core.rules.diagnose`). The text forms are exact: a query is split
and joined as typed (no percent-encoding is added or removed), so what a person sees in
the params table is what reaches the URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

BodyMode = Literal["none", "json", "text", "form", "file"]
BODY_MODES: tuple[BodyMode, ...] = ("none", "json", "text", "form", "file")
# A header line starting with this is kept in the table but not sent.
DISABLED_PREFIX = "#"

_CONTENT_TYPES: dict[BodyMode, str] = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "form": "application/x-www-form-urlencoded",
    "file": "application/octet-stream",
}


@dataclass(frozen=True)
class Row:
    """One name/value row of a params or headers table.

    Attributes:
        name: the parameter or header name, as typed.
        value: the value as typed; None for a query parameter written without ``=``.
        enabled: whether the row is sent.
    """

    name: str
    value: str | None = ""
    enabled: bool = True

    @property
    def is_blank(self) -> bool:
        """True for a row with neither name nor value (the table's row for typing into)."""
        return not self.name and not self.value


@dataclass(frozen=True)
class SplitUrl:
    """A URL cut around its query: ``base`` + ``?query`` + ``#fragment``.

    Attributes:
        base: everything before the ``?`` (or the ``#`` when there is no query).
        params: the query's parameters, in order, as typed.
        fragment: the text after ``#``, or None when there is no ``#``.
    """

    base: str
    params: tuple[Row, ...]
    fragment: str | None


def split_url(url: str) -> SplitUrl:
    """Cut ``url`` into its base, query parameters and fragment, keeping every byte as typed.

    Empty parameters (``a=1&&b=2``) are dropped: they carry nothing and a table row for
    them would be noise.
    """
    rest, hash_mark, fragment = url.partition("#")
    base, _, query = rest.partition("?")
    params = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, equals, value = piece.partition("=")
        params.append(Row(name, value if equals else None))
    return SplitUrl(base, tuple(params), fragment if hash_mark else None)


def join_url(base: str, params: Iterable[Row], fragment: str | None = None) -> str:
    """The URL with the enabled, non-blank ``params`` as its query (the inverse of
    :func:`split_url` for a URL without empty parameters)."""
    pieces = [
        row.name if row.value is None else f"{row.name}={row.value}"
        for row in params
        if row.enabled and not row.is_blank
    ]
    query = "?" + "&".join(pieces) if pieces else ""
    tail = "" if fragment is None else "#" + fragment
    return base + query + tail


def params_after_url_edit(url: str, previous: Sequence[Row]) -> list[Row]:
    """The params table after the URL was edited by hand.

    The URL's own parameters come first (they are the enabled rows); rows that were
    switched off are kept after them, since the URL cannot show them.
    """
    return [*split_url(url).params, *(row for row in previous if not row.enabled)]


def url_after_params_edit(url: str, params: Sequence[Row]) -> str:
    """The URL after the params table was edited: its query rebuilt from the table."""
    parts = split_url(url)
    return join_url(parts.base, params, parts.fragment)


def headers_to_text(rows: Iterable[Row]) -> str:
    """Header rows as bulk-edit text: ``Name: value`` lines; a switched-off row gets ``# ``."""
    lines = []
    for row in rows:
        if row.is_blank:
            continue
        line = f"{row.name}: {row.value or ''}"
        lines.append(line if row.enabled else f"{DISABLED_PREFIX} {line}")
    return "\n".join(lines)


def text_to_headers(text: str) -> list[Row]:
    """Parse bulk-edit text (see :func:`headers_to_text`); blank lines are skipped.

    A line without ``:`` is a header name with an empty value, so that nothing typed is
    lost: the rules then say what is wrong with it.
    """
    rows = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        enabled = not line.startswith(DISABLED_PREFIX)
        if not enabled:
            line = line[len(DISABLED_PREFIX) :].lstrip()
        name, _, value = line.partition(":")
        rows.append(Row(name.strip(), value.strip(), enabled))
    return rows


def sent_pairs(rows: Iterable[Row]) -> list[tuple[str, str]]:
    """The enabled, non-blank rows as ``(name, value)`` pairs, in order."""
    return [(row.name, row.value or "") for row in rows if row.enabled and not row.is_blank]


def sent_row_indexes(rows: Sequence[Row]) -> list[int]:
    """For each pair of :func:`sent_pairs`, the index of its row in ``rows``.

    Findings name the row of the *sent* headers; the table maps them back with this.
    """
    return [index for index, row in enumerate(rows) if row.enabled and not row.is_blank]


def content_type(mode: BodyMode) -> str | None:
    """The ``Content-Type`` a body of this form is sent with, or None for no body."""
    return _CONTENT_TYPES.get(mode)


def form_body(rows: Iterable[Row]) -> bytes:
    """Enabled form rows, ``application/x-www-form-urlencoded``."""
    return urlencode(sent_pairs(rows)).encode("ascii")


def json_error(text: str) -> str | None:
    """Why ``text`` is not JSON (``line L, column C: reason``), or None when it is."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f"line {error.lineno}, column {error.colno}: {error.msg}"
    return None
