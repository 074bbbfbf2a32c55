"""Importing codes from CSV (Voucherify's template) and exporting them, as codes or as a Mailchimp audience."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.helpers import create_campaign, invite, row_counts
from tests.conftest import empty_database

GOOD = (
    "Code,Category,Redeemed quantity,Active,Start date,Expiration date,Source\n"
    "SPRING-1,spring,0,true,2026-03-01,2026-05-31,newsletter\n"
    "spring-2,spring,2,false,,,\n"
)
MIXED = (
    "Code,Category,Redeemed quantity,Active\n"
    "GOOD-1,a,0,true\n"
    "BAD 2,a,0,true\n"
    "GOOD-3,a,x,true\n"
    "GOOD-4,a,0,maybe\n"
    "good-1,a,0,true\n"
    "GOOD-6,a,0,true\n"
)


@pytest.fixture
def campaign(client) -> dict:
    return create_campaign(client)


def import_csv(client, campaign_id: str, text: str, **params) -> dict:
    response = client.post(
        f"/api/v1/campaigns/{campaign_id}/codes/import",
        params=params,
        files={"file": ("codes.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    return response.json()


def codes_of(client, campaign_id: str) -> dict[str, dict]:
    rows = client.get(f"/api/v1/campaigns/{campaign_id}/codes", params={"limit": 100}).json()["data"]
    return {row["code"]: row for row in rows}


def test_a_good_file_imports_every_row_with_its_columns_and_extra_columns_as_metadata(client, campaign):
    assert import_csv(client, campaign["id"], GOOD) == {"imported": 2, "updated": 0, "errors": []}
    codes = codes_of(client, campaign["id"])
    assert codes["SPRING-1"]["metadata"] == {"Source": "newsletter"}
    assert codes["SPRING-1"]["start_date"] == "2026-03-01T00:00:00Z"
    assert codes["SPRING-1"]["expiration_date"].startswith("2026-05-31T23:59:59")
    assert (codes["spring-2"]["active"], codes["spring-2"]["redeemed_count"], codes["spring-2"]["category"]) == (
        False,
        2,
        "spring",
    )


def test_a_text_csv_body_is_accepted_as_well_as_a_multipart_upload(client, campaign):
    response = client.post(
        f"/api/v1/campaigns/{campaign['id']}/codes/import", content=GOOD.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.json()["imported"] == 2


def test_skip_imports_the_good_rows_and_reports_the_bad_ones_with_line_numbers(client, campaign):
    report = import_csv(client, campaign["id"], MIXED)
    assert (report["imported"], report["updated"]) == (2, 0)
    assert [error["line"] for error in report["errors"]] == [3, 4, 5, 6]
    assert "whitespace" in report["errors"][0]["message"]
    assert "Redeemed quantity" in report["errors"][1]["message"]
    assert "repeats line 2" in report["errors"][3]["message"]
    assert sorted(codes_of(client, campaign["id"])) == ["GOOD-1", "GOOD-6"]


def test_abort_imports_nothing_when_any_row_is_bad_but_still_reports_every_bad_row(client, runtime, campaign):
    before = row_counts(runtime)
    report = import_csv(client, campaign["id"], MIXED, on_error="abort")
    assert (report["imported"], report["updated"]) == (0, 0)
    assert [error["line"] for error in report["errors"]] == [3, 4, 5, 6]
    assert row_counts(runtime) == before


def test_abort_imports_a_file_without_bad_rows(client, campaign):
    assert import_csv(client, campaign["id"], GOOD, on_error="abort")["imported"] == 2


def test_a_file_without_a_code_column_is_one_error_on_line_1(client, campaign):
    assert import_csv(client, campaign["id"], "Name,Category\nx,y\n")["errors"] == [
        {"line": 1, "message": "the header has no 'Code' column"}
    ]


def test_an_unknown_on_error_mode_is_refused(client, campaign):
    response = client.post(
        f"/api/v1/campaigns/{campaign['id']}/codes/import",
        params={"on_error": "ignore"},
        content=GOOD.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422


def test_a_file_that_is_not_utf8_is_refused_with_422(client, campaign):
    response = client.post(
        f"/api/v1/campaigns/{campaign['id']}/codes/import",
        content=b"Code\n\xff\xfe\xfa\n",
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert "UTF-8" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the CSV is empty"), (b"PK\x03\x04\x00\x00zipped sheet", "not a CSV text file")],
)
def test_an_empty_or_binary_upload_is_refused_with_422_and_imports_nothing(client, campaign, content, message):
    response = client.post(
        f"/api/v1/campaigns/{campaign['id']}/codes/import", files={"file": ("codes.xlsx", content, "text/csv")}
    )
    assert response.status_code == 422 and message in response.json()["error"]["message"]
    assert codes_of(client, campaign["id"]) == {}


def test_reimporting_updates_only_active_and_category(client, campaign):
    import_csv(client, campaign["id"], GOOD)
    changed = (
        "Code,Category,Redeemed quantity,Active,Start date,Expiration date,Source\n"
        "spring-1,summer,9,false,2027-01-01,,other\n"
    )
    assert import_csv(client, campaign["id"], changed) == {"imported": 0, "updated": 1, "errors": []}
    code = codes_of(client, campaign["id"])["SPRING-1"]
    assert (code["category"], code["active"]) == ("summer", False)
    assert (code["redeemed_count"], code["start_date"], code["metadata"]) == (
        0,
        "2026-03-01T00:00:00Z",
        {"Source": "newsletter"},
    )


def test_a_code_of_another_campaign_is_a_bad_row(client, campaign):
    other = create_campaign(client, name="Other")
    import_csv(client, other["id"], GOOD)
    report = import_csv(client, campaign["id"], GOOD)
    assert report["imported"] == 0
    assert [error["message"] for error in report["errors"]] == [
        "code 'SPRING-1' belongs to another campaign",
        "code 'spring-2' belongs to another campaign",
    ]


def test_the_import_is_recorded_in_the_campaign_activity(client, campaign):
    import_csv(client, campaign["id"], MIXED)
    [row] = client.get(
        f"/api/v1/campaigns/{campaign['id']}/activity", params={"type": "campaign.vouchers.imported"}
    ).json()["data"]
    assert row["data"] == {"imported": 2, "updated": 0, "errors": 4}


def test_importing_into_an_unknown_campaign_is_404(client):
    response = client.post(
        "/api/v1/campaigns/cmp_nope/codes/import", content=GOOD.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 404


def test_reimporting_an_export_into_its_campaign_updates_every_code_and_adds_none(client, campaign):
    import_csv(client, campaign["id"], GOOD)
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 25})
    exported = client.get(f"/api/v1/campaigns/{campaign['id']}/codes/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 27
    assert {key: value for key, value in next(row for row in rows if row["Code"] == "SPRING-1").items()} == {
        "Code": "SPRING-1",
        "Category": "spring",
        "Redeemed quantity": "0",
        "Active": "true",
        "Start date": "2026-03-01T00:00:00Z",
        "Expiration date": "2026-05-31T23:59:59.999999Z",
    }
    assert import_csv(client, campaign["id"], exported.text) == {"imported": 0, "updated": 27, "errors": []}


def test_an_export_round_trips_through_a_fresh_database_row_for_row(client, runtime, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 40})
    exported = client.get(f"/api/v1/campaigns/{campaign['id']}/codes/export").text
    empty_database(runtime)
    copy = create_campaign(client, name="Restored")
    assert import_csv(client, copy["id"], exported) == {"imported": 40, "updated": 0, "errors": []}
    assert sorted(client.get(f"/api/v1/campaigns/{copy['id']}/codes/export").text.splitlines()) == sorted(
        exported.splitlines()
    )


def test_the_mailchimp_export_lists_published_codes_with_email_and_name(client, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 3})
    held = invite(client, campaign["id"], "ann@example.com")
    response = client.get(f"/api/v1/campaigns/{campaign['id']}/codes/export", params={"format": "mailchimp"})
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["Email Address", "First Name", "Last Name", "REFCODE"],
        ["ann@example.com", "Ann", "Lee", held["code"]],
    ]


def test_exporting_an_unknown_campaign_is_404_and_an_unknown_format_422(client, campaign):
    assert client.get("/api/v1/campaigns/cmp_nope/codes/export").status_code == 404
    assert client.get(f"/api/v1/campaigns/{campaign['id']}/codes/export", params={"format": "xlsx"}).status_code == 422
