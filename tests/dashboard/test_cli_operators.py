"""`referrals operators create|list|disable` against the test database; what they do shows at the login."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from db.models import Operator
from tests.dashboard.conftest import sign_in
from tests.support.counts import all_rows


@pytest.fixture
def cli(runtime, monkeypatch):
    monkeypatch.setenv("REFERRALS_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.delenv("REFERRALS_REDIS_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(app, list(args), input=input)


def test_create_with_a_password_stores_only_its_argon2_hash_and_the_operator_can_sign_in(cli, runtime, browser):
    result = cli("operators", "create", "--email", " Ops@Example.com ", "--password", "a long passphrase")
    assert result.exit_code == 0, result.output
    [operator] = all_rows(runtime, Operator)
    assert operator.email == "ops@example.com" and operator.password_hash.startswith("$argon2id$")
    assert "a long passphrase" not in operator.password_hash
    assert sign_in(browser, "OPS@example.com", "a long passphrase").status_code == 303


def test_create_without_a_password_asks_for_it_twice_without_echoing_it(cli, runtime, browser):
    result = cli("operators", "create", "--email", "ops@example.com", input="typed passphrase\ntyped passphrase\n")
    assert result.exit_code == 0, result.output
    assert "typed passphrase" not in result.output and result.output.count("Password") == 1
    assert sign_in(browser, "ops@example.com", "typed passphrase").status_code == 303


def test_a_prompted_password_must_be_typed_the_same_twice(cli, runtime):
    result = cli("operators", "create", "--email", "ops@example.com", input="first try 123\nsecond try 123\n")
    assert result.exit_code != 0 and "do not match" in result.output
    assert all_rows(runtime, Operator) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "ops@example.com", "--password", "short"], "password: must be 10 to 1024 characters long"),
        (["--email", "not an email", "--password", "long enough pw"], "is not an email address"),
    ],
)
def test_a_bad_email_or_password_is_refused_with_a_message(cli, runtime, args, message):
    result = cli("operators", "create", *args)
    assert result.exit_code == 1 and message in result.output
    assert all_rows(runtime, Operator) == []


def test_an_email_can_be_taken_once(cli):
    assert cli("operators", "create", "--email", "ops@example.com", "--password", "long enough pw").exit_code == 0
    again = cli("operators", "create", "--email", "OPS@example.com", "--password", "long enough pw")
    assert again.exit_code == 1 and "already exists" in again.output


def test_list_shows_operators_and_disable_stops_one_from_signing_in(cli, browser):
    for email in ("ann@example.com", "ben@example.com"):
        assert cli("operators", "create", "--email", email, "--password", "long enough pw").exit_code == 0
    assert cli("operators", "disable", "ben@example.com").exit_code == 0
    listed = cli("operators", "list", "--output", "csv").output.splitlines()
    assert listed[0] == "id,email,active,created_at,last_login_at"
    assert [line.split(",")[1:3] for line in listed[1:]] == [["ann@example.com", "True"], ["ben@example.com", "False"]]
    assert sign_in(browser, "ben@example.com", "long enough pw").status_code == 400
    assert sign_in(browser, "ann@example.com", "long enough pw").status_code == 303


def test_disabling_an_unknown_operator_is_an_error(cli):
    result = cli("operators", "disable", "nobody@example.com")
    assert result.exit_code == 1 and "not found" in result.output
