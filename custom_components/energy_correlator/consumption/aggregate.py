"""UTC hours → local calendar days and months (the time zone is an argument).

An hour belongs to the local day its start falls in (as in Home Assistant's Energy dashboard).
A day is "complete" when all its hours are in the series, none is an estimate, and all lie in
reading intervals short enough to tell this day from its neighbours: only such days are judged
by the anomaly vote (a monthly reading cannot say which day was unusual).
"""

from datetime import UTC, datetime, tzinfo
import math

import numpy as np

from .localtime import local_day_numbers, local_day_start, local_hours
from .models import DAY, HOUR, DaySeries, HourlySeries, MonthSeries, Totals


def daily(series: HourlySeries, tz: tzinfo) -> DaySeries:
    """Totals per local day."""
    n = len(series)
    if n == 0:
        none = np.zeros(0, bool)
        return DaySeries(np.zeros(0, "datetime64[D]"), np.zeros(0), none, none)
    day_numbers = local_day_numbers(series.start, n, tz)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(day_numbers)) + 1])
    values = np.add.reduceat(series.values, starts)
    judged = (series.resolved & ~series.estimated).astype(np.uint8)
    complete = np.minimum.reduceat(judged, starts).astype(bool)
    estimated = np.maximum.reduceat(series.estimated.astype(np.uint8), starts).astype(bool)
    if local_hours(series.start, 1, tz)[0] % DAY:
        complete[0] = False  # the first day starts before the series
    if local_hours(series.end, 1, tz)[0] % DAY:
        complete[-1] = False  # the last day goes on after it
    return DaySeries(day_numbers[starts].astype("datetime64[D]"), values, complete, estimated)


def monthly(series: HourlySeries, tz: tzinfo) -> MonthSeries:
    """Totals per local month."""
    days = daily(series, tz)
    if len(days.values) == 0:
        return MonthSeries(np.zeros(0, "datetime64[M]"), np.zeros(0), np.zeros(0, bool))
    months = days.days.astype("datetime64[M]")
    starts = np.concatenate([[0], np.flatnonzero(months[1:] != months[:-1]) + 1])
    values = np.add.reduceat(days.values, starts)
    estimated = np.maximum.reduceat(days.estimated.astype(np.uint8), starts).astype(bool)
    return MonthSeries(months[starts], values, estimated)


def _period(series: HourlySeries, start: float, end: float) -> tuple[float | None, bool]:
    """The sum (None when no hour is known) over hours starting in [start, end), estimated?"""
    lo = max(0, math.ceil((start - series.start) / HOUR))
    hi = min(len(series), max(lo, math.ceil((end - series.start) / HOUR)))
    if hi <= lo:
        return None, False
    return float(series.values[lo:hi].sum()), bool(series.estimated[lo:hi].any())


def month_start(ts: float, tz: tzinfo, back: int = 0) -> float:
    """The UTC timestamp of the local first-of-month midnight `back` months before `ts`'s."""
    local = datetime.fromtimestamp(ts, UTC).astimezone(tz)
    year, month = local.year, local.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=tz).timestamp()


def totals(series: HourlySeries, now: float, tz: tzinfo) -> Totals:
    """Today, this month and last month at `now` (local), the hour containing `now` included."""
    today = local_day_start(now, tz)
    this_month, last_month = month_start(now, tz), month_start(now, tz, 1)
    end = math.floor(now / HOUR) * HOUR + HOUR / 2  # the hour containing now starts before this
    day_total, day_estimated = _period(series, today, end)
    month_total, month_estimated = _period(series, this_month, end)
    last_total, _ = _period(series, last_month, this_month)
    return Totals(day_total, month_total, last_total, day_estimated, month_estimated)
