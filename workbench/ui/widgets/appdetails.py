"""The selected app's proxy facts: domains, base URL, where the credential goes (names only)."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTextBrowser, QWidget

from workbench.ui import theme

if TYPE_CHECKING:  # types only: the catalog's parsers are imported by the session
    from workbench.core.catalog import App, FieldSpec, Injection

_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_AUTH = {"oauth": "OAuth", "keys": "API keys", "none": "No authentication"}


def injection_summary(spec: Injection) -> str:
    """Where one credential goes, named but never valued: ``Header Authorization (Bearer)``."""
    if spec.kind == "header":
        scheme = (spec.template or "").split("{{", 1)[0].strip()
        return f"Header {spec.name}" + (f" ({scheme} …)" if scheme else "")
    if spec.kind == "query":
        return f"Query parameter {spec.name}"
    if spec.kind == "basic":
        return "HTTP Basic authentication (Authorization header)"
    return "Path prefix before the request path"


def _highlight_placeholders(text: str) -> str:
    colors = theme.colors()
    out, end = [], 0
    for match in _PLACEHOLDER.finditer(text):
        out.append(html.escape(text[end : match.start()]))
        out.append(
            f'<span style="background:{colors.highlight_bg.name()};'
            f'color:{colors.warning.name()};font-weight:600">{html.escape(match.group())}</span>'
        )
        end = match.end()
    out.append(html.escape(text[end:]))
    return "".join(out)


def _fields(title: str, fields: tuple[FieldSpec, ...]) -> str:
    if not fields:
        return ""
    rows = []
    for spec in fields:
        required = "required" if spec.required else "optional"
        about = f" — {html.escape(spec.description)}" if spec.description else ""
        rows.append(
            f"<li><code>{html.escape(spec.name)}</code> ({html.escape(spec.label)}, "
            f"{required}){about}</li>"
        )
    return f"<h4>{title}</h4><ul>{''.join(rows)}</ul>"


def details_html(app: App) -> str:
    """The details panel's HTML for ``app`` (every value escaped)."""
    colors = theme.colors()
    connect = app.connect
    parts = [f"<h3>{html.escape(app.name)}</h3>"]
    meta = [f"<code>{html.escape(app.name_slug)}</code>", _AUTH.get(app.auth_type, app.auth_type)]
    if app.categories:
        meta.append(html.escape(", ".join(app.categories)))
    parts.append(f'<p style="color:{colors.muted.name()}">{" · ".join(meta)}</p>')
    if not connect.proxy_enabled:
        parts.append(
            f'<p style="color:{colors.error.name()}"><b>The proxy cannot call this app.</b> '
            "Its catalog entry does not enable the proxy, so requests to it cannot be sent.</p>"
        )
    domains = "".join(
        f"<li><code>{_highlight_placeholders(domain)}</code></li>"
        for domain in connect.allowed_domains
    )
    parts.append(f"<h4>Allowed domains</h4><ul>{domains or '<li>none</li>'}</ul>")
    parts.append(
        "<h4>Base URL</h4>"
        f"<p><code>{_highlight_placeholders(connect.base_proxy_target_url)}</code></p>"
    )
    if app.is_dynamic:
        parts.append(
            "<p><b>Account-specific domain.</b> Each account fills the highlighted fields, "
            "so only paths relative to the account's base are accepted (such as "
            "<code>/api/v2/users</code>), never a full URL.</p>"
        )
    else:
        parts.append(
            "<p><b>Static domain.</b> A full <code>https://</code> URL on an allowed domain "
            "or a path relative to the base URL.</p>"
        )
    placements = "".join(f"<li>{html.escape(injection_summary(s))}</li>" for s in app.injection)
    parts.append(f"<h4>Credential</h4><ul>{placements or '<li>none is added</li>'}</ul>")
    parts.append(_fields("Custom fields (per account)", app.custom_fields))
    parts.append(_fields("Credentials (kept in the keychain)", app.credentials))
    if app.verification is not None:
        check = app.verification
        parts.append(
            f"<h4>Verification</h4><p><code>{html.escape(check.method)} "
            f"{html.escape(check.path)}</code></p>"
        )
    if app.notes:
        parts.append(f"<p>{html.escape(app.notes)}</p>")
    return "".join(parts)


class AppDetails(QTextBrowser):
    """Read-only details of the selected app (``objectName`` ``appDetails``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty panel that invites a choice."""
        super().__init__(parent)
        self.setObjectName("appDetails")
        self.setAccessibleName("App details")
        self.setOpenLinks(False)
        self.show_app(None)

    def show_app(self, app: App | None) -> None:
        """Show ``app``'s facts, or a hint when none is selected."""
        if app is None:
            self.setHtml("<p>Choose an app to see where its requests may go.</p>")
        else:
            self.setHtml(details_html(app))
