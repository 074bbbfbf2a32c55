"""`referrals exchange-rates …` and `referrals campaigns create --currency` against a real database."""

from __future__ import annotations

from db.models import Campaign, ExchangeRate
from tests.integration.test_cli import cli  # noqa: F401  (the fixture)
from tests.support.counts import all_rows


def test_an_operator_sets_lists_and_deletes_a_rate_from_the_terminal(runtime, cli):  # noqa: F811
    set_ = cli("exchange-rates", "set", "hkd", "USD", "0.1282", "--date", "2026-12-01")
    assert set_.exit_code == 0, set_.output
    [rate] = all_rows(runtime, ExchangeRate)
    assert (rate.base, rate.quote, rate.rate, rate.date.isoformat()) == ("HKD", "USD", "0.1282", "2026-12-01")
    listed = cli("exchange-rates", "list", "--currency", "USD")
    assert listed.exit_code == 0 and "0.1282" in listed.output
    assert cli("exchange-rates", "delete", rate.id).exit_code == 0
    assert all_rows(runtime, ExchangeRate) == []


def test_a_bad_rate_or_currency_ends_the_command_with_the_field_named(runtime, cli):  # noqa: F811
    bad_rate = cli("exchange-rates", "set", "HKD", "USD", "0")
    bad_currency = cli("exchange-rates", "set", "HKX", "USD", "1")
    assert (bad_rate.exit_code, bad_currency.exit_code) == (1, 1)
    assert "rate:" in bad_rate.output and "base:" in bad_currency.output


def test_a_campaign_created_from_the_terminal_takes_the_default_or_the_given_currency(runtime, cli, monkeypatch):  # noqa: F811
    monkeypatch.setenv("REFERRALS_DEFAULT_CURRENCY", "EUR")
    assert cli("campaigns", "create", "--name", "Default").exit_code == 0
    assert cli("campaigns", "create", "--name", "Yen", "--currency", "JPY").exit_code == 0
    assert sorted(campaign.currency for campaign in all_rows(runtime, Campaign)) == ["EUR", "JPY"]
