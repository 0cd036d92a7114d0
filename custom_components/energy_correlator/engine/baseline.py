"""Whole-home aggregates from the main meter: energy, cost, rolling peak, standby baseline.

The main meter's readings are fed in time order (sample-and-hold: a reading's value holds until
the next one, a gap holds nothing). Integration splits at local midnight and at the night
window's edges, so the daily energy resets exactly at local midnight (DST included) and each
night's standby is a time-weighted low percentile of 01:00-05:00 local power.

A net meter goes below zero while the home exports (solar): energy, cost and peak count
import only, export is kept apart, so none of them ever decreases (a negative price adds
nothing either: the cost is what the home paid for, never a credit).
"""

from collections import deque
from datetime import datetime, time, timedelta
import math
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .stats import percentile

NIGHTS_KEPT = 14
PEAK_BUCKETS = 96
MIN_NIGHT_COVERAGE = 0.5  # share of the night the meter must have covered


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone, or a ValueError that names the bad value."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}") from err


class Baseline:
    """Accumulates whole-home energy, cost, peak and per-night standby."""

    def __init__(
        self,
        timezone: str = "UTC",
        night_start_hour: int = 1,
        night_end_hour: int = 5,
        standby_percentile: float = 10.0,
        peak_window_s: float = 86_400.0,
    ) -> None:
        """Validate the tunables; nothing is integrated before the first reading."""
        if not (0 <= night_start_hour <= 23 and 0 <= night_end_hour <= 23):
            raise ValueError("night hours must be within 0..23")
        if night_start_hour == night_end_hour:
            raise ValueError("the night window must not be empty")
        if peak_window_s <= 0:
            raise ValueError("peak_window_s must be positive")
        self._zone = load_zone(timezone)
        self._night_hours = (night_start_hour, night_end_hour)
        self._percentile = standby_percentile
        self._peak_window_s = peak_window_s
        self._peak_bucket_s = peak_window_s / PEAK_BUCKETS
        self.price: float | None = None
        self._pos_ts: float | None = None
        self._pos_w = math.nan
        self._reset_accumulators()

    def _reset_accumulators(self) -> None:
        self.energy_total_kwh = 0.0
        self.energy_today_kwh = 0.0
        self.export_total_kwh = 0.0
        self.export_today_kwh = 0.0
        self.cost_month = 0.0
        self._day_key = ""
        self._month_key = ""
        self._day_end = math.inf
        self._night_start = math.inf
        self._night_end = math.inf
        self._edge = math.inf  # the earliest of the three: where integration must split
        self._in_night = False
        self._night: dict[int, float] = {}
        self.nights: deque[tuple[str, float]] = deque(maxlen=NIGHTS_KEPT)
        self._peaks: deque[tuple[int, float]] = deque()
        self._peak_index = -1
        self._peak_max = -math.inf

    def reset(self) -> None:
        """Zero every accumulator (reset_statistics); the next reading starts afresh."""
        self._reset_accumulators()
        self._pos_ts = None
        self._pos_w = math.nan

    # --- feeding -------------------------------------------------------------------------
    def consume(self, ts_list: list[float], w_list: list[float], start: int, end: int) -> None:
        """Readings [start, end) of the main meter, in time order (a series consumer)."""
        bucket_s = self._peak_bucket_s
        for index in range(start, end):
            ts = ts_list[index]
            self.advance_to(ts)
            watts = w_list[index]
            self._pos_w = watts
            if watts == watts:  # noqa: PLR0124 - not NaN, the fast way
                bucket = int(ts // bucket_s)
                if bucket != self._peak_index:
                    self._roll_peak(bucket)
                self._peak_max = max(self._peak_max, watts if watts > 0.0 else 0.0)

    def advance_to(self, ts: float) -> None:
        """Integrate the held value up to `ts`, crossing local midnight / night edges."""
        position = self._pos_ts
        if position is None:
            self._start(ts)
            return
        if ts <= position:
            return
        watts = self._pos_w
        while ts >= self._edge:
            edge = self._edge
            self._integrate(position, edge, watts)
            position = edge
            self._cross(edge)
        self._integrate(position, ts, watts)
        self._pos_ts = ts

    def _integrate(self, start: float, end: float, watts: float) -> None:
        if math.isnan(watts) or end <= start:
            return
        kwh = watts * (end - start) / 3_600_000.0
        if not math.isfinite(kwh):  # never reached through the plausibility gate; kept a guard
            return
        if kwh < 0.0:
            self.export_total_kwh -= kwh
            self.export_today_kwh -= kwh
        else:
            self.energy_total_kwh += kwh
            self.energy_today_kwh += kwh
            if (
                self.price is not None
                and self.price > 0.0
                and math.isfinite(cost := kwh * self.price)
            ):
                self.cost_month += cost
        if self._in_night:
            key = round(watts)
            self._night[key] = self._night.get(key, 0.0) + (end - start)

    # --- local calendar ------------------------------------------------------------------
    def _next_at_hour(self, local: datetime, hour: int) -> float:
        candidate = datetime.combine(local.date(), time(hour), tzinfo=self._zone)
        if candidate.timestamp() <= local.timestamp():
            candidate = datetime.combine(local.date() + timedelta(days=1), time(hour), self._zone)
        return candidate.timestamp()

    def _plan(self, ts: float) -> datetime:
        """Recompute the next midnight and night edges after `ts`."""
        local = datetime.fromtimestamp(ts, self._zone)
        next_day = datetime.combine(local.date() + timedelta(days=1), time(0), self._zone)
        # A non-existent local time (DST) could land at or before `ts`: never plan backwards.
        self._day_end = max(next_day.timestamp(), ts + 1.0)
        self._night_start = max(self._next_at_hour(local, self._night_hours[0]), ts + 1.0)
        self._night_end = max(self._next_at_hour(local, self._night_hours[1]), ts + 1.0)
        self._edge = min(self._day_end, self._night_start, self._night_end)
        return local

    def _start(self, ts: float) -> None:
        """First reading (or first after a restore): keep today's totals only if still today."""
        local = self._plan(ts)
        day_key = local.date().isoformat()
        month_key = day_key[:7]
        if day_key != self._day_key:
            self.energy_today_kwh = 0.0
            self.export_today_kwh = 0.0
        if month_key != self._month_key:
            self.cost_month = 0.0
        self._day_key, self._month_key = day_key, month_key
        self._in_night = self._night_end < self._night_start
        self._night = {}
        self._pos_ts = ts

    def _cross(self, edge: float) -> None:
        was_night = self._in_night
        local = self._plan(edge)
        self._in_night = self._night_end < self._night_start
        if was_night and not self._in_night:
            self._finish_night(edge)
        elif self._in_night and not was_night:
            self._night = {}
        day_key = local.date().isoformat()
        if day_key != self._day_key:
            self.energy_today_kwh = 0.0
            self.export_today_kwh = 0.0
            if day_key[:7] != self._month_key:
                self.cost_month = 0.0
            self._day_key, self._month_key = day_key, day_key[:7]

    def _finish_night(self, edge: float) -> None:
        covered = sum(self._night.values())
        start_hour, end_hour = self._night_hours
        length_s = ((end_hour - start_hour) % 24) * 3600.0
        if self._night and covered >= MIN_NIGHT_COVERAGE * length_s:
            value = percentile(list(self._night.items()), self._percentile)
            key = datetime.fromtimestamp(edge, self._zone).date().isoformat()
            self.nights.append((key, float(value)))
        self._night = {}

    # --- peak ----------------------------------------------------------------------------
    def _roll_peak(self, bucket: int) -> None:
        if self._peak_index >= 0 and self._peak_max > -math.inf:
            self._peaks.append((self._peak_index, self._peak_max))
        oldest = bucket - PEAK_BUCKETS
        while self._peaks and self._peaks[0][0] <= oldest:
            self._peaks.popleft()
        self._peak_index = bucket
        self._peak_max = -math.inf

    def peak_w(self, now: float) -> float | None:
        """Highest reading within the peak window before `now` (bucket resolution)."""
        oldest = int((now - self._peak_window_s) // self._peak_bucket_s)
        values = [value for index, value in self._peaks if index > oldest]
        if self._peak_index > oldest and self._peak_max > -math.inf:
            values.append(self._peak_max)
        return max(values) if values else None

    # --- reading -------------------------------------------------------------------------
    def energy_today(self, now: float) -> float:
        """Energy since local midnight (0 once `now` is past a midnight not yet integrated)."""
        return 0.0 if now >= self._day_end else self.energy_today_kwh

    def export_today(self, now: float) -> float:
        """Energy exported since local midnight (0 past a midnight not yet integrated)."""
        return 0.0 if now >= self._day_end else self.export_today_kwh

    @property
    def standby_w(self) -> float | None:
        """Last complete night's low percentile."""
        return self.nights[-1][1] if self.nights else None

    # --- storage -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-able accumulators (the held reading is not kept: a restart is a gap)."""
        return {
            "energy_total_kwh": self.energy_total_kwh,
            "energy_today_kwh": self.energy_today_kwh,
            "export_total_kwh": self.export_total_kwh,
            "export_today_kwh": self.export_today_kwh,
            "cost_month": self.cost_month,
            "day": self._day_key,
            "month": self._month_key,
            "nights": [list(item) for item in self.nights],
            "peaks": [list(item) for item in self._peaks]
            + ([[self._peak_index, self._peak_max]] if self._peak_max > -math.inf else []),
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        """Restore to_dict's output; missing keys keep their defaults.

        Energy and cost never decrease and never go negative, so a stored total that is not a
        finite number >= 0 is refused (ValueError): the store then keeps the other parts.
        """
        self.energy_total_kwh = _amount(data, "energy_total_kwh", self.energy_total_kwh)
        self.energy_today_kwh = _amount(data, "energy_today_kwh", self.energy_today_kwh)
        self.export_total_kwh = _amount(data, "export_total_kwh", self.export_total_kwh)
        self.export_today_kwh = _amount(data, "export_today_kwh", self.export_today_kwh)
        self.cost_month = _amount(data, "cost_month", self.cost_month)
        self._day_key = str(data.get("day", self._day_key))
        self._month_key = str(data.get("month", self._month_key))
        nights = [(str(key), float(value)) for key, value in data.get("nights", [])]
        self.nights = deque(nights[-NIGHTS_KEPT:], maxlen=NIGHTS_KEPT)
        peaks = sorted((int(index), float(value)) for index, value in data.get("peaks", []))
        self._peaks = deque(peaks[-PEAK_BUCKETS:])
        self._peak_index = -1
        self._peak_max = -math.inf
        self._pos_ts = None
        self._pos_w = math.nan


def _amount(data: dict[str, Any], key: str, default: float) -> float:
    """A stored accumulator: a finite number >= 0 (ValueError names the key otherwise)."""
    value = float(data.get(key, default))
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"baseline {key} must be a finite number >= 0, got {value!r}")
    return value
