"""The dashboard's server-drawn charts and how amounts read on the pages."""

from datetime import date, timedelta
from decimal import Decimal

from budgetpay.charts import DONUT_SLICES, daily_spending_line, spending_donut
from budgetpay.formatting import format_money, format_money_short
from budgets.reports import CategoryLine, DayTotals, Totals


def line(name: str, spending: str, color: str | None = "#1f883d") -> CategoryLine:
    return CategoryLine(category_id=1, name=name, color=color, spending=Decimal(spending), share=None)


def test_amounts_read_with_symbol_grouping_and_a_true_minus():
    assert format_money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert format_money(Decimal("-12"), "EUR") == "−€12.00"
    assert format_money(Decimal("7"), "CHF") == "CHF\u00a07.00"  # CLDR English: the code first, spaced
    assert format_money(Decimal("40"), "GBP", signed=True) == "+£40.00"
    assert format_money(None, "USD") == "$0.00"
    assert format_money_short(Decimal("1250"), "USD") == "$1.3k"
    assert format_money_short(Decimal("250"), "INR") == "₹250"
    assert format_money_short(Decimal("40000"), "CHF") == "40k\u00a0CHF"  # no symbol in CLDR English
    assert format_money_short(Decimal("2500000"), "CAD") == "CA$2.5M"


def test_the_donut_shows_the_biggest_categories_and_folds_the_rest_into_other():
    lines = [line(f"Cat {n}", str(100 - n)) for n in range(DONUT_SLICES + 2)] + [line("Nothing", "0")]
    donut = spending_donut(lines, currency="USD")
    names = [piece.name for piece in donut.slices]
    assert names == [f"Cat {n}" for n in range(DONUT_SLICES - 1)] + ["Other"]
    assert donut.slices[-1].amount == Decimal("95") + Decimal("94") + Decimal("93")
    assert donut.total_text == "$772.00"
    assert sum(piece.share for piece in donut.slices) == Decimal("100.0")
    # Slices start at 12 o'clock and follow one another round the ring.
    assert donut.slices[0].offset == "25.000"
    first_length = float(donut.slices[0].dash.split()[0])
    assert first_length < float(donut.slices[0].share)  # a small gap between slices


def test_no_spending_draws_no_donut_and_uncategorised_is_grey():
    assert spending_donut([line("Food", "0")], currency="USD") is None
    donut = spending_donut([line("Uncategorised", "5", color=None)], currency="USD")
    assert donut.slices[0].color == "#afb8c1"
    assert donut.slices[0].dash == "100.000 0.000"


def test_the_daily_line_stops_today_and_ends_its_axis_on_a_round_number():
    start = date(2026, 11, 1)
    days = [DayTotals(start + timedelta(days=n), Totals(spending=Decimal(0))) for n in range(30)]
    days[0] = DayTotals(start, Totals(spending=Decimal("180")))
    days[9] = DayTotals(start + timedelta(days=9), Totals(spending=Decimal("60")))
    chart = daily_spending_line(days, currency="USD", until=date(2026, 11, 10))

    assert len(chart.points) == 10
    assert [tick.label for tick in chart.ticks] == ["$200", "$100", "$0"]
    assert chart.points[0].y == 20.0  # 180 of 200, in a 200-high plot
    assert chart.points[1].y == 200.0
    assert chart.points[-1].x == round(9 * 1000 / 29, 1)
    assert chart.peak.day == start and chart.peak.amount_text == "$180.00"
    assert chart.total_text == "$240.00" and chart.average_text == "$24.00"
    assert [label.label for label in chart.days] == ["1 Nov", "8 Nov", "15 Nov", "22 Nov", "30 Nov"]
    assert chart.area.startswith("M0.0,200 L0.0,20.0")


def test_an_empty_month_still_draws_a_flat_line_without_an_average():
    start = date(2026, 2, 1)
    days = [DayTotals(start + timedelta(days=n), Totals()) for n in range(28)]
    chart = daily_spending_line(days, currency="EUR")
    assert len(chart.points) == 28
    assert chart.average_y is None and chart.peak is None
    assert {point.y for point in chart.points} == {200.0}
