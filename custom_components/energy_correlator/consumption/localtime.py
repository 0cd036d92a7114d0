"""UTC hours → local time (days, weekdays, hours) for a time zone given as an argument.

Converting a million hours one by one through `datetime` costs seconds; the UTC offset changes
only at daylight-saving transitions, so it is looked up once per day (twice, at both ends) and
hour by hour only on the days it changes. Results are cached per (zone, range): thirty meters
over the same years share one computation.
"""

from datetime import UTC, datetime, tzinfo
from functools import lru_cache

import numpy as np

from .models import DAY, HOUR


def _offset(ts: float, tz: tzinfo) -> float:
    offset = datetime.fromtimestamp(ts, UTC).astimezone(tz).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


@lru_cache(maxsize=32)
def _offsets(tz: tzinfo, start: float, hours: int) -> np.ndarray:
    if hours <= 0:
        return np.zeros(0)
    hour_ts = start + HOUR * np.arange(hours)
    first_day = int(start // DAY)
    last_day = int(hour_ts[-1] // DAY)
    offsets = np.empty(hours)
    for day in range(first_day, last_day + 1):
        lo = max(0, int(np.ceil((day * DAY - start) / HOUR)))
        hi = min(hours, int(np.ceil(((day + 1) * DAY - start) / HOUR)))
        if lo >= hi:
            continue
        a, b = _offset(hour_ts[lo], tz), _offset(hour_ts[hi - 1], tz)
        if a == b:
            offsets[lo:hi] = a
        else:
            offsets[lo:hi] = [_offset(float(x), tz) for x in hour_ts[lo:hi]]
    offsets.flags.writeable = False
    return offsets


def local_hours(start: float, hours: int, tz: tzinfo) -> np.ndarray:
    """Local wall-clock time (POSIX seconds as if local were UTC) of each UTC hour's start."""
    return start + HOUR * np.arange(hours) + _offsets(tz, float(start), int(hours))


def local_day_numbers(start: float, hours: int, tz: tzinfo) -> np.ndarray:
    """The local day (days since 1970-01-01) each UTC hour starts in."""
    return (local_hours(start, hours, tz) // DAY).astype(np.int64)


def profile_cells(start: float, hours: int, tz: tzinfo) -> np.ndarray:
    """weekday x 24 + hour of day (local; Monday = 0) of each UTC hour."""
    local = local_hours(start, hours, tz)
    day = local // DAY
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    return (weekday * 24 + (local - day * DAY) // HOUR).astype(np.int64)


def local_day_start(ts: float, tz: tzinfo) -> float:
    """The UTC timestamp of the local midnight starting the day `ts` falls in."""
    local = datetime.fromtimestamp(ts, UTC).astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
