"""Signing in through an OpenID Connect provider, run for real beside the tests.

Caseway's test client goes to /login/oidc, follows the redirect to the provider over HTTP, and
comes back to the callback; Caseway then fetches the token and the provider's keys over HTTP.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from engine.app import create_app
from engine.config import OidcSettings, Settings
from engine.identity.provisioning import check_rules
from engine.identity.users import set_password
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import AuditEvent, User, UserRole
from tests.api.helpers import WORKFLOWS, open_task, start, upload
from tests.security.oidc_provider import KEY_ID, TestProvider, make_key
from tests.web.browser import live_server
from tests.web.conftest import FAST_HASH, PASSWORD, WebClient

CLIENT_ID = "caseway-test"
CLIENT_SECRET = "s3cret-for-tests"
CALLBACK = "http://localhost/login/oidc/callback"
CARA = {
    "sub": "0f3a-cara",
    "preferred_username": "cara",
    "name": "Cara Caseworker",
    "caseway_office": "sudbury",
    "caseway_roles": ["caseworker", "janitor"],
}


@pytest.fixture(scope="module")
def provider() -> Iterator[TestProvider]:
    test_provider = TestProvider(
        make_key(), client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=CALLBACK
    )
    with live_server(test_provider.app) as url:
        test_provider.issuer = url
        yield test_provider


@pytest.fixture(scope="module")
def other_key() -> RSAKey:
    return make_key()


@pytest.fixture
def oidc(provider: TestProvider) -> Iterator[TestProvider]:
    provider.reset()
    provider.identity = dict(CARA)
    yield provider
    provider.reset()


@pytest.fixture
def settings(settings: Settings, provider: TestProvider) -> Settings:
    """The suite's settings with the provider configured (as CASEWAY_OIDC_* would)."""
    return replace(
        settings,
        oidc=OidcSettings(
            issuer=provider.issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            provider_name="Test ID",
        ),
    )


@pytest.fixture
def browser(app: Any, oidc: TestProvider) -> Iterator[WebClient]:
    with app.test_client() as client:
        yield WebClient(client)


def sign_in_through_provider(web: WebClient, next_page: str | None = None) -> Any:
    """The whole round trip; answers Caseway's response to the callback."""
    started = web.get("/login/oidc" + (f"?{urlencode({'next': next_page})}" if next_page else ""))
    assert started.status_code == 302, started.data
    at_provider = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    return web.get(at_provider.headers["Location"])


def signed_in_as(web: WebClient) -> str | None:
    with web.client.session_transaction() as session:
        return session.get("username")


def user_row(svc: Services, username: str) -> tuple[User | None, set[str]]:
    with svc.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        roles = session.scalars(select(UserRole.role).join(User).where(User.username == username))
        return user, set(roles)


def audit(svc: Services, action: str) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [{"actor": e.actor, **json.loads(e.detail_json)} for e in events]


def refused(response: Any, status: int, text: str) -> None:
    page = re.sub(r"\s+", " ", response.data.decode())
    assert response.status_code == status, page
    assert text in page, page
    assert 'role="alert"' in page


# -- the flow ---------------------------------------------------------------------------------


def test_the_login_page_offers_the_provider_in_both_languages(browser):
    english = browser.get("/login").data.decode()
    french = browser.get("/login", headers={"Accept-Language": "fr"}).data.decode()

    assert '<a class="button" href="/login/oidc">Sign in with Test ID</a>' in english
    assert "Se connecter avec Test ID" in french


def test_signing_in_creates_the_user_with_the_claimed_office_and_roles(browser, oidc, svc):
    response = sign_in_through_provider(browser)

    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert signed_in_as(browser) == "cara"
    user, roles = user_row(svc, "cara")
    assert user is not None and user.office == "sudbury" and user.active
    assert user.display_name == "Cara Caseworker" and user.password_hash is None
    assert roles == {"caseworker"}  # "janitor" is no Caseway role: ignored
    [created] = audit(svc, "user.create")
    assert created["actor"] == "cara" and created["source"] == "oidc"
    assert created["subject"] == "0f3a-cara" and created["roles"] == ["caseworker"]


def test_the_request_carries_state_nonce_and_pkce_and_the_code_needs_the_verifier(browser, oidc):
    sign_in_through_provider(browser)

    [asked] = oidc.authorize_requests
    [traded] = oidc.token_requests
    assert asked["state"] and asked["nonce"] and asked["code_challenge_method"] == "S256"
    assert asked["scope"].split()[0] == "openid"
    assert traded["code_verifier"]  # the provider checked it against the challenge


def test_the_signed_in_user_works_the_queue_of_their_office(browser, oidc, api):
    assert (
        upload(
            api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn"
        ).status_code
        == 201
    )
    task = open_task(start(api.as_("casey"), "discretionary_benefit").json, "record_request")
    sign_in_through_provider(browser)

    page = browser.get("/inbox?tab=caseworker").data.decode()

    assert "cara · sudbury" in page
    assert "Queue: Caseworker" in page and "Queue: Supervisor" not in page
    assert f"/tasks/{task['id']}" in page


def test_the_page_asked_for_before_signing_in_is_where_the_user_lands(browser, oidc):
    kept = sign_in_through_provider(browser, "/inbox?tab=caseworker")
    browser.post("/logout")
    outside = sign_in_through_provider(browser, "https://evil.example/")

    assert kept.headers["Location"] == "/inbox?tab=caseworker"
    assert outside.headers["Location"] == "/inbox"


def test_the_next_sign_in_replaces_roles_and_office_with_the_claims(browser, oidc, svc):
    sign_in_through_provider(browser)
    browser.post("/logout")
    oidc.identity.update(caseway_office="ottawa", caseway_roles=["supervisor"])

    response = sign_in_through_provider(browser)

    assert response.headers["Location"] == "/team"
    user, roles = user_row(svc, "cara")
    assert user is not None and user.office == "ottawa" and roles == {"supervisor"}
    [updated] = audit(svc, "user.update")
    assert updated["office"] == {"from": "sudbury", "to": "ottawa"}
    assert updated["roles"] == {"added": ["supervisor"], "removed": ["caseworker"]}


def test_an_existing_local_account_is_not_taken_over_by_a_provider_username(
    browser, oidc, svc, staff
):
    oidc.identity.update(sub="9-mallory", preferred_username="casey", caseway_roles=["admin"])

    response = sign_in_through_provider(browser)

    refused(response, 403, "is not linked to your Test ID account")
    assert signed_in_as(browser) is None
    assert user_row(svc, "casey")[1] == {"caseworker"}
    [attempt] = audit(svc, "user.sign_in_refused")
    assert attempt["reason"] == "username_taken" and attempt["subject"] == "9-mallory"


def test_with_matching_by_username_an_unbound_local_account_takes_the_claims(oidc, svc, staff):
    rules = replace(svc.settings.oidc, link_by_username=True)
    app = create_app(services=replace(svc, settings=replace(svc.settings, oidc=rules)))
    oidc.identity.update(sub="9-casey", preferred_username="casey", caseway_roles=["admin"])

    with app.test_client() as client:
        sign_in_through_provider(WebClient(client))
        assert signed_in_as(WebClient(client)) == "casey"
        WebClient(client).post("/logout")
        oidc.identity.update(sub="9-mallory")  # another person choosing the same name
        second = sign_in_through_provider(WebClient(client))

    assert user_row(svc, "casey")[1] == {"admin"}
    refused(second, 403, "is not linked to your Test ID account")


def test_later_sign_ins_find_the_account_by_issuer_and_subject(browser, oidc, svc):
    sign_in_through_provider(browser)
    browser.post("/logout")
    oidc.identity.update(preferred_username="cara2")  # renamed at the provider

    sign_in_through_provider(browser)

    assert signed_in_as(browser) == "cara"
    assert user_row(svc, "cara2")[0] is None


def test_an_admin_links_an_identity_to_an_existing_account(
    browser, oidc, svc, staff, database_url, monkeypatch
):
    from engine.cli.main import main as cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli(["users", "link", "casey", "--issuer", oidc.issuer, "--subject", "9-casey"]) == 0
    assert cli(["users", "link", "cole", "--issuer", oidc.issuer, "--subject", "9-casey"]) == 2
    oidc.identity.update(sub="9-casey", preferred_username="anything", caseway_roles=["admin"])

    sign_in_through_provider(browser)

    assert signed_in_as(browser) == "casey"
    assert user_row(svc, "casey")[1] == {"admin"}


def test_a_role_map_turns_provider_groups_into_roles(svc, oidc):
    rules = replace(
        svc.settings.oidc,
        roles_claim="groups",
        role_map={"CW-Staff": ("caseworker",), "CW-Leads": ("supervisor", "caseworker")},
    )
    app = create_app(services=replace(svc, settings=replace(svc.settings, oidc=rules)))
    del oidc.identity["caseway_roles"]
    oidc.identity["groups"] = ["CW-Leads", "admin"]  # "admin" is no mapped group: ignored

    with app.test_client() as client:
        sign_in_through_provider(WebClient(client))

    assert user_row(svc, "cara")[1] == {"supervisor", "caseworker"}


# -- refusals ---------------------------------------------------------------------------------


def _segments(token: str) -> list[str]:
    return token.split(".")


def _encode(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = _segments(token)[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _made_admin(token: str) -> str:
    header, _payload, signature = _segments(token)
    claims = {**_claims(token), "caseway_roles": ["admin"]}
    return ".".join([header, _encode(claims), signature])


def _unsigned(token: str) -> str:
    return ".".join([_encode({"alg": "none", "typ": "JWT"}), _segments(token)[1], ""])


def _signed_with(key: RSAKey) -> Callable[[str], str]:
    return lambda token: jwt.encode({"alg": "RS256", "kid": KEY_ID}, _claims(token), key)


@pytest.mark.parametrize("spoil", ["another_key", "altered_claims", "unsigned"])
def test_a_token_not_signed_by_the_provider_is_refused(browser, oidc, svc, other_key, spoil):
    oidc.rewrite = {
        "another_key": _signed_with(other_key),
        "altered_claims": _made_admin,
        "unsigned": _unsigned,
    }[spoil]

    response = sign_in_through_provider(browser)

    refused(response, 403, "The answer from Test ID could not be verified.")
    assert signed_in_as(browser) is None
    assert user_row(svc, "cara")[0] is None


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "someone-else"},
        {"aud": "someone-else", "azp": CLIENT_ID},  # authlib alone would accept this one
        {"aud": ["someone-else", "another"]},
        {"iss": "https://impostor.example"},
        {"exp": 1_000_000_000, "iat": 999_999_000},  # long expired
        {"nonce": "not-the-one-we-sent"},
    ],
    ids=["audience", "audience-with-azp", "audiences", "issuer", "expired", "nonce"],
)
def test_a_token_with_the_wrong_claims_is_refused(browser, oidc, svc, claims):
    oidc.adjust = lambda payload: payload.update(claims)

    response = sign_in_through_provider(browser)

    refused(response, 403, "The answer from Test ID could not be verified.")
    assert signed_in_as(browser) is None
    assert user_row(svc, "cara")[0] is None


def test_an_answer_without_an_id_token_is_refused(browser, oidc, svc):
    oidc.without_id_token = True

    response = sign_in_through_provider(browser)

    refused(response, 403, "The answer from Test ID could not be verified.")
    assert signed_in_as(browser) is None
    assert user_row(svc, "cara")[0] is None


def test_a_callback_with_another_state_is_refused(browser, oidc, svc):
    started = browser.get("/login/oidc")
    at_provider = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}

    forged = browser.get(f"{back.path}?{urlencode({**query, 'state': 'forged'})}")
    genuine = browser.get(f"{back.path}?{back.query}")
    replayed = browser.get(f"{back.path}?{back.query}")

    refused(forged, 400, "The sign-in could not be matched to this browser.")
    assert genuine.status_code == 302
    refused(replayed, 400, "The sign-in could not be matched to this browser.")


def test_a_callback_in_another_browser_is_refused(app, oidc, svc):
    mine, victims = WebClient(app.test_client()), WebClient(app.test_client())
    started = mine.get("/login/oidc")
    at_provider = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)

    response = victims.get(at_provider.headers["Location"])

    refused(response, 400, "The sign-in could not be matched to this browser.")
    assert signed_in_as(victims) is None
    assert user_row(svc, "cara")[0] is None


@pytest.mark.parametrize(
    "change, message",
    [
        ({"caseway_office": None}, "Your Test ID account names no office."),
        ({"caseway_office": " "}, "Your Test ID account names no office."),
        ({"caseway_roles": ["janitor"]}, "Your Test ID account holds no Caseway role."),
        ({"caseway_roles": None}, "Your Test ID account holds no Caseway role."),
        ({"caseway_roles": ["partner", "system"]}, "Your Test ID account holds no Caseway role."),
        ({"preferred_username": "cara@city.example"}, "gives no usable username"),
    ],
    ids=["no-office", "blank-office", "unknown-role", "no-roles", "not-staff", "bad-username"],
)
def test_claims_caseway_cannot_use_are_refused(browser, oidc, svc, change, message):
    for name, value in change.items():
        if value is None:
            del oidc.identity[name]
        else:
            oidc.identity[name] = value

    response = sign_in_through_provider(browser)

    refused(response, 403, message)
    assert signed_in_as(browser) is None
    assert user_row(svc, "cara")[0] is None


def test_a_locally_deactivated_user_cannot_sign_in(browser, oidc, svc):
    sign_in_through_provider(browser)
    browser.post("/logout")
    with transaction(svc.sessions) as session:
        session.scalar(select(User).where(User.username == "cara")).active = False
    oidc.identity["caseway_roles"] = ["admin"]

    response = sign_in_through_provider(browser)

    refused(response, 403, "Your Caseway account is deactivated.")
    assert signed_in_as(browser) is None
    assert user_row(svc, "cara")[1] == {"caseworker"}  # the claims changed nothing


def test_without_just_in_time_accounts_only_existing_users_get_in(svc, oidc, staff):
    rules = replace(svc.settings.oidc, create_users=False, link_by_username=True)
    app = create_app(services=replace(svc, settings=replace(svc.settings, oidc=rules)))

    with app.test_client() as client:
        unknown = sign_in_through_provider(WebClient(client))
        oidc.identity.update(sub="9-casey", preferred_username="casey")
        known = sign_in_through_provider(WebClient(client))

    refused(unknown, 403, "There is no Caseway account for you.")
    assert user_row(svc, "cara")[0] is None
    assert known.status_code == 302 and known.headers["Location"] == "/inbox"


def test_a_provider_that_says_no_is_refused(browser, oidc):
    oidc.deny = True

    response = sign_in_through_provider(browser)

    refused(response, 403, "Test ID did not sign you in.")
    assert signed_in_as(browser) is None


def test_a_provider_that_cannot_be_reached_is_explained(svc, oidc):
    with live_server(oidc.app) as gone:
        pass  # a port that just closed
    rules = replace(svc.settings.oidc, issuer=gone)
    app = create_app(services=replace(svc, settings=replace(svc.settings, oidc=rules)))

    with app.test_client() as client:
        response = client.get("/login/oidc")

    refused(response, 502, "Test ID cannot be reached.")


# -- beside local passwords, and off by default -----------------------------------------------


def test_local_passwords_still_work_with_the_provider_configured(browser, svc, staff):
    with transaction(svc.sessions) as session:
        set_password(session, "casey", PASSWORD, method=FAST_HASH)

    response = browser.login("casey")

    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert signed_in_as(browser) == "casey"


def test_without_settings_there_is_no_provider(svc):
    app = create_app(services=replace(svc, settings=replace(svc.settings, oidc=None)))

    with app.test_client() as client:
        page = client.get("/login").data.decode()
        response = client.get("/login/oidc")

    assert "/login/oidc" not in page and "Sign in with" not in page
    assert response.status_code == 404


# -- configuration ----------------------------------------------------------------------------


def test_settings_come_from_the_environment():
    env = {
        "CASEWAY_OIDC_ISSUER": "https://id.example/realms/city",
        "CASEWAY_OIDC_CLIENT_ID": "caseway",
        "CASEWAY_OIDC_CLIENT_SECRET": "s",
        "CASEWAY_OIDC_SCOPES": "profile email",
        "CASEWAY_OIDC_PROVIDER_NAME": "City ID",
        "CASEWAY_OIDC_ROLES_CLAIM": "groups",
        "CASEWAY_OIDC_OFFICE_CLAIM": "office",
        "CASEWAY_OIDC_ROLE_MAP": '{"CN=Leads,OU=Groups": ["supervisor"], "Staff": "caseworker"}',
        "CASEWAY_OIDC_CREATE_USERS": "false",
    }

    rules = Settings.from_env(env).oidc

    assert rules is not None
    assert rules.metadata_url == "https://id.example/realms/city/.well-known/openid-configuration"
    assert rules.scopes == ("openid", "profile", "email")  # openid is always asked for
    assert rules.role_map == {"CN=Leads,OU=Groups": ("supervisor",), "Staff": ("caseworker",)}
    assert (rules.roles_claim, rules.office_claim) == ("groups", "office")
    assert rules.create_users is False
    assert Settings.from_env({}).oidc is None


@pytest.mark.parametrize(
    "env",
    [
        {"CASEWAY_OIDC_CLIENT_ID": ""},
        {"CASEWAY_OIDC_ROLE_MAP": '["caseworker"]'},
        {"CASEWAY_OIDC_ROLE_MAP": "{not json"},
        {"CASEWAY_OIDC_ROLE_MAP": '{"Staff": 3}'},
    ],
    ids=["no-client-id", "map-not-an-object", "map-not-json", "map-not-roles"],
)
def test_incomplete_settings_stop_the_start(env):
    base = {"CASEWAY_OIDC_ISSUER": "https://id.example", "CASEWAY_OIDC_CLIENT_ID": "c"}

    with pytest.raises(ValueError, match="CASEWAY_OIDC_"):
        Settings.from_env({**base, **env})


def test_a_role_map_naming_unknown_roles_stops_the_start():
    rules = OidcSettings(issuer="https://id.example", client_id="c", role_map={"G": ("boss",)})

    with pytest.raises(ValueError, match="unknown role"):
        check_rules(rules)
