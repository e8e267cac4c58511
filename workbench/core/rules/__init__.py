"""The proxy rule book: the one place the URL, header and method policy lives.

The engine, the composer's live validation and the REST server all call these functions;
the policy is security-policy.md section 3. Every refusal is a
:class:`~workbench.core.errors.RuleError` whose ``code`` is one of:

- URL: ``bad_url``, ``url_too_long``, ``scheme_not_allowed``, ``relative_path_required``,
  ``userinfo_not_allowed``, ``ip_literal_not_allowed``, ``port_not_allowed``, ``bad_host``,
  ``domain_not_allowed``, ``no_allowed_domains``, ``dot_segments``,
  ``fragment_not_allowed``, ``bad_path``.
- Templates and fields: ``missing_custom_field``, ``bad_custom_field``, ``bad_template``,
  ``bad_allowed_domain``.
- Headers: ``restricted_header``, ``reserved_header``, ``bad_header_name``,
  ``bad_header_value``, ``duplicate_header``, ``bad_proxy_prefix``, ``too_many_headers``.
- Other: ``method_not_allowed``, ``bad_url64``.

Decisions the policy leaves open: header values are trimmed of leading and trailing
spaces and tabs (not refused); ``_`` in a header name is read as ``-`` for the restricted,
reserved and duplicate checks; every ``X-Forwarded-*`` name is refused; a ``url_64``
segment must use one base64 alphabet throughout.
"""

from __future__ import annotations

from workbench.core.errors import RuleError
from workbench.core.rules.diagnose import Diagnosis, Finding, diagnose
from workbench.core.rules.headers import (
    ALLOWED_METHODS,
    RESTRICTED_HEADERS,
    check_headers,
    check_method,
    reserved_headers,
)
from workbench.core.rules.hosts import (
    check_allowed_domain_entry,
    check_custom_field_value,
    host_allowed,
    placeholders,
    render_base,
)
from workbench.core.rules.url64 import decode_url64, encode_url64
from workbench.core.rules.urls import MAX_URL_LENGTH, resolve_target

__all__ = [
    "ALLOWED_METHODS",
    "MAX_URL_LENGTH",
    "RESTRICTED_HEADERS",
    "Diagnosis",
    "Finding",
    "RuleError",
    "check_allowed_domain_entry",
    "check_custom_field_value",
    "check_headers",
    "check_method",
    "decode_url64",
    "diagnose",
    "encode_url64",
    "host_allowed",
    "placeholders",
    "render_base",
    "reserved_headers",
    "resolve_target",
]
