"""The dashboard's locks: sign-in required everywhere, CSRF on every form, no open redirect, a fresh session at
login, output shown as text, throttled guessing, cookies that say HttpOnly, SameSite and (behind HTTPS) Secure."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.dashboard import routers
from api.dashboard.pages import SignedInRoute
from api.dashboard.sessions import COOKIE
from api.dashboard.throttle import LoginThrottle
from app import operators
from db.models import Campaign
from tests.api.helpers import create_campaign, paid_order
from tests.conftest import make_settings
from tests.dashboard.conftest import EMAIL, PASSWORD, csrf_of, sign_in
from tests.support.counts import all_rows


def signed_in_routes() -> list[tuple[str, str]]:
    """(method, path) of every dashboard route that needs a session, path parameters filled with a made-up id."""
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "cmp_nothing", route.path))
        for router in routers()
        for route in router.routes
        if isinstance(route, SignedInRoute)
        for method in route.methods
        if method != "HEAD"
    )


def session_of(browser: TestClient) -> dict:
    return browser.app.state.dashboard.sessions.serializer.loads(browser.cookies[COOKIE])


def test_the_dashboard_has_pages_and_forms_behind_the_login(browser):
    routes = signed_in_routes()
    assert ("GET", "/campaigns") in routes and ("POST", "/campaigns/cmp_nothing/disable") in routes
    assert ("POST", "/logout") in routes and ("GET", "/login") not in routes


def test_every_page_and_form_sends_an_anonymous_visitor_to_the_login(browser):
    token = csrf_of(browser.get("/login").text)  # even with a valid anonymous CSRF token
    for method, path in signed_in_routes():
        response = browser.request(method, path, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 303, (method, path)
        target = path if method == "GET" else "/campaigns"  # a form's address answers only POST
        assert response.headers["location"] == "/login?next=" + target.replace("/", "%2F"), (method, path)


def test_a_form_sent_after_the_session_ended_signs_in_back_to_the_page_it_was_on(browser):
    token = csrf_of(browser.get("/login").text)
    page = "http://testserver/campaigns/cmp_x/rewards?status=pending"
    response = browser.post("/rewards/rwd_x/complete", data={"csrf_token": token}, headers={"referer": page})
    assert response.headers["location"] == "/login?next=%2Fcampaigns%2Fcmp_x%2Frewards%3Fstatus%3Dpending"
    elsewhere = browser.post(
        "/rewards/rwd_x/complete", data={"csrf_token": token}, headers={"referer": "https://evil/x"}
    )
    assert elsewhere.headers["location"] == "/login?next=%2Fcampaigns"


def test_the_login_page_sends_the_visitor_back_where_they_were_going(browser, operator):
    response = sign_in(browser, next="/campaigns?cursor=cmp_x")
    assert response.status_code == 303 and response.headers["location"] == "/campaigns?cursor=cmp_x"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/campaigns",
        "https://evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        " //evil.com",
        "javascript:alert(1)",
        "evil.com",
        "http:/evil.com",
    ],
)
def test_a_next_that_leaves_the_site_is_replaced_by_the_campaign_list(browser, operator, target):
    response = sign_in(browser, next=target)
    assert response.status_code == 303 and response.headers["location"] == "/campaigns"
    page = browser.get("/login", params={"next": target})
    assert 'name="next" value="/campaigns"' in page.text


def test_a_form_without_the_session_csrf_token_is_refused_with_403_and_changes_nothing(signed_in, runtime):
    campaign = runtime.units.run(_campaign, "Spring")
    for data in (
        {},
        {"csrf_token": ""},
        {"csrf_token": "forged"},
        {"csrf_token": csrf_of(signed_in.get("/login").text) + "x"},
    ):
        for path in ("/campaigns", f"/campaigns/{campaign}/disable", "/logout"):
            response = signed_in.post(path, data=data | {"name": "Forged"})
            assert response.status_code == 403, (path, data)
            assert "form was not sent from a page of this dashboard" in response.text
    [row] = all_rows(runtime, Campaign)
    assert row.active and row.name == "Spring"
    assert signed_in.get("/campaigns").status_code == 200  # still signed in: /logout was refused too


def test_the_login_form_needs_its_csrf_token_too(browser, operator):
    browser.get("/login")
    response = browser.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 403 and COOKIE not in response.headers.get("set-cookie", "x")


def test_signing_in_starts_a_new_session_with_a_new_id_and_csrf_token(browser, operator):
    browser.get("/login")
    before = session_of(browser)
    assert sign_in(browser).status_code == 303
    after = session_of(browser)
    assert after["op"] == operator.id and before["op"] is None
    assert after["sid"] != before["sid"] and after["csrf"] != before["csrf"]


def test_signing_out_ends_the_session(signed_in):
    token = csrf_of(signed_in.get("/campaigns").text)
    response = signed_in.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "You are signed out." in signed_in.get("/login").text
    assert signed_in.get("/campaigns").status_code == 303


def test_a_disabled_operator_is_signed_out_at_the_next_request(signed_in, runtime):
    runtime.units.run(operators.disable, EMAIL)
    assert signed_in.get("/campaigns").status_code == 303
    assert sign_in(signed_in).status_code == 400


def test_a_forged_or_expired_session_cookie_counts_as_none(signed_in, operator):
    sessions = signed_in.app.state.dashboard.sessions
    good = session_of(signed_in)
    signed_in.cookies.set(COOKIE, signed_in.cookies[COOKIE][:-2] + "xx")
    assert signed_in.get("/campaigns").status_code == 303
    signed_in.cookies.set(COOKIE, sessions.serializer.dumps(good | {"at": time.time() - sessions.max_age - 1}))
    assert signed_in.get("/campaigns").status_code == 303
    signed_in.cookies.set(COOKIE, sessions.serializer.dumps(good))
    assert signed_in.get("/campaigns").status_code == 200


def test_names_are_shown_as_text_never_as_markup(signed_in, client, runtime, worker):
    campaign = create_campaign(client, name="<script>alert('campaign')</script>")
    referrer = client.post(
        f"/api/v1/campaigns/{campaign['id']}/referrers",
        json={"customer": {"email": "ann@example.com", "name": "<script>alert('ann')</script>"}},
    ).json()
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    for path in ("/campaigns", f"/campaigns/{campaign['id']}"):
        page = signed_in.get(path).text
        assert "&lt;script&gt;alert(" in page and "<script>" not in page, path


def test_repeated_failed_logins_are_refused_with_429_even_with_the_right_password(browser, operator):
    for _ in range(10):
        assert sign_in(browser, password="wrong password!").status_code == 400
    refused = sign_in(browser)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in refused.text


def test_many_failures_from_one_address_are_refused_whatever_the_email(browser, operator):
    for number in range(30):
        assert sign_in(browser, email=f"guess{number}@example.com", password="nope nope nope").status_code == 400
    assert sign_in(browser).status_code == 429


def test_failures_beyond_the_first_few_are_answered_more_and_more_slowly():
    now = [0.0]
    throttle = LoginThrottle(delay_unit=1, max_delay=8, clock=lambda: now[0])
    delays = [throttle.failed("a@example.com", "10.0.0.1") for _ in range(9)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 8, 8]
    assert throttle.retry_after("a@example.com", "10.0.0.1") == 0
    throttle.failed("a@example.com", "10.0.0.1")
    assert throttle.retry_after("A@example.com ", "10.0.0.2") == 900
    now[0] = 901
    assert throttle.retry_after("a@example.com", "10.0.0.1") == 0


def test_the_session_cookie_is_httponly_samesite_lax_and_not_secure_over_http(browser):
    cookie = browser.get("/login").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_the_cookie_is_secure_behind_a_trusted_https_proxy_only(runtime, database_url, tmp_path):
    for trusted, secure in (("testclient", True), ("10.0.0.9", False)):
        runtime.settings = make_settings(database_url, tmp_path, session_secret="s" * 32, trusted_proxies=trusted)
        with TestClient(create_app(runtime), follow_redirects=False) as client:
            cookie = client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
        assert ("Secure" in cookie) is secure, trusted
    with TestClient(create_app(runtime), base_url="https://shop.example") as client:
        assert "Secure" in client.get("/login").headers["set-cookie"]


def test_pages_forbid_framing_and_caching(signed_in):
    headers = signed_in.get("/campaigns").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"] and headers["cache-control"] == "no-store"


def _campaign(uow, name: str) -> str:
    from app import campaigns

    return campaigns.create(uow, {"name": name, "currency": "USD"}).id


def test_a_wrong_password_says_so_keeps_the_email_and_never_echoes_the_password(browser, operator):
    response = sign_in(browser, password="not-the-password-123")
    assert response.status_code == 400 and "Wrong email or password." in response.text
    assert f'value="{EMAIL}"' in response.text and "not-the-password-123" not in response.text
    assert session_of(browser)["op"] is None
