"""`referrals campaigns …` and `referrals codes …` drive the same db/ functions as the API."""

from __future__ import annotations

import csv

import pytest
import typer
from typer.testing import CliRunner

from cli.codes import campaigns_app, codes_app

cli = typer.Typer()
cli.add_typer(campaigns_app, name="campaigns")
cli.add_typer(codes_app, name="codes")


@pytest.fixture
def run(runtime, database_url, tmp_path, monkeypatch):
    """Run the CLI against the test database (configured through the environment, as in production)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFERRALS_DATABASE_URL", database_url)
    monkeypatch.delenv("REFERRALS_REDIS_URL", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, [str(arg) for arg in args])


def test_a_campaign_is_created_listed_and_shown(run):
    created = run("campaigns", "create", "--name", "CLI campaign", "--pattern", "CLI-####")
    assert created.exit_code == 0, created.output
    campaign_id = created.stdout.strip()
    assert "CLI campaign" in run("campaigns", "list", "--output", "csv").stdout
    assert '"pattern": "CLI-####"' in run("campaigns", "show", campaign_id).stdout


def test_codes_are_generated_exported_and_imported_again(run, tmp_path):
    campaign_id = run("campaigns", "create", "--name", "Codes").stdout.strip()
    assert "created 40 codes" in run("codes", "generate", campaign_id, "--count", 40).stdout
    exported = tmp_path / "codes.csv"
    assert run("codes", "export", campaign_id, "--output", exported).exit_code == 0
    rows = list(csv.DictReader(exported.open()))
    assert len(rows) == 40 and set(rows[0]) >= {"Code", "Category", "Redeemed quantity", "Active"}
    result = run("codes", "import", campaign_id, exported)
    assert result.exit_code == 0
    assert "imported 0, updated 40, bad rows 0" in result.stdout


def test_an_import_with_bad_rows_reports_them_and_abort_exits_non_zero(run, tmp_path):
    campaign_id = run("campaigns", "create", "--name", "Import").stdout.strip()
    bad = tmp_path / "bad.csv"
    bad.write_text("Code,Category\nGOOD-1,a\nBAD 2,a\n")
    aborted = run("codes", "import", campaign_id, bad, "--on-error", "abort")
    assert aborted.exit_code == 1
    assert "line 3" in aborted.output and "imported 0" in aborted.stdout
    skipped = run("codes", "import", campaign_id, bad)
    assert skipped.exit_code == 0 and "imported 1" in skipped.stdout


def test_the_mailchimp_export_goes_to_stdout(run, client):
    campaign_id = run("campaigns", "create", "--name", "Audience").stdout.strip()
    held = client.post(
        f"/api/v1/campaigns/{campaign_id}/referrers", json={"customer": {"email": "ann@example.com", "name": "Ann Lee"}}
    ).json()
    result = run("codes", "export", campaign_id, "--format", "mailchimp")
    assert f"ann@example.com,Ann,Lee,{held['code']}" in result.stdout


def test_the_referrers_export_is_the_apis_csv_with_a_date_window(run, client, tmp_path):
    campaign_id = run("campaigns", "create", "--name", "Referrers").stdout.strip()
    run("campaigns", "invite", campaign_id, "--email", "ann@example.com", "--name", "Ann Lee")
    api = client.get(f"/api/v1/campaigns/{campaign_id}/referrers", params={"format": "csv"}).text
    assert run("campaigns", "referrers", campaign_id).stdout == api and "ann@example.com" in api
    today = client.get(f"/api/v1/campaigns/{campaign_id}/referrers").json()["data"][0]["published_at"][:10]
    result = run("campaigns", "referrers", campaign_id, "--start", today, "--end", today, "-o", tmp_path / "r.csv")
    assert result.exit_code == 0 and (tmp_path / "r.csv").read_text() == api
    later = run("campaigns", "referrers", campaign_id, "--start", "2999-01-01").stdout
    assert later.splitlines() == [api.splitlines()[0]]


@pytest.mark.parametrize(
    "args, message",
    [
        (("codes", "generate", "cmp_nope", "--count", 5), "campaign 'cmp_nope' not found"),
        (("codes", "generate", "cmp_nope", "--count", 0), "--count"),
        (("codes", "export", "cmp_nope"), "not found"),
        (("campaigns", "referrers", "cmp_nope"), "not found"),
        (("campaigns", "create", "--name", "Bad", "--pattern", "NOPE"), "code_config"),
        (("campaigns", "create", "--name", "Bad", "--conversion", "order.shipped"), "conversion"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(run, args, message):
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
