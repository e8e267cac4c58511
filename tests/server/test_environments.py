"""Environment isolation on every route, through the official Python SDK.

Accounts belong to one environment; external users are seen in the environments they
have accounts in. A request only sees and changes what its ``x-pd-environment`` names.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pipedream.core.api_error import ApiError

from tests.server.conftest import BEARER_SECRET, Stack
from workbench.core.accounts import Account


@dataclass(frozen=True)
class People:
    """Users with accounts in one or both environments (unique names per test)."""

    dev_only: Account
    prod_only: Account
    both_dev: Account
    both_prod: Account


@pytest.fixture
def people(stack: Stack, request: pytest.FixtureRequest) -> People:
    tag = request.node.name.split("[")[0][-12:]
    return People(
        dev_only=stack.add_account(f"dev-only-{tag}"),
        prod_only=stack.add_account(f"prod-only-{tag}", environment="production"),
        both_dev=stack.add_account(f"both-{tag}"),
        both_prod=stack.add_account(f"both-{tag}", environment="production"),
    )


def _still_there(stack: Stack, account: Account) -> bool:
    return stack.connections.find_account(account.id) is not None and dict(
        stack.connections.credentials(account.id)
    ) == {"api_key": BEARER_SECRET}


def _gone(stack: Stack, account: Account) -> bool:
    return (
        stack.connections.find_account(account.id) is None
        and dict(stack.connections.credentials(account.id)) == {}
    )


def test_users_list_shows_only_users_with_accounts_in_the_environment(stack: Stack, people: People):
    tag = people.dev_only.external_user_id.removeprefix("dev-only-")
    for environment, expected in (
        ("development", {people.dev_only.external_user_id, people.both_dev.external_user_id}),
        ("production", {people.prod_only.external_user_id, people.both_prod.external_user_id}),
    ):
        pd = stack.sdk(environment=environment)
        assert {u.external_id for u in pd.users.list(q=tag, limit=100)} == expected
        pager = pd.users.list(q=tag, limit=1)
        assert pager.response.page_info.total_count == 2


def test_deleting_a_user_in_one_environment_leaves_the_other_alone(stack: Stack, people: People):
    dev = stack.sdk()
    with pytest.raises(ApiError) as caught:
        dev.users.delete_external_user(people.prod_only.external_user_id)
    assert caught.value.status_code == 404
    assert _still_there(stack, people.prod_only)

    dev.users.delete_external_user(people.both_dev.external_user_id)
    assert _gone(stack, people.both_dev)
    assert _still_there(stack, people.both_prod)
    user = people.both_prod.external_user_id
    assert stack.connections.workspace.get_user(stack.project_id, user) is not None
    assert user not in {u.external_id for u in dev.users.list(q=user)}
    prod = stack.sdk(environment="production")
    assert user in {u.external_id for u in prod.users.list(q=user)}

    prod.users.delete_external_user(user)
    assert _gone(stack, people.both_prod)
    assert stack.connections.workspace.get_user(stack.project_id, user) is None


def test_account_routes_never_cross_environments(stack: Stack, people: People):
    dev = stack.sdk()
    prod_user = people.prod_only.external_user_id
    assert dev.accounts.list_by_external_user(prod_user) == []
    assert people.prod_only.id not in {a.id for a in dev.accounts.list(limit=100)}
    with pytest.raises(ApiError) as retrieved:
        dev.accounts.retrieve(people.prod_only.id)
    with pytest.raises(ApiError) as deleted:
        dev.accounts.delete(people.prod_only.id)
    assert (retrieved.value.status_code, deleted.value.status_code) == (404, 404)
    assert _still_there(stack, people.prod_only)
    prod = stack.sdk(environment="production")
    assert [a.id for a in prod.accounts.list_by_external_user(prod_user)] == [people.prod_only.id]


def test_deleting_an_apps_accounts_stays_in_the_environment(stack_factory):
    fresh = stack_factory()
    dev_account = fresh.add_account("app-dev")
    prod_account = fresh.add_account("app-prod", environment="production")
    fresh.sdk().accounts.delete_by_app("echo_bearer")
    assert _gone(fresh, dev_account)
    assert _still_there(fresh, prod_account)


def test_the_proxy_refuses_an_account_of_the_other_environment(stack: Stack, people: People):
    target = f"http://{stack.authority}/echo"
    with pytest.raises(ApiError) as caught:
        stack.sdk().proxy.get(
            url=target,
            external_user_id=people.prod_only.external_user_id,
            account_id=people.prod_only.id,
        )
    assert caught.value.status_code == 404
    assert caught.value.body["code"] == "account_not_found"
    answer = stack.sdk(environment="production").proxy.get(
        url=target,
        external_user_id=people.prod_only.external_user_id,
        account_id=people.prod_only.id,
    )
    assert answer["path"] == "/echo"
