"""The Referrers tab (with the Invite form and its CSV), the Referees tab (totals and per referee) and the customer
page (profile, orders, balances, codes, referrals, activity with filters), signed in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from db.ids import new_id
from db.models import Activity, Code
from tests.api.helpers import add_tier, create_campaign, invite, paid_order
from tests.dashboard.conftest import csrf_of
from tests.support.counts import all_rows

TODAY = datetime.now(UTC).date()


def post(browser, path: str, data: dict):
    token = csrf_of(browser.get("/campaigns").text)
    return browser.post(path, data=data | {"csrf_token": token})


def followed(browser, response) -> str:
    assert response.status_code == 303, response.text
    return browser.get(response.headers["location"]).text


def test_the_referrers_tab_lists_holders_with_code_date_status_and_channel(signed_in, client):
    campaign = create_campaign(client)
    ann = invite(client, campaign["id"], "ann@example.com")
    invite(client, campaign["id"], "bob@example.com")
    page = signed_in.get(f"/campaigns/{campaign['id']}/referrers").text
    assert page.index("bob@example.com") < page.index("ann@example.com")  # newest first
    row = page[page.index("ann@example.com") - 300 : page.index("</tr>", page.index("ann@example.com"))]
    assert f'href="/customers/{ann["customer_id"]}">Ann Lee</a>' in row
    assert f'href="/codes/{ann["code"]}"' in row and ">api<" in row and "badge-active" in row
    assert 'id="invite"' in page and f'href="/campaigns/{campaign["id"]}/referrers.csv"' in page


def test_referrers_are_filtered_by_publication_date_and_paged(signed_in, client):
    campaign = create_campaign(client)
    for number in range(52):
        invite(client, campaign["id"], f"r{number}@example.com")
    base = f"/campaigns/{campaign['id']}/referrers"
    first = signed_in.get(base).text
    assert len(re.findall(r'<a href="/codes/', first)) == 50
    cursor = re.search(r'cursor=([^"&]+)', first).group(1)
    assert len(re.findall(r'<a href="/codes/', signed_in.get(f"{base}?cursor={cursor}").text)) == 2
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    later = signed_in.get(f"{base}?start={tomorrow}").text
    assert "No referrer published in these dates." in later
    assert len(re.findall(r'<a href="/codes/', signed_in.get(f"{base}?start={TODAY}&end={TODAY}").text)) == 50


def test_the_referrers_csv_is_the_apis(signed_in, client):
    campaign = create_campaign(client)
    invite(client, campaign["id"], "ann@example.com")
    page = signed_in.get(f"/campaigns/{campaign['id']}/referrers.csv")
    api = client.get(f"/api/v1/campaigns/{campaign['id']}/referrers?format=csv")
    assert page.status_code == 200 and page.text == api.text and "ann@example.com" in page.text
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    empty = signed_in.get(f"/campaigns/{campaign['id']}/referrers.csv?start={tomorrow}").text
    assert empty.splitlines() == [api.text.splitlines()[0]]


def test_invite_gives_a_code_and_says_which_and_a_bad_email_changes_nothing(signed_in, client, runtime):
    campaign = create_campaign(client)
    path = f"/campaigns/{campaign['id']}/referrers"
    page = followed(signed_in, post(signed_in, path, {"email": "no", "name": "X"}))
    assert "flash-error" in page and all_rows(runtime, Code) == []
    page = followed(signed_in, post(signed_in, path, {"email": "dan@example.com", "name": "<script>alert(2)</script>"}))
    [code] = all_rows(runtime, Code)
    assert f"dan@example.com was given the code {code.code}." in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page and "<script>alert" not in page
    assert code.publish_channel == "dashboard"
    again = followed(signed_in, post(signed_in, path, {"email": "dan@example.com"}))
    assert f"dan@example.com already holds {code.code}." in again and len(all_rows(runtime, Code)) == 1


def test_the_referees_tab_shows_totals_and_each_referee_with_the_referrer(signed_in, client, runtime, worker):
    campaign = create_campaign(client, currency="USD")
    ann = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, ann["code"], order_id="o-1", email="ben@example.com", amount=12900)
    paid_order(client, runtime, ann["code"], order_id="o-2", email="cat@example.com", amount=5000)
    page = signed_in.get(f"/campaigns/{campaign['id']}/referees").text
    api = client.get(f"/api/v1/campaigns/{campaign['id']}/referees").json()
    assert api["total_orders_amount"] == 17900
    assert re.search(r"<dt>Orders</dt><dd>2</dd>", page) and "179.00 USD" in page
    assert page.index("cat@example.com") < page.index("ben@example.com")
    assert "129.00 USD" in page and f'href="/customers/{ann["customer_id"]}">Ann Lee</a>' in page
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    later = signed_in.get(f"/campaigns/{campaign['id']}/referees?start={tomorrow}").text
    assert "No referee in these dates." in later and re.search(r"<dt>Orders</dt><dd>0</dd>", later)


def test_the_customer_page_shows_profile_orders_codes_referrals_and_activity(signed_in, client, runtime, worker):
    campaign = create_campaign(client, name="Spring", currency="USD")
    add_tier(client, campaign["id"])
    ann = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, ann["code"], order_id="o-1", email="ben@example.com", amount=12900)
    page = signed_in.get(f"/customers/{ann['customer_id']}").text
    assert "<h1>Ann Lee</h1>" in page and "ann@example.com" in page
    assert f'href="/codes/{ann["code"]}"' in page and "Spring" in page
    assert "ben@example.com" in page[page.index('id="referrals"') :]
    assert re.search(r"<dt>Credits</dt><dd>1000</dd>", page)
    assert "Customer publication succeeded" in page and "Customer rewarded" in page
    ben = client.get("/api/v1/customers", params={"email": "ben@example.com"}).json()["data"][0]
    referee = signed_in.get(f"/customers/{ben['id']}").text
    assert "129.00 USD" in referee and f'href="/customers/{ann["customer_id"]}">Ann Lee</a>' in referee
    assert signed_in.get("/customers/cus_nothing", headers={"accept": "text/html"}).status_code == 404


def test_the_customer_activity_is_filtered_by_campaign_type_and_dates(signed_in, client):
    spring, winter = create_campaign(client, name="Spring"), create_campaign(client, name="Winter")
    ann = invite(client, spring["id"], "ann@example.com")
    invite(client, winter["id"], "ann@example.com")
    base = f"/customers/{ann['customer_id']}"

    def campaigns_of(page: str) -> list[str]:
        activity = page[page.index('id="customer-activity"') :]
        return re.findall(r'data-label="Campaign"><a href="/campaigns/(\w+)">', activity)

    assert campaigns_of(signed_in.get(base).text) == [winter["id"], spring["id"]]
    assert campaigns_of(signed_in.get(f"{base}?campaign={spring['id']}").text) == [spring["id"]]
    typed = signed_in.get(f"{base}?type=customer.publication.succeeded").text
    assert len(re.findall(r"<code>customer.publication.succeeded</code>", typed)) == 2
    assert "No activity matches these filters." in signed_in.get(f"{base}?type=customer.rewarded").text
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert "No activity matches these filters." in signed_in.get(f"{base}?start={tomorrow}").text


def test_the_customer_activity_is_paged_newest_first(signed_in, client, runtime):
    campaign = create_campaign(client)
    ann = invite(client, campaign["id"], "ann@example.com")
    with runtime.session_factory() as session:
        for number in range(55):
            session.add(
                Activity(
                    id=new_id("act"),
                    type="customer.email.sent",
                    category="distributions",
                    customer_id=ann["customer_id"],
                    campaign_id=campaign["id"],
                    data={"n": number},
                )
            )
        session.commit()
    first = signed_in.get(f"/customers/{ann['customer_id']}").text
    assert len(re.findall(r'data-label="When"', first)) == 50
    cursor = re.search(r'cursor=([^"&]+)', first).group(1)
    second = signed_in.get(f"/customers/{ann['customer_id']}?cursor={cursor}").text
    assert len(re.findall(r'data-label="When"', second)) == 6 and "← Newest" in second


def test_a_customer_named_with_markup_is_shown_as_text(signed_in, client):
    campaign = create_campaign(client, name="<script>alert('c')</script>")
    response = client.post(
        f"/api/v1/campaigns/{campaign['id']}/referrers",
        json={"customer": {"email": "eve@example.com", "name": "<script>alert('n')</script>"}},
    )
    customer_id = response.json()["customer_id"]
    for path in (
        f"/customers/{customer_id}",
        f"/campaigns/{campaign['id']}/referrers",
        f"/campaigns/{campaign['id']}/codes",
        f"/codes/{response.json()['code']}",
    ):
        page = signed_in.get(path).text
        assert "&lt;script&gt;alert(" in page and "<script>alert" not in page, path
