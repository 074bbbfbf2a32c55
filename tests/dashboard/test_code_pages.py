"""The Codes tab (list, filters, add, import, export) and the code page (QR, redemptions, change, publish,
delete), signed in: each form runs the API's command, a bad value is flashed and changes nothing."""

from __future__ import annotations

import re

from db.models import Activity, Code
from tests.api.helpers import create_campaign, invite, paid_order
from tests.dashboard.conftest import csrf_of
from tests.support.counts import all_rows


def post(browser, path: str, data: dict | None = None, files: dict | None = None):
    token = csrf_of(browser.get("/campaigns").text)
    return browser.post(path, data=(data or {}) | {"csrf_token": token}, files=files)


def flashed(browser, response) -> str:
    assert response.status_code == 303, response.text
    return browser.get(response.headers["location"]).text


def codes_of(runtime, campaign_id: str) -> list[Code]:
    return all_rows(runtime, Code, Code.campaign_id == campaign_id, Code.deleted_at.is_(None))


def test_the_codes_tab_shows_the_pattern_and_each_code_with_its_holder_newest_first(signed_in, client):
    campaign = create_campaign(client, code_config={"pattern": "SPRING-####"})
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 2})
    held = invite(client, campaign["id"], "ann@example.com")
    page = signed_in.get(f"/campaigns/{campaign['id']}/codes").text
    assert "SPRING-####" in page
    assert len(re.findall(r'<a href="/codes/SPRING-\d{4}">', page)) == 2
    row = page[page.index(held["code"]) : page.index("</tr>", page.index(held["code"]))]
    assert f'href="/customers/{held["customer_id"]}">Ann Lee</a>' in row and "ann@example.com" in row
    assert "0 / no limit" in row and 'aria-current="page">Codes' in page
    for anchor in ('id="add-codes"', 'id="import"', 'id="export"'):
        assert anchor in page


def test_codes_are_filtered_as_the_api_filters_them_and_paged(signed_in, client):
    campaign = create_campaign(client)
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 55})
    held = invite(client, campaign["id"], "ann@example.com")
    base = f"/campaigns/{campaign['id']}/codes"
    published = signed_in.get(base + "?published=true").text
    assert held["code"] in published and len(re.findall(r'<a href="/codes/', published)) == 1
    assert held["code"] not in signed_in.get(base + "?published=false").text
    first = signed_in.get(base).text
    assert len(re.findall(r'<a href="/codes/', first)) == 50
    cursor = re.search(r'cursor=([^"&]+)', first).group(1)
    second = signed_in.get(f"{base}?cursor={cursor}").text
    assert len(re.findall(r'<a href="/codes/', second)) == 5 and "← Newest" in second
    assert "No code matches these filters." in signed_in.get(base + "?category=none-such").text


def test_add_codes_generates_them_and_a_bad_count_changes_nothing(signed_in, client, runtime):
    campaign = create_campaign(client)
    page = flashed(signed_in, post(signed_in, f"/campaigns/{campaign['id']}/codes", {"count": "7"}))
    assert "7 codes added." in page and len(codes_of(runtime, campaign["id"])) == 7
    for bad in ("0", "100001", "many", ""):
        page = flashed(signed_in, post(signed_in, f"/campaigns/{campaign['id']}/codes", {"count": bad}))
        assert "flash-error" in page and "count:" in page, bad
    assert len(codes_of(runtime, campaign["id"])) == 7


def test_an_imported_csv_is_answered_with_a_report_of_created_updated_and_refused_rows(signed_in, client, runtime):
    campaign = create_campaign(client)
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes/import", content="Code\nOLD-1\n")
    csv = "Code,Category,Active\nNEW-1,vip,true\nOLD-1,vip,false\nNEW-1,,\n<script>x</script>,,maybe\n"
    response = post(
        signed_in, f"/campaigns/{campaign['id']}/codes/import", files={"file": ("codes.csv", csv, "text/csv")}
    )
    assert response.status_code == 200
    figures = re.findall(r"<dt>(\w+)</dt><dd>(\d+)</dd>", response.text)
    assert figures == [("Created", "1"), ("Updated", "1"), ("Refused", "2")]
    assert re.findall(r'data-label="Line" class="number">(\d+)<', response.text) == ["4", "5"]
    assert "<script>x" not in response.text and "codes.csv" in response.text
    stored = {code.code: (code.active, code.category) for code in codes_of(runtime, campaign["id"])}
    assert stored == {"NEW-1": (True, "vip"), "OLD-1": (False, "vip")}


def test_an_aborted_import_keeps_nothing_and_says_so(signed_in, client, runtime):
    campaign = create_campaign(client)
    csv = "Code,Active\nGOOD-1,true\nBAD-1,maybe\n"
    response = post(
        signed_in,
        f"/campaigns/{campaign['id']}/codes/import",
        {"on_error": "abort"},
        files={"file": ("codes.csv", csv, "text/csv")},
    )
    assert "Nothing was imported" in response.text and codes_of(runtime, campaign["id"]) == []


def test_an_empty_binary_or_missing_file_is_refused_with_a_message(signed_in, client, runtime):
    campaign = create_campaign(client)
    path = f"/campaigns/{campaign['id']}/codes/import"
    cases = {
        "is empty": {"file": ("codes.csv", b"", "text/csv")},
        "not a CSV text file": {"file": ("codes.xlsx", b"PK\x03\x04\x00\x00binary", "application/octet-stream")},
        "not UTF-8": {"file": ("codes.csv", "Code\nÉTÉ-1\n".encode("latin-1"), "text/csv")},
        "multipart field": None,
    }
    for message, files in cases.items():
        response = post(signed_in, path, files=files) if files else post(signed_in, path)
        page = flashed(signed_in, response)
        assert "flash-error" in page and message in page, message
    assert codes_of(runtime, campaign["id"]) == [] and not [
        row for row in all_rows(runtime, Activity) if row.type == "campaign.vouchers.imported"
    ]


def test_the_exports_are_the_apis_csv_downloads(signed_in, client):
    campaign = create_campaign(client)
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 3})
    held = invite(client, campaign["id"], "ann@example.com")
    for path, fmt in (("codes.csv", "codes"), ("codes-mailchimp.csv", "mailchimp")):
        page = signed_in.get(f"/campaigns/{campaign['id']}/{path}")
        api = client.get(f"/api/v1/campaigns/{campaign['id']}/codes/export?format={fmt}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/csv")
        assert page.text == api.text and "attachment" in page.headers["content-disposition"]
    assert f"ann@example.com,Ann,Lee,{held['code']}" in page.text


def test_the_code_page_shows_campaign_holder_uses_qr_and_redemptions(signed_in, client, runtime, worker):
    campaign = create_campaign(client, name="Spring")
    held = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, held["code"], order_id="o-1", email="ben@example.com")
    page = signed_in.get(f"/codes/{held['code'].lower()}").text
    assert "Spring" in page and f'href="/customers/{held["customer_id"]}">Ann Lee</a>' in page
    assert "1 / no limit" in page and "channel api" in page
    assert re.search(r'<img src="/codes/[^"]+/qr.svg"[^>]* alt="QR code', page)
    assert re.search(r'href="/redemptions/red_\w+"', page)
    qr = signed_in.get(f"/codes/{held['code']}/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml" and qr.content.startswith(b"<?xml")
    assert signed_in.get("/codes/NOPE-0000", headers={"accept": "text/html"}).status_code == 404


def test_the_update_form_changes_the_code_as_patch_does(signed_in, client, runtime):
    campaign = create_campaign(client)
    held = invite(client, campaign["id"], "ann@example.com")
    form = {"redemption_limit": "3", "start_date": "2027-01-01", "expiration_date": "2027-02-01"}
    page = flashed(signed_in, post(signed_in, f"/codes/{held['code']}/update", form))
    assert f"Code {held['code']} saved." in page
    code = client.get(f"/api/v1/codes/{held['code']}").json()
    assert (code["active"], code["redemption_limit"]) == (False, 3)
    # the day typed in is the last valid one, as `referrals codes update --expires` and the CSV import read it
    assert (code["start_date"], code["expiration_date"]) == ("2027-01-01T00:00:00Z", "2027-02-01T23:59:59.999999Z")
    assert 'value="2027-02-01"' in page
    flashed(signed_in, post(signed_in, f"/codes/{held['code']}/update", {"active": "true"}))
    code = client.get(f"/api/v1/codes/{held['code']}").json()
    assert code["active"] and code["redemption_limit"] is None and code["expiration_date"] is None


def test_a_bad_update_is_flashed_and_changes_nothing(signed_in, client):
    campaign = create_campaign(client)
    held = invite(client, campaign["id"], "ann@example.com")
    before = client.get(f"/api/v1/codes/{held['code']}").json()
    cases = {
        "redemption_limit": {"redemption_limit": "lots"},
        "redemption_limit:": {"redemption_limit": "0"},
        "start_date": {"start_date": "31/12/2026"},
        "expiration_date": {"start_date": "2027-02-01", "expiration_date": "2027-01-01"},
    }
    for message, form in cases.items():
        page = flashed(signed_in, post(signed_in, f"/codes/{held['code']}/update", form | {"active": "true"}))
        assert "flash-error" in page and message in page, form
    assert client.get(f"/api/v1/codes/{held['code']}").json() == before


def test_publish_gives_the_code_to_a_customer_and_refuses_a_bad_email(signed_in, client, runtime):
    campaign = create_campaign(client)
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 1})
    [code] = codes_of(runtime, campaign["id"])
    page = flashed(signed_in, post(signed_in, f"/codes/{code.code}/publish", {"email": "not an email"}))
    assert "flash-error" in page and codes_of(runtime, campaign["id"])[0].holder_id is None
    form = {"email": "cat@example.com", "name": "<script>alert(1)</script>"}
    page = flashed(signed_in, post(signed_in, f"/codes/{code.code}/publish", form))
    assert f"Code {code.code} published to cat@example.com." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    published = client.get(f"/api/v1/codes/{code.code}").json()
    assert published["channel"] == "dashboard" and published["holder_id"]


def test_delete_needs_its_confirmation_then_goes_back_to_the_codes_tab(signed_in, client, runtime):
    campaign = create_campaign(client)
    held = invite(client, campaign["id"], "ann@example.com")
    page = flashed(signed_in, post(signed_in, f"/codes/{held['code']}/delete"))
    assert "Not deleted" in page and len(codes_of(runtime, campaign["id"])) == 1
    response = post(signed_in, f"/codes/{held['code']}/delete", {"confirm": "yes"})
    assert response.headers["location"] == f"/campaigns/{campaign['id']}/codes"
    assert f"Code {held['code']} deleted" in flashed(signed_in, response)
    assert codes_of(runtime, campaign["id"]) == []
    assert client.get(f"/api/v1/codes/{held['code']}").json()["deleted_at"]


def test_a_code_with_url_characters_has_a_working_page_and_forms(signed_in, client):
    campaign = create_campaign(client)
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes/import", content="Code\nMY?#1&x\n")
    tab = signed_in.get(f"/campaigns/{campaign['id']}/codes").text
    assert 'href="/codes/MY%3F%231%26x"' in tab
    assert "<code>MY?#1&amp;x</code>" in signed_in.get("/codes/MY%3F%231%26x").text
    response = post(signed_in, "/codes/MY%3F%231%26x/update", {"redemption_limit": "2"})
    assert response.headers["location"] == "/codes/MY%3F%231%26x"
    assert client.get("/api/v1/codes/MY%3F%231%26x").json()["redemption_limit"] == 2


def test_a_file_over_the_size_limit_is_refused_before_any_row_is_read(signed_in, client, runtime, monkeypatch):
    monkeypatch.setattr("api.v1.codes.MAX_UPLOAD_BYTES", 64)
    campaign = create_campaign(client)
    csv = "Code\n" + "".join(f"BIG-{number}\n" for number in range(20))
    response = post(
        signed_in, f"/campaigns/{campaign['id']}/codes/import", files={"file": ("codes.csv", csv, "text/csv")}
    )
    assert "the CSV is larger than 64 bytes" in flashed(signed_in, response)
    assert codes_of(runtime, campaign["id"]) == []


def test_a_campaign_without_a_pattern_shows_its_length_charset_and_prefix(signed_in, client):
    campaign = create_campaign(client, code_config={"length": 8, "charset": "ABC123", "prefix": "VIP-"})
    page = signed_in.get(f"/campaigns/{campaign['id']}/codes").text
    assert "8 random characters from <code>ABC123</code> · prefix <code>VIP-</code>" in page


def test_saving_the_code_form_keeps_a_moment_the_operator_did_not_change(signed_in, client):
    campaign = create_campaign(client)
    held = invite(client, campaign["id"], "ann@example.com")
    client.patch(f"/api/v1/codes/{held['code']}", json={"expiration_date": "2027-03-01T12:30:00Z"})
    form = {"active": "false", "expiration_date": "2027-03-01", "expiration_date_shown": "2027-03-01"}
    flashed(signed_in, post(signed_in, f"/codes/{held['code']}/update", form))
    code = client.get(f"/api/v1/codes/{held['code']}").json()
    assert (code["active"], code["expiration_date"]) == (False, "2027-03-01T12:30:00Z")
