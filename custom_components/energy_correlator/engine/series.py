"""Sample-and-hold power series of one meter, bounded by a time horizon.

An HA sensor reports only changes, so a reading holds until the next one. An unavailable
reading (None/NaN/inf) is stored as NaN: "no value from here on" (a gap), and any window that
touches a gap is not trusted. Times must increase: an earlier time is rejected (counted), a
repeated time replaces the previous reading (the later report wins).

The buffer is plain lists trimmed in amortised chunks: appending is a few C calls, which
keeps the per-sample path fast enough to replay weeks of 1 Hz history in seconds. Beside the
readings it keeps running sums (of the values, and of value x time held) so that a window's
total and time-weighted mean are two subtractions instead of a pass over its readings: every
device event measures two windows, and ingest has time to spare.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
import math
from operator import sub

from .window_stats import (
    CLEAN_MIN_READINGS,
    CLEAN_SPREADS,
    IQR_SCALE,
    Measured,
    WindowStats,
    measure_readings,
)

_NAN = math.nan
_isfinite = math.isfinite
_sqrt = math.sqrt
_sumprod = math.sumprod
_MIN_TRIM = 256
_CADENCE_SAMPLES = 33
_CADENCE_REFRESH = 8  # re-estimate the cadence after this many readings...
_CADENCE_REFRESH_S = 300.0  # ...but not more often than this (it changes slowly)

type SampleConsumer = Callable[[list[float], list[float], int, int], None]


class PowerSeries:
    """One meter's recent readings (sample-and-hold) with window statistics."""

    __slots__ = (
        "_area",
        "_cadence",
        "_cadence_limit",
        "_cadence_until",
        "_consumed",
        "_nans",
        "_offset",
        "_sums",
        "_trim_at",
        "_ts",
        "_w",
        "_warm",
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
        # running sums over the kept readings, rebased at every trim: _sums[i] is the sum of
        # the valid values before reading i (one longer than the readings), _area[i] the
        # integral of the held value from the first kept reading up to reading i
        self._sums: list[float] = [0.0]
        self._area: list[float] = []
        self._nans: list[int] = []  # absolute indices of the NaN readings (gaps)
        self._offset = 0  # readings dropped from the front so far
        self._consumed = 0  # absolute index up to which `consumer` has seen the readings
        self._trim_at = _MIN_TRIM
        self._cadence: float | None = None
        self._cadence_limit = 0  # the cached cadence holds while fewer readings were taken...
        self._cadence_until = -math.inf  # ...or until the newest reading reaches this time
        self.last_ts = -math.inf
        self._warm = False  # seeded: the first reading is the meter's held value (start warm)
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
            w, area, sums = self._w, self._area, self._sums
            if w:
                held = w[-1]
                valid = held == held  # noqa: PLR0124 - not NaN, the fast way
                area.append(area[-1] + held * (ts - self.last_ts) if valid else area[-1])
            else:
                area.append(0.0)
            self._ts.append(ts)
            w.append(watts)
            if watts == watts:  # noqa: PLR0124 - not NaN, the fast way
                sums.append(sums[-1] + watts)
            else:
                sums.append(sums[-1])
                self._nans.append(self._offset + len(w) - 1)
            self.last_ts = ts
            if len(w) > self._trim_at:
                self._trim()
            return True
        if ts == self.last_ts:
            self._replace_last(watts)
            self.replaced += 1
            return True
        self.rejected += 1
        return False

    def seed(self, ts: float, watts: float | None) -> bool:
        """Start warm: the meter's current value, held since its last report at `ts`.

        For an empty series (setup, restart) windows that reach back before this first
        reading read its value instead of being a gap (the integration was not listening
        then; the held value is the best estimate there is, and a window without readings
        of its own still has low confidence); otherwise a plain add.
        """
        warm = not self._ts and watts is not None and _isfinite(watts)
        accepted = self.add(ts, watts)
        if warm and accepted:
            self._warm = True
        return accepted

    def add_many(self, ts_seq: Iterable[float], watts_seq: Iterable[float | None]) -> int:
        """Append many readings (replay); returns how many were accepted."""
        accepted = 0
        add = self.add
        for ts, watts in zip(ts_seq, watts_seq, strict=True):
            accepted += add(ts, watts)
        return accepted

    def _replace_last(self, watts: float) -> None:
        """A repeated time: the later report wins (the running sums follow it)."""
        w, sums, nans = self._w, self._sums, self._nans
        was_nan = w[-1] != w[-1]
        w[-1] = watts
        valid = watts == watts  # noqa: PLR0124
        sums[-1] = sums[-2] + watts if valid else sums[-2]
        if was_nan and valid:
            nans.pop()
        elif not valid and not was_nan:
            nans.append(self._offset + len(w) - 1)

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
            base_sum, base_area = self._sums[cut], self._area[cut]
            # rebased: the sums stay as small (and as precise) as the kept readings' own
            self._sums = [value - base_sum for value in self._sums[cut:]]
            self._area = [value - base_area for value in self._area[cut:]]
            self._offset += cut
            del self._nans[: bisect_left(self._nans, self._offset)]
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
    def first_ts(self) -> float | None:
        """The oldest kept reading's time (None before any)."""
        return self._ts[0] if self._ts else None

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
        """Statistics of the held value over [start, end] (see measure)."""
        return WindowStats(start, end, *self.measure(start, end, exact_median=True))

    def nth_after(self, start: float, count: int) -> float | None:
        """Time of the count-th reading after `start` (None when not yet that many)."""
        index = bisect_right(self._ts, start) + count - 1
        return self._ts[index] if index < len(self._ts) else None

    def nth_before(self, end: float, count: int) -> float | None:
        """Time of the count-th most recent reading at or before `end` (None: not that many)."""
        index = bisect_right(self._ts, end) - count
        return self._ts[index] if index >= 0 else None

    def measure(
        self, start: float, end: float, inside_only: bool = False, exact_median: bool = False
    ) -> Measured:
        """Time-weighted median of the held value over [start, end], with spread and drift.

        A plain tuple (median, spread, drift, updates, gap, values, starts, ends, level,
        error): the correlation path reads it directly, once per window, and needs no object
        around it. The level is the time-weighted mean when every reading lies within a few
        spreads of the median (a clean window: the mean is 1.25x more precise), else the
        median (an inrush spike or another load's step does not move it). In a clean window
        the first element is the readings' plain median unless `exact_median` asks for the
        time-weighted one (window() does; the correlation path only needs the level).

        A clean window without a gap takes its total, drift and mean from the running sums
        (two subtractions each; the readings are then not returned). The others go through
        the readings themselves (window_stats.measure_readings), as window() always does.

        The median weighs each value by how long it held: one sort of the readings' indices by
        value (float keys: CPython's fastest sort) and a walk to half the total time. The spread
        is the interquartile range of the readings scaled to a standard deviation, read off the
        same sort (O(1), robust like a MAD); drift (second half of the readings vs the first)
        counts readings too, which is close enough for noise. Windows hold a few dozen readings,
        where numpy's per-call overhead would cost more than the work.

        `inside_only` leaves out the value held from before `start` (after-windows: a reading
        reported before the window may predate the power step); with no reading inside there
        is then no value, and no gap either (the meter was simply quiet).
        """
        ts = self._ts
        first = bisect_right(ts, start)
        last = bisect_right(ts, end, first)  # readings [first, last) lie in (start, end]
        updates = last - first
        if inside_only:
            if not updates or end <= start:
                return None, 0.0, 0.0, updates, False, (), (), (), None, 0.0
            head = first
        else:
            head = first - 1 if first > 0 else 0
        w = self._w
        count = last - head  # the readings that hold in the window
        if not count and self._warm and ts and end > start:
            # before the seed: the meter's held value is the best there is (start warm)
            held = w[0]
            return held, 0.0, 0.0, 0, False, [held], [start], [end], held, 0.0
        if end <= start or not count:
            return None, 0.0, 0.0, updates, True, (), (), (), None, 0.0
        gap = first == 0 and not inside_only and not self._warm
        nans = self._nans
        if exact_median or (nans and nans[-1] >= self._offset + head and self._has_nan(head, last)):
            return measure_readings(
                ts, w, first, last, start, end, (inside_only, exact_median, self._warm)
            )
        # the common window: no gap inside, so the running sums give its total and mean
        begin = max(ts[head], start)
        half = 0.5 * (end - begin)
        if half <= 0.0:
            return measure_readings(
                ts, w, first, last, start, end, (inside_only, False, self._warm)
            )
        sums = self._sums
        ordered = w[head:last]
        ordered.sort()  # floats: CPython's fastest sort
        spread = IQR_SCALE * (ordered[(3 * count) // 4] - ordered[count // 4])
        split = count // 2
        middle = ordered[split]
        if (
            count < CLEAN_MIN_READINGS
            or spread <= 0.0
            or ordered[-1] - middle > CLEAN_SPREADS * spread
            or middle - ordered[0] > CLEAN_SPREADS * spread
        ):  # too few readings to trust a mean, or an outlier: the time-weighted median
            flags = (inside_only, False, self._warm)
            return measure_readings(ts, w, first, last, start, end, flags, ordered)
        base = sums[head]
        early = sums[head + split] - base
        drift = (sums[last] - base - early) / (count - split) - early / split
        # the integral over the window: the running one, less the first reading's part before
        # `start`, plus the last reading's part up to `end`
        area = self._area
        integral = (
            area[last - 1]
            - area[head]
            - w[head] * (begin - ts[head])
            + w[last - 1] * (end - ts[last - 1])
        )
        # no outlier: the mean is the more precise level (and the time-weighted median, only
        # a fallback, is not worked out: the readings' median stands in)
        error = spread / _sqrt(count)
        return middle, spread, drift, updates, gap, (), (), (), integral / (2.0 * half), error

    def _has_nan(self, head: int, last: int) -> bool:
        """Whether a reading in [head, last) is a NaN (a gap)."""
        nans, offset = self._nans, self._offset
        index = bisect_left(nans, offset + head)
        return index < len(nans) and nans[index] < offset + last

    def samples(self) -> tuple[list[float], list[float]]:
        """Copies of the kept readings (times, watts; NaN = gap)."""
        return list(self._ts), list(self._w)
