"""Calls to the REST server that many tests make: the client-credentials grant."""

from __future__ import annotations

import httpx


def request_token(base_url: str, client_id: str, client_secret: str) -> httpx.Response:
    """``POST /v1/oauth/token`` with the client-credentials grant, as the SDKs send it."""
    return httpx.post(
        f"{base_url}/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
        trust_env=False,
        timeout=30,
    )


def users_status(base_url: str, project_id: str, token: str) -> int:
    """The status of ``GET .../users`` with ``token``: a cheap way to ask if a token works."""
    response = httpx.get(
        f"{base_url}/v1/connect/{project_id}/users",
        headers={"authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=30,
    )
    return response.status_code
