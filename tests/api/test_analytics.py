"""Program figures: GET /api/v1/campaigns/{id}/analytics and db/queries/analytics against a recount of raw rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from typer.testing import CliRunner

from cli.main import app
from db.models import Base, Campaign, Code, Customer, Order, Redemption, Referral, Reward, Tier
from db.queries import analytics
from db.queries.errors import Invalid
from tests.api.helpers import add_tier, create_campaign, invite, paid_order

TODAY = date(2026, 3, 31)  # a Tuesday
HISTORY_DAYS = 60


def _at(day_offset: int, hour: int = 12) -> datetime:
    """A moment `day_offset` days before TODAY, at `hour` UTC."""
    return datetime.combine(TODAY - timedelta(days=day_offset), datetime.min.time(), UTC) + timedelta(hours=hour)


# --- the window ---------------------------------------------------------------------------------------------------


def test_the_default_window_is_the_last_30_days_up_to_today():
    span = analytics.window(today=TODAY)
    assert (span.first, span.last, span.days) == (TODAY - timedelta(days=29), TODAY, 30)
    assert span.points(TODAY)[-1] == TODAY and len(span.points(TODAY)) == 30


def test_a_window_has_no_future_points_and_weeks_start_on_monday():
    span = analytics.window(date(2026, 3, 20), date(2026, 4, 10), "week", today=TODAY)
    assert span.points(TODAY) == [date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30)]
    assert analytics.window(date(2026, 5, 1), date(2026, 5, 3), today=TODAY).points(TODAY) == []


@pytest.mark.parametrize(
    ("first", "last", "interval", "message"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "day", "before start_date"),
        (date(2025, 1, 1), date(2026, 3, 1), "day", "at most 366 days"),
        (None, None, "month", "interval must be"),
    ],
)
def test_a_bad_window_is_refused(first, last, interval, message):
    with pytest.raises(Invalid, match=message):
        analytics.window(first, last, interval, today=TODAY)


# --- figures against a recount of raw rows --------------------------------------------------------------------------

REFERRAL = st.tuples(st.integers(0, HISTORY_DAYS), st.booleans())  # (days ago, still live)
REDEMPTION = st.tuples(st.integers(0, HISTORY_DAYS), st.sampled_from(["succeeded", "failed", "rolled_back"]))
REWARD = st.tuples(
    st.integers(0, HISTORY_DAYS), st.one_of(st.none(), st.integers(0, 5)), st.one_of(st.none(), st.integers(0, 5))
)
ORDER = st.tuples(st.integers(0, HISTORY_DAYS), st.integers(0, 50_000), st.integers(0, 60_000), st.booleans())
CODE = st.tuples(st.one_of(st.none(), st.integers(0, HISTORY_DAYS)), st.booleans())  # (published days ago, deleted)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    referrals=st.lists(REFERRAL, max_size=12),
    redemptions=st.lists(REDEMPTION, max_size=12),
    rewards=st.lists(REWARD, max_size=8),
    orders=st.lists(ORDER, max_size=8),
    codes=st.lists(CODE, min_size=1, max_size=6),
    window_days=st.tuples(st.integers(0, HISTORY_DAYS), st.integers(0, 40)),
    interval=st.sampled_from(["day", "week"]),
)
def test_figures_equal_a_recount_of_the_rows(
    runtime, referrals, redemptions, rewards, orders, codes, window_days, interval
):
    span = analytics.window(
        TODAY - timedelta(days=window_days[0]),
        TODAY - timedelta(days=max(window_days[0] - window_days[1], 0)),
        interval,
        today=TODAY,
    )
    with runtime.session_factory() as session, session.begin():
        _empty(session)
        _history(session, referrals, redemptions, rewards, orders, codes)
    with runtime.session_factory() as session:
        found = analytics.figures(session, "camp_a", span, today=TODAY)

    def days_ago_in(days_ago: int | None) -> bool:
        return days_ago is not None and span.first <= TODAY - timedelta(days=days_ago) <= span.last

    any_live = any(live for _, live in referrals)
    expected = {
        "referees": sum(live for ago, live in referrals if days_ago_in(ago)),
        "redemptions_succeeded": sum(s == "succeeded" for ago, s in redemptions if days_ago_in(ago)),
        "redemptions_failed": sum(s == "failed" for ago, s in redemptions if days_ago_in(ago)),
        "rewards_created": sum(days_ago_in(ago) for ago, _, _ in rewards),
        "rewards_completed": sum(days_ago_in(_later(ago, done)) for ago, done, _ in rewards),
        "rewards_rolled_back": sum(days_ago_in(_later(ago, back)) for ago, _, back in rewards),
        # orders belong to live referees when there are any, else to strangers (who bring no referral revenue)
        "referral_revenue": sum(a - r for ago, a, r, _ in orders if days_ago_in(ago) and r < a and any_live),
        "attributed_revenue": sum(
            a - r for ago, a, r, converting in orders if days_ago_in(ago) and r < a and converting and any_live
        ),
    }
    totals = found["totals"]
    assert {name: totals[name] for name in expected} == expected
    for name in expected:  # the series adds up to the totals (every row is in the past)
        assert sum(point[name] for point in found["series"]) == expected[name]
    assert [point["date"] for point in found["series"]] == [day.isoformat() for day in span.points(TODAY)]

    # a deleted code was deleted today, after every window's start: its holder still held it then
    holders_at_start = {n for n, (ago, _) in enumerate(codes) if ago is not None and _before(ago, span)}
    live_referees = totals["referees"]
    k_factor = totals["k_factor"]
    assert k_factor["referrers"] == len(holders_at_start)
    assert k_factor["value"] == (round(live_referees / len(holders_at_start), 4) if holders_at_start else None)
    assert (k_factor["reason"] is None) == bool(holders_at_start)

    invited = {n for n, (ago, _) in enumerate(codes) if days_ago_in(ago)}
    activated = {n for n in invited if n == 0 and any(live and _not_after(ago, span) for ago, live in referrals)}
    activation = totals["activation"]
    assert (activation["invited"], activation["activated"]) == (len(invited), len(activated))


def _later(days_ago: int, after: int | None) -> int | None:
    """The days-ago of something that happened `after` days after `days_ago` (None: it did not)."""
    if after is None:
        return None
    return days_ago - after if days_ago - after >= 0 else None


def _before(days_ago: int, span: analytics.Window) -> bool:
    return TODAY - timedelta(days=days_ago) < span.first


def _not_after(days_ago: int, span: analytics.Window) -> bool:
    return TODAY - timedelta(days=days_ago) <= span.last


def _empty(session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


def _history(session, referrals, redemptions, rewards, orders, codes) -> None:
    """Rows of one campaign (camp_a) written directly, each at its day; a second campaign's rows must not count.

    Every referral is made by holder 0 (the first code's holder); customer `ref_n` is the referee of referral n."""
    session.add_all([_campaign("camp_a"), _campaign("camp_b")])
    session.add(Tier(id="tier_a", campaign_id="camp_a", name="each", kind="each", threshold=1, reward={}))
    session.add_all(
        [_customer(f"holder_{n}") for n in range(len(codes))] + [_customer(f"ref_{n}") for n in range(len(referrals))]
    )
    session.flush()
    for n, (ago, deleted) in enumerate(codes):
        session.add(
            Code(
                id=f"code_{n}",
                code=f"C{n}",
                code_key=f"c{n}",
                campaign_id="camp_a",
                holder_id=f"holder_{n}" if ago is not None else None,
                published_at=_at(ago, 9) if ago is not None else None,
                deleted_at=_at(0, 1) if deleted else None,
            )
        )
    session.flush()
    for n, (ago, status) in enumerate(redemptions):
        session.add(_redemption(f"red_x{n}", "camp_a", status, _at(ago)))
        session.add(_redemption(f"red_y{n}", "camp_b", status, _at(ago)))  # another campaign: never counted
    for n, (ago, live) in enumerate(referrals):
        session.add(_redemption(f"red_r{n}", "camp_a", "succeeded" if live else "rolled_back", _at(ago), counted=False))
        session.flush()
        session.add(
            Referral(
                id=f"rfl_{n}",
                campaign_id="camp_a",
                referrer_id="holder_0",
                referee_id=f"ref_{n}",
                code_id="code_0",
                redemption_id=f"red_r{n}",
                ordinal=n + 1,
                status="active" if live else "rolled_back",
                created_at=_at(ago, 23),
            )
        )
    session.flush()
    for n, (ago, done, back) in enumerate(rewards):
        session.add(
            Reward(
                id=f"rwd_{n}",
                campaign_id="camp_a",
                tier_id="tier_a",
                customer_id="holder_0",
                type="credits",
                amount=100,
                status="completed",
                details={},
                created_at=_at(ago, 0),
                completed_at=_at(_later(ago, done), 1) if _later(ago, done) is not None else None,
                rolled_back_at=_at(_later(ago, back), 2) if _later(ago, back) is not None else None,
            )
        )
    _orders(session, orders, referrals)


def _orders(session, orders, referrals) -> None:
    """Orders of a live referee (or of a stranger when there is none); a converting one carries a live redemption."""
    live = [n for n, (_, still) in enumerate(referrals) if still]
    for n, (ago, amount, refunded, converting) in enumerate(orders):
        customer = f"ref_{live[n % len(live)]}" if live else None
        if customer is None:
            session.add(_customer(f"stranger_{n}"))
            session.flush()
            customer = f"stranger_{n}"
        counted = max(amount - refunded, 0) if refunded < amount else None
        session.add(
            Order(
                id=f"ord_{n}",
                source="native",
                external_id=f"o{n}",
                customer_id=customer,
                amount=amount,
                currency="USD",
                paid_at=_at(ago, 6),
                refunded_amount=refunded,
                counted_amount=counted,
                status="paid",
                facts={},
            )
        )
        if converting and live:
            session.flush()
            session.add(_redemption(f"red_o{n}", "camp_a", "succeeded", _at(ago, 6), order_id=f"ord_{n}"))
    session.flush()


def _customer(customer_id: str) -> Customer:
    return Customer(id=customer_id, name=customer_id, orders_amounts={})


def _campaign(campaign_id: str) -> Campaign:
    return Campaign(id=campaign_id, name=campaign_id, code_config={}, notifications={}, templates={}, currency="USD")


def _redemption(
    redemption_id: str, campaign_id: str, status: str, at: datetime, *, counted: bool = True, order_id=None
) -> Redemption:
    """A redemption; `counted` False marks the ones behind the referrals (kept out of the recount by day 1000)."""
    return Redemption(
        id=redemption_id,
        dedupe_key=redemption_id,
        campaign_id=campaign_id,
        code="C0",
        order_id=order_id,
        result="success" if status != "failed" else "failure",
        status=status,
        created_at=at if counted and order_id is None else _at(1000),
    )


# --- the API and the pipeline ----------------------------------------------------------------------------------------


def test_a_referral_order_shows_in_every_figure(client, runtime, worker):
    campaign = create_campaign(client, currency="USD")
    add_tier(client, campaign["id"])
    code = invite(client, campaign["id"], "ann@example.com")["code"]
    paid_order(client, runtime, code, order_id="o-1", email="bob@example.com", amount=12900)
    response = client.get(f"/api/v1/campaigns/{campaign['id']}/analytics")
    assert response.status_code == 200, response.text
    body = response.json()
    totals = body["totals"]
    assert (totals["referees"], totals["redemptions_succeeded"], totals["rewards_created"]) == (1, 1, 1)
    assert (totals["referral_revenue"], totals["attributed_revenue"], body["currency"]) == (12900, 12900, "USD")
    assert totals["activation"] == {"value": 1.0, "activated": 1, "invited": 1, "reason": None}
    assert totals["k_factor"]["value"] is None and "no referrer held a code" in totals["k_factor"]["reason"]
    assert body["series"][-1]["date"] == datetime.now(UTC).date().isoformat()
    assert body["series"][-1]["referees"] == 1 and len(body["series"]) == 30
    assert "visits" in body["not_counted"] and "visits" not in totals


def test_weeks_and_an_explicit_window(client):
    campaign = create_campaign(client)
    response = client.get(
        f"/api/v1/campaigns/{campaign['id']}/analytics",
        params={"start_date": "2026-01-01", "end_date": "2026-01-31", "interval": "week"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["window"] == {"start_date": "2026-01-01", "end_date": "2026-01-31", "interval": "week"}
    assert [point["date"] for point in body["series"]][:2] == ["2025-12-29", "2026-01-05"]
    assert all(point["referees"] == 0 for point in body["series"])


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-02-01", "end_date": "2026-01-01"},
        {"start_date": "2024-01-01", "end_date": "2026-01-01"},
        {"interval": "month"},
        {"start_date": "yesterday"},
    ],
)
def test_bad_windows_are_422(client, params):
    campaign = create_campaign(client)
    response = client.get(f"/api/v1/campaigns/{campaign['id']}/analytics", params=params)
    assert response.status_code == 422, response.text


def test_unknown_campaign_is_404_and_a_token_is_needed(client, runtime):
    assert client.get("/api/v1/campaigns/camp_nope/analytics").status_code == 404
    campaign = create_campaign(client)
    anonymous = client.get(f"/api/v1/campaigns/{campaign['id']}/analytics", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_the_openapi_description_defines_every_figure(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/campaigns/{campaign_id}/analytics"]["get"]
    for name in analytics.DEFINITIONS:
        assert f"**{name}**" in operation["description"]


# --- the CLI ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def run_cli(runtime, database_url, tmp_path, monkeypatch):
    """`referrals campaigns …` against the test database, configured through the environment as in production."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFERRALS_DATABASE_URL", database_url)
    monkeypatch.delenv("REFERRALS_REDIS_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return lambda *args: CliRunner().invoke(app, [str(arg) for arg in args])


def test_the_cli_prints_the_figures(run_cli, client):
    campaign = create_campaign(client)
    shown = run_cli("campaigns", "analytics", campaign["id"], "--start", "2026-01-01", "--end", "2026-01-14")
    assert shown.exit_code == 0, shown.output
    assert "k_factor" in shown.stdout and "no referrer held a code" in shown.stdout
    assert "2026-01-14" in shown.stdout and "Per day, newest first" in shown.stdout
    as_json = run_cli("campaigns", "analytics", campaign["id"], "--interval", "week", "--output", "json")
    assert as_json.exit_code == 0 and '"interval": "week"' in as_json.stdout


def test_the_cli_refuses_a_bad_window_and_an_unknown_campaign(run_cli, client):
    campaign = create_campaign(client)
    backwards = run_cli("campaigns", "analytics", campaign["id"], "--start", "2026-02-01", "--end", "2026-01-01")
    assert backwards.exit_code == 1 and "before start_date" in backwards.output
    assert run_cli("campaigns", "analytics", "camp_nope").exit_code == 1
