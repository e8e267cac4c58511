"""App routes through the Python SDK: paging to the end, sorting, filters, retrieval."""

from __future__ import annotations

import json

import httpx
import pytest
from pipedream.core.api_error import ApiError

from tests.server.conftest import Stack, filler_apps


@pytest.fixture(scope="module")
def pd(stack: Stack):
    return stack.sdk()


@pytest.fixture(scope="module")
def client(stack: Stack):
    with httpx.Client(base_url=stack.base_url, trust_env=False) as plain:
        token = plain.post(
            "/v1/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": stack.client_id,
                "client_secret": stack.client_secret,
            },
        ).json()["access_token"]
        plain.headers["authorization"] = f"Bearer {token}"
        yield plain


def test_pages_to_the_end_add_up_to_the_total(pd, stack: Stack):
    pager = pd.apps.list(limit=4)
    pages = list(pager.iter_pages())
    total = pager.response.page_info.total_count
    assert total == len(stack.engine.catalog) == 25
    assert sum(len(page.items) for page in pages) == total
    assert len(pages) == 7
    assert pages[-1].response.page_info.end_cursor == ""
    slugs = [app.name_slug for page in pages for app in page.items]
    assert len(set(slugs)) == total
    names = [app.name.casefold() for page in pages for app in page.items]
    assert names == sorted(names)


def test_default_page_is_ten_and_limit_is_capped(client: httpx.Client):
    assert len(client.get("/v1/connect/apps").json()["data"]) == 10
    body = client.get("/v1/connect/apps", params={"limit": 1000}).json()
    assert body["page_info"]["count"] == 25
    assert body["page_info"]["end_cursor"] == ""


def test_app_objects_carry_every_field_the_sdk_requires(pd):
    app = pd.apps.retrieve("echo_tenant").data
    assert (app.name_slug, app.name, app.img_src) == ("echo_tenant", "Echo (tenant)", "")
    assert app.categories == []
    assert app.scope_profiles == []
    assert app.featured_weight == 0.0
    assert app.auth_type == "keys"
    assert app.id.startswith("app_")
    assert json.loads(app.custom_fields_json) == [
        {
            "name": "tenant",
            "label": "Tenant",
            "description": None,
            "optional": False,
            "default": None,
        }
    ]
    assert app.connect["base_proxy_target_url"].endswith("/tenants/{{custom_fields.tenant}}")
    assert app.connect["proxy_enabled"] is True
    assert pd.apps.retrieve(app.id).data.name_slug == "echo_tenant"


@pytest.mark.parametrize(
    ("sort_key", "direction", "key"),
    [
        ("name", "desc", lambda a: a.name.casefold()),
        ("name_slug", "asc", lambda a: a.name_slug),
        ("featured_weight", "desc", lambda a: a.featured_weight),
    ],
)
def test_sorting_holds_across_pages(pd, sort_key: str, direction: str, key):
    apps = list(pd.apps.list(limit=3, sort_key=sort_key, sort_direction=direction))
    assert len(apps) == 25
    values = [key(a) for a in apps]
    assert values == sorted(values, reverse=direction == "desc")


def test_search_and_filters(pd):
    assert [a.name_slug for a in pd.apps.list(q="TENANT")] == ["echo_tenant"]
    crm = list(pd.apps.list(category_ids=["crm"], limit=100))
    assert len(crm) == len([n for n in range(23) if n % 3 == 0])
    assert list(pd.apps.list(has_actions=True)) == []
    assert len(list(pd.apps.list(has_triggers=False, limit=100))) == 25


def test_before_walks_back(client: httpx.Client):
    first = client.get("/v1/connect/apps", params={"limit": 5}).json()
    second = client.get(
        "/v1/connect/apps", params={"limit": 5, "after": first["page_info"]["end_cursor"]}
    ).json()
    assert first["page_info"]["start_cursor"] == ""
    back = client.get(
        "/v1/connect/apps", params={"limit": 5, "before": second["page_info"]["start_cursor"]}
    ).json()
    assert [a["name_slug"] for a in back["data"]] == [a["name_slug"] for a in first["data"]]


def test_v1_apps_alias(client: httpx.Client):
    assert client.get("/v1/apps").json()["page_info"]["total_count"] == 25
    assert client.get("/v1/apps/echo_bearer").json()["data"]["name_slug"] == "echo_bearer"


def test_catalog_changes_show_at_once(stack: Stack, client: httpx.Client):
    original = stack.engine.catalog
    stack.engine.catalog = original.with_apps(filler_apps(30)[23:])
    try:
        assert client.get("/v1/connect/apps").json()["page_info"]["total_count"] == 32
        assert client.get("/v1/connect/apps/filler_29").status_code == 200
    finally:
        stack.engine.catalog = original


def test_unknown_app_is_404(pd):
    with pytest.raises(ApiError) as caught:
        pd.apps.retrieve("no_such_app")
    assert caught.value.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"limit": "１０"},
        {"limit": ["1", "2"]},
        {"sort_key": "popularity"},
        {"sort_direction": "up"},
        {"has_actions": "yes"},
        {"after": "not-a-cursor"},
        {"after": "W10"},
        {"before": "%%%"},
        {"after": "x" * 5000},
        {"q": "x" * 5000},
    ],
)
def test_bad_parameters_are_400(client: httpx.Client, query):
    response = client.get("/v1/connect/apps", params=query)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_cursor_of_another_sort_is_refused(client: httpx.Client):
    cursor = client.get("/v1/connect/apps", params={"limit": 2}).json()["page_info"]["end_cursor"]
    response = client.get(
        "/v1/connect/apps", params={"after": cursor, "sort_key": "featured_weight"}
    )
    assert response.status_code == 400
