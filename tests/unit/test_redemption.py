from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model import CampaignState, CodeState, FailureCode, Redeemer, RuleSet
from domain.redemption import Redeemed, Rejected, decide_redemption, is_self_referral
from domain.rules import RuleLog, parse_rule

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday
FRIDAY, SATURDAY = 4, 5
DAY = timedelta(days=1)

CAMPAIGN = CampaignState("cmp_1", active=True)
CODE = CodeState("code_1", "REF-1234-ABCD", holder_id="cus_ann", holder_email="ann.lee@gmail.com")
REFEREE = Redeemer("cus_bob", email="bob@example.com")
NO_RULES = RuleSet()


def decide(campaign=CAMPAIGN, code=CODE, redeemer=REFEREE, rules=NO_RULES, amount=12900, now=NOW):
    return decide_redemption(campaign, code, redeemer, rules, amount=amount, now=now)


def failure(**scenario) -> FailureCode | None:
    decision = decide(**scenario)
    return decision.failure_code if isinstance(decision, Rejected) else None


def rules(*conditions, logic=None, facts=None, error_message=None) -> RuleSet:
    parsed = tuple(parse_rule(f"rule {i}", c, error_message) for i, c in enumerate(conditions, 1))
    return RuleSet(
        parsed, logic, facts or {"order.amount": 12900, "customer.segments": ["europe"], "redemptions.per_customer": 1}
    )


# --- success ------------------------------------------------------------------------------------


def test_a_published_code_of_an_active_campaign_is_redeemed_by_another_customer():
    assert decide() == Redeemed()


def test_a_redemption_without_an_amount_such_as_a_custom_event_is_redeemed():
    assert decide(amount=None) == Redeemed()


def test_a_free_order_is_redeemed():
    assert decide(amount=0) == Redeemed()


# --- every failure code --------------------------------------------------------------------------


def test_an_unknown_code_fails_with_resource_not_found():
    decision = decide(code=None)

    assert decision == Rejected(FailureCode.RESOURCE_NOT_FOUND, "Code not found")


def test_a_code_whose_campaign_is_gone_fails_with_resource_not_found():
    assert failure(campaign=None) == FailureCode.RESOURCE_NOT_FOUND


def test_a_deleted_code_fails_with_voucher_disabled():
    assert failure(code=replace(CODE, deleted=True)) == FailureCode.VOUCHER_DISABLED


def test_an_inactive_code_fails_with_voucher_not_active():
    assert failure(code=replace(CODE, active=False)) == FailureCode.VOUCHER_NOT_ACTIVE


def test_a_code_not_yet_published_to_a_referrer_fails_with_voucher_not_active():
    decision = decide(code=replace(CODE, holder_id=None, holder_email=None))

    assert decision.failure_code == FailureCode.VOUCHER_NOT_ACTIVE
    assert "published" in decision.message


def test_a_code_that_has_not_started_fails_with_voucher_not_active():
    assert failure(code=replace(CODE, start_date=NOW + DAY)) == FailureCode.VOUCHER_NOT_ACTIVE


def test_a_code_that_starts_now_is_redeemed():
    assert failure(code=replace(CODE, start_date=NOW)) is None


def test_an_expired_code_fails_with_voucher_expired():
    assert failure(code=replace(CODE, expiration_date=NOW - DAY)) == FailureCode.VOUCHER_EXPIRED


def test_a_code_expires_at_its_expiration_instant():
    assert failure(code=replace(CODE, expiration_date=NOW)) == FailureCode.VOUCHER_EXPIRED
    assert failure(code=replace(CODE, expiration_date=NOW + timedelta(seconds=1))) is None


def test_a_code_used_up_to_its_limit_fails_with_quantity_exceeded():
    decision = decide(code=replace(CODE, redemption_limit=3, redeemed_count=3))

    assert decision.failure_code == FailureCode.QUANTITY_EXCEEDED
    assert "3" in decision.message


def test_a_code_one_below_its_limit_is_redeemed():
    assert failure(code=replace(CODE, redemption_limit=3, redeemed_count=2)) is None


@pytest.mark.parametrize(
    "campaign",
    [
        replace(CAMPAIGN, active=False),
        replace(CAMPAIGN, deleted=True),
        replace(CAMPAIGN, start_date=NOW + DAY),
        replace(CAMPAIGN, expiration_date=NOW - DAY),
        replace(CAMPAIGN, expiration_date=NOW),
        replace(CAMPAIGN, days_of_week=(SATURDAY,)),
        replace(CAMPAIGN, days_of_week=()),
    ],
    ids=["paused", "deleted", "not started", "expired", "expiring now", "other weekday", "no weekday"],
)
def test_a_campaign_that_is_not_running_fails_with_campaign_not_active(campaign):
    assert failure(campaign=campaign) == FailureCode.CAMPAIGN_NOT_ACTIVE


def test_a_campaign_limited_to_some_days_of_the_week_runs_on_those_days():
    assert failure(campaign=replace(CAMPAIGN, days_of_week=(FRIDAY, SATURDAY))) is None


def test_a_campaign_inside_its_dates_is_active():
    assert failure(campaign=replace(CAMPAIGN, start_date=NOW - DAY, expiration_date=NOW + DAY)) is None


def test_a_negative_amount_fails_with_invalid_amount():
    assert failure(amount=-1) == FailureCode.INVALID_AMOUNT


def test_a_redemption_without_a_customer_fails_with_missing_customer():
    assert failure(redeemer=Redeemer(None, email="guest@example.com")) == FailureCode.MISSING_CUSTOMER


def test_a_referrer_redeeming_their_own_code_fails_with_referrer_not_permitted_to_redeem():
    assert failure(redeemer=Redeemer("cus_ann")) == FailureCode.REFERRER_NOT_PERMITTED


def test_an_already_referred_customer_fails_with_customer_already_referred():
    assert failure(redeemer=replace(REFEREE, already_referred=True)) == FailureCode.CUSTOMER_ALREADY_REFERRED


def test_a_failed_order_rule_fails_with_order_rules_violated_and_keeps_the_logs():
    decision = decide(rules=rules({"order.amount": {"$gt": 20000}}))

    assert decision.failure_code == FailureCode.ORDER_RULES_VIOLATED
    assert decision.message == "order.amount must be greater than 20000"
    assert [(log.rule, log.passed) for log in decision.logs] == [("rule 1", False)]


def test_a_failed_customer_rule_fails_with_customer_rules_violated():
    assert failure(rules=rules({"customer.segment": {"$eq": "vip"}})) == FailureCode.CUSTOMER_RULES_VIOLATED


def test_a_failed_redemption_rule_fails_with_redemption_rules_violated():
    assert failure(rules=rules({"redemptions.per_customer": {"$lte": 0}})) == FailureCode.REDEMPTION_RULES_VIOLATED


def test_a_failed_rule_reports_its_own_error_message():
    decision = decide(rules=rules({"order.amount": {"$gt": 20000}}, error_message="Orders over $200 only"))

    assert decision.message == "Orders over $200 only"


def test_passing_rules_redeem_the_code_with_their_logs():
    decision = decide(rules=rules({"order.amount": {"$gt": 8000}}, {"customer.segment": {"$eq": "europe"}}))

    assert isinstance(decision, Redeemed)
    assert [log.passed for log in decision.logs] == [True, True]
    assert all(isinstance(log, RuleLog) for log in decision.logs)


def test_rules_are_combined_with_the_campaigns_logic():
    either = rules({"order.amount": {"$gt": 20000}}, {"customer.segment": {"$eq": "europe"}}, logic="1 OR 2")

    assert isinstance(decide(rules=either), Redeemed)


def test_every_failure_code_of_the_spec_can_be_produced():
    scenarios = [
        dict(code=None),
        dict(code=replace(CODE, active=False)),
        dict(code=replace(CODE, expiration_date=NOW)),
        dict(code=replace(CODE, deleted=True)),
        dict(campaign=replace(CAMPAIGN, active=False)),
        dict(code=replace(CODE, redemption_limit=0)),
        dict(redeemer=Redeemer("cus_ann")),
        dict(redeemer=replace(REFEREE, already_referred=True)),
        dict(rules=rules({"customer.segment": {"$eq": "x"}})),
        dict(rules=rules({"order.amount": {"$lt": 0}})),
        dict(rules=rules({"redemptions.per_customer": {"$gt": 9}})),
        dict(redeemer=Redeemer(None)),
        dict(amount=-5),
    ]

    assert {failure(**scenario) for scenario in scenarios} == set(FailureCode)


# --- the order of checks ------------------------------------------------------------------------

# Each entry breaks one more thing; listed in the order the checks run, so with every breakage from
# some point on applied at once, the first of them decides the failure code.
BREAKAGES = [
    (FailureCode.RESOURCE_NOT_FOUND, lambda s: s | {"code": None}),
    (FailureCode.VOUCHER_DISABLED, lambda s: s | {"code": replace(s["code"], deleted=True)}),
    (FailureCode.VOUCHER_NOT_ACTIVE, lambda s: s | {"code": replace(s["code"], active=False)}),
    (FailureCode.VOUCHER_NOT_ACTIVE, lambda s: s | {"code": replace(s["code"], holder_id=None)}),
    (FailureCode.QUANTITY_EXCEEDED, lambda s: s | {"code": replace(s["code"], redemption_limit=1, redeemed_count=1)}),
    (FailureCode.CAMPAIGN_NOT_ACTIVE, lambda s: s | {"campaign": replace(s["campaign"], active=False)}),
    (FailureCode.VOUCHER_NOT_ACTIVE, lambda s: s | {"code": replace(s["code"], start_date=NOW + DAY)}),
    (FailureCode.VOUCHER_EXPIRED, lambda s: s | {"code": replace(s["code"], expiration_date=NOW - DAY)}),
    (FailureCode.INVALID_AMOUNT, lambda s: s | {"amount": -100}),
    (FailureCode.MISSING_CUSTOMER, lambda s: s | {"redeemer": replace(s["redeemer"], customer_id=None)}),
    (
        FailureCode.REFERRER_NOT_PERMITTED,
        lambda s: s | {"redeemer": replace(s["redeemer"], email="Ann.Lee+x@gmail.com")},
    ),
    (FailureCode.CUSTOMER_ALREADY_REFERRED, lambda s: s | {"redeemer": replace(s["redeemer"], already_referred=True)}),
    (FailureCode.ORDER_RULES_VIOLATED, lambda s: s | {"rules": rules({"order.amount": {"$gt": 10**9}})}),
]


@pytest.mark.parametrize("first", range(len(BREAKAGES)), ids=[f"{i}-{code}" for i, (code, _) in enumerate(BREAKAGES)])
def test_the_first_failing_check_decides_the_failure_code(first):
    scenario = dict(campaign=CAMPAIGN, code=CODE, redeemer=REFEREE, rules=NO_RULES, amount=12900)
    for _, breakage in reversed(BREAKAGES[first:]):
        scenario = breakage(scenario)

    assert failure(**scenario) == BREAKAGES[first][0]


def test_rules_are_not_evaluated_when_an_earlier_check_fails():
    decision = decide(code=replace(CODE, active=False), rules=rules({"order.amount": {"$gt": 0}}))

    assert decision.logs == ()


# --- self-referral ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "holder_email, redeemer_email",
    [
        ("ab@gmail.com", "a.b+x@gmail.com"),
        ("ab@gmail.com", "A.B@GMAIL.COM"),
        ("ab@gmail.com", "a.b@googlemail.com"),
        ("ann.lee@gmail.com", "annlee+referral@googlemail.com"),
        ("ann@example.com", "Ann+promo@Example.com"),
    ],
)
def test_a_referrer_redeeming_through_an_email_alias_is_a_self_referral(holder_email, redeemer_email):
    code = replace(CODE, holder_email=holder_email)

    assert (
        failure(code=code, redeemer=Redeemer("cus_new_account", email=redeemer_email))
        == FailureCode.REFERRER_NOT_PERMITTED
    )


def test_dots_matter_outside_gmail():
    code = replace(CODE, holder_email="a.b@example.com")

    assert failure(code=code, redeemer=Redeemer("cus_other", email="ab@example.com")) is None


def test_customers_without_email_addresses_are_told_apart_by_id():
    code = replace(CODE, holder_email=None)

    assert not is_self_referral(code, Redeemer("cus_other", email=None))
    assert is_self_referral(code, Redeemer("cus_ann", email=None))


def test_an_invalid_email_never_matches_anyone():
    code = replace(CODE, holder_email="not an email")

    assert not is_self_referral(code, Redeemer("cus_other", email="not an email"))


@given(
    local=st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
    dots=st.sets(st.integers(1, 12)),
    tag=st.one_of(st.none(), st.text("abcxyz019", min_size=1, max_size=8)),
    domain=st.sampled_from(["gmail.com", "googlemail.com", "GMail.com"]),
    upper=st.booleans(),
)
def test_any_gmail_alias_of_the_holder_is_a_self_referral(local, dots, tag, domain, upper):
    alias = "".join(f".{char}" if i in dots else char for i, char in enumerate(local))
    alias = f"{alias}+{tag}" if tag else alias
    address = f"{alias}@{domain}"
    code = replace(CODE, holder_email=f"{local}@gmail.com")

    decision = decide(code=code, redeemer=Redeemer("cus_other", email=address.upper() if upper else address))

    assert decision.failure_code == FailureCode.REFERRER_NOT_PERMITTED
