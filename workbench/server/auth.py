"""Access tokens: the client-credentials grant, the in-memory token store, bearer checks."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.datastructures import Headers

from workbench.server import bodies
from workbench.server.errors import ApiError

TOKEN_LIFETIME = 3600.0  # seconds; Python refreshes 120 s early, so keep it well above that
TOKEN_PREFIX = "wbt_"
_BEARER_CHALLENGE = {"www-authenticate": 'Bearer realm="workbench"'}


class ClientCredentialChecker(Protocol):
    """Checks a project's client id and secret (``Connections`` implements it)."""

    def check_client_credentials(self, client_id: str, client_secret: str) -> Any:
        """Return the project (with an ``id``) these credentials belong to, or None."""
        ...


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued access token."""

    access_token: str
    expires_in: int
    project_id: str

    def to_json(self) -> dict[str, object]:
        """The token response body; Python's SDK requires all three fields."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


@dataclass(frozen=True)
class _Grant:
    project_id: str
    expires_at: float


class TokenStore:
    """Random bearer tokens held in memory, each mapped to one project, expiring.

    Only a SHA-256 digest of each token is kept, so a memory dump or a ``repr`` of the
    store shows no usable token.

    Args:
        lifetime: seconds a token stays valid.
        clock: monotonic seconds; injectable for tests.
    """

    def __init__(
        self, *, lifetime: float = TOKEN_LIFETIME, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._grants: dict[bytes, _Grant] = {}

    def issue(self, project_id: str) -> IssuedToken:
        """Create a token for ``project_id`` (and forget expired ones)."""
        now = self._clock()
        self._grants = {k: g for k, g in self._grants.items() if g.expires_at > now}
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._grants[_digest(token)] = _Grant(project_id, now + self._lifetime)
        return IssuedToken(token, int(self._lifetime), project_id)

    def project_for(self, token: str) -> str | None:
        """The project a live token belongs to, or None (unknown or expired)."""
        grant = self._grants.get(_digest(token))
        if grant is None or grant.expires_at <= self._clock():
            return None
        return grant.project_id

    def revoke_project(self, project_id: str) -> int:
        """Invalidate every token of a project (after its client secret is rotated)."""
        before = len(self._grants)
        self._grants = {k: g for k, g in self._grants.items() if g.project_id != project_id}
        return before - len(self._grants)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def bearer_project(headers: Headers, tokens: TokenStore) -> str:
    """The project of the request's bearer token.

    Raises:
        ApiError: 401 (with a ``WWW-Authenticate`` challenge) when the token is missing,
            malformed, unknown or expired.
    """
    value = headers.get("authorization")
    if not value:
        raise ApiError(401, "Missing bearer token", headers=_BEARER_CHALLENGE)
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization must be 'Bearer <token>'", headers=_BEARER_CHALLENGE)
    project_id = tokens.project_for(token.strip())
    if project_id is None:
        raise ApiError(401, "Invalid or expired access token", headers=_BEARER_CHALLENGE)
    return project_id


def parse_token_request(body: bytes, content_type: str) -> dict[str, str]:
    """The fields of a token request, sent as JSON (the SDKs) or form-encoded (curl).

    Raises:
        ApiError: 400 when the body is neither, is nested too deeply (see
            :mod:`workbench.server.bodies`), or a field is not a string.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    what = "The token request body"
    fields: object
    if media == "application/x-www-form-urlencoded":
        fields = bodies.parse_form(body, what=what) if body else {}
    elif media in ("", "application/json") or media.endswith("+json"):
        fields = bodies.parse_json(body, what=what) if body.strip() else {}
    else:
        raise ApiError(400, "Send the token request as JSON or form-encoded")
    if not isinstance(fields, dict):
        raise ApiError(400, "The token request body must be a JSON object")
    result: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if not isinstance(value, str) or not _is_utf8(value):
            raise ApiError(400, f"Token request field '{name}' must be a string")
        result[name] = value
    return result


def _is_utf8(value: str) -> bool:
    # JSON may carry lone surrogates ("\ud800"), which no UTF-8 consumer can take.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def grant_token(
    fields: dict[str, str], checker: ClientCredentialChecker, tokens: TokenStore
) -> IssuedToken:
    """Run the client-credentials grant.

    Raises:
        ApiError: 400 for another grant type or missing fields, 401 for wrong credentials.
    """
    grant_type = fields.get("grant_type")
    if grant_type != "client_credentials":
        raise ApiError(400, "grant_type must be 'client_credentials'")
    if "client_assertion" in fields:
        raise ApiError(400, "Private-key client assertions are not supported; use client_secret")
    client_id, client_secret = fields.get("client_id"), fields.get("client_secret")
    if not client_id or not client_secret:
        raise ApiError(400, "client_id and client_secret are required")
    project = checker.check_client_credentials(client_id, client_secret)
    if project is None:
        raise ApiError(401, "Invalid client credentials")
    return tokens.issue(project.id)
