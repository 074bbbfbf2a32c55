"""Money in every currency: minor units, refunds read in their order's currency, exchange rates, amount rules."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model import CampaignState, CodeState, FailureCode, Redeemer, RuleSet
from domain.money import (
    Converted,
    ExchangeRate,
    InvalidMoney,
    Unconvertible,
    convert,
    currency_code,
    exponent,
    iso_currencies,
    parse_rate,
    pick_rate,
    to_major_units,
    totals_in,
)
from domain.orders import OrderFacts, apply_event
from domain.platforms import shopify, woocommerce
from domain.redemption import Redeemed, Rejected, decide_redemption
from domain.rules import parse_rule

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DAY = date(2026, 12, 2)


def shopify_order(order_id: int, total: str, currency: str, financial_status: str = "paid", **extra) -> dict:
    """Shaped as Shopify's own orders/paid sample."""
    return {
        "id": order_id,
        "email": "ken@example.jp",
        "created_at": "2026-12-02T10:00:00+09:00",
        "updated_at": "2026-12-02T10:05:00+09:00",
        "cancelled_at": None,
        "currency": currency,
        "total_price": total,
        "financial_status": financial_status,
        "discount_codes": [{"code": "REF-1234-ABCD", "amount": "0", "type": "fixed_amount"}],
        "line_items": [{"id": 1, "product_id": 2, "sku": "SKU-1", "quantity": 1, "price": total}],
        "customer": {"id": 7, "email": "ken@example.jp", "first_name": "Ken", "last_name": "Sato"},
        **extra,
    }


def shopify_refund(refund_id: int, order_id: int, amount: str, currency: str | None) -> dict:
    """Shaped as Shopify's own refunds/create sample, whose transactions say `"currency": null`."""
    return {
        "id": refund_id,
        "order_id": order_id,
        "created_at": "2026-12-03T10:00:00+09:00",
        "note": "damaged",
        "refund_line_items": [{"id": 3, "quantity": 1, "line_item_id": 1, "subtotal": 1.0}],
        "transactions": [
            {
                "id": refund_id + 1,
                "order_id": order_id,
                "kind": "refund",
                "gateway": "bogus",
                "status": "success",
                "amount": amount,
                "currency": currency,
            }
        ],
    }


def parse(topic: str, data: dict):
    headers = {"x-shopify-topic": topic, "x-shopify-webhook-id": f"{topic}-{data['id']}"}
    return shopify.parse(json.dumps(data).encode(), headers).event


def facts_after(*events) -> OrderFacts:
    return reduce(apply_event, events, OrderFacts())


# --- minor units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "currency, total, minor",
    [
        ("JPY", "10000", 10000),
        ("KWD", "12.345", 12345),
        ("BHD", "1.500", 1500),
        ("OMR", "0.250", 250),
        ("TND", "7.125", 7125),
        ("HKD", "186.90", 18690),
        ("EUR", "129.00", 12900),
        ("USD", "129.00", 12900),
        ("HUF", "1500.00", 150000),
        ("IQD", "2500.000", 2500000),
    ],
)
def test_a_shopify_order_amount_is_read_with_its_currency_s_iso_4217_exponent(currency, total, minor):
    assert parse("orders/paid", shopify_order(1, total, currency)).order.amount == minor


def test_a_woocommerce_order_in_a_three_decimal_currency_keeps_its_fils():
    data = {
        "id": 5,
        "status": "processing",
        "currency": "KWD",
        "total": "12.345",
        "date_modified_gmt": "2026-12-02T10:00:00",
        "billing": {"email": "ali@example.com"},
        "coupon_lines": [{"code": "REF-1"}],
        "refunds": [{"id": 9, "total": "-1.125"}],
        "line_items": [],
    }
    event = woocommerce.parse(json.dumps(data).encode(), {"x-wc-webhook-topic": "order.updated"}).event

    assert (event.order.amount, event.order.refunded_amount) == (12345, 1125)


def test_exponents_are_iso_4217_s_not_a_locale_s_display_digits():
    assert [exponent(code) for code in ("HUF", "IQD", "COP", "IDR", "CLF")] == [2, 3, 2, 2, 4]  # CLDR: 0, 0, 0, 0, 4


def test_a_currency_without_a_minor_unit_is_not_a_campaign_currency():
    with pytest.raises(InvalidMoney):
        currency_code("XAU")


def test_an_unknown_or_missing_currency_keeps_two_decimals():
    assert (exponent(None), exponent("ZZZ"), exponent("jpy")) == (2, 2, 0)


def test_currency_codes_are_iso_4217_in_upper_case():
    assert currency_code(" hkd ") == "HKD"
    for bad in ("US", "USDX", "ZZZ", "", None, "12$"):
        with pytest.raises(InvalidMoney):
            currency_code(bad)


# --- refunds ------------------------------------------------------------------------------------


def test_a_one_percent_refund_without_a_currency_is_read_in_the_jpy_order_s_currency_and_rolls_nothing_back():
    order = parse("orders/paid", shopify_order(42, "10000", "JPY"))
    refund = parse("refunds/create", shopify_refund(900, 42, "100", None))

    facts = facts_after(order, refund)

    assert refund.order.refunded_decimal == "100"
    assert (facts.refunded_amount, facts.undone, facts.counted_amount) == (100, False, 9900)


def test_a_refund_without_a_currency_that_arrives_before_its_order_is_read_once_the_order_says_jpy():
    refund = parse("refunds/create", shopify_refund(900, 42, "100", None))
    order = parse("orders/paid", shopify_order(42, "10000", "JPY"))

    early = facts_after(refund)
    facts = facts_after(refund, order)

    assert early.undone is False
    assert (facts.refunded_amount, facts.undone, facts.counted_amount) == (100, False, 9900)


def test_a_refund_that_states_its_currency_is_read_in_it():
    refund = parse("refunds/create", shopify_refund(900, 42, "1.250", "KWD"))

    assert (refund.order.refunded_amount, refund.order.refunded_decimal) == (1250, None)


def test_a_refund_of_the_whole_jpy_order_without_a_currency_still_undoes_it():
    facts = facts_after(
        parse("orders/paid", shopify_order(42, "10000", "JPY")),
        parse("refunds/create", shopify_refund(900, 42, "10000", None)),
    )

    assert facts.undone is True


def test_a_refund_without_a_currency_is_taken_from_the_refund_line_items_shop_money_when_they_say():
    data = shopify_refund(900, 42, "100", None)
    data["refund_line_items"][0]["subtotal_set"] = {"shop_money": {"amount": "100", "currency_code": "JPY"}}

    assert parse("refunds/create", data).order.refunded_amount == 100


def test_the_same_refund_delivered_twice_counts_once():
    order, refund = (
        parse("orders/paid", shopify_order(42, "10000", "JPY")),
        parse("refunds/create", shopify_refund(900, 42, "100", None)),
    )

    assert facts_after(order, refund, refund).refunded_amount == 100


CURRENCIES = iso_currencies()


@st.composite
def order_and_partial_refunds(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    amount = draw(st.integers(min_value=1, max_value=10**12))
    refunds = draw(
        st.lists(st.integers(min_value=0, max_value=amount), min_size=1, max_size=4).filter(lambda r: sum(r) < amount)
    )
    stated = draw(st.lists(st.booleans(), min_size=len(refunds), max_size=len(refunds)))
    position = draw(st.integers(min_value=0, max_value=len(refunds)))
    return currency, amount, refunds, stated, position


def major(amount: int, currency: str) -> str:
    return f"{to_major_units(amount, currency):f}"


@given(order_and_partial_refunds())
def test_for_any_currency_refunds_below_the_order_amount_never_undo_the_order(case):
    currency, amount, refunds, stated, position = case
    order = parse("orders/paid", shopify_order(42, major(amount, currency), currency))
    refund_events = [
        parse("refunds/create", shopify_refund(900 + 10 * i, 42, major(refund, currency), currency if says else None))
        for i, (refund, says) in enumerate(zip(refunds, stated, strict=True))
    ]
    events = refund_events[:position] + [order] + refund_events[position:]  # refunds before and after their order

    facts = facts_after(*events)

    assert facts.undone is False
    assert facts.counted_amount == amount - sum(refunds)


# --- Shopify orders/updated ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "financial_status, cancelled_at, event_type",
    [
        ("paid", None, "order.paid"),
        ("partially_refunded", None, "order.paid"),
        ("pending", None, "order.created"),
        ("authorized", None, "order.created"),
        ("refunded", None, "order.refunded"),
        ("voided", None, "order.canceled"),
        ("paid", "2026-12-03T10:00:00+09:00", "order.canceled"),
    ],
)
def test_a_shopify_orders_updated_means_the_state_it_carries(financial_status, cancelled_at, event_type):
    event = parse("orders/updated", shopify_order(42, "186.90", "HKD", financial_status, cancelled_at=cancelled_at))

    assert (event.type, event.snapshot, event.order.amount, event.codes) == (
        event_type,
        True,
        18690,
        ("REF-1234-ABCD",),
    )


def test_a_shopify_orders_updated_after_orders_paid_changes_nothing_the_order_knows():
    paid = parse("orders/paid", shopify_order(42, "186.90", "HKD"))
    updated = parse("orders/updated", shopify_order(42, "186.90", "HKD"))

    assert (
        facts_after(paid, updated).paid
        and facts_after(paid, updated).counted_amount == facts_after(paid).counted_amount
    )


# --- exchange rates -----------------------------------------------------------------------------


def rate(base: str, quote: str, value: str, day: date) -> ExchangeRate:
    return ExchangeRate(base, quote, Decimal(value), day)


def test_an_hkd_order_is_converted_to_usd_at_the_rate_and_rounded_half_up_to_cents():
    converted = convert(18690, "HKD", "USD", rate("HKD", "USD", "0.1282", date(2026, 12, 1)), DAY)

    assert converted.amount == 2396  # 186.90 × 0.1282 = 23.96058
    assert converted.detail == "HKD 186.90 = USD 23.96 (2396 minor units) at HKD/USD 0.1282, rate dated 2026-12-01"


def test_the_inverse_pair_converts_when_only_it_is_known_and_the_log_says_so():
    converted = convert(18690, "HKD", "USD", rate("USD", "HKD", "7.8", date(2026, 12, 1)), DAY)

    assert converted.amount == 2396  # 186.90 / 7.8 = 23.9615…
    assert "1 / USD/HKD 7.8 (the inverse pair)" in converted.detail


def test_a_jpy_order_converts_into_a_three_decimal_currency():
    assert convert(5001, "JPY", "KWD", rate("KWD", "JPY", "500", DAY), DAY).amount == 10002  # ¥5,001 = KWD 10.002


def test_the_newest_rate_dated_on_or_before_the_order_applies_and_a_later_one_does_not():
    rates = [
        rate("HKD", "USD", "0.1200", date(2026, 11, 1)),
        rate("HKD", "USD", "0.1282", date(2026, 12, 1)),
        rate("HKD", "USD", "0.2000", date(2026, 12, 3)),
    ]

    assert pick_rate(rates, "HKD", "USD", DAY).rate == Decimal("0.1282")
    assert pick_rate(rates, "HKD", "USD", date(2026, 10, 31)) is None


def test_on_the_same_date_the_pair_as_asked_wins_over_its_inverse_and_a_newer_inverse_wins_over_an_older_pair():
    direct, inverse = rate("HKD", "USD", "0.1282", date(2026, 12, 1)), rate("USD", "HKD", "7.8", date(2026, 12, 1))
    newer_inverse = rate("USD", "HKD", "7.7", date(2026, 12, 2))

    assert pick_rate([inverse, direct], "HKD", "USD", DAY) is direct
    assert pick_rate([direct, newer_inverse], "HKD", "USD", DAY) is newer_inverse


def test_without_a_rate_the_conversion_fails_naming_both_currencies():
    result = convert(500100, "JPY", "USD", None, DAY)

    assert isinstance(result, Unconvertible)
    assert "JPY" in result.message and "USD" in result.message


def test_an_order_in_the_campaign_s_currency_or_without_one_is_not_converted():
    assert convert(18690, "USD", "USD", None, DAY) == Converted(18690)
    assert convert(18690, None, "USD", None, DAY) == Converted(18690)


@pytest.mark.parametrize("bad", [0.1282, "abc", "-1", "0", "NaN", "Infinity", True, None, "1e20"])
def test_a_rate_must_be_a_positive_decimal_string(bad):
    with pytest.raises(InvalidMoney):
        parse_rate(bad)


def test_a_rate_keeps_every_digit_it_was_given():
    assert parse_rate(" 0.128200 ") == Decimal("0.128200")


# --- amount rules in the campaign's currency -----------------------------------------------------

OVER_50 = parse_rule("More than $50", {"order.amount": {"$gt": 5000}})
CAMPAIGN = CampaignState(id="cmp", active=True)
CODE = CodeState(id="code", code="REF-1234-ABCD", holder_id="ann")


def decide(amount: int, conversion) -> Redeemed | Rejected:
    rules = RuleSet((OVER_50,), None, {"order.amount": amount, "order.items": []})
    return decide_redemption(CAMPAIGN, CODE, Redeemer("ken"), rules, amount=amount, now=NOW, conversion=conversion)


def test_an_hkd_18690_order_is_about_24_dollars_and_fails_a_more_than_50_dollars_rule_with_the_rate_in_the_logs():
    conversion = convert(18690, "HKD", "USD", rate("HKD", "USD", "0.1282", date(2026, 12, 1)), DAY)

    decision = decide(conversion.amount, conversion)

    assert isinstance(decision, Rejected) and decision.failure_code == FailureCode.ORDER_RULES_VIOLATED
    assert [(log.rule, log.passed) for log in decision.logs] == [
        ("currency conversion", True),
        ("More than $50", False),
    ]
    assert "HKD/USD 0.1282, rate dated 2026-12-01" in decision.logs[0].detail
    assert "order.amount 2396" in decision.logs[1].detail


def test_a_jpy_5001_order_without_a_rate_fails_with_invalid_amount_naming_both_currencies():
    decision = decide(5001, convert(5001, "JPY", "USD", None, DAY))

    assert isinstance(decision, Rejected) and decision.failure_code == FailureCode.INVALID_AMOUNT
    assert "JPY" in decision.message and "USD" in decision.message
    assert decision.logs[0].rule == "currency conversion" and decision.logs[0].passed is False


def test_a_converted_order_above_the_threshold_is_redeemed_and_logs_its_rate():
    conversion = convert(100000, "EUR", "USD", rate("EUR", "USD", "1.08", date(2026, 12, 1)), DAY)

    decision = decide(conversion.amount, conversion)

    assert isinstance(decision, Redeemed) and decision.logs[0].rule == "currency conversion"


def test_a_same_currency_order_logs_only_its_rules_as_before():
    decision = decide(12900, Converted(12900))

    assert [log.rule for log in decision.logs] == ["More than $50"]


# --- per-currency totals -------------------------------------------------------------------------


def test_totals_in_one_currency_never_add_another_and_orders_without_a_currency_count_as_in_it():
    assert totals_in({"USD": 12900, "HKD": 18690, "": 100}, "USD") == (13000, {"USD": 13000, "HKD": 18690})
    assert totals_in({}, "EUR") == (0, {})


def test_a_refund_stated_in_another_currency_than_its_order_does_not_undo_it_by_amount():
    order = parse("orders/paid", shopify_order(7, "100.00", "USD"))
    refund = parse("refunds/create", shopify_refund(71, 7, "15000", "JPY"))  # the customer's presentment currency
    for facts in (facts_after(order, refund), facts_after(refund, order)):
        assert (facts.refunded_amount, facts.undone, facts.counted_amount) == (0, False, 10000)
    assert facts_after(order, refund).pending_refunds == {"71": "15000 JPY"}  # kept, to be seen
    assert facts_after(order, refund).currency == "USD"
