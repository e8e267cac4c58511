"""The project's rate budget seen through the REST server: 429s the SDKs recognise."""

from __future__ import annotations

import httpx
import pytest
from pipedream.core.api_error import ApiError
from pipedream.errors import TooManyRequestsError

from tests.server.conftest import Stack
from workbench.core.ratelimit import RateBudget


def bearer(stack: Stack, client: httpx.Client) -> dict[str, str]:
    token = client.post(
        "/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": stack.client_id,
            "client_secret": stack.client_secret,
        },
    ).json()["access_token"]
    return {"authorization": f"Bearer {token}", "x-pd-environment": "development"}


def test_request_over_a_small_budget_is_too_many_requests(stack_factory):
    stack: Stack = stack_factory(budget=RateBudget(limit=5, window=300.0))
    account = stack.add_account("rl-user")
    pd = stack.sdk()
    # Refusals before the budget step (a restricted header) spend none of it.
    with pytest.raises(ApiError) as refused:
        pd.proxy.get(
            "/v1/echo", external_user_id="rl-user", account_id=account.id, headers={"Cookie": "x"}
        )
    assert refused.value.status_code == 400
    for _ in range(5):
        pd.proxy.get("/v1/echo", external_user_id="rl-user", account_id=account.id)
    with pytest.raises(TooManyRequestsError) as caught:
        pd.proxy.get("/v1/echo", external_user_id="rl-user", account_id=account.id)
    error = caught.value
    assert error.status_code == 429
    assert error.headers["x-workbench-error"] == "rate_limited"
    assert 1 <= int(error.headers["retry-after"]) <= 300
    assert error.body["code"] == "rate_limited"
    # Another project has its own budget.
    other = stack.connections.workspace.create_project("Second")
    other_id, other_secret = stack.connections.project_credentials(other.id)
    other_account = stack.connections.add_account(
        other.id,
        "rl-user",
        "echo_bearer",
        secrets={"api_key": "k"},
        allow_private_network=True,
    )
    second = stack.sdk(project_id=other.id, client_id=other_id, client_secret=other_secret)
    echo = second.proxy.get("/v1/echo", external_user_id="rl-user", account_id=other_account.id)
    assert echo["method"] == "GET"


def test_the_1001st_request_in_five_minutes_is_refused(stack_factory):
    stack: Stack = stack_factory()  # the product's budget: 1,000 per 300 s per project
    assert stack.engine.budget_snapshot(stack.project_id).limit == 1000
    account = stack.add_account("busy-user")
    query = {"external_user_id": "busy-user", "account_id": account.id}
    # Spend 990 directly (1,000 round trips would only slow the suite), the rest via REST.
    for _ in range(990):
        stack.engine.budget.take(stack.project_id)
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        headers = bearer(stack, client)
        path = f"/v1/connect/{stack.project_id}/proxy/L3YxL2VjaG8="
        statuses = [client.get(path, params=query, headers=headers).status_code for _ in range(10)]
    assert statuses == [200] * 10
    assert stack.engine.budget_snapshot(stack.project_id).remaining == 0
    with pytest.raises(TooManyRequestsError) as caught:
        stack.sdk().proxy.get("/v1/echo", **query)
    assert caught.value.headers["x-workbench-error"] == "rate_limited"
