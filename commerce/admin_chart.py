"""The dashboard's revenue-and-orders-by-day chart, drawn on the server as SVG: no chart library, no script, nothing
fetched from elsewhere; a screen reader gets its title and description, and the template a table of the same days.

Revenue is a bar per day against the left scale, orders a line against the right one; both scales start at 0 and
end at a round number above the highest day.
"""
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 40, 12, 28  # room for the scales' labels
TICKS = 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the tooltip: the day and its figures


@dataclass(frozen=True)
class Tick:
    y: float
    revenue: str
    orders: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int  # the x of the plot's right edge
    bottom: int  # the y of the plot's baseline
    bars: list[Bar]
    orders_points: str  # the polyline's "x,y x,y ..."
    ticks: list[Tick]
    day_labels: list[tuple[float, str]]  # (x, "Dec 6") every few days
    description: str


def _ceiling(value: float) -> float:
    """A round number at or above `value` (1, 2, 2.5 or 5 times a power of ten), so the scale's ticks are round."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def sales_chart(days, currency: str) -> Chart:
    """`days` are reports.DaySales, oldest first."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    most_revenue = _ceiling(float(max((d.revenue for d in days), default=Decimal(0))))
    most_orders = _ceiling(max((d.orders for d in days), default=0))
    slot = plot_width / max(len(days), 1)
    bars, points, labels = [], [], []
    for i, day in enumerate(days):
        x = LEFT + i * slot
        height = max(float(day.revenue), 0) / most_revenue * plot_height
        bars.append(Bar(x=round(x + slot * 0.15, 1), y=round(baseline - height, 1), width=round(slot * 0.7, 1),
                        height=round(height, 1),
                        label=f"{day.day:%b %-d}: {day.revenue} {currency}, {day.orders} orders"))
        points.append(f"{x + slot / 2:.1f},{baseline - day.orders / most_orders * plot_height:.1f}")
        if i % 5 == (len(days) - 1) % 5:  # today always labelled, then every fifth day back
            labels.append((round(x + slot / 2, 1), f"{day.day:%b %-d}"))
    ticks = [Tick(y=round(baseline - plot_height * n / TICKS, 1), revenue=f"{most_revenue * n / TICKS:g}",
                  orders=f"{most_orders * n / TICKS:g}") for n in range(TICKS + 1)]
    total = sum((d.revenue for d in days), Decimal(0))
    description = (f"{len(days)} days from {days[0].day:%b %-d} to {days[-1].day:%b %-d}: revenue {total} {currency} "
                   f"and {sum(d.orders for d in days)} orders in all; the table below lists each day.") if days else ""
    return Chart(width=WIDTH, height=HEIGHT, left=LEFT, right=WIDTH - RIGHT, bottom=baseline, bars=bars,
                 orders_points=" ".join(points), ticks=ticks, day_labels=labels, description=description)
