"""List commands at 80 columns keep every id whole, and print JSON or CSV on request; --help shows no <bool>."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.integration.test_cli import add_failed_job

LISTS = [("campaigns", "list"), ("jobs", "failed"), ("events", "list")]


@pytest.fixture
def cli(runtime, monkeypatch):
    monkeypatch.setenv("REFERRALS_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.delenv("REFERRALS_REDIS_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


@pytest.fixture
def ids(runtime, cli) -> list[str]:
    campaign = cli("campaigns", "create", "--name", "A campaign with a rather long name that has to wrap somewhere")
    assert campaign.exit_code == 0, campaign.output
    return [campaign.stdout.strip(), add_failed_job(runtime)]


def test_tables_at_80_columns_show_whole_ids(cli, ids):
    campaign_id, job_id = ids
    assert campaign_id in cli("campaigns", "list").stdout
    assert job_id in cli("jobs", "failed").stdout


def test_every_list_command_prints_json_and_csv(cli, ids):
    for command in LISTS:
        as_json = cli(*command, "--output", "json")
        assert as_json.exit_code == 0, as_json.output
        rows = json.loads(as_json.stdout)
        as_csv = list(csv.DictReader(io.StringIO(cli(*command, "--output", "csv").stdout)))
        assert [row["id"] for row in as_csv] == [row["id"] for row in rows]
    assert json.loads(cli("campaigns", "list", "--output", "json").stdout)[0]["id"] == ids[0]
    assert json.loads(cli("jobs", "failed", "--output", "json").stdout)[0]["id"] == ids[1]


def test_help_shows_no_value_after_a_flag(cli):
    for command in (("campaigns", "create"), ("jobs", "retry"), ("campaigns", "list")):
        help_text = cli(*command, "--help").stdout
        assert "--help" in help_text and not re.search(r"<bool>", help_text), help_text
