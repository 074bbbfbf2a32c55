import json
from dataclasses import replace
from datetime import UTC, datetime
from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from domain.events import OrderData, ShopEvent
from domain.orders import (
    OrderFacts,
    apply_event,
    converts,
    facts_from_dict,
    facts_to_dict,
    stamped_no_later_than,
    status_label,
)

ORDER_ID = "o-1001"
AMOUNT = 12900


def created(amount: int | None = AMOUNT, status: str = "created") -> ShopEvent:
    return ShopEvent("order.created", OrderData(ORDER_ID, amount=amount, status=status))


def paid(amount: int | None = AMOUNT) -> ShopEvent:
    return ShopEvent("order.paid", OrderData(ORDER_ID, amount=amount, status="paid"))


def canceled(amount: int | None = None) -> ShopEvent:
    return ShopEvent("order.canceled", OrderData(ORDER_ID, amount=amount, status="canceled"))


def refunded(refunded_amount: int = 0, amount: int | None = AMOUNT) -> ShopEvent:
    """A refund stating the running total refunded (WooCommerce, native); 0 means the whole order."""
    return ShopEvent(
        "order.refunded", OrderData(ORDER_ID, amount=amount, status="refunded", refunded_amount=refunded_amount)
    )


def partially_refunded_while_paid(refunded_amount: int) -> ShopEvent:
    """WooCommerce: an order still `processing` whose refunds list adds up to `refunded_amount`."""
    return ShopEvent("order.paid", OrderData(ORDER_ID, amount=AMOUNT, status="paid", refunded_amount=refunded_amount))


def shopify_refund(refund_id: str, amount: int) -> ShopEvent:
    """Shopify's refunds/create: one refund's own amount, no order amount."""
    return ShopEvent(
        "order.refunded", OrderData(ORDER_ID, status="refund_issued", refunded_amount=amount, refund_id=refund_id)
    )


def facts_after(*events: ShopEvent, start: OrderFacts = OrderFacts()) -> OrderFacts:
    return reduce(apply_event, events, start)


# --- created and paid ---------------------------------------------------------------------------


def test_a_created_order_is_seen_but_not_paid_and_does_not_count():
    facts = facts_after(created())

    assert (facts.seen, facts.paid, facts.amount) == (True, False, AMOUNT)
    assert facts.counted_amount is None
    assert status_label(facts) == "created"


def test_a_paid_order_counts_its_whole_amount():
    facts = facts_after(created(), paid())

    assert facts.counted_amount == AMOUNT
    assert status_label(facts) == "paid"


def test_an_order_created_already_paid_counts_without_a_paid_event():
    assert facts_after(created(status="paid")).counted_amount == AMOUNT


def test_a_paid_event_alone_marks_the_order_seen():
    assert facts_after(paid()).seen


def test_an_event_without_an_order_changes_nothing():
    facts = facts_after(paid())

    assert apply_event(facts, ShopEvent("custom_event", custom_event="signed_up")) == facts


# --- cancellations and full refunds ------------------------------------------------------------


def test_a_cancelled_order_is_undone_and_no_longer_counts():
    facts = facts_after(paid(), canceled())

    assert facts.undone
    assert facts.counted_amount is None
    assert status_label(facts) == "canceled"


def test_a_cancellation_that_arrives_before_the_order_is_kept_and_undoes_it_when_the_order_arrives():
    early = facts_after(canceled())

    assert early.canceled and not early.seen

    late = facts_after(paid(), start=early)
    assert late.undone
    assert late.counted_amount is None
    assert late.amount == AMOUNT


def test_a_refund_without_amounts_refunds_the_whole_order():
    facts = facts_after(paid(), refunded(0, amount=None))

    assert facts.undone
    assert status_label(facts) == "refunded"


def test_a_refund_of_the_whole_amount_undoes_the_order():
    facts = facts_after(paid(), refunded(AMOUNT))

    assert facts.undone
    assert facts.counted_amount is None


def test_a_refund_or_cancellation_does_not_change_a_known_amount():
    facts = facts_after(paid(), refunded(1000, amount=99999), canceled(amount=1))

    assert facts.amount == AMOUNT


def test_a_refund_that_arrives_first_supplies_the_amount_until_the_order_arrives():
    assert facts_after(refunded(1000)).amount == AMOUNT


def at(event: ShopEvent, occurred_at: str) -> ShopEvent:
    return replace(event, occurred_at=occurred_at)


def test_an_older_state_of_the_order_arriving_late_does_not_take_back_a_newer_amount():
    edited = at(paid(amount=15000), "2026-11-27T12:00:00Z")
    retried_paid = at(paid(amount=AMOUNT), "2026-11-27T10:00:00Z")

    assert facts_after(edited, retried_paid).amount == facts_after(retried_paid, edited).amount == 15000
    assert facts_after(edited, retried_paid).counted_amount == 15000


def test_times_with_different_offsets_are_compared_as_instants():
    newer = at(paid(amount=15000), "2026-11-27T10:00:00-05:00")  # 15:00 UTC
    older = at(paid(amount=AMOUNT), "2026-11-27T14:00:00Z")

    assert facts_after(newer, older).amount == 15000
    assert facts_after(newer).amount_as_of == "2026-11-27T15:00:00+00:00"


def test_a_time_without_an_offset_is_utc_as_in_woocommerces_gmt_fields():
    newer = at(paid(amount=15000), "2026-11-27T14:30:00")
    older = at(paid(amount=AMOUNT), "2026-11-27T14:00:00+00:00")

    assert facts_after(newer, older).amount == 15000


def test_events_without_a_readable_time_are_taken_as_they_come():
    assert facts_after(at(paid(amount=15000), "2026-11-27T12:00:00Z"), paid(amount=AMOUNT)).amount == AMOUNT
    assert (
        facts_after(at(paid(amount=15000), "2026-11-27T12:00:00Z"), at(paid(amount=AMOUNT), "yesterday")).amount
        == AMOUNT
    )


def test_a_time_in_the_future_is_capped_at_when_the_event_was_received():
    received = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    far_future = stamped_no_later_than(at(paid(amount=1), "9999-01-01T00:00:00Z"), received)

    assert far_future.occurred_at == "2026-11-28T09:00:00+00:00"
    assert facts_after(far_future, at(paid(amount=15000), "2026-11-28T10:00:00Z")).amount == 15000


def test_a_time_in_the_past_or_unreadable_is_kept_as_it_is():
    received = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    for stated in ("2026-11-27T10:00:00Z", "yesterday", None):
        assert stamped_no_later_than(at(paid(), stated), received).occurred_at == stated


def test_a_refund_stamped_after_the_order_supplies_the_amount_only_until_the_order_arrives():
    facts = facts_after(at(refunded(1000, amount=99999), "2026-11-28T09:00:00Z"), at(paid(), "2026-11-27T10:00:00Z"))

    assert facts.amount == AMOUNT and facts.remaining_amount == AMOUNT - 1000


def test_a_cancelled_order_reads_as_cancelled_even_when_also_refunded():
    assert status_label(facts_after(paid(), refunded(AMOUNT), canceled())) == "canceled"


# --- partial refunds ----------------------------------------------------------------------------


def test_a_partial_refund_keeps_the_order_counted_at_the_remaining_amount():
    facts = facts_after(paid(), refunded(3000))

    assert not facts.undone
    assert facts.counted_amount == AMOUNT - 3000
    assert facts.remaining_amount == AMOUNT - 3000
    assert status_label(facts) == "partially_refunded"


def test_running_refund_totals_count_the_largest_total_once_whatever_their_order():
    forwards = facts_after(paid(), partially_refunded_while_paid(1000), partially_refunded_while_paid(3000))
    backwards = facts_after(paid(), partially_refunded_while_paid(3000), partially_refunded_while_paid(1000))

    assert forwards.refunded_amount == backwards.refunded_amount == 3000


def test_shopify_refunds_add_up_by_refund_id():
    facts = facts_after(paid(), shopify_refund("r-1", 1000), shopify_refund("r-2", 2500))

    assert facts.refunded_amount == 3500
    assert facts.counted_amount == AMOUNT - 3500


def test_the_same_shopify_refund_delivered_twice_counts_once():
    facts = facts_after(paid(), shopify_refund("r-1", 1000), shopify_refund("r-1", 1000))

    assert facts.refunded_amount == 1000


def test_shopify_refunds_that_add_up_to_the_order_amount_undo_it():
    facts = facts_after(paid(), shopify_refund("r-1", 9000), shopify_refund("r-2", 3900))

    assert facts.undone
    assert facts.counted_amount is None


def test_a_shopify_refund_before_the_order_is_applied_when_the_order_arrives():
    early = facts_after(shopify_refund("r-1", AMOUNT))

    assert early.amount is None and not early.undone

    assert facts_after(created(), paid(), start=early).undone


def test_a_refund_larger_than_the_order_never_counts_a_negative_amount():
    facts = facts_after(paid(), shopify_refund("r-1", AMOUNT + 500))

    assert facts.counted_amount is None
    assert facts.remaining_amount == 0


def test_the_remaining_amount_is_unknown_until_the_amount_is():
    assert facts_after(shopify_refund("r-1", 100)).remaining_amount is None


def test_a_partial_refund_that_omits_the_order_amount_is_still_partial():
    partial = ShopEvent("order.refunded", OrderData(ORDER_ID, amount=None, status="refunded", refunded_amount=3000))

    facts = facts_after(paid(), partial)

    assert not facts.undone
    assert facts.counted_amount == AMOUNT - 3000


# --- conversion ---------------------------------------------------------------------------------


def test_an_explicit_redemption_converts_for_every_campaign():
    event = ShopEvent("redemption.requested", codes=("REF-1",))

    assert all(converts(c, event, OrderFacts()) for c in ("order.paid", "order.created", "custom_event:signed_up"))


def test_a_paid_conversion_waits_for_the_order_to_be_paid():
    assert not converts("order.paid", created(), facts_after(created()))
    assert converts("order.paid", paid(), facts_after(created(), paid()))


def test_a_created_conversion_converts_on_an_order_seen_or_paid():
    assert converts("order.created", created(), facts_after(created()))
    assert converts("order.created", paid(), OrderFacts(paid=True))
    assert not converts("order.created", canceled(), facts_after(canceled()))


def test_a_custom_event_converts_only_for_the_campaign_naming_it():
    signed_up = ShopEvent("custom_event", custom_event="signed_up")

    assert converts("custom_event:signed_up", signed_up, OrderFacts())
    assert not converts("custom_event:subscribed", signed_up, OrderFacts())
    assert not converts("custom_event:signed_up", paid(), facts_after(paid()))


# --- storage ------------------------------------------------------------------------------------


def test_facts_survive_a_round_trip_through_json():
    facts = facts_after(
        at(paid(), "2026-11-27T10:00:00Z"), shopify_refund("r-1", 100), partially_refunded_while_paid(200), canceled()
    )

    assert facts.amount_as_of is not None
    assert facts_from_dict(json.loads(json.dumps(facts_to_dict(facts)))) == facts


def test_facts_stored_by_a_newer_version_load_without_the_keys_this_one_does_not_know():
    stored = facts_to_dict(facts_after(paid())) | {"a_later_fact": True}

    assert facts_from_dict(stored) == facts_after(paid())


def test_an_order_without_stored_facts_starts_from_nothing():
    assert facts_from_dict(None) == facts_from_dict({}) == OrderFacts()


# --- properties ---------------------------------------------------------------------------------


@st.composite
def edited_orders_events(draw) -> list[ShopEvent]:
    """Events of one order whose amount was edited, each stamped with a distinct time, plus refunds."""
    times = draw(
        st.lists(
            st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    states = [
        at(draw(st.sampled_from([created, paid]))(draw(st.integers(1, 10**6))), moment.isoformat() + "Z")
        for moment in times
    ]
    refunds = [refunded(draw(st.integers(0, 1000)), amount=None), canceled()]
    return states + draw(st.lists(st.sampled_from(refunds), max_size=2))


@given(st.data())
def test_the_amount_is_the_newest_states_whatever_order_the_events_arrive_in(data):
    events = data.draw(edited_orders_events())
    shuffled = data.draw(st.permutations(events))
    newest = max((e for e in events if e.occurred_at), key=lambda e: datetime.fromisoformat(e.occurred_at))

    assert facts_after(*shuffled) == facts_after(*events)
    assert facts_after(*shuffled).amount == newest.order.amount


@st.composite
def one_orders_events(draw) -> list[ShopEvent]:
    """Events of one order that agree on its amount, as the platforms send them."""
    amount = draw(st.integers(1, 10**6))
    events = [
        draw(st.sampled_from([created(amount), created(amount, status="paid"), created(None)])),
        paid(amount),
        canceled(draw(st.sampled_from([None, amount]))),
        refunded(0, amount=None),
        refunded(draw(st.integers(0, amount)), amount=draw(st.sampled_from([None, amount]))),
        ShopEvent(
            "order.paid",
            OrderData(ORDER_ID, amount=amount, status="paid", refunded_amount=draw(st.integers(0, amount))),
        ),
    ]
    shopify_amounts = draw(st.lists(st.integers(0, amount), max_size=4))
    events += [shopify_refund(f"r-{i}", value) for i, value in enumerate(shopify_amounts)]
    chosen = draw(st.lists(st.sampled_from(events), max_size=10))
    return chosen


@given(st.data())
def test_the_final_facts_do_not_depend_on_the_order_events_arrive_in(data):
    events = data.draw(one_orders_events())
    shuffled = data.draw(st.permutations(events))

    assert facts_after(*shuffled) == facts_after(*events)


@given(one_orders_events())
def test_every_event_applied_twice_is_applied_once(events):
    facts = OrderFacts()
    for event in events:
        once = apply_event(facts, event)
        assert apply_event(once, event) == once
        facts = once


@given(one_orders_events())
def test_the_counted_amount_is_never_negative_nor_more_than_the_order(events):
    facts = facts_after(*events)

    if facts.counted_amount is not None:
        assert facts.paid and not facts.undone
        assert 0 <= facts.counted_amount <= facts.amount
    if facts.undone:
        assert status_label(facts) in ("canceled", "refunded")


@given(one_orders_events())
def test_an_undone_order_stays_undone_whatever_arrives_after(events):
    facts = facts_after(paid(), canceled(), *events)

    assert facts.undone
    assert facts.counted_amount is None
