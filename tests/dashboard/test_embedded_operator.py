"""`referrals up` creates a demo operator, prints its login, and that login opens the dashboard."""

from __future__ import annotations

import json
import re

import httpx

from tests.dashboard.conftest import CSRF
from tests.support.embedded import project_folder, running_up


def test_up_prints_a_dashboard_login_that_works_and_keeps_it_across_restarts(tmp_path):
    folder = project_folder(tmp_path / "clone")
    with running_up(folder) as embedded:
        line = re.search(r"^Dashboard +(\S+) +sign in as (\S+) +password (\S+)$", embedded.banner(), flags=re.M)
        assert line, embedded.banner()
        address, email, password = line.groups()
        assert address == f"{embedded.url}/campaigns" and email == "admin@example.com"
        stored = json.loads((folder / "var" / "embedded-secrets.json").read_text())
        assert stored["dashboard_password"] == password and len(stored["session_secret"]) >= 32
        with httpx.Client(base_url=embedded.url) as browser:
            token = CSRF.search(browser.get("/login").text).group(1)
            signed_in = browser.post("/login", data={"email": email, "password": password, "csrf_token": token})
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/campaigns"
            assert "Demo" in browser.get("/campaigns").text
    with running_up(folder) as again:
        assert f"password {password}" in again.banner()
