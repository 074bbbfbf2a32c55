"""The settings tabs, signed in: the settings page and its edit form, tiers, deleting with a confirmation step,
validation rules with their logic and code-level overrides, metadata and the landing setting."""

from __future__ import annotations

import pytest

from db.models import Campaign, Tier, ValidationRule
from tests.api.helpers import add_tier, create_campaign, invite, paid_order
from tests.dashboard.conftest import csrf_of
from tests.support.counts import all_rows


def post(browser, path: str, data: dict | None = None):
    token = csrf_of(browser.get("/campaigns").text)
    return browser.post(path, data=(data or {}) | {"csrf_token": token})


def flashes_after(browser, response) -> str:
    assert response.status_code == 303, response.text
    return browser.get(response.headers["location"]).text


@pytest.fixture
def campaign(client):
    return create_campaign(client, name="Spring", currency="EUR", webhook_url="https://hooks.example.com/in")


EDIT = {
    "name": "Spring friends",
    "description": "For the spring sale",
    "referee_reward": "15% off",
    "start_date": "2027-01-01",
    "expiration_date": "2027-06-30",
    "reward_hold_days": "7",
    "webhook_url": "",
    "currency": "usd",
    "conversion": "order.created",
}


# --- settings and the edit form ---------------------------------------------------------------


def test_the_settings_page_says_what_the_campaign_is(signed_in, client, campaign):
    client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"notifications": {"code_published": ["email"]}})
    page = signed_in.get(f"/campaigns/{campaign['id']}/settings").text
    assert "Referral program" in page and "order.paid" in page and "REF-####-????" in page
    assert "https://hooks.example.com/in" in page and 'id="edit"' in page and 'id="delete"' in page
    assert "Code published</th>" in page and '<td data-label="Sent by">email</td>' in page
    assert 'name="currency" type="text" value="EUR"' in page and "disabled" not in page.split('id="edit"')[1][:4000]


def test_the_edit_form_saves_through_the_api_command(signed_in, client, campaign):
    page = flashes_after(signed_in, post(signed_in, f"/campaigns/{campaign['id']}/settings", EDIT))
    assert "Campaign “Spring friends” saved." in page
    shown = client.get(f"/api/v1/campaigns/{campaign['id']}").json()
    assert (shown["name"], shown["description"], shown["referee_reward"]) == (
        "Spring friends",
        "For the spring sale",
        "15% off",
    )
    assert shown["start_date"].startswith("2027-01-01") and shown["expiration_date"].startswith("2027-06-30")
    assert (shown["reward_hold_days"], shown["webhook_url"], shown["currency"], shown["conversion"]) == (
        7,
        None,
        "USD",
        "order.created",
    )


def test_a_bad_edit_is_shown_by_field_and_changes_nothing(signed_in, client, campaign):
    bad = EDIT | {"name": "", "reward_hold_days": "soon", "expiration_date": "30/06/2027"}
    response = post(signed_in, f"/campaigns/{campaign['id']}/settings", bad)
    assert response.status_code == 422
    assert "a campaign needs a name" in response.text and "must be a whole number of days" in response.text
    assert "must be a date such as 2026-12-31" in response.text and 'aria-invalid="true"' in response.text
    response = post(signed_in, f"/campaigns/{campaign['id']}/settings", EDIT | {"expiration_date": "2026-12-01"})
    assert response.status_code == 422 and "must be after the start date" in response.text
    response = post(signed_in, f"/campaigns/{campaign['id']}/settings", EDIT | {"webhook_url": "ftp://x"})
    assert response.status_code == 422 and "Webhook URL</a>" in response.text
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").json()["name"] == "Spring"


def test_currency_and_conversion_are_fixed_once_the_campaign_has_redemptions(
    signed_in, client, runtime, worker, campaign
):
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    page = signed_in.get(f"/campaigns/{campaign['id']}/settings").text
    assert "fixed: this campaign has redemptions" in page
    assert 'name="conversion" disabled' in page and 'disabled="disabled"' in page
    without_fixed = {name: value for name, value in EDIT.items() if name not in ("currency", "conversion")}
    flashes_after(signed_in, post(signed_in, f"/campaigns/{campaign['id']}/settings", without_fixed))
    shown = client.get(f"/api/v1/campaigns/{campaign['id']}").json()
    assert (shown["name"], shown["currency"], shown["conversion"]) == ("Spring friends", "EUR", "order.paid")
    response = post(signed_in, f"/campaigns/{campaign['id']}/settings", EDIT)  # a forged form: the command refuses
    assert response.status_code == 422 and "cannot change once the campaign has redemptions" in response.text
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").json()["currency"] == "EUR"


def test_a_name_with_markup_is_shown_as_text(signed_in, client):
    campaign = create_campaign(client, name="<script>alert(1)</script>", metadata={"<b>": "<i>x</i>"})
    for tab in ("settings", "rules", "metadata", "landing"):
        page = signed_in.get(f"/campaigns/{campaign['id']}/{tab}").text
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in signed_in.get(f"/campaigns/{campaign['id']}/metadata").text


def test_a_deleted_or_unknown_campaign_has_no_settings_page(signed_in):
    assert signed_in.get("/campaigns/cmp_nothing/settings").status_code == 404
    assert signed_in.get("/campaigns/cmp_nothing/rules").status_code == 404


# --- tiers ------------------------------------------------------------------------------------


def test_tiers_are_added_edited_and_removed(signed_in, client, runtime, campaign):
    base = f"/campaigns/{campaign['id']}"
    assert "No tier yet" in signed_in.get(f"{base}/settings").text
    tier = {"name": "Each friend", "kind": "each", "threshold": "1", "reward_type": "credits", "amount": "5.00"}
    page = flashes_after(signed_in, post(signed_in, f"{base}/tiers", tier))
    assert "Tier “Each friend” added" in page and "5.00 EUR in credits" in page
    [added] = client.get(f"/api/v1{base}/tiers").json()["data"]
    assert added["reward"] == {"type": "credits", "amount": 500}
    milestone = tier | {"name": "Five friends", "kind": "milestone", "threshold": "5", "reward_type": "material"}
    flashes_after(
        signed_in, post(signed_in, f"{base}/tiers/{added['id']}/update", milestone | {"description": "A T-shirt"})
    )
    [edited] = client.get(f"/api/v1{base}/tiers").json()["data"]
    assert (edited["name"], edited["kind"], edited["threshold"], edited["reward"]) == (
        "Five friends",
        "milestone",
        5,
        {"type": "material", "description": "A T-shirt"},
    )
    page = flashes_after(signed_in, post(signed_in, f"{base}/tiers/{added['id']}/delete"))
    assert "Tier removed" in page and client.get(f"/api/v1{base}/tiers").json()["data"] == []


def test_a_bad_tier_is_an_error_flash_and_adds_nothing(signed_in, runtime, campaign):
    base = f"/campaigns/{campaign['id']}"
    bad = {"name": "Each", "kind": "each", "threshold": "0", "reward_type": "credits", "amount": "lots"}
    page = flashes_after(signed_in, post(signed_in, f"{base}/tiers", bad))
    assert "flash-error" in page and "must be an amount in EUR" in page
    page = flashes_after(signed_in, post(signed_in, f"{base}/tiers", bad | {"amount": "1", "threshold": "0"}))
    assert "threshold" in page and "greater than or equal to 1" in page
    page = flashes_after(signed_in, post(signed_in, f"{base}/tiers", bad | {"threshold": "1", "reward_type": "coupon"}))
    assert "a coupon reward names the campaign" in page
    assert all_rows(runtime, Tier) == []


def test_a_tier_of_another_campaign_is_not_found(signed_in, client, campaign):
    other = create_campaign(client, name="Other")
    tier = add_tier(client, other["id"])
    response = post(signed_in, f"/campaigns/{campaign['id']}/tiers/{tier['id']}/delete")
    assert response.status_code == 404
    assert len(client.get(f"/api/v1/campaigns/{other['id']}/tiers").json()["data"]) == 1


# --- delete with a confirmation step ----------------------------------------------------------


def test_deleting_asks_first_then_deletes(signed_in, client, runtime, campaign):
    invite(client, campaign["id"], "ann@example.com")
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 2})
    confirm = post(signed_in, f"/campaigns/{campaign['id']}/delete")
    assert confirm.status_code == 200 and "Delete “Spring”?" in confirm.text
    assert "3 codes then fail validation" in confirm.text and "1 referrer holding a code" in confirm.text
    assert 'name="confirm" value="yes"' in confirm.text
    assert all_rows(runtime, Campaign)[0].deleted_at is None  # the first step deletes nothing
    response = signed_in.post(
        f"/campaigns/{campaign['id']}/delete", data={"confirm": "yes", "csrf_token": csrf_of(confirm.text)}
    )
    assert response.headers["location"] == "/campaigns"
    assert "Campaign “Spring” deleted" in flashes_after(signed_in, response)
    assert all_rows(runtime, Campaign)[0].deleted_at is not None
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404


# --- validation rules -------------------------------------------------------------------------


def rule_form(**fields) -> dict:
    return {"name": "Big orders", "property": "order.amount", "condition": "$gte", "value": "50.00"} | fields


def test_rules_are_added_shown_in_words_edited_and_removed(signed_in, client, campaign):
    base = f"/campaigns/{campaign['id']}"
    assert "No rule yet" in signed_in.get(f"{base}/rules").text
    page = flashes_after(signed_in, post(signed_in, f"{base}/rules", rule_form(error_message="Spend 50 EUR")))
    assert "Rule “Big orders” added." in page
    assert "order.amount ≥ 50.00 EUR" in page and "order_rules_violated" in page and "“Spend 50 EUR”" in page
    segment = rule_form(name="VIP", property="customer.segment", condition="$in", value="vip, staff")
    flashes_after(signed_in, post(signed_in, f"{base}/rules", segment))
    plan = rule_form(name="Plan", property="customer.metadata", metadata_key="plan", condition="$eq", value="42")
    page = flashes_after(signed_in, post(signed_in, f"{base}/rules", plan))
    assert "customer.segment is one of vip, staff" in page and "customer.metadata.plan = 42" in page
    rules = client.get(f"/api/v1{base}/rules").json()["data"]
    assert [rule["conditions"] for rule in rules] == [
        {"order.amount": {"$gte": 5000}},
        {"customer.segment": {"$in": ["vip", "staff"]}},
        {"customer.metadata.plan": {"$eq": 42}},
    ]
    flashes_after(
        signed_in, post(signed_in, f"{base}/rules/{rules[0]['id']}/update", rule_form(value="80", condition="$gt"))
    )
    assert client.get(f"/api/v1{base}/rules").json()["data"][0]["conditions"] == {"order.amount": {"$gt": 8000}}
    page = flashes_after(signed_in, post(signed_in, f"{base}/rules/{rules[1]['id']}/delete"))
    assert "Rule removed" in page and len(client.get(f"/api/v1{base}/rules").json()["data"]) == 2


def test_the_logic_is_set_and_a_bad_one_refused(signed_in, client, runtime, campaign):
    base = f"/campaigns/{campaign['id']}"
    for name in ("One", "Two", "Three"):
        post(signed_in, f"{base}/rules", rule_form(name=name))
    page = flashes_after(signed_in, post(signed_in, f"{base}/rules/logic", {"logic": "1 AND (2 OR 3)"}))
    assert "Rules logic saved: 1 AND (2 OR 3)." in page and "<code>1 AND (2 OR 3)</code>" in page
    page = flashes_after(signed_in, post(signed_in, f"{base}/rules/logic", {"logic": "1 AND 7"}))
    assert "flash-error" in page and "logic:" in page
    assert client.get(f"/api/v1{base}/rules").json()["logic"] == "1 AND (2 OR 3)"
    rule_id = client.get(f"/api/v1{base}/rules").json()["data"][0]["id"]
    page = flashes_after(signed_in, post(signed_in, f"{base}/rules/{rule_id}/delete"))
    assert "refers to rules by number" in page and len(all_rows(runtime, ValidationRule)) == 3


def test_a_bad_rule_is_an_error_flash_and_adds_nothing(signed_in, runtime, campaign):
    base = f"/campaigns/{campaign['id']}"
    for bad in (
        rule_form(value="fifty"),
        rule_form(name=""),
        rule_form(property="order.colour"),
        rule_form(property="order.metadata", metadata_key=""),
        rule_form(property="order.items.sku", condition="$gt", value="A"),
    ):
        page = flashes_after(signed_in, post(signed_in, f"{base}/rules", bad))
        assert "flash-error" in page, bad
    assert all_rows(runtime, ValidationRule) == []


def test_a_rule_is_added_to_one_code_and_listed_with_a_link_to_it(signed_in, client, campaign):
    base = f"/campaigns/{campaign['id']}"
    code = invite(client, campaign["id"], "ann@example.com")["code"]
    page = flashes_after(signed_in, post(signed_in, f"{base}/rules/code", rule_form(code=code.lower())))
    assert f"added to code {code.lower()}" in page
    assert f'href="/codes/{code}"' in page and "order.amount ≥ 50.00 EUR" in page
    assert client.get(f"/api/v1/codes/{code}/rules").json()["data"][0]["name"] == "Big orders"
    assert client.get(f"/api/v1{base}/rules").json()["data"] == []  # not a campaign rule


def test_a_rule_for_another_campaigns_code_or_no_code_is_refused(signed_in, client, runtime, campaign):
    other = create_campaign(client, name="Other")
    code = invite(client, other["id"], "ann@example.com")["code"]
    page = flashes_after(signed_in, post(signed_in, f"/campaigns/{campaign['id']}/rules/code", rule_form(code=code)))
    assert "belongs to another campaign" in page
    page = flashes_after(signed_in, post(signed_in, f"/campaigns/{campaign['id']}/rules/code", rule_form(code="")))
    assert "type the code" in page
    assert all_rows(runtime, ValidationRule) == []


# --- metadata ---------------------------------------------------------------------------------


def test_metadata_is_shown_and_edited_in_rows(signed_in, client, campaign):
    base = f"/campaigns/{campaign['id']}"
    client.patch(f"/api/v1{base}", json={"metadata": {"team": "growth", "budget": 500, "code": "42"}})
    page = signed_in.get(f"{base}/metadata").text
    assert "<code>500</code>" in page and 'value="growth"' in page and 'value="&#34;42&#34;"' in page
    form = {"key_1": "team", "value_1": "sales", "key_2": "", "value_2": "", "key_3": "code", "value_3": '"42"'}
    form |= {"key_4": "flags", "value_4": '{"beta": true}'}
    page = flashes_after(signed_in, post(signed_in, f"{base}/metadata", form))
    assert "Metadata saved: 3 keys." in page
    assert client.get(f"/api/v1{base}").json()["metadata"] == {"team": "sales", "code": "42", "flags": {"beta": True}}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"key_1": "", "value_1": "orphan"}, "needs a key"),
        ({"key_1": "a", "value_1": "1", "key_2": "a", "value_2": "2"}, "given twice"),
        ({"key_1": "k" * 101, "value_1": "1"}, "longer than 100"),
    ],
)
def test_bad_metadata_is_an_error_flash_and_changes_nothing(signed_in, client, campaign, form, message):
    base = f"/campaigns/{campaign['id']}"
    page = flashes_after(signed_in, post(signed_in, f"{base}/metadata", form))
    assert "flash-error" in page and message in page
    assert client.get(f"/api/v1{base}").json()["metadata"] == {}


# --- the landing setting ----------------------------------------------------------------------


def test_the_landing_page_explains_share_links_without_visit_figures(signed_in, client, campaign):
    base = f"/campaigns/{campaign['id']}"
    page = signed_in.get(f"{base}/landing").text
    assert "built-in landing page" in page and "no code of this campaign has been published" in page
    assert "Visits are not counted yet" in page
    code = invite(client, campaign["id"], "ann@example.com")["code"]
    page = flashes_after(
        signed_in, post(signed_in, f"{base}/landing", {"landing_url": "https://shop.example.com/friends"})
    )
    assert "Landing URL saved." in page and f"/r/{code}</code>" in page
    public_url = signed_in.app.state.dashboard.runtime.settings.public_url.rstrip("/")
    assert f"{public_url}/r/{code}</code>" in page and "testserver/r/" not in page  # as QR codes and emails link
    assert f"https://shop.example.com/friends?ref={code}" in page
    assert client.get(f"/api/v1{base}").json()["landing_url"] == "https://shop.example.com/friends"
    page = flashes_after(
        signed_in, post(signed_in, f"{base}/landing", {"landing_url": "https://shop.example.com/i/{code}"})
    )
    assert f"https://shop.example.com/i/{code}" in page
    page = flashes_after(signed_in, post(signed_in, f"{base}/landing", {"landing_url": ""}))
    assert "Landing URL cleared" in page and client.get(f"/api/v1{base}").json()["landing_url"] is None


@pytest.mark.parametrize("url", ["ftp://shop.example.com", "shop.example.com", "https://", "http://["])
def test_a_bad_landing_url_is_refused(signed_in, client, campaign, url):
    base = f"/campaigns/{campaign['id']}"
    page = flashes_after(signed_in, post(signed_in, f"{base}/landing", {"landing_url": url}))
    assert "flash-error" in page and "landing_url" in page
    assert client.get(f"/api/v1{base}").json()["landing_url"] is None
