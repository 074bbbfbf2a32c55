import copy
import json
import re

import pytest

from domain.events import CustomerData, ShopEvent, Unparseable
from domain.platforms import native, shopify, woocommerce


def body(data) -> bytes:
    return json.dumps(data).encode()


def naming(field: str) -> str:
    """A pattern matching a message that names `field` itself (not a longer field it prefixes)."""
    return rf"(^|\s){re.escape(field)}(\s|$)"


def without(data: dict, path: str) -> dict:
    """A deep copy of `data` with the key at a dotted path removed."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    del target[last]
    return data


def with_value(data: dict, path: str, value) -> dict:
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[last] = value
    return data


# --- Shopify ------------------------------------------------------------------------------------

SHOPIFY_ORDER = {
    "id": 820982911946154508,
    "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
    "email": "jon@example.com",
    "contact_email": "jon@example.com",
    "created_at": "2026-11-27T05:00:00-05:00",
    "updated_at": "2026-11-27T05:05:00-05:00",
    "cancelled_at": None,
    "cancel_reason": None,
    "currency": "USD",
    "current_total_price": "129.00",
    "total_price": "129.00",
    "subtotal_price": "139.00",
    "total_discounts": "10.00",
    "financial_status": "paid",
    "customer_locale": "en-CA",
    "discount_codes": [{"code": "REF-1234-ABCD", "amount": "10.00", "type": "fixed_amount"}],
    "note_attributes": [{"name": "channel", "value": "instagram"}],
    "line_items": [
        {
            "id": 866550311766439020,
            "product_id": 632910392,
            "variant_id": 808950810,
            "sku": "IPOD2008PINK",
            "title": "IPod Nano - 8GB",
            "quantity": 1,
            "price": "99.00",
        },
        {"id": 141249953214522974, "product_id": 632910393, "sku": "CASE-1", "quantity": 2, "price": "20.00"},
    ],
    "customer": {
        "id": 115310627314723954,
        "email": "john@example.com",
        "first_name": "John",
        "last_name": "Smith",
        "state": "enabled",
        "verified_email": True,
    },
}
SHOPIFY_REFUND = {
    "id": 509562969,
    "order_id": 820982911946154508,
    "created_at": "2026-11-28T10:00:00-05:00",
    "note": "it broke during shipping",
    "restock": True,
    "refund_line_items": [{"id": 104689539, "quantity": 1, "line_item_id": 866550311766439020, "subtotal": 99.0}],
    "transactions": [
        {
            "id": 179259969,
            "order_id": 820982911946154508,
            "kind": "refund",
            "gateway": "bogus",
            "status": "success",
            "amount": "41.94",
            "currency": "USD",
        },
        {
            "id": 179259970,
            "order_id": 820982911946154508,
            "kind": "refund",
            "gateway": "bogus",
            "status": "failure",
            "amount": "99.00",
            "currency": "USD",
        },
        {
            "id": 179259971,
            "order_id": 820982911946154508,
            "kind": "suggested_refund",
            "gateway": "bogus",
            "amount": "5.00",
            "currency": "USD",
        },
        {
            "id": 179259972,
            "order_id": 820982911946154508,
            "kind": "refund",
            "gateway": "manual",
            "amount": "8.06",
            "currency": "USD",
        },
    ],
}


def shopify_headers(topic: str, webhook_id: str | None = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043") -> dict:
    headers = {
        "x-shopify-topic": topic,
        "x-shopify-shop-domain": "shop-a.myshopify.com",
        "x-shopify-hmac-sha256": "XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=",
        "x-shopify-api-version": "2024-10",
    }
    if webhook_id:
        headers["x-shopify-webhook-id"] = webhook_id
    return headers


def parse_shopify(topic: str, data) -> ShopEvent:
    return shopify.parse(body(data), shopify_headers(topic)).event


def test_a_shopify_paid_order_becomes_a_paid_event_with_its_codes_customer_and_items():
    parsed = shopify.parse(body(SHOPIFY_ORDER), shopify_headers("orders/paid"))

    assert (parsed.external_id, parsed.topic) == ("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "orders/paid")
    event = parsed.event
    assert event.type == "order.paid" and event.is_paid
    assert event.codes == ("REF-1234-ABCD",)
    assert event.occurred_at == "2026-11-27T05:05:00-05:00"
    assert event.customer == CustomerData(
        source_id="115310627314723954", email="john@example.com", name="John Smith", locale="en-CA"
    )
    order = event.order
    assert (order.id, order.amount, order.currency, order.status) == ("820982911946154508", 12900, "USD", "paid")
    assert order.items == (
        {"sku": "IPOD2008PINK", "product_id": "632910392", "quantity": 1, "price": 9900},
        {"sku": "CASE-1", "product_id": "632910393", "quantity": 2, "price": 2000},
    )
    assert order.metadata == {"channel": "instagram"}
    assert order.refunded_amount == 0


@pytest.mark.parametrize(
    "financial_status, status",
    [
        ("pending", "created"),
        ("authorized", "created"),
        ("paid", "paid"),
        ("partially_refunded", "paid"),
        ("refunded", "refunded"),
        ("voided", "canceled"),
        (None, "created"),
    ],
)
def test_a_shopify_created_order_takes_its_status_from_the_financial_status(financial_status, status):
    event = parse_shopify("orders/create", with_value(SHOPIFY_ORDER, "financial_status", financial_status))

    assert event.type == "order.created"
    assert event.order.status == status


def test_a_shopify_order_created_already_refunded_is_refunded_in_full():
    event = parse_shopify("orders/create", with_value(SHOPIFY_ORDER, "financial_status", "refunded"))

    assert event.order.refunded_amount == event.order.amount == 12900


def test_a_shopify_cancelled_order_becomes_a_cancel_event():
    data = with_value(
        with_value(SHOPIFY_ORDER, "cancelled_at", "2026-11-28T09:00:00-05:00"), "financial_status", "voided"
    )

    event = parse_shopify("orders/cancelled", data)

    assert event.type == "order.canceled"
    assert event.order.status == "canceled"
    assert event.order.id == "820982911946154508"


def test_a_shopify_refund_becomes_a_refund_of_its_successful_refund_transactions():
    parsed = shopify.parse(body(SHOPIFY_REFUND), shopify_headers("refunds/create"))

    event = parsed.event
    assert event.type == "order.refunded"
    assert event.occurred_at == "2026-11-28T10:00:00-05:00"
    assert event.order.id == "820982911946154508"
    assert event.order.refund_id == "509562969"
    assert event.order.refunded_amount == 4194 + 806
    assert event.order.amount is None
    assert event.order.status == "refund_issued"


def test_a_shopify_refund_without_transactions_refunds_nothing():
    event = parse_shopify("refunds/create", with_value(SHOPIFY_REFUND, "transactions", []))

    assert event.order.refunded_amount == 0


def test_shopify_amounts_in_a_zero_decimal_currency_are_taken_as_they_are():
    data = with_value(with_value(SHOPIFY_ORDER, "currency", "JPY"), "total_price", "1500")

    assert parse_shopify("orders/paid", data).order.amount == 1500


def test_a_shopify_order_without_discount_codes_carries_no_codes():
    assert parse_shopify("orders/paid", with_value(SHOPIFY_ORDER, "discount_codes", [])).codes == ()


def test_a_shopify_guest_order_is_matched_by_its_email():
    event = parse_shopify("orders/paid", with_value(SHOPIFY_ORDER, "customer", None))

    assert event.customer == CustomerData(source_id=None, email="jon@example.com", name=None, locale="en-CA")


def test_a_shopify_order_without_any_customer_has_no_customer():
    data = with_value(with_value(without(SHOPIFY_ORDER, "customer"), "email", ""), "contact_email", None)

    assert parse_shopify("orders/paid", data).customer is None


def test_a_shopify_topic_the_pipeline_does_not_use_is_accepted_with_nothing_to_do():
    parsed = shopify.parse(
        body({"id": 706405506930370084, "email": "bob@example.com"}), shopify_headers("customers/create")
    )

    assert parsed.topic == "customers/create"
    assert parsed.event is None


def test_a_shopify_webhook_without_a_webhook_id_is_keyed_by_topic_order_and_update_time():
    parsed = shopify.parse(body(SHOPIFY_ORDER), shopify_headers("orders/paid", webhook_id=None))

    assert parsed.external_id == "orders/paid:820982911946154508:2026-11-27T05:05:00-05:00"


def test_a_shopify_webhook_without_a_topic_is_unparseable():
    with pytest.raises(Unparseable, match="X-Shopify-Topic"):
        shopify.parse(body(SHOPIFY_ORDER), {"x-shopify-webhook-id": "w-1"})


SHOPIFY_ORDER_PROBLEMS = [
    ("total_price", with_value(SHOPIFY_ORDER, "total_price", "a lot")),
    ("total_price", with_value(SHOPIFY_ORDER, "total_price", "Infinity")),
    ("order id", without(SHOPIFY_ORDER, "id")),
    ("line_items", with_value(SHOPIFY_ORDER, "line_items", {"sku": "x"})),
    ("line_items[]", with_value(SHOPIFY_ORDER, "line_items", ["IPOD2008PINK"])),
    ("line_items[].price", with_value(SHOPIFY_ORDER, "line_items.0.price", "free")),
    ("discount_codes", with_value(SHOPIFY_ORDER, "discount_codes", "REF-1234-ABCD")),
    ("discount_codes[]", with_value(SHOPIFY_ORDER, "discount_codes", ["REF-1234-ABCD"])),
    ("note_attributes", with_value(SHOPIFY_ORDER, "note_attributes", {"channel": "x"})),
    ("customer", with_value(SHOPIFY_ORDER, "customer", "john@example.com")),
]


@pytest.mark.parametrize("field, data", SHOPIFY_ORDER_PROBLEMS, ids=[f for f, _ in SHOPIFY_ORDER_PROBLEMS])
def test_an_unparseable_shopify_order_names_the_field(field, data):
    with pytest.raises(Unparseable, match=naming(field)):
        shopify.parse(body(data), shopify_headers("orders/paid"))


SHOPIFY_REFUND_PROBLEMS = [
    ("order_id", without(SHOPIFY_REFUND, "order_id")),
    ("transactions", with_value(SHOPIFY_REFUND, "transactions", {"kind": "refund"})),
    ("transactions[]", with_value(SHOPIFY_REFUND, "transactions", [41.94])),
    ("transactions[].amount", with_value(SHOPIFY_REFUND, "transactions.0.amount", "some")),
]


@pytest.mark.parametrize("field, data", SHOPIFY_REFUND_PROBLEMS, ids=[f for f, _ in SHOPIFY_REFUND_PROBLEMS])
def test_an_unparseable_shopify_refund_names_the_field(field, data):
    with pytest.raises(Unparseable, match=naming(field)):
        shopify.parse(body(data), shopify_headers("refunds/create"))


def test_a_shopify_line_item_with_a_quantity_that_is_not_a_number_is_unparseable_naming_the_field():
    data = with_value(SHOPIFY_ORDER, "line_items.0.quantity", "two")

    with pytest.raises(Unparseable, match=naming("line_items[].quantity")):
        shopify.parse(body(data), shopify_headers("orders/paid"))


# --- WooCommerce --------------------------------------------------------------------------------

WOO_ORDER = {
    "id": 727,
    "parent_id": 0,
    "number": "727",
    "order_key": "wc_order_58d2d042d1d",
    "created_via": "checkout",
    "status": "processing",
    "currency": "USD",
    "date_created_gmt": "2026-11-27T10:00:00",
    "date_modified_gmt": "2026-11-27T10:05:00",
    "discount_total": "10.00",
    "total": "129.00",
    "total_tax": "0.00",
    "customer_id": 26,
    "billing": {"first_name": "John", "last_name": "Doe", "email": "john.doe@example.com", "phone": "(555) 555-5555"},
    "payment_method": "bacs",
    "date_paid_gmt": "2026-11-27T10:05:00",
    "meta_data": [
        {"id": 13106, "key": "_download_permissions_granted", "value": "yes"},
        {"id": 13109, "key": "channel", "value": "newsletter"},
    ],
    "line_items": [
        {
            "id": 315,
            "name": "Woo Single #1",
            "product_id": 93,
            "variation_id": 0,
            "quantity": 2,
            "subtotal": "139.00",
            "total": "129.00",
            "sku": "WOO-1",
            "price": 64.5,
        }
    ],
    "coupon_lines": [{"id": 318, "code": "ref-1234-abcd", "discount": "10.00", "discount_tax": "0.00"}],
    "refunds": [],
}


def woo_headers(topic: str = "order.updated") -> dict:
    return {
        "x-wc-webhook-topic": topic,
        "x-wc-webhook-resource": "order",
        "x-wc-webhook-event": topic.split(".")[-1],
        "x-wc-webhook-source": "https://shop.example.com/",
        "x-wc-webhook-id": "12",
        "x-wc-webhook-delivery-id": "0b0e4c8d9f0a1b2c3d4e5f6a7b8c9d0e",
    }


def parse_woo(data, topic: str = "order.updated") -> ShopEvent:
    return woocommerce.parse(body(data), woo_headers(topic)).event


def test_a_woocommerce_processing_order_becomes_a_paid_event_with_its_coupons_customer_and_items():
    parsed = woocommerce.parse(body(WOO_ORDER), woo_headers())

    assert (parsed.external_id, parsed.topic) == ("727:processing:2026-11-27T10:05:00", "order.updated")
    event = parsed.event
    assert event.type == "order.paid"
    assert event.codes == ("ref-1234-abcd",)
    assert event.occurred_at == "2026-11-27T10:05:00"
    assert event.customer == CustomerData(source_id="26", email="john.doe@example.com", name="John Doe")
    order = event.order
    assert (order.id, order.amount, order.currency, order.status, order.refunded_amount) == (
        "727",
        12900,
        "USD",
        "paid",
        0,
    )
    assert order.items == ({"sku": "WOO-1", "product_id": "93", "quantity": 2, "price": 12900},)
    assert order.metadata == {"channel": "newsletter"}


@pytest.mark.parametrize(
    "status, event_type, order_status",
    [
        ("processing", "order.paid", "paid"),
        ("completed", "order.paid", "paid"),
        ("refunded", "order.refunded", "refunded"),
        ("cancelled", "order.canceled", "canceled"),
        ("pending", "order.created", "created"),
        ("on-hold", "order.created", "created"),
    ],
)
def test_a_woocommerce_order_status_says_what_happened(status, event_type, order_status):
    event = parse_woo(with_value(WOO_ORDER, "status", status))

    assert (event.type, event.order.status) == (event_type, order_status)


def test_a_woocommerce_refunded_order_is_refunded_in_full():
    event = parse_woo(with_value(WOO_ORDER, "status", "refunded"))

    assert event.order.refunded_amount == event.order.amount == 12900


def test_a_woocommerce_order_with_partial_refunds_stays_paid_and_carries_the_refunded_total():
    data = with_value(
        WOO_ORDER,
        "refunds",
        [{"id": 726, "reason": "", "total": "-10.00"}, {"id": 729, "reason": "", "total": "-5.50"}],
    )

    event = parse_woo(data)

    assert (event.type, event.order.status, event.order.refunded_amount) == ("order.paid", "paid", 1550)
    assert event.order.refund_id is None


def test_a_woocommerce_created_order_is_keyed_by_its_creation_time_when_never_modified():
    parsed = woocommerce.parse(
        body(without(with_value(WOO_ORDER, "status", "pending"), "date_modified_gmt")), woo_headers("order.created")
    )

    assert parsed.external_id == "727:pending:2026-11-27T10:00:00"


def test_the_same_woocommerce_order_in_a_new_status_is_a_new_event():
    first = woocommerce.parse(body(WOO_ORDER), woo_headers())
    second = woocommerce.parse(body(with_value(WOO_ORDER, "status", "completed")), woo_headers())

    assert first.external_id != second.external_id


def test_a_woocommerce_guest_order_is_matched_by_its_billing_email():
    event = parse_woo(with_value(WOO_ORDER, "customer_id", 0))

    assert event.customer.source_id is None
    assert event.customer.email == "john.doe@example.com"


def test_a_woocommerce_order_without_email_or_customer_has_no_customer():
    data = with_value(with_value(WOO_ORDER, "customer_id", 0), "billing", {"first_name": "", "email": ""})

    assert parse_woo(data).customer is None


def test_a_woocommerce_topic_the_pipeline_does_not_use_is_accepted_with_nothing_to_do():
    parsed = woocommerce.parse(body(WOO_ORDER), woo_headers("order.deleted"))

    assert parsed.event is None
    assert parsed.topic == "order.deleted"


def test_a_woocommerce_webhook_without_a_topic_is_unparseable():
    with pytest.raises(Unparseable, match="X-WC-Webhook-Topic"):
        woocommerce.parse(body(WOO_ORDER), {})


WOO_PROBLEMS = [
    ("order id", without(WOO_ORDER, "id")),
    ("total", with_value(WOO_ORDER, "total", "n/a")),
    ("billing", with_value(WOO_ORDER, "billing", ["john.doe@example.com"])),
    ("line_items", with_value(WOO_ORDER, "line_items", "WOO-1")),
    ("line_items[]", with_value(WOO_ORDER, "line_items", [315])),
    ("line_items[].total", with_value(WOO_ORDER, "line_items.0.total", "lots")),
    ("coupon_lines", with_value(WOO_ORDER, "coupon_lines", {"code": "x"})),
    ("coupon_lines[]", with_value(WOO_ORDER, "coupon_lines", ["ref-1234-abcd"])),
    ("refunds[]", with_value(WOO_ORDER, "refunds", ["-10.00"])),
    ("refunds[].total", with_value(WOO_ORDER, "refunds", [{"id": 726, "total": "ten"}])),
    ("meta_data", with_value(WOO_ORDER, "meta_data", {"channel": "x"})),
]


@pytest.mark.parametrize("field, data", WOO_PROBLEMS, ids=[f for f, _ in WOO_PROBLEMS])
def test_an_unparseable_woocommerce_order_names_the_field(field, data):
    with pytest.raises(Unparseable, match=naming(field)):
        woocommerce.parse(body(data), woo_headers())


def test_a_woocommerce_line_item_with_a_quantity_that_is_not_a_number_is_unparseable_naming_the_field():
    data = with_value(WOO_ORDER, "line_items.0.quantity", "two")

    with pytest.raises(Unparseable, match=naming("line_items[].quantity")):
        woocommerce.parse(body(data), woo_headers())


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8"]
)
def test_the_woocommerce_form_encoded_ping_is_recognised(content_type):
    assert woocommerce.is_ping(b"webhook_id=12", content_type)


@pytest.mark.parametrize(
    "payload, content_type",
    [
        (body(WOO_ORDER), "application/json"),
        (b"webhook_id=12", "application/json"),
        (b"action=woocommerce_order_updated&arg=727", "application/x-www-form-urlencoded"),
    ],
)
def test_anything_but_the_woocommerce_ping_is_not_a_ping(payload, content_type):
    assert not woocommerce.is_ping(payload, content_type)


# --- native -------------------------------------------------------------------------------------

NATIVE_PAID = {
    "id": "evt_0001",
    "type": "order.paid",
    "created_at": "2026-11-27T10:00:00Z",
    "data": {
        "order": {
            "id": "o-1001",
            "amount": 12900,
            "currency": "USD",
            "status": "paid",
            "items": [{"sku": "SKU-1", "quantity": 1, "price": 12900}],
            "metadata": {"channel": "pos"},
        },
        "customer": {"source_id": "c-77", "email": "ann@example.com", "name": "Ann Lee", "metadata": {"tier": "gold"}},
        "code": "REF-1234-ABCD",
    },
}


def native_event(event_type: str, data: dict, event_id: str = "evt_0002") -> dict:
    return {"id": event_id, "type": event_type, "created_at": "2026-11-28T10:00:00Z", "data": data}


def parse_native(data) -> ShopEvent:
    return native.parse(body(data), {}).event


def test_the_spec_example_of_a_native_paid_order_parses_in_full():
    parsed = native.parse(body(NATIVE_PAID), {})

    assert (parsed.external_id, parsed.topic) == ("evt_0001", "order.paid")
    event = parsed.event
    assert (event.type, event.codes, event.occurred_at) == ("order.paid", ("REF-1234-ABCD",), "2026-11-27T10:00:00Z")
    assert event.customer == CustomerData(
        source_id="c-77", email="ann@example.com", name="Ann Lee", metadata={"tier": "gold"}
    )
    order = event.order
    assert (order.id, order.amount, order.currency, order.status, order.refunded_amount) == (
        "o-1001",
        12900,
        "USD",
        "paid",
        0,
    )
    assert order.items == ({"sku": "SKU-1", "product_id": None, "quantity": 1, "price": 12900},)
    assert order.metadata == {"channel": "pos"}


def test_a_native_created_order_defaults_to_created():
    event = parse_native(native_event("order.created", {"order": {"id": "o-1", "amount": 500}}))

    assert (event.type, event.order.status, event.codes, event.customer) == ("order.created", "created", (), None)


def test_a_native_created_order_may_say_it_is_already_paid():
    event = parse_native(native_event("order.created", {"order": {"id": "o-1", "amount": 500, "status": "paid"}}))

    assert event.is_paid


def test_a_native_cancellation_needs_no_amount():
    event = parse_native(native_event("order.canceled", {"order": {"id": "o-1001"}, "customer": {"source_id": "c-77"}}))

    assert (event.type, event.order.status, event.order.amount) == ("order.canceled", "canceled", None)


def test_a_native_refund_without_a_refunded_amount_refunds_the_amount_it_names():
    event = parse_native(
        native_event("order.refunded", {"order": {"id": "o-1001", "amount": 12900, "status": "refunded"}})
    )

    assert (event.type, event.order.status, event.order.refunded_amount) == ("order.refunded", "refunded", 12900)


def test_a_native_partial_refund_carries_its_refunded_amount():
    event = parse_native(
        native_event("order.refunded", {"order": {"id": "o-1001", "amount": 12900, "refunded_amount": 3000}})
    )

    assert event.order.refunded_amount == 3000


def test_a_native_redemption_request_names_a_code_and_may_omit_the_order():
    event = parse_native(
        native_event("redemption.requested", {"code": "REF-1234-ABCD", "customer": {"email": "bob@example.com"}})
    )

    assert (event.type, event.codes, event.order, event.is_explicit) == (
        "redemption.requested",
        ("REF-1234-ABCD",),
        None,
        True,
    )
    assert event.customer.email == "bob@example.com"


def test_a_native_custom_event_names_itself():
    event = parse_native(
        native_event("custom_event", {"event": "signed_up", "code": "REF-1", "customer": {"source_id": 77}})
    )

    assert (event.type, event.custom_event, event.codes) == ("custom_event", "signed_up", ("REF-1",))
    assert event.customer.source_id == "77"


def test_a_parsed_event_survives_a_round_trip_through_json():
    event = parse_native(NATIVE_PAID)

    assert ShopEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event


NATIVE_PROBLEMS = [
    ("body", b"{not json"),
    ("body", b"[1, 2]"),
    ("body", b"\xff\xfe\x00"),
    ("id", without(NATIVE_PAID, "id")),
    ("type", with_value(NATIVE_PAID, "type", "order.shipped")),
    ("data", with_value(NATIVE_PAID, "data", "o-1001")),
    ("data.order", without(NATIVE_PAID, "data.order")),
    ("data.order", with_value(NATIVE_PAID, "data.order", ["o-1001"])),
    ("data.order.id", without(NATIVE_PAID, "data.order.id")),
    ("data.order.status", with_value(NATIVE_PAID, "data.order.status", "shipped")),
    ("data.order.amount", with_value(NATIVE_PAID, "data.order.amount", "129.00")),
    ("data.order.amount", with_value(NATIVE_PAID, "data.order.amount", 129.5)),
    ("data.order.amount", with_value(NATIVE_PAID, "data.order.amount", True)),
    ("data.order.amount", with_value(NATIVE_PAID, "data.order.amount", -1)),
    ("data.order.amount", without(NATIVE_PAID, "data.order.amount")),
    ("data.order.refunded_amount", with_value(NATIVE_PAID, "data.order.refunded_amount", "30.00")),
    ("data.order.items", with_value(NATIVE_PAID, "data.order.items", {"sku": "SKU-1"})),
    ("data.order.items[]", with_value(NATIVE_PAID, "data.order.items", ["SKU-1"])),
    ("data.order.items[].quantity", with_value(NATIVE_PAID, "data.order.items", [{"sku": "SKU-1", "quantity": "1"}])),
    ("data.order.items[].price", with_value(NATIVE_PAID, "data.order.items", [{"sku": "SKU-1", "price": 1.5}])),
    ("data.order.metadata", with_value(NATIVE_PAID, "data.order.metadata", ["pos"])),
    ("data.customer", with_value(NATIVE_PAID, "data.customer", "c-77")),
    ("data.customer", with_value(NATIVE_PAID, "data.customer", {"name": "Ann Lee"})),
    ("data.customer.metadata", with_value(NATIVE_PAID, "data.customer.metadata", "gold")),
    ("data.code", native_event("redemption.requested", {"customer": {"source_id": "c-77"}})),
    ("data.event", native_event("custom_event", {"code": "REF-1"})),
]


@pytest.mark.parametrize("field, data", NATIVE_PROBLEMS, ids=[f"{i}-{f}" for i, (f, _) in enumerate(NATIVE_PROBLEMS)])
def test_an_unparseable_native_event_names_the_field(field, data):
    with pytest.raises(Unparseable, match=naming(field)):
        native.parse(data if isinstance(data, bytes) else body(data), {})


@pytest.mark.parametrize("event_type", ["order.created", "order.paid", "order.canceled", "order.refunded"])
def test_every_native_order_event_needs_an_order(event_type):
    with pytest.raises(Unparseable, match=re.escape(f"data.order is required for {event_type}")):
        native.parse(body(native_event(event_type, {"customer": {"source_id": "c-77"}})), {})


def test_a_body_nested_too_deeply_to_decode_is_unparseable():
    with pytest.raises(Unparseable, match=naming("body")):
        native.parse(b"[" * 100_000 + b"]" * 100_000, {})


def test_order_attributes_without_a_text_name_are_left_out_of_the_metadata():
    shopify_attributes = [{"name": "channel", "value": "x"}, {"value": "no name"}, {"name": 5, "value": "number"}]
    woo_meta = [
        {"key": "channel", "value": "y"},
        {"value": "no key"},
        {"key": None, "value": "none"},
        {"key": "_private", "value": "z"},
    ]
    assert parse_shopify(
        "orders/paid", with_value(SHOPIFY_ORDER, "note_attributes", shopify_attributes)
    ).order.metadata == {"channel": "x"}
    assert parse_woo(with_value(WOO_ORDER, "meta_data", woo_meta)).order.metadata == {"channel": "y"}
