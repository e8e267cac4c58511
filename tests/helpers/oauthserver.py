"""A local OAuth 2 authorization server on 127.0.0.1 for the OAuth tests (Authlib + Flask).

It is also the app's API. ``/authorize`` approves at once (a test's HTTP client plays the
browser and follows its redirect to the workbench's loopback listener), ``/token`` grants
``authorization_code`` with PKCE S256 required and ``refresh_token`` with rotation, and
``/api/me`` answers 200 only to a live access token. Switches on the server let a test
expire or revoke tokens, add members to the token response, or break the token URL;
counters show what the workbench did.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

CLIENT_ID = "wb-test-client"
CLIENT_SECRET = "cs_TEST_client_secret_9d41b7"
USER = "test-user"
_LOOPBACK = re.compile(r"http://127\.0\.0\.1:\d{1,5}/callback\Z")


class Client(ClientMixin):
    """The one registered client: confidential, loopback redirects on any port (RFC 8252)."""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return bool(_LOOPBACK.match(redirect_uri))

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token(TokenMixin):
    access_token: str
    refresh_token: str | None
    scope: str
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == CLIENT_ID

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return False  # the tests expire tokens by hand (State.expire_access_tokens)

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class State:
    """What the server holds, and the switches tests turn."""

    codes: dict[str, Code] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    expires_in: int = 3600
    extra_token_fields: dict[str, Any] = field(default_factory=dict)
    token_status: int | None = None  # answer /token with this status and no JSON
    authorize_error: str | None = None  # send the browser back with this error
    api_refuses: bool = False  # /api/me answers 401 whatever the token
    token_requests: list[dict[str, str]] = field(default_factory=list)
    refreshes: int = 0
    api_calls: list[str] = field(default_factory=list)  # the bearer token of each call
    challenge_methods: list[str | None] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)  # cleared: /token waits
    arrivals: int = 0  # requests that reached /token, waiting at the gate or not
    lock: threading.Lock = field(default_factory=threading.Lock)

    def live(self, access_token: str) -> bool:
        return any(t.access_token == access_token and not t.revoked for t in self.tokens)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (refresh tokens still do)."""
        with self.lock:
            self.tokens = [
                Token("expired-" + secrets.token_hex(8), t.refresh_token, t.scope, 0, t.issued_at)
                if not t.revoked
                else t
                for t in self.tokens
            ]

    def revoke_all(self) -> None:
        """The user revoked the app: every token, access and refresh, stops working."""
        with self.lock:
            for token in self.tokens:
                token.revoked = True


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]
    state: State

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.state.challenge_methods.append(data.get("code_challenge_method"))
        self.state.codes[code] = Code(
            code,
            request.payload.redirect_uri,
            request.payload.scope or "",
            data.get("code_challenge"),
            data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: ClientMixin) -> Code | None:
        return self.state.codes.get(code)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.state.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> str:
        return USER


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: each refresh token works once
    state: State

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        return next(
            (t for t in self.state.tokens if t.refresh_token == refresh_token and not t.revoked),
            None,
        )

    def authenticate_user(self, credential: Token) -> str:
        return USER

    def revoke_old_credential(self, credential: Token) -> None:
        credential.revoked = True


def build_app(state: State) -> Flask:
    """The Flask app serving the authorization server and the API."""
    app = Flask("workbench-test-oauth")

    class Server(AuthorizationServer):
        def generate_token(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            kwargs["expires_in"] = state.expires_in
            token = super().generate_token(*args, **kwargs)
            token.update(state.extra_token_fields)
            return token

    def save_token(token: dict[str, Any], request: Any) -> None:
        with state.lock:
            state.tokens.append(
                Token(
                    token["access_token"],
                    token.get("refresh_token"),
                    token.get("scope", ""),
                    token["expires_in"],
                )
            )

    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    server = Server(app, query_client=lambda cid: Client() if cid == CLIENT_ID else None)
    server.save_token = save_token  # type: ignore[method-assign]
    CodeGrant.state = RefreshGrant.state = state
    server.register_grant(CodeGrant, [CodeChallenge(required=True)])
    server.register_grant(RefreshGrant)
    state.gate.set()

    @app.get("/authorize")
    def authorize() -> Response:
        if state.authorize_error is not None:
            target = request.args["redirect_uri"]
            query = f"error={state.authorize_error}&error_description=The+user+said+no"
            return Response(
                status=302, headers={"Location": f"{target}?{query}&state={request.args['state']}"}
            )
        grant = server.get_consent_grant(end_user=USER)
        return server.create_authorization_response(grant=grant, grant_user=USER)

    @app.post("/token")
    def token() -> Response:
        with state.lock:
            state.arrivals += 1
        state.gate.wait(10)
        with state.lock:
            state.token_requests.append(dict(request.form))
            if request.form.get("grant_type") == "refresh_token":
                state.refreshes += 1
        if state.token_status is not None:
            return Response("<html>down</html>", status=state.token_status)
        return server.create_token_response()

    @app.get("/api/me")
    def me() -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with state.lock:
            state.api_calls.append(bearer)
            alive = state.live(bearer) and not state.api_refuses
        if not alive:
            return Response('{"error": "invalid_token"}', status=401)
        return jsonify({"user": USER})

    return app


class OAuthServer:
    """The server in a thread; ``base`` is ``http://127.0.0.1:PORT``."""

    def __init__(self) -> None:
        self.state = State()
        self._http = make_server("127.0.0.1", 0, build_app(self.state), threaded=True)
        self.authority = f"127.0.0.1:{self._http.server_port}"
        self.base = f"http://{self.authority}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def app_dict(self, slug: str = "local_oauth", **oauth: Any) -> dict[str, Any]:
        """A catalog entry (our schema) for an app served here."""
        return {
            "name_slug": slug,
            "name": "Local OAuth",
            "auth_type": "oauth",
            "categories": ["Testing"],
            "connect": {
                "proxy_enabled": True,
                "allowed_domains": [self.authority],
                "base_proxy_target_url": self.base,
            },
            "custom_fields": [
                {
                    "name": "api_host",
                    "label": "API host",
                    "required": False,
                    "kind": "host",
                    "description": "From api_domain in the token response",
                }
            ],
            "credentials": [
                {"name": "oauth_access_token", "label": "OAuth access token", "source": "oauth"}
            ],
            "injection": [
                {
                    "in": "header",
                    "name": "Authorization",
                    "template": "Bearer {{credentials.oauth_access_token}}",
                }
            ],
            "oauth": {
                "authorize_url": f"{self.base}/authorize",
                "token_url": f"{self.base}/token",
                "scopes": ["profile", "api"],
                "scope_separator": " ",
                "pkce": True,
                "token_fields": [{"field": "api_host", "from": "api_domain", "take": "host"}],
                **oauth,
            },
            "verification": {"method": "GET", "path": "/api/me", "expect_status": [200]},
        }

    def issued(self) -> list[str]:
        """Every access and refresh token the server has issued."""
        with self.state.lock:
            return [v for t in self.state.tokens for v in (t.access_token, t.refresh_token) if v]

    def start(self) -> OAuthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._thread.join(5)


@contextmanager
def oauth_server() -> Iterator[OAuthServer]:
    """A running server, stopped afterwards."""
    server = OAuthServer().start()
    try:
        yield server
    finally:
        server.stop()
