"""The README's first steps, pasted as written into a second terminal, against `referrals up` on a port that is
not the default; and every command the banner prints runs as printed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.embedded import REPO, Embedded, clean_environment, project_folder, running_up, server_file
from tests.support.processes import wait_until

SECTION = "## Zero to a processed webhook in two minutes"


def first_steps() -> list[str]:
    """The section's ```bash blocks, but the first (`scripts/up`: the test runs the server itself)."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index(SECTION) :].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert blocks[0].strip().startswith("scripts/up"), blocks[0]
    return blocks[1:]


def bash(script: str, folder: Path) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=folder,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{script}\n--- exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def embedded(tmp_path) -> Embedded:
    with running_up(project_folder(tmp_path / "clone")) as embedded:
        yield embedded


def rewards(embedded: Embedded) -> list[dict]:
    secrets = (embedded.folder / "var" / "embedded-secrets.json").read_text()
    token = re.search(r'"api_token": "([^"]+)"', secrets)[1]
    campaign = server_file(embedded)["demo_campaign"]
    response = httpx.get(
        f"{embedded.url}/api/v1/campaigns/{campaign}/rewards", headers={"Authorization": f"Bearer {token}"}
    )
    return response.json()["data"]


def test_the_first_steps_work_pasted_in_order_on_another_port(embedded):
    read_var, send_order, by_hand, look = first_steps()
    names = bash(read_var, embedded.folder).split()
    assert names[0] == embedded.url and names[1].startswith("cmp_") and names[2] == server_file(embedded)["demo_code"]
    assert '→ 202 {"status":"accepted"' in bash(read_var + send_order, embedded.folder)
    assert '{"status":"accepted"' in bash(read_var + by_hand, embedded.folder)
    wait_until(lambda: len(rewards(embedded)) == 2, timeout_s=30, message="a reward for each of the two friends")
    wait_until(
        lambda: len(list((embedded.folder / "var" / "outbox").glob("*.eml"))) == 2,
        timeout_s=30,
        message="the referrer's two emails",
    )
    _names, redemptions, rewarded, activity, *emails = bash(read_var + look, embedded.folder).splitlines()
    assert [row["status"] for row in json.loads(redemptions)["data"]] == ["succeeded", "succeeded"]
    assert [row["status"] for row in json.loads(rewarded)["data"]] == ["completed", "completed"]
    assert "customer.redemption.succeeded" in {row["type"] for row in json.loads(activity)["data"]}
    assert len(emails) == 2 and all(name.endswith(".eml") for name in emails)
    assert '{"status":"duplicate"' in bash(read_var + by_hand, embedded.folder)


def test_every_command_the_banner_prints_runs_as_printed(embedded):
    commands = re.findall(r"^(?:Try it|Then): +(.+?)(?:   \(.*\))?$", embedded.banner(), flags=re.M)
    assert len(commands) == 2 and commands[0].endswith("referrals demo send-order"), embedded.banner()
    assert "202" in bash(commands[0], embedded.folder)
    wait_until(lambda: len(rewards(embedded)) == 1, timeout_s=30, message="the demo order's reward")
    assert '"type":"credits"' in bash(commands[1], embedded.folder)


def test_stopping_removes_the_address_file_and_var_holds_the_rest(tmp_path):
    folder = project_folder(tmp_path / "clone")
    with running_up(folder):
        assert (folder / "var" / "server.json").exists()
    assert not (folder / "var" / "server.json").exists()
    assert {path.name for path in (folder / "var").iterdir()} >= {"referrals.db", "embedded-secrets.json"}
