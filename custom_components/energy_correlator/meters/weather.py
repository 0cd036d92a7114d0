"""A heating meter's outdoor temperature: one mean per local day, for the anomaly vote.

Past days come from the recorder's long-term statistics (their daily "mean", converted to °C
by the recorder, read in its executor); new days from the sensor's states as they arrive, a
time-weighted mean of the held values (a sensor reports only changes). An unknown, unavailable
or non-numeric state only ends the hold: no time counts until a number is back, so a day keeps
the mean of its known hours, and a day with too few known hours has none (the vote then judges
that day without the weather, as before). Nothing is ever taken as 0 °C.
"""

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import TemperatureConverter
import numpy as np

from ..consumption import HOUR, DayTemperatures
from ..units import CELSIUS

MIN_KNOWN = 6 * HOUR  # a live day's mean needs this much time with a known temperature
KEEP_DAYS = 5 * 366  # like the core's horizon of readings


def _next_midnight(ts: float, tz: tzinfo) -> float:
    day = datetime.fromtimestamp(ts, tz).date() + timedelta(days=1)
    return datetime.combine(day, time(), tz).timestamp()


class DailyTemperatures:
    """The outdoor mean of each local day of one temperature sensor."""

    def __init__(self, entity_id: str, stored: dict[str, Any] | None = None) -> None:
        """Start with the stored days when they are of this sensor."""
        self.entity_id = entity_id
        self.days: dict[date, float] = {}
        if stored and stored.get("entity_id") == entity_id:
            for day, value in (stored.get("days") or {}).items():
                try:
                    self.days[date.fromisoformat(day)] = float(value)
                except TypeError, ValueError:
                    continue
        self.unknown_states = 0  # states that were no temperature (a gap, never 0 °C)
        self.from_statistics = 0
        self._held: tuple[float, float | None] | None = None  # since when, which value
        self._sum = 0.0  # °C x seconds of the current day
        self._known = 0.0  # seconds of the current day with a known value
        self._record: DayTemperatures | None = None

    def add(self, ts: float, celsius: float | None, tz: tzinfo) -> bool:
        """A state at `ts` (None: not a temperature); True when a day was completed."""
        if celsius is None:
            self.unknown_states += 1
        done = self.advance(ts, tz)
        self._held = (ts, celsius)
        return done

    def advance(self, now: float, tz: tzinfo) -> bool:
        """Count the held value up to `now`, closing the days that ended; True when one did."""
        if self._held is None or now <= self._held[0]:
            return False
        since, value = self._held
        done = False
        while since < now:
            midnight = _next_midnight(since, tz)
            until = min(now, midnight)
            if value is not None:
                self._sum += value * (until - since)
                self._known += until - since
            if until == midnight:
                done |= self._close(datetime.fromtimestamp(since, tz).date())
            since = until
        self._held = (now, value)
        return done

    def _close(self, day: date) -> bool:
        known, total = self._known, self._sum
        self._known = self._sum = 0.0
        if known < MIN_KNOWN:
            return False
        self._set(day, total / known)
        return True

    def _set(self, day: date, celsius: float) -> None:
        self.days[day] = celsius
        self._record = None
        if len(self.days) > KEEP_DAYS:
            for old in sorted(self.days)[: len(self.days) - KEEP_DAYS]:
                del self.days[old]

    def merge(self, means: dict[date, float]) -> None:
        """Days from the recorder's statistics: complete days, so they win over live ones."""
        for day, celsius in means.items():
            self._set(day, celsius)
        self.from_statistics += len(means)

    def record(self) -> DayTemperatures:
        """The days for the core (the same object until a day changes: the core caches on it)."""
        if self._record is None:
            ordered = sorted(self.days)
            self._record = DayTemperatures(
                np.array(ordered, "datetime64[D]"), np.array([self.days[d] for d in ordered])
            )
        return self._record

    def to_dict(self) -> dict[str, Any]:
        """JSON-able days for the store."""
        return {
            "entity_id": self.entity_id,
            "days": {day.isoformat(): value for day, value in sorted(self.days.items())},
        }


async def async_read_daily_means(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime, tz: tzinfo
) -> dict[date, float]:
    """The sensor's daily mean in °C from long-term statistics, complete days before `end`."""
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        end,
        {entity_id},
        "day",
        {TemperatureConverter.UNIT_CLASS: CELSIUS},
        {"mean"},
    )
    today = end.astimezone(tz).date()
    means: dict[date, float] = {}
    for row in stats.get(entity_id, []):
        day = datetime.fromtimestamp(float(row["start"]), tz).date()
        if (mean := row.get("mean")) is not None and day < today:
            means[day] = float(mean)
    return means
