"""Geometry for the dashboard's charts, drawn by the server as SVG (templates/charts/).

The numbers come from the domain's reports (budgets.reports, for the dashboard); this module
only turns them into coordinates, so the pages need no chart library and no JavaScript to show
them. It reads the reports' rows by shape (the protocols below) and imports no domain.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from budgetpay.formatting import format_money, format_money_short


class CategoryLine(Protocol):
    """One category's spending in a period (budgets.reports.CategoryLine)."""

    name: str
    color: str | None
    spending: Decimal


class _Totals(Protocol):
    spending: Decimal


class DayTotals(Protocol):
    """One day's totals (budgets.reports.DayTotals)."""

    day: date
    totals: _Totals


DONUT_SLICES = 6
OTHER_COLOR = "#8c959f"
UNCATEGORISED_COLOR = "#afb8c1"
# A circle whose circumference is 100, so stroke-dasharray lengths are percentages.
DONUT_RADIUS = 15.91549430918954
DONUT_GAP = 0.6


@dataclass(frozen=True)
class DonutSlice:
    name: str
    color: str
    amount: Decimal
    amount_text: str
    share: Decimal  # percent of the total, 0–100
    dash: str  # stroke-dasharray
    offset: str  # stroke-dashoffset


@dataclass(frozen=True)
class Donut:
    slices: list[DonutSlice]
    total_text: str
    radius: float = DONUT_RADIUS


def spending_donut(lines: list[CategoryLine], *, currency: str) -> Donut | None:
    """The largest categories as slices of a ring, the rest folded into "Other"; None without spending."""
    lines = [line for line in lines if line.spending > 0]
    total = sum((line.spending for line in lines), Decimal("0"))
    if not total:
        return None
    shown = lines if len(lines) <= DONUT_SLICES else lines[: DONUT_SLICES - 1]
    parts = [(line.name, line.color or UNCATEGORISED_COLOR, line.spending) for line in shown]
    if len(shown) < len(lines):
        parts.append(("Other", OTHER_COLOR, sum((line.spending for line in lines[len(shown) :]), Decimal("0"))))
    gap = DONUT_GAP if len(parts) > 1 else 0
    slices, start = [], 0.0
    for name, color, amount in parts:
        share = float(amount / total * 100)
        length = max(share - gap, 0.01)
        slices.append(
            DonutSlice(
                name=name,
                color=color,
                amount=amount,
                amount_text=format_money(amount, currency),
                share=(amount * 100 / total).quantize(Decimal("0.1")),
                dash=f"{length:.3f} {100 - length:.3f}",
                # The ring starts at 12 o'clock (25 units before 3 o'clock) and runs clockwise.
                offset=f"{25 - start:.3f}",
            )
        )
        start += share
    return Donut(slices=slices, total_text=format_money(total, currency))


@dataclass(frozen=True)
class AxisTick:
    top: float  # percent from the top of the plot
    y: float  # in the SVG's coordinates
    label: str


@dataclass(frozen=True)
class DayLabel:
    left: float  # percent from the left of the plot
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    day: date
    amount: Decimal
    amount_text: str


@dataclass(frozen=True)
class LineChart:
    """Spending per day in a 1000×200 SVG stretched to its box (strokes do not scale);
    the axis labels are SVG text in a second SVG without a viewBox laid over it, placed by
    percentage, so they are not stretched and stay readable at any width."""

    width: int
    height: int
    points: list[Point]
    polyline: str
    area: str
    ticks: list[AxisTick]
    days: list[DayLabel]
    average_y: float | None
    average_text: str
    total_text: str
    peak: Point | None


PLOT_WIDTH, PLOT_HEIGHT = 1000, 200


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (axes end on round numbers)."""
    if value <= 0:
        return Decimal("100")
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def daily_spending_line(days: list[DayTotals], *, currency: str, until: date | None = None) -> LineChart:
    """Spending per day over the period, up to `until` (today) when the period is still running."""
    shown = [day for day in days if until is None or day.day <= until]
    top_value = _nice_ceiling(max((day.totals.spending for day in shown), default=Decimal("0")))
    step = PLOT_WIDTH / max(len(days) - 1, 1)

    def y_of(amount: Decimal) -> float:
        return round(PLOT_HEIGHT * (1 - float(amount / top_value)), 1)

    points = [
        Point(
            x=round(index * step, 1),
            y=y_of(day.totals.spending),
            day=day.day,
            amount=day.totals.spending,
            amount_text=format_money(day.totals.spending, currency),
        )
        for index, day in enumerate(shown)
    ]
    polyline = " ".join(f"{point.x},{point.y}" for point in points)
    area = ""
    if len(points) > 1:
        area = (
            f"M{points[0].x},{PLOT_HEIGHT} L"
            + " L".join(f"{p.x},{p.y}" for p in points)
            + f" L{points[-1].x},{PLOT_HEIGHT} Z"
        )
    ticks = []
    for fraction in (Decimal("1"), Decimal("0.5"), Decimal("0")):
        y = y_of(top_value * fraction)
        ticks.append(
            AxisTick(top=round(y / PLOT_HEIGHT * 100, 1), y=y, label=format_money_short(top_value * fraction, currency))
        )
    label_indexes = sorted({0, len(days) - 1, *range(7, len(days) - 3, 7)})
    day_labels = [
        DayLabel(left=round(index * step / PLOT_WIDTH * 100, 1), label=f"{days[index].day.day} {days[index].day:%b}")
        for index in label_indexes
        if 0 <= index < len(days)
    ]
    total = sum((day.totals.spending for day in shown), Decimal("0"))
    average = total / len(shown) if shown else Decimal("0")
    return LineChart(
        width=PLOT_WIDTH,
        height=PLOT_HEIGHT,
        points=points,
        polyline=polyline,
        area=area,
        ticks=ticks,
        days=day_labels,
        average_y=y_of(average) if total else None,
        average_text=format_money(average, currency),
        total_text=format_money(total, currency),
        peak=max(points, key=lambda point: point.amount) if total else None,
    )
