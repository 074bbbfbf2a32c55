"""The overview's program figures, its window chooser and its chart (api/dashboard/chart.py), signed in."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, date, datetime, timedelta

import pytest

from api.dashboard.campaigns import chosen_window, money
from api.dashboard.chart import LINES, line_chart, nice_ticks
from api.dashboard.figures import RecentFigures
from tests.api.helpers import add_tier, create_campaign, invite, paid_order

SVG = "{http://www.w3.org/2000/svg}"


def _point(day: date, referees: int = 0, redemptions: int = 0, rewards: int = 0) -> dict:
    return {
        "date": day.isoformat(),
        "referees": referees,
        "redemptions_succeeded": redemptions,
        "rewards_created": rewards,
    }


def _svg(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def _figure(page: str, label: str) -> str:
    """The <div> of one figure on the page: its value and its footnote."""
    start = page.index(f"<dt>{label}</dt>")
    return page[start : page.index("</div>", start)]


def _numbers_table(page: str) -> str:
    """The chart's numbers under it (a <details> of its own)."""
    start = page.index("The chart's numbers as a table")
    return page[start : page.index("</details>", start)]


# --- the chart --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 7, 30, 90])
def test_the_chart_parses_and_labels_its_axes(days):
    series = [_point(date(2026, 1, 1) + timedelta(days=n), n, 2 * n, n % 3) for n in range(days)]
    svg = _svg(line_chart(series, title="Per day", chart_id="c"))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.get("viewBox") == "0 0 640 280" and svg.get("width") == "100%"
    assert svg.find(f"{SVG}title").text == "Per day" and "table below" in svg.find(f"{SVG}desc").text
    y_axis = next(group for group in svg.iter(f"{SVG}g") if group.get("class") == "y-axis")
    ticks = [int(text.text.replace(",", "")) for text in y_axis.findall(f"{SVG}text")]
    assert ticks == sorted(ticks) and ticks[0] == 0 and ticks[-1] >= 2 * (days - 1)
    x_axis = next(group for group in svg.iter(f"{SVG}g") if group.get("class") == "x-axis")
    assert 1 <= len(x_axis.findall(f"{SVG}text")) - 1 <= 8  # dates (at most 8) and the axis name
    assert len(svg.findall(f".//{SVG}polyline")) == 3
    legend = next(group for group in svg.iter(f"{SVG}g") if group.get("class") == "legend")
    assert [text.text for text in legend.findall(f"{SVG}text")] == [line.label for line in LINES]


def test_an_empty_series_says_so():
    svg = _svg(line_chart([], title="Nothing"))
    assert "No days in this window yet" in ElementTree.tostring(svg, encoding="unicode")
    assert not svg.findall(f".//{SVG}polyline")


def test_the_chart_escapes_its_texts():
    svg = str(line_chart([_point(date(2026, 1, 1), 1)], title="<script>alert(1)</script> & co"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    _svg(svg)  # still well-formed XML


@pytest.mark.parametrize(
    ("top", "expected"),
    [(0, [0, 1]), (1, [0, 1]), (4, [0, 1, 2, 3, 4]), (7, [0, 2, 4, 6, 8]), (100, [0, 20, 40, 60, 80, 100])],
)
def test_ticks_are_round_and_cover_the_top(top, expected):
    assert nice_ticks(top) == expected


@pytest.mark.parametrize("top", [3, 13, 999, 28_740, 1_000_001])
def test_ticks_are_few_evenly_spaced_and_reach_the_top(top):
    ticks = nice_ticks(top)
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert ticks[0] == 0 and ticks[-1] >= top and len(steps) == 1 and 2 <= len(ticks) <= 11
    assert str(steps.pop()).strip("0") in ("1", "2", "5")


# --- the window chooser -----------------------------------------------------------------------------------------------


def test_the_window_is_chosen_by_days_or_dates():
    today = datetime.now(UTC).date()
    assert chosen_window(None, None, None, "day")[0].first == today - timedelta(days=29)
    assert chosen_window("7", None, None, "week")[0].first == today - timedelta(days=6)
    assert chosen_window("7", None, None, "week")[0].interval == "week"
    span, error = chosen_window(None, "2026-01-01", "2026-01-10", "day")
    assert (span.first, span.last, error) == (date(2026, 1, 1), date(2026, 1, 10), None)


@pytest.mark.parametrize(
    ("days", "start", "end", "message"),
    [
        ("45", None, None, "one of 7, 30, 90"),
        (None, "2026-02-01", "2026-01-01", "before start_date"),
        (None, "01/02/2026", None, "YYYY-MM-DD"),
        (None, "2020-01-01", "2026-01-01", "at most 366 days"),
    ],
)
def test_a_bad_window_falls_back_to_30_days_and_says_why(days, start, end, message):
    span, error = chosen_window(days, start, end, "day")
    assert span.days == 30 and message in error


def test_money_reads_as_major_units():
    assert (money(129000, "USD"), money(1234, "JPY"), money(5, "KWD")) == ("1,290.00 USD", "1,234 JPY", "0.005 KWD")


# --- the overview page ------------------------------------------------------------------------------------------------


def test_the_overview_shows_the_program_figures_and_the_chart(signed_in, client, runtime, worker):
    campaign = create_campaign(client, name="Figures", currency="USD")
    add_tier(client, campaign["id"])
    code = invite(client, campaign["id"], "ann@example.com")["code"]
    paid_order(client, runtime, code, order_id="o-1", email="ben@example.com", amount=12900)
    page = signed_in.get(f"/campaigns/{campaign['id']}").text
    assert "Customers joined" in page  # the existing figures stay
    assert "12,900" not in page and "129.00 USD" in _figure(page, "Referral revenue")
    assert "129.00 USD" in _figure(page, "Attributed revenue")
    assert "100%" in _figure(page, "Activation") and "1 of the 1 referrers" in _figure(page, "Activation")
    k_factor = _figure(page, "K-factor")
    assert "—" in k_factor and "No referrer held a code at the window" in k_factor
    assert "Not counted yet" in _figure(page, "Visits")
    for label in ("Referees", "Referral revenue", "Attributed revenue", "K-factor", "Activation"):
        assert 'class="how"' in _figure(page[page.index('id="program"') :], label)
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    assert _svg(svg).get("role") == "img"
    table = _numbers_table(page)
    today = datetime.now(UTC).date().isoformat()
    row = table[table.index(f'<time datetime="{today}">') :]
    assert re.findall(r'class="number" data-label="\w+">(\d+)</td>', row)[:3] == ["1", "1", "1"]
    assert table.count("<tr>") == 31  # the header and 30 days


def test_the_window_chooser_changes_the_window(signed_in, client):
    campaign = create_campaign(client)
    page = signed_in.get(f"/campaigns/{campaign['id']}", params={"days": "7"}).text
    assert _numbers_table(page).count('<th scope="row"') == 7
    assert 'value="7" aria-pressed="true"' in page
    page = signed_in.get(
        f"/campaigns/{campaign['id']}", params={"start": "2026-01-01", "end": "2026-01-31", "interval": "week"}
    ).text
    assert '<time datetime="2025-12-29">' in page and "Week starting" in page
    assert 'value="2026-01-01"' in page and 'value="2026-01-31"' in page


def test_a_bad_window_is_an_error_on_the_page_not_a_failure(signed_in, client):
    campaign = create_campaign(client)
    response = signed_in.get(f"/campaigns/{campaign['id']}", params={"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert 'role="alert"' in response.text and "showing the last 30 days instead" in response.text


def test_names_in_the_figures_are_escaped(signed_in, client):
    campaign = create_campaign(client, name="<script>alert(1)</script>")
    page = signed_in.get(f"/campaigns/{campaign['id']}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_an_unknown_campaign_is_404(signed_in):
    assert signed_in.get("/campaigns/camp_nope", headers={"accept": "text/html"}).status_code == 404


def test_figures_are_reused_for_a_minute_then_counted_again():
    now = [0.0]
    recent = RecentFigures(max_age_s=60, max_entries=2, clock=lambda: now[0], max_stale_s=60)
    counts = iter(range(100))

    def count():
        return {"n": next(counts)}

    assert recent.get(("a",), count)["n"] == 0
    now[0] = 59
    assert recent.get(("a",), count)["n"] == 0 and "counted_at" in recent.get(("a",), count)
    now[0] = 61
    assert recent.get(("a",), count)["n"] == 1
    recent.get(("b",), count), recent.get(("c",), count)  # the oldest entry ("a") goes
    assert recent.get(("a",), count)["n"] == 4


def test_stale_figures_are_shown_at_once_while_one_recount_runs_in_the_background():
    now, later = [0.0], []
    recent = RecentFigures(max_age_s=60, max_stale_s=900, clock=lambda: now[0], start=later.append)
    counts = iter(range(100))

    def count():
        return {"n": next(counts)}

    assert recent.get(("a",), count)["n"] == 0
    now[0] = 120
    assert recent.get(("a",), count)["n"] == 0 and recent.get(("a",), count)["n"] == 0
    assert len(later) == 1  # one recount for the key, however many views arrive meanwhile
    later.pop()()
    assert recent.get(("a",), count)["n"] == 1
    now[0] = 120 + 901  # nobody looked for longer than max_stale_s: counted before it is shown
    assert recent.get(("a",), count)["n"] == 2 and later == []


def test_a_quick_window_wins_over_the_dates_still_in_the_form(signed_in, client):
    campaign = create_campaign(client)
    params = {"days": "7", "start": "2026-01-01", "end": "2026-01-31", "interval": "day"}
    page = signed_in.get(f"/campaigns/{campaign['id']}", params=params).text
    assert _numbers_table(page).count('<th scope="row"') == 7 and 'value="7" aria-pressed="true"' in page
    assert 'value="2026-01-01"' not in page


def test_a_failed_background_recount_keeps_the_stale_figures_and_tries_again_later():
    now, later = [0.0], []
    recent = RecentFigures(max_age_s=60, max_stale_s=900, clock=lambda: now[0], start=later.append)
    assert recent.get(("a",), lambda: {"n": 0})["n"] == 0
    now[0] = 120

    def broken():
        raise RuntimeError("database gone")

    assert recent.get(("a",), broken)["n"] == 0
    later.pop()()  # logged, not raised
    assert recent.get(("a",), lambda: {"n": 1})["n"] == 0 and len(later) == 1  # a new recount was started
