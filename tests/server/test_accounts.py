"""Account and user routes through the Python SDK, per environment, with secrets guarded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from pipedream.core.api_error import ApiError

from tests.server.conftest import BEARER_SECRET, Stack


@contextmanager
def plain_client(stack: Stack, environment: str = "development") -> Iterator[httpx.Client]:
    """An httpx client with a fresh bearer token and ``x-pd-environment`` set."""
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        token = client.post(
            "/v1/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": stack.client_id,
                "client_secret": stack.client_secret,
            },
        ).json()["access_token"]
        client.headers.update({"authorization": f"Bearer {token}", "x-pd-environment": environment})
        yield client


def test_list_filter_and_page_accounts(stack: Stack):
    mine = [stack.add_account("list-a") for _ in range(3)]
    mine.append(stack.add_account("list-b", app="echo_tenant", custom_fields={"tenant": "t1"}))
    pd = stack.sdk()
    by_user = list(pd.accounts.list(external_user_id="list-a", limit=2))
    # Oldest first; accounts created in the same millisecond are ordered by id.
    oldest_first = sorted(mine[:3], key=lambda a: (a.created_at, a.id))
    assert [a.id for a in by_user] == [a.id for a in oldest_first]
    assert all(a.external_id == "list-a" and a.app.name_slug == "echo_bearer" for a in by_user)
    tenant = list(pd.accounts.list(app="echo_tenant"))
    assert mine[3].id in [a.id for a in tenant]
    app_id = pd.apps.retrieve("echo_tenant").data.id
    assert [a.id for a in pd.accounts.list(app=app_id)] == [a.id for a in tenant]
    pager = pd.accounts.list(limit=1)
    assert sum(len(p.items) for p in pager.iter_pages()) == pager.response.page_info.total_count


def test_retrieve_carries_no_credentials(stack: Stack):
    account = stack.add_account("retrieve-user")
    got = stack.sdk().accounts.retrieve(account.id)
    assert (got.id, got.external_id, got.healthy, got.credentials) == (
        account.id,
        "retrieve-user",
        None,
        None,
    )
    assert got.created_at is not None
    with plain_client(stack) as client:
        raw = client.get(f"/v1/connect/{stack.project_id}/accounts/{account.id}")
    assert BEARER_SECRET not in raw.text


@pytest.mark.parametrize(
    "path",
    [
        "/v1/connect/{p}/accounts?include_credentials=true",
        "/v1/connect/{p}/accounts/{a}?include_credentials=true",
        "/v1/connect/{p}/users/creds-user/accounts?include_credentials=true",
    ],
)
def test_include_credentials_is_refused_by_default(stack: Stack, path: str):
    account = stack.add_account("creds-user")
    with plain_client(stack) as client:
        response = client.get(path.format(p=stack.project_id, a=account.id))
    assert response.status_code == 403
    assert "include_credentials" in response.json()["error"]
    assert "workbench serve --allow-credentials" in response.json()["error"]
    assert BEARER_SECRET not in response.text


def test_include_credentials_when_the_server_allows_it(stack_factory):
    stack: Stack = stack_factory(allow_credentials=True)
    account = stack.add_account("creds-user", app="echo_tenant", custom_fields={"tenant": "x1"})
    got = stack.sdk().accounts.retrieve(account.id, include_credentials=True)
    assert got.credentials.model_dump()["api_key"] == BEARER_SECRET
    assert got.credentials.model_dump()["tenant"] == "x1"


def test_list_by_external_user_is_a_bare_array(stack: Stack):
    first = stack.add_account("team/user 1")
    pd = stack.sdk()
    with plain_client(stack) as client:
        # Node encodes "/" in path parameters; each segment is decoded on its own.
        response = client.get(f"/v1/connect/{stack.project_id}/users/team%2Fuser%201/accounts")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [first.id]
    assert pd.accounts.list_by_external_user("nobody-here") == []


def test_delete_account_and_its_secrets(stack: Stack):
    account = stack.add_account("delete-me")
    pd = stack.sdk()
    pd.accounts.delete(account.id)
    assert stack.connections.find_account(account.id) is None
    assert dict(stack.connections.credentials(account.id)) == {}
    with pytest.raises(ApiError) as caught:
        pd.accounts.retrieve(account.id)
    assert caught.value.status_code == 404
    with pytest.raises(ApiError) as again:
        pd.accounts.delete(account.id)
    assert again.value.status_code == 404


def test_delete_by_app_only_touches_this_environment(stack: Stack):
    dev = stack.add_account("by-app", app="echo_tenant", custom_fields={"tenant": "d"})
    prod = stack.add_account(
        "by-app", app="echo_tenant", custom_fields={"tenant": "p"}, environment="production"
    )
    stack.sdk().accounts.delete_by_app("echo_tenant")
    assert stack.connections.find_account(dev.id) is None
    assert stack.connections.find_account(prod.id) is not None
    with pytest.raises(ApiError) as caught:
        stack.sdk().accounts.delete_by_app("no_such_app")
    assert caught.value.status_code == 404


def test_accounts_of_the_other_environment_are_invisible(stack: Stack):
    prod = stack.add_account("env-user", environment="production")
    dev_sdk, prod_sdk = stack.sdk(), stack.sdk(environment="production")
    assert [a.id for a in prod_sdk.accounts.list(external_user_id="env-user")] == [prod.id]
    assert list(dev_sdk.accounts.list(external_user_id="env-user")) == []
    with pytest.raises(ApiError) as caught:
        dev_sdk.accounts.retrieve(prod.id)
    assert caught.value.status_code == 404
    with pytest.raises(ApiError):
        dev_sdk.accounts.delete(prod.id)
    assert stack.connections.find_account(prod.id) is not None
    with plain_client(stack) as client:
        del client.headers["x-pd-environment"]  # absent means production, like the SDKs
        listed = client.get(
            f"/v1/connect/{stack.project_id}/accounts", params={"external_user_id": "env-user"}
        ).json()
    assert [a["id"] for a in listed["data"]] == [prod.id]


def test_users_list_search_and_page(stack: Stack):
    for name in ("page-u1", "page-u2", "page-u3"):
        stack.add_account(name)
    pd = stack.sdk()
    found = list(pd.users.list(q="PAGE-U", limit=2))
    assert sorted(u.external_id for u in found) == ["page-u1", "page-u2", "page-u3"]
    assert [(u.created_at, u.id) for u in found] == sorted((u.created_at, u.id) for u in found)
    assert all(u.id.startswith("exu_") for u in found)
    pager = pd.users.list(limit=2)
    assert sum(len(p.items) for p in pager.iter_pages()) == pager.response.page_info.total_count


def test_delete_user_removes_accounts_and_secrets(stack: Stack):
    first = stack.add_account("leaving")
    second = stack.add_account("leaving", app="echo_tenant", custom_fields={"tenant": "t"})
    stack.sdk().users.delete_external_user("leaving")
    for account in (first, second):
        assert stack.connections.find_account(account.id) is None
        assert dict(stack.connections.credentials(account.id)) == {}
    assert stack.connections.workspace.get_user(stack.project_id, "leaving") is None
    with pytest.raises(ApiError) as caught:
        stack.sdk().users.delete_external_user("leaving")
    assert caught.value.status_code == 404


def test_accounts_of_another_project_are_not_found(stack: Stack):
    other = stack.connections.workspace.create_project("Elsewhere")
    foreign = stack.connections.add_account(
        other.id, "someone", "echo_bearer", secrets={"api_key": "x"}
    )
    with pytest.raises(ApiError) as caught:
        stack.sdk().accounts.retrieve(foreign.id)
    assert caught.value.status_code == 404
