"""The two error types of the core: a broken rule and an engine refusal."""

from __future__ import annotations


class RuleError(ValueError):
    """A request, URL, header or field that the proxy policy refuses.

    Attributes:
        code: a stable machine code such as ``restricted_header`` or ``domain_not_allowed``.
        message: a sentence naming the problem; never contains a secret.
        field: which input is at fault (``"url"``, ``"headers"``, ``"method"``,
            ``"custom_fields"``, ``"body"``), when known.
        row: the index of the offending header row, when the fault is one header.
    """

    def __init__(
        self, code: str, message: str, *, field: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.row = row

    def __repr__(self) -> str:
        return f"RuleError({self.code!r}, {self.message!r})"


class ProxyError(Exception):
    """The engine refused or could not complete a request.

    Always the engine's own error, never an upstream status: ``origin`` is ``"engine"``
    so that front doors can mark it (the REST server sets ``x-workbench-error``).

    Attributes:
        status: the HTTP status a front door answers with (400, 403, 404, 429, 502, 504...).
        code: a stable machine code (``rate_limited``, ``upstream_timeout``...).
        message: a sentence naming the problem; never contains a secret.
        retry_after: seconds until a retry can succeed (429 only).
        field: which input is at fault, for validation errors.
    """

    origin = "engine"

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.field = field

    @classmethod
    def from_rule(cls, error: RuleError) -> ProxyError:
        """Turn a broken rule into the 400 the engine answers with."""
        return cls(400, error.code, error.message, field=error.field)

    def to_dict(self) -> dict[str, object]:
        """The JSON body front doors send: ``{"error", "code", "origin"...}``."""
        body: dict[str, object] = {"error": self.message, "code": self.code, "origin": "engine"}
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body

    def __repr__(self) -> str:
        return f"ProxyError({self.status}, {self.code!r}, {self.message!r})"
