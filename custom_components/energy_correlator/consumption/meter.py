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

from .aggregate import daily, monthly, totals
from .anomaly import detect
from .interpolate import extend_estimate, recent_rate, spread
from .models import (
    DAY,
    HOUR,
    Anomaly,
    BatchResult,
    DaySeries,
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
)
from .profile import HourProfile
from .readings import Ledger


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
        self._estimate: tuple[float, HourlySeries] | None = None

    def _touch(self, since: float | None) -> None:
        """Consumption from `since` on changed: caches go, the next import starts there."""
        if since is None:
            return
        self._dirty_from = since if self._dirty_from is None else min(self._dirty_from, since)
        self._version += 1
        self._series = None
        self._estimate = None

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
        """Every hour the readings span (cached until something changes)."""
        if self._series is None:
            t, c = self._ledger.cumulative()
            weights = self._weights if self._profile.known else None
            self._series, _ = spread(t, c, self.config.gap_fill_after, weights)
        return self._series

    def hourly(
        self, start: float | None = None, end: float | None = None, now: float | None = None
    ) -> HourlySeries:
        """Consumption per UTC hour in [start, end); with `now`, the open interval after the
        last reading is extrapolated up to `now` at the recent rate (marked estimated)."""
        series = self._full()
        if now is not None and len(series):
            if self._estimate is None or self._estimate[0] != now:
                t, c = self._ledger.cumulative()
                rate = recent_rate(t, c)
                self._estimate = (now, extend_estimate(series, float(t[-1]), rate, now))
            series = self._estimate[1]
        if start is None and end is None:
            return series
        return series.between(
            series.start if start is None else start, series.end if end is None else end
        )

    def daily(self, now: float | None = None) -> DaySeries:
        """Local-day totals of the hourly series."""
        return daily(self.hourly(now=now), self.tz)

    def monthly(self, now: float | None = None) -> MonthSeries:
        """Local-month totals of the hourly series."""
        return monthly(self.hourly(now=now), self.tz)

    def totals(self, now: float) -> Totals:
        """Today, this month and last month (local), estimate included."""
        return totals(self.hourly(now=now), now, self.tz)

    def anomalies(self, now: float | None = None) -> list[Anomaly]:
        """Unusual complete days (the vote of anomaly.detect)."""
        return detect(self.daily(now), self.config.anomaly)

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
        self._series = self._estimate = None
        if len(gaps):
            self._touch(float(t[gaps[0]]))
        return True

    # ------------------------------------------------------------------ statistics import
    def pending_import(self) -> PendingImport | None:
        """The first hour changed since the last import (None: nothing to import)."""
        if self._dirty_from is None:
            return None
        return PendingImport(math.floor(self._dirty_from / HOUR) * HOUR, self._version)

    def mark_imported(self, version: int) -> None:
        """The import of `pending_import()` with this version is done (a later change keeps
        its hours pending)."""
        if version == self._version:
            self._dirty_from = None

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """JSON-able state for the store."""
        return {
            "ledger": self._ledger.to_dict(),
            "profile": self._profile.to_dict(),
            "replacements": [asdict(r) for r in self._replacements],
            "dirty_from": self._dirty_from,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: MeterConfig, tz: tzinfo) -> UtilityMeter:
        """A meter restored from `to_dict()` (under its saved id)."""
        meter = cls(str(data.get("meter_id", "")), config, tz)
        meter._ledger.load(data["ledger"])
        meter._profile = HourProfile.from_dict(data.get("profile", {}))
        meter._replacements = [Replacement(**r) for r in data.get("replacements", [])]
        dirty = data.get("dirty_from")
        meter._dirty_from = float(dirty) if dirty is not None else None
        return meter
