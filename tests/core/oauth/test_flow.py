"""Signing in through the browser against the local authorization server, headless."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.core.oauth.conftest import CLIENT, USER, World, browse
from tests.helpers.oauthserver import CLIENT_SECRET
from workbench.core.errors import RuleError
from workbench.core.oauth.client import ProviderRefused, TokenEndpointUnavailable
from workbench.core.oauth.flow import AuthorizationFlow, SignInTimedOut
from workbench.core.oauth.redirect import RedirectPortBusy
from workbench.core.oauth.tokens import ACCESS_TOKEN, CLIENT_ID, EXPIRES_AT, REFRESH_TOKEN

pytestmark = pytest.mark.anyio


async def start(world: World, **options: object) -> AuthorizationFlow:
    return await AuthorizationFlow.start(
        world.app,
        CLIENT,
        allow_private_network=True,
        clock=world.clock,
        **options,  # type: ignore[arg-type]
    )


async def redirect_of(url: str) -> str:
    """The authorize step without following: where the provider sends the browser."""
    async with httpx.AsyncClient(trust_env=False) as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()} | changes
    return parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()


async def test_a_full_sign_in_stores_the_tokens_in_the_vault_only(world: World) -> None:
    async with await start(world) as flow:
        query = parse_qs(urlsplit(flow.authorize_url).query)
        assert query["code_challenge_method"] == ["S256"]
        assert query["redirect_uri"] == [flow.redirect_uri]
        assert flow.redirect_uri.startswith("http://127.0.0.1:")
        assert query["scope"] == ["profile api"]
        assert len(query["state"][0]) >= 32
        page = await browse(flow.authorize_url)
        assert "Signed in" in page.text
        authorized = await flow.finish()
    assert world.server.state.challenge_methods == ["S256"]
    exchange = world.server.state.token_requests[0]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["code_verifier"]  # checked by the server (PKCE required there)
    account = world.connections.add_oauth_account(
        world.project_id, USER, world.app.name_slug, authorized, allow_private_network=True
    )
    secrets = world.connections.vault.credentials(account.id)
    assert secrets[ACCESS_TOKEN] in world.server.issued()
    assert secrets[REFRESH_TOKEN] in world.server.issued()
    assert float(secrets[EXPIRES_AT]) == world.clock.now + 3600
    assert secrets[CLIENT_ID] == CLIENT.client_id
    dump = world.connections.workspace.path.read_bytes()
    for secret in [
        *world.server.issued(),
        CLIENT_SECRET,
        exchange["code"],
        exchange["code_verifier"],
    ]:
        assert secret.encode() not in dump
    async with world.engine() as engine:
        result = await engine.send(world.request(account))
    assert result.status == 200


async def test_a_redirect_with_the_wrong_state_is_refused_and_the_sign_in_goes_on(
    world: World,
) -> None:
    async with await start(world) as flow:
        callback = await redirect_of(flow.authorize_url)
        async with httpx.AsyncClient(trust_env=False) as browser:
            forged = await browser.get(with_query(callback, state="forged-by-someone-else"))
            assert forged.status_code == 400
            assert "does not match" in forged.text
            missing = await browser.get(callback.split("&state=")[0].split("?state=")[0])
            assert missing.status_code == 400
            assert world.server.state.token_requests == []  # no code was exchanged
            genuine = await browser.get(callback)
        assert genuine.status_code == 200
        authorized = await flow.finish()
    assert authorized.tokens.access_token in world.server.issued()


async def test_a_stolen_code_is_useless_without_the_pkce_verifier(world: World) -> None:
    async with await start(world) as flow:
        callback = await redirect_of(flow.authorize_url)
        code = parse_qs(urlsplit(callback).query)["code"][0]
        async with httpx.AsyncClient(trust_env=False) as thief:
            stolen = await thief.post(
                f"{world.server.base}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": flow.redirect_uri,
                    "code_verifier": "a-guessed-verifier-" + "x" * 40,
                    "client_id": CLIENT.client_id,
                    "client_secret": CLIENT.client_secret,
                },
            )
            assert stolen.status_code == 400
            assert stolen.json()["error"] == "invalid_grant"
            await thief.get(callback)
        authorized = await flow.finish()  # the flow's own verifier is accepted
    assert authorized.tokens.refresh_token


async def test_the_providers_error_ends_the_sign_in_with_its_words(world: World) -> None:
    world.server.state.authorize_error = "access_denied"
    async with await start(world) as flow:
        page = await browse(flow.authorize_url)
        assert "Sign-in failed" in page.text
        with pytest.raises(ProviderRefused) as refused:
            await flow.finish()
    assert str(refused.value) == "access_denied: The user said no"


async def test_nobody_coming_back_times_out_and_frees_the_port(world: World) -> None:
    flow = await start(world)
    try:
        with pytest.raises(SignInTimedOut, match=r"within 0\.05 s"):
            await flow.finish(wait=0.05)
        port = int(urlsplit(flow.redirect_uri).port or 0)
    finally:
        await flow.aclose()
    reopened = await start(world, port=port)  # the port was given back
    await reopened.aclose()


async def test_a_token_response_pointing_outside_the_allowed_domains_is_refused(
    world: World,
) -> None:
    world.server.state.extra_token_fields = {"api_domain": "https://evil.example"}
    with pytest.raises(RuleError) as refused:
        await world.sign_in()
    assert refused.value.code == "domain_not_allowed"
    assert "evil.example" in refused.value.message
    world.server.state.extra_token_fields = {"api_domain": "https://api.local-oauth.example"}
    with pytest.raises(RuleError, match="outside the app's allowed domains"):
        await world.sign_in()
    world.server.state.extra_token_fields = {"api_domain": f"http://{world.server.authority}/"}
    authorized = await world.sign_in()
    assert authorized.custom_fields == {"api_host": world.server.authority}


async def test_a_token_url_that_fails_is_named_without_secrets(world: World) -> None:
    world.server.state.token_status = 500
    with pytest.raises(TokenEndpointUnavailable) as failed:
        await world.sign_in()
    assert "HTTP 500" in str(failed.value)
    assert CLIENT_SECRET not in str(failed.value)


async def test_inputs_are_checked_before_listening(world: World) -> None:
    with pytest.raises(RuleError, match="comes from Local OAuth's token response"):
        await start(world, custom_fields={"api_host": "evil.example"})
    with pytest.raises(RuleError, match="without spaces"):
        await start(world, scopes=["two words"])
    busy = await start(world)
    try:
        with pytest.raises(RedirectPortBusy, match="in use"):
            await start(world, port=int(urlsplit(busy.redirect_uri).port or 0))
    finally:
        await busy.aclose()
    await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("slug", "fields", "host", "scope", "extra"),
    [
        ("zendesk", {"subdomain": "acme"}, "acme.zendesk.com", "read write", {}),
        ("zoho_crm", {"region": "eu"}, "accounts.zoho.eu",
         "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL",
         {"access_type": "offline", "prompt": "consent"}),
        ("slack", {}, "slack.com", "chat:write,channels:read,channels:history,users:read", {}),
    ],
)  # fmt: skip
async def test_the_authorize_url_is_the_apps_own_with_its_fields_and_separator(
    world: World, slug: str, fields: dict[str, str], host: str, scope: str, extra: dict[str, str]
) -> None:
    app = world.connections.catalog.get(slug)
    assert app is not None
    async with await AuthorizationFlow.start(app, CLIENT, custom_fields=fields) as flow:
        parts = urlsplit(flow.authorize_url)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert (parts.scheme, parts.hostname) == ("https", host)
    assert query["scope"] == scope
    assert query["client_id"] == CLIENT.client_id
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert extra.items() <= query.items()
    assert CLIENT.client_secret not in flow.authorize_url
