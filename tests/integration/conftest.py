"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app


@pytest.fixture
def cli(runtime, monkeypatch):
    """`referrals …` on the test database (no Redis), output wide enough that tables do not wrap."""
    monkeypatch.setenv("REFERRALS_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.delenv("REFERRALS_REDIS_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(app, [str(arg) for arg in args], input=input)
