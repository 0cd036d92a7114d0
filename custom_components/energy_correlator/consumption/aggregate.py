"""UTC hours → local calendar days and months (time zone as an argument)."""

from datetime import tzinfo

from .models import DaySeries, HourlySeries, MonthSeries, Totals


def daily(series: HourlySeries, tz: tzinfo) -> DaySeries:
    """Totals per local day (an hour belongs to the day its start falls in)."""
    raise NotImplementedError


def monthly(series: HourlySeries, tz: tzinfo) -> MonthSeries:
    """Totals per local month."""
    raise NotImplementedError


def totals(series: HourlySeries, now: float, tz: tzinfo) -> Totals:
    """Today, this month and last month at `now` (local)."""
    raise NotImplementedError
