"""A dashboard over the test database: an operator, a browser-like client that keeps cookies, and sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.dashboard.throttle import LoginThrottle
from app import operators
from tests.conftest import make_settings

EMAIL, PASSWORD = "ops@example.com", "correct horse battery"
SECRET = "dashboard-test-secret-of-32-characters!"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, session_secret=SECRET)


@pytest.fixture
def operator(runtime):
    return runtime.units.run(operators.create, EMAIL, PASSWORD)


@pytest.fixture
def browser(runtime) -> Iterator[TestClient]:
    """A client without the API token, keeping cookies, not following redirects; failed logins not slowed."""
    app = create_app(runtime)
    app.state.dashboard.throttle = LoginThrottle(delay_unit=0)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(page_html: str) -> str:
    return CSRF.search(page_html).group(1)


def sign_in(browser: TestClient, email: str = EMAIL, password: str = PASSWORD, next: str = "") -> object:
    token = csrf_of(browser.get("/login").text)
    return browser.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": next})


@pytest.fixture
def signed_in(browser, operator) -> TestClient:
    response = sign_in(browser)
    assert response.status_code == 303, response.text
    return browser
