"""Access tokens: the client-credentials grant, the token store and its records, bearer checks."""

from __future__ import annotations

import hashlib
import secrets
import threading
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


class TokenRecords(Protocol):
    """Where issued tokens are recorded, by digest (``Workspace.tokens`` is one)."""

    def add(self, digest: bytes, project_id: str, expires_at: float, *, now: float) -> None:
        """Record a token until ``expires_at``."""
        ...

    def project_for(self, digest: bytes, *, now: float) -> str | None:
        """The project of a recorded token that has not expired, or None."""
        ...

    def discard(self, digest: bytes) -> None:
        """Forget one token."""
        ...

    def revoke_project(self, project_id: str) -> int:
        """Forget every token of a project; return how many there were."""
        ...


class MemoryTokens:
    """Token records of one process only: for a server with no workspace behind it."""

    def __init__(self) -> None:
        self._grants: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def add(self, digest: bytes, project_id: str, expires_at: float, *, now: float) -> None:
        """Record a token until ``expires_at`` (and forget the expired ones)."""
        with self._lock:
            self._grants = {k: g for k, g in self._grants.items() if g[1] > now}
            self._grants[digest] = (project_id, expires_at)

    def project_for(self, digest: bytes, *, now: float) -> str | None:
        """The project of a recorded token that has not expired, or None."""
        grant = self._grants.get(digest)
        return grant[0] if grant is not None and grant[1] > now else None

    def discard(self, digest: bytes) -> None:
        """Forget one token."""
        with self._lock:
            self._grants.pop(digest, None)

    def revoke_project(self, project_id: str) -> int:
        """Forget every token of a project; return how many there were."""
        with self._lock:
            before = len(self._grants)
            self._grants = {k: g for k, g in self._grants.items() if g[0] != project_id}
            return before - len(self._grants)


class TokenStore:
    """Random bearer tokens, each mapped to one project, expiring; recorded by digest.

    Only a SHA-256 digest of each token is recorded, so a memory dump, a ``repr`` of the
    store or the workspace file shows no usable token. Over a workspace's records
    (what ``build_app`` uses), every server process on the workspace accepts the
    tokens any of them issued, and a revocation reaches all of them at once.

    Args:
        records: where tokens are recorded (this process's memory by default).
        lifetime: seconds a token stays valid.
        clock: wall-clock seconds (shared records need the clock all processes share);
            injectable for tests.
    """

    def __init__(
        self,
        records: TokenRecords | None = None,
        *,
        lifetime: float = TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records: TokenRecords = records if records is not None else MemoryTokens()
        self._lifetime = lifetime
        self._clock = clock

    def issue(self, project_id: str) -> IssuedToken:
        """Create and record a token for ``project_id``."""
        now = self._clock()
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.records.add(_digest(token), project_id, now + self._lifetime, now=now)
        return IssuedToken(token, int(self._lifetime), project_id)

    def project_for(self, token: str) -> str | None:
        """The project a live token belongs to, or None (unknown, revoked or expired)."""
        return self.records.project_for(_digest(token), now=self._clock())

    def discard(self, token: str) -> None:
        """Forget one token (it gets 401 from then on)."""
        self.records.discard(_digest(token))

    def revoke_project(self, project_id: str) -> int:
        """Invalidate every token of a project (after its client secret is rotated)."""
        return self.records.revoke_project(project_id)


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
    issued = tokens.issue(project.id)
    # A rotation (in any process) replaces the secret, then revokes the recorded tokens.
    # Checking again once this token is recorded closes the gap between the two: a token
    # granted on a secret replaced meanwhile is either revoked or discarded here.
    if checker.check_client_credentials(client_id, client_secret) is None:
        tokens.discard(issued.access_token)
        raise ApiError(401, "Invalid client credentials")
    return issued
