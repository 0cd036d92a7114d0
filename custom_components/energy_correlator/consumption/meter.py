"""One utility meter: readings in, hourly/daily/monthly consumption and anomalies out.

The facade the shell talks to. It ties the reading ledger (validation, resets, replacements),
the interpolation (with the learned profile for long gaps), the calendar aggregation and the
anomaly vote together, and remembers from which hour the series changed since the last
statistics import. Time is always an argument; the time zone is given once at construction.
"""

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict
from datetime import tzinfo
import math
from typing import Any

import numpy as np

from .aggregate import daily, month_start, monthly, totals
from .anomaly import detect, weather_fit
from .interpolate import extend_estimate, recent_rate, spread
from .models import (
    DAY,
    HOUR,
    Anomaly,
    BatchResult,
    DamagedStateError,
    DaySeries,
    DayTemperatures,
    Drop,
    HourlySeries,
    MeterConfig,
    MonthSeries,
    PendingImport,
    Reading,
    ReadingResult,
    ReadingSource,
    Refusal,
    Replacement,
    ReplaceResult,
    Totals,
    WeatherFit,
)
from .profile import HourProfile
from .readings import Ledger


def _joined(head: HourlySeries, tail: HourlySeries) -> HourlySeries:
    """Two consecutive stretches of hours as one series."""
    return HourlySeries(
        head.start,
        np.concatenate([head.values, tail.values]),
        np.concatenate([head.filled, tail.filled]),
        np.concatenate([head.estimated, tail.estimated]),
        np.concatenate([head.resolved, tail.resolved]),
    )


class UtilityMeter:
    """A master meter: the chain of physical meters over their periods, as one series."""

    def __init__(self, meter_id: str, config: MeterConfig, tz: tzinfo) -> None:
        """An empty meter; `tz` decides local days/months and the profile's hours."""
        self.meter_id = meter_id
        self.config = config
        self.tz = tz
        self._ledger = Ledger(config)
        self._profile = HourProfile()
        self._replacements: list[Replacement] = []
        self._dirty_from: float | None = None
        self._version = 0
        self._series: HourlySeries | None = None
        self._series_origin = math.nan  # the first reading's time when _series was spread
        self._stale_from: float | None = None  # _series is out of date from here on
        self._estimate: tuple[float, HourlySeries] | None = None
        self._daily: tuple[float | None, DaySeries] | None = None
        self._anomalies: tuple[DayTemperatures | None, list[Anomaly]] | None = None

    def _touch(self, since: float | None) -> None:
        """Consumption from `since` on changed: caches go, the next import starts there."""
        if since is None:
            return
        self._dirty_from = since if self._dirty_from is None else min(self._dirty_from, since)
        self._version += 1
        self._stale_from = since if self._stale_from is None else min(self._stale_from, since)
        self._estimate = self._daily = self._anomalies = None

    # ------------------------------------------------------------------ readings
    def add_reading(
        self, ts: float, value: float, now: float, source: ReadingSource = ReadingSource.SENSOR
    ) -> ReadingResult:
        """Take one reading (any order) or refuse it with a reason."""
        result, since = self._ledger.add(ts, value, now, source)
        self._touch(since)
        return result

    def add_readings(
        self,
        ts: Sequence[float],
        values: Sequence[float],
        now: float,
        source: ReadingSource = ReadingSource.HISTORY,
    ) -> BatchResult:
        """Take many readings at once (history, replay); vectorised when they extend the end.
        The profile is re-learned afterwards (a history import is when it can be)."""
        result, since = self._ledger.add_many(ts, values, now, source)
        self._touch(since)
        if result.accepted:
            self.learn_profile()
        return result

    def replace(self, ts: float, old_final: float, new_first: float, now: float) -> ReplaceResult:
        """A physical meter swap at `ts`: readings after `ts` belong to the new meter.

        The implied consumption from the old meter's last reading to the new meter's first one
        is compared with the usual rate over that time; `mismatch` past `swap_tolerance` (at
        least a day's usual consumption, so short stretches are not judged on noise).
        """
        if math.isfinite(ts) and ts > now + self.config.future_tolerance:
            return ReplaceResult(False, None, Refusal.FUTURE)
        rate = self._ledger.usual_rate(bisect_left(self._ledger.ts, ts))
        prev, nxt = self._ledger.neighbours_of(ts)
        refusal = self._ledger.replace(ts, old_final, new_first)
        if refusal is not None:
            return ReplaceResult(False, None, refusal)
        implied = (old_final - prev.value if prev else 0.0) + (
            nxt.value - new_first if nxt else 0.0
        )
        expected = mismatch = None
        if prev is not None and rate is not None:
            span = (nxt.ts if nxt else ts) - prev.ts
            expected = rate * span
            allowed = self.config.swap_tolerance * max(expected, rate * DAY)
            mismatch = abs(implied - expected) > allowed
        replacement = Replacement(
            ts, old_final, new_first, implied if prev else None, expected, bool(mismatch)
        )
        self._replacements.append(replacement)
        self._replacements.sort(key=lambda r: r.ts)
        self._touch(prev.ts if prev else ts)
        return ReplaceResult(True, replacement)

    @property
    def last_reading(self) -> Reading | None:
        """The newest stored reading (a replacement's new first reading included)."""
        return self._ledger.reading(len(self._ledger) - 1) if len(self._ledger) else None

    def readings(self) -> list[Reading]:
        """All stored readings, oldest first (replacement knots are in `replacements()`)."""
        return self._ledger.readings()

    def replacements(self) -> list[Replacement]:
        """The physical meter swaps, oldest first."""
        return list(self._replacements)

    def drops(self) -> list[Drop]:
        """Unexplained drops not yet explained by a replacement (repair issues)."""
        return self._ledger.drops()

    # ------------------------------------------------------------------ consumption
    def _weights(self, start: float, hours: int) -> np.ndarray:
        return self._profile.weights(start, hours, self.tz)

    def _full(self) -> HourlySeries:
        """Every hour the readings span, cached; after a change only the hours from the
        reading before it are spread again (each interval is spread on its own)."""
        t, c = self._ledger.cumulative()
        cached, stale = self._series, self._stale_from
        origin = float(t[0]) if len(t) else math.nan
        if cached is not None and stale is None:
            return cached
        if cached is not None and stale is not None and origin == self._series_origin:
            cut = max(cached.start, math.floor(stale / HOUR) * HOUR)
            if cut - cached.start > 7 * DAY:  # worth splicing
                head = cached.between(cached.start, cut)
                tail = self._part(cut, None)
                tail = tail.between(cut, tail.end)
                if tail.start == cut or len(tail) == 0:
                    self._series = _joined(head, tail)
                    self._stale_from = None
                    return self._series
        weights = self._weights if self._profile.known else None
        self._series, _ = spread(t, c, self.config.gap_fill_after, weights)
        self._series_origin, self._stale_from = origin, None
        return self._series

    def _part(self, start: float, end: float | None) -> HourlySeries:
        """The hours from `start` (to `end`), spread from the readings around them only: each
        interval between readings is spread on its own, so this equals a slice of `_full`."""
        t, c = self._ledger.cumulative()
        lo = max(0, int(np.searchsorted(t, start, side="right")) - 3)
        hi = len(t) if end is None else int(np.searchsorted(t, end, side="left")) + 3
        weights = self._weights if self._profile.known else None
        series, _ = spread(t[lo:hi], c[lo:hi], self.config.gap_fill_after, weights)
        return series

    def hourly(
        self, start: float | None = None, end: float | None = None, now: float | None = None
    ) -> HourlySeries:
        """Consumption per UTC hour in [start, end); with `now`, the open interval after the
        last reading is extrapolated up to `now` at the recent rate (marked estimated)."""
        if (self._series is None or self._stale_from is not None) and start is not None:
            series = self._part(start, end)  # a recent range costs only its own hours
            if now is not None and len(series):
                t, c = self._ledger.cumulative()
                rate = recent_rate(t, c, self.config.max_rate_per_second)
                series = extend_estimate(series, float(t[-1]), rate, now)
            return series.between(start, series.end if end is None else end)
        series = self._full()
        if now is not None and len(series):
            if self._estimate is None or self._estimate[0] != now:
                t, c = self._ledger.cumulative()
                rate = recent_rate(t, c, self.config.max_rate_per_second)
                self._estimate = (now, extend_estimate(series, float(t[-1]), rate, now))
            series = self._estimate[1]
        if start is None and end is None:
            return series
        return series.between(
            series.start if start is None else start, series.end if end is None else end
        )

    def daily(self, now: float | None = None) -> DaySeries:
        """Local-day totals of the hourly series (cached for the last `now`)."""
        if self._daily is None or self._daily[0] != now:
            self._daily = (now, daily(self.hourly(now=now), self.tz))
        return self._daily[1]

    def monthly(self, now: float | None = None) -> MonthSeries:
        """Local-month totals of the hourly series."""
        return monthly(self.hourly(now=now), self.tz)

    def totals(self, now: float) -> Totals:
        """Today, this month and last month (local), estimate included (spreads only the
        readings of the last two months unless everything is cached anyway)."""
        since = month_start(now, self.tz, 1)
        return totals(self.hourly(start=since, now=now), now, self.tz)

    def anomalies(
        self, now: float | None = None, weather: DayTemperatures | None = None
    ) -> list[Anomaly]:
        """Unusual complete days (the vote of anomaly.detect), cached until readings or the
        weather change; `weather` (outdoor means per day) judges a heating meter's use beyond
        what the cold explains.

        Only days wholly before the last reading are judged, so `now` changes nothing (it is
        accepted for symmetry with the other views).
        """
        del now
        if self._anomalies is None or self._anomalies[0] is not weather:
            days = daily(self._full(), self.tz)
            temperature = None if weather is None else weather.on(days.days)
            self._anomalies = (weather, detect(days, self.config.anomaly, temperature))
        return list(self._anomalies[1])

    def weather_fit(self, weather: DayTemperatures | None) -> WeatherFit | None:
        """The degree-day line the anomaly vote uses with this weather (None: not used)."""
        if weather is None:
            return None
        days = daily(self._full(), self.tz)
        return weather_fit(days, weather.on(days.days))

    def learn_profile(self) -> bool:
        """Re-learn the hour-of-day x weekday profile from well-covered hours; True when it
        changed, and then hours of long gaps are due for re-import."""
        t, c = self._ledger.cumulative()
        linear, covered = spread(t, c, self.config.gap_fill_after, None)
        learned = HourProfile()
        learned.learn(linear.start, linear.values, covered, self.tz)
        if learned.same_as(self._profile):
            return False
        self._profile = learned
        gaps = np.flatnonzero(np.diff(t) > self.config.gap_fill_after)
        self._series = self._estimate = self._daily = self._anomalies = None
        if len(gaps):
            self._touch(float(t[gaps[0]]))
        return True

    # ------------------------------------------------------------------ statistics import
    def pending_import(self) -> PendingImport | None:
        """The first hour changed since the last import (None: nothing to import)."""
        if self._dirty_from is None:
            return None
        return PendingImport(math.floor(self._dirty_from / HOUR) * HOUR, self._version)

    def reimport_all(self) -> None:
        """Every hour is due for import again (the shell's computation changed since they were
        imported); the cached series is spread anew."""
        t, _ = self._ledger.cumulative()
        if len(t):
            self._series = None
            self._touch(float(t[0]))

    def mark_imported(self, version: int) -> None:
        """The import of `pending_import()` with this version is done (a later change keeps
        its hours pending)."""
        if version == self._version:
            self._dirty_from = None

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """JSON-able state for the store."""
        return {
            "meter_id": self.meter_id,
            "ledger": self._ledger.to_dict(),
            "profile": self._profile.to_dict(),
            "replacements": [asdict(r) for r in self._replacements],
            "dirty_from": self._dirty_from,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: MeterConfig, tz: tzinfo) -> UtilityMeter:
        """A meter restored from `to_dict()` (under its saved id); DamagedStateError when the
        data is damaged (the shell then starts the meter afresh and says so)."""
        meter = cls(str(data.get("meter_id", "")), config, tz)
        ledger = data.get("ledger")
        if not isinstance(ledger, dict):
            raise DamagedStateError("meter: no ledger")
        forgotten_from = meter._ledger.load(ledger)
        meter._profile = HourProfile.from_dict(data.get("profile") or {})
        try:
            meter._replacements = [Replacement(**r) for r in data.get("replacements") or []]
            dirty = data.get("dirty_from")
            meter._dirty_from = float(dirty) if dirty is not None else None
        except (TypeError, ValueError) as err:
            raise DamagedStateError(f"meter: damaged ({err})") from err
        meter._touch(forgotten_from)  # the hours around a forgotten absurd value are imported again
        return meter
