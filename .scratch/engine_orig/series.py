"""Sample-and-hold power series of one meter, bounded by a time horizon.

An HA sensor reports only changes, so a reading holds until the next one. An unavailable
reading (None/NaN/inf) is stored as NaN: "no value from here on" (a gap), and any window that
touches a gap is not trusted. Times must increase: an earlier time is rejected (counted), a
repeated time replaces the previous reading (the later report wins).

The buffer is two plain lists trimmed in amortised chunks: appending is a couple of C calls,
which keeps the per-sample path fast enough to replay weeks of 1 Hz history in seconds.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from itertools import accumulate
import math
from operator import mul, sub

from .stats import MAD_SCALE, kth_deviation

_NAN = math.nan
_isfinite = math.isfinite
_MIN_TRIM = 256
_CADENCE_SAMPLES = 33
_CADENCE_REFRESH = 8  # re-estimate the cadence after this many readings...
_CADENCE_REFRESH_S = 60.0  # ...but not more often than this (it changes slowly)

type SampleConsumer = Callable[[list[float], list[float], int, int], None]


class WindowStats:
    """Statistics of the held power over [start, end].

    A plain slotted class built once per window on the correlation path; the time-weighted mean
    (which only callers outside that path read) is computed on first access.
    """

    __slots__ = (
        "_durations",
        "_mean",
        "_values",
        "drift",
        "end",
        "gap",
        "median",
        "spread",
        "start",
        "updates",
    )

    def __init__(
        self,
        start: float,
        end: float,
        median: float | None,  # time-weighted
        spread: float,  # robust spread: MAD * 1.4826 over the readings
        drift: float,  # mean of the second half of the readings minus mean of the first half
        updates: int,  # meter reports inside (start, end]
        gap: bool,  # part of the window had no value (unavailable, or before the first sample)
        values: list[float] | None = None,
        durations: list[float] | None = None,
    ) -> None:
        """Record the statistics; `values` and `durations` (valid part) give the mean later."""
        self.start = start
        self.end = end
        self.median = median
        self.spread = spread
        self.drift = drift
        self.updates = updates
        self.gap = gap
        self._values = values
        self._durations = durations
        self._mean: float | None = None

    @property
    def mean(self) -> float | None:
        """Time-weighted mean over the valid part (None when nothing in the window is valid)."""
        if self._mean is None and self._values and self._durations:
            total = sum(self._durations)
            self._mean = sum(map(mul, self._values, self._durations, strict=True)) / total
        return self._mean


class PowerSeries:
    """One meter's recent readings (sample-and-hold) with window statistics."""

    __slots__ = (
        "_cadence",
        "_cadence_limit",
        "_cadence_until",
        "_consumed",
        "_offset",
        "_trim_at",
        "_ts",
        "_w",
        "consumer",
        "horizon_s",
        "invalid",
        "last_ts",
        "max_samples",
        "rejected",
        "replaced",
    )

    def __init__(self, horizon_s: float = 900.0, max_samples: int = 20_000) -> None:
        """Keep at least `horizon_s` of history, never more than `max_samples` readings."""
        self.horizon_s = horizon_s
        self.max_samples = max(max_samples, 8)
        self._ts: list[float] = []
        self._w: list[float] = []
        self._offset = 0  # readings dropped from the front so far
        self._consumed = 0  # absolute index up to which `consumer` has seen the readings
        self._trim_at = _MIN_TRIM
        self._cadence: float | None = None
        self._cadence_limit = 0  # the cached cadence holds while fewer readings were taken...
        self._cadence_until = -math.inf  # ...or until the newest reading reaches this time
        self.last_ts = -math.inf
        self.rejected = 0  # out of order, or a non-finite time
        self.invalid = 0  # NaN/inf readings (kept as gaps)
        self.replaced = 0
        self.consumer: SampleConsumer | None = None

    def __len__(self) -> int:
        """Readings currently held."""
        return len(self._ts)

    @property
    def total(self) -> int:
        """Readings accepted since creation (duplicates replace and do not count)."""
        return self._offset + len(self._ts)

    def add(self, ts: float, watts: float | None) -> bool:
        """Append one reading; False when rejected (older than the last one, or bad time)."""
        if watts is None or not _isfinite(watts):
            if watts is not None:
                self.invalid += 1
            watts = _NAN
        if ts > self.last_ts:
            if not _isfinite(ts):
                self.rejected += 1
                return False
            self._ts.append(ts)
            self._w.append(watts)
            self.last_ts = ts
            if len(self._ts) > self._trim_at:
                self._trim()
            return True
        if ts == self.last_ts:
            self._w[-1] = watts
            self.replaced += 1
            return True
        self.rejected += 1
        return False

    def add_many(self, ts_seq: Iterable[float], watts_seq: Iterable[float | None]) -> int:
        """Append many readings (replay); returns how many were accepted."""
        accepted = 0
        add = self.add
        for ts, watts in zip(ts_seq, watts_seq, strict=True):
            accepted += add(ts, watts)
        return accepted

    def _trim(self) -> None:
        """Drop readings older than the horizon (keeping the one that holds at its start)."""
        ts = self._ts
        cut = bisect_right(ts, self.last_ts - self.horizon_s) - 1
        cut = max(cut, len(ts) - self.max_samples, 0)
        if cut > 0:
            if self.consumer is not None and self._consumed < self._offset + cut:
                self.feed()
            del ts[:cut]
            del self._w[:cut]
            self._offset += cut
        self._trim_at = max(_MIN_TRIM, 2 * len(ts))

    def feed(self) -> None:
        """Hand the readings the consumer has not seen yet to it (in time order)."""
        if self.consumer is None:
            return
        start = max(self._consumed - self._offset, 0)
        end = len(self._ts)
        if end > start:
            self.consumer(self._ts, self._w, start, end)
        self._consumed = self._offset + end

    @property
    def last_value(self) -> float | None:
        """The held value now; None in a gap or before any reading."""
        if not self._w:
            return None
        value = self._w[-1]
        return None if math.isnan(value) else value

    def value_at(self, ts: float) -> float | None:
        """The value held at `ts`; None in a gap or outside the kept history."""
        index = bisect_right(self._ts, ts) - 1
        if index < 0:
            return None
        value = self._w[index]
        return None if math.isnan(value) else value

    def interval_s(self) -> float | None:
        """Typical time between readings: median of the recent intervals (cached)."""
        if self._cadence is not None and (
            self.last_ts < self._cadence_until or self._offset + len(self._ts) < self._cadence_limit
        ):
            return self._cadence
        tail = self._ts[-_CADENCE_SAMPLES:]
        if len(tail) < _CADENCE_REFRESH:
            cadence = None  # too few readings to say; asked again on the next call
        else:
            diffs = sorted(map(sub, tail[1:], tail[:-1], strict=True))
            cadence = diffs[len(diffs) // 2]
        self._cadence = cadence
        self._cadence_until = self.last_ts + _CADENCE_REFRESH_S
        self._cadence_limit = self.total + _CADENCE_REFRESH
        return cadence

    def updates_between(self, start: float, end: float) -> int:
        """Readings with start < ts <= end."""
        return bisect_right(self._ts, end) - bisect_right(self._ts, start)

    def window(self, start: float, end: float) -> WindowStats:
        """Time-weighted median of the held value over [start, end], with spread and drift.

        The median weighs each value by how long it held; spread (MAD) and drift (second half
        of the readings vs the first) count readings, which is close enough for noise. One
        sort serves both the median and the MAD; the rest are C passes (map, accumulate) and
        a bisection: windows hold a few dozen readings, where numpy's per-call overhead would
        cost more than the work.
        """
        ts = self._ts
        first = bisect_right(ts, start)
        last = bisect_right(ts, end)  # readings [first, last) lie in (start, end]
        updates = last - first
        head = first - 1 if first > 0 else 0
        values = self._w[head:last]
        if end <= start or not values:
            return WindowStats(start, end, None, 0.0, 0.0, updates, True)
        starts = ts[head:last]
        starts[0] = max(starts[0], start)
        ends = starts[1:]
        ends.append(end)
        durations = list(map(sub, ends, starts, strict=True))
        gap = first == 0
        # Gaps are always stored as the one _NAN object, so `in` finds them by identity.
        if _NAN in values:
            gap = True
            kept = [(v, d) for v, d in zip(values, durations, strict=True) if v == v]  # noqa: PLR0124
            if not kept:
                return WindowStats(start, end, None, 0.0, 0.0, updates, True)
            values = [v for v, _ in kept]
            durations = [d for _, d in kept]
        total = sum(durations)
        if total <= 0.0:
            return WindowStats(start, end, None, 0.0, 0.0, updates, True)
        count = len(values)
        order = sorted(range(count), key=values.__getitem__)
        ordered = list(map(values.__getitem__, order))
        running = list(accumulate(map(durations.__getitem__, order)))
        index = bisect_left(running, total / 2.0)
        median = ordered[index] if index < count else values[-1]
        split = count // 2
        spread = MAD_SCALE * kth_deviation(ordered, median, split)
        drift = (
            sum(values[split:]) / (count - split) - sum(values[:split]) / split if split else 0.0
        )
        return WindowStats(start, end, median, spread, drift, updates, gap, values, durations)

    def samples(self) -> tuple[list[float], list[float]]:
        """Copies of the kept readings (times, watts; NaN = gap)."""
        return list(self._ts), list(self._w)
