"""Event windows -> Correlation: power before vs after a device event, with a confidence.

HA may report a state 0-3 s before or after the real power step, so the before window ends a
guard before the event and the after window starts a settle time after it. Window length follows
the meter's own cadence (enough readings, up to a cap); levels are time-weighted medians.

Other watched events near the event are handled in two ways: events close enough that their
steps cannot be told apart form a cluster (the windows move outside the whole cluster and the
others' confident profiles are subtracted); events further away only shorten the windows. When
that leaves too little window, or a cluster member has no confident profile, the correlation is
an overlap and does not teach.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace
import heapq
import math

from .models import Correlation, DeviceEvent, EngineConfig, Status
from .series import Measured, PowerSeries

DEFAULT_GUARD_S = 3.0
DEFAULT_WINDOW_S = 20.0
DEFAULT_MIN_CONFIDENCE = 0.3
MAX_CLUSTER_S = 60.0
TOO_SLOW_CONFIDENCE = 0.1
_FORGET_BATCH = 64
_sqrt = math.sqrt
_exp = math.exp
SLOW_TOLERANCE = 1.1  # a 10 s meter still fits 3 readings in a 30 s window despite jitter

# (event, delta_w, reference before, reference after) -> taught?
type Teacher = Callable[[DeviceEvent, float, float | None, float | None], bool]
# another event -> its expected delta W, None when its device is not confidently known
type Compensator = Callable[[DeviceEvent], float | None]
# a device -> its own power sensor's series; None when no device has one
type ReferenceLookup = Callable[[str], PowerSeries | None] | None


# (due, sequence, event): plain tuples keep the heap's comparisons in C
type _Pending = tuple[float, int, DeviceEvent]


@dataclass(frozen=True, slots=True)
class CorrelatorSettings:
    """Timing and acceptance tunables (from EngineConfig and its `extra`)."""

    guard_s: float
    settle_s: float
    window_s: float
    before_cap_s: float
    after_cap_s: float
    min_updates: int
    min_delta_w: float
    min_confidence: float

    @classmethod
    def from_config(cls, config: EngineConfig) -> CorrelatorSettings:
        """Validate and collect the settings; ValueError names the bad one."""
        extra = config.extra
        settings = cls(
            guard_s=float(extra.get("guard_s", DEFAULT_GUARD_S)),
            settle_s=float(config.settle_s),
            window_s=float(extra.get("window_s", DEFAULT_WINDOW_S)),
            before_cap_s=float(config.before_window_s),
            after_cap_s=float(config.after_window_s),
            min_updates=int(config.min_updates),
            min_delta_w=float(config.min_delta_w),
            min_confidence=float(extra.get("min_confidence", DEFAULT_MIN_CONFIDENCE)),
        )
        for name in ("guard_s", "settle_s", "min_delta_w"):
            value = getattr(settings, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        for name in ("window_s", "before_cap_s", "after_cap_s"):
            value = getattr(settings, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if settings.min_updates < 1:
            raise ValueError("min_updates must be at least 1")
        if not 0.0 <= settings.min_confidence <= 1.0:
            raise ValueError("min_confidence must be within 0..1")
        return settings


class Correlator:
    """Pending events and their nearby events; closes windows once they are complete."""

    def __init__(self, settings: CorrelatorSettings) -> None:
        """No events yet."""
        self.settings = settings
        self._times: list[float] = []
        self._events: list[DeviceEvent] = []
        self._pending: list[_Pending] = []
        self._seq = 0
        self._forget_at = _FORGET_BATCH  # remembered events that trigger the next clean-up
        self._timings: tuple[float | None, tuple[float, float, bool, float]] | None = None

    def __len__(self) -> int:
        """Events still waiting for their windows."""
        return len(self._pending)

    def add(self, event: DeviceEvent, cadence: float | None) -> None:
        """Remember an event for overlaps and schedule its correlation."""
        ts = event.ts
        times = self._times
        if not times or ts >= times[-1]:
            times.append(ts)
            self._events.append(event)
        else:
            index = bisect_right(times, ts)
            times.insert(index, ts)
            self._events.insert(index, event)
        s = self.settings
        due = ts + s.settle_s + self._timing(cadence)[1] + s.guard_s
        self._seq += 1
        heapq.heappush(self._pending, (due, self._seq, event))

    def next_due(self) -> float | None:
        """When the earliest pending correlation may close."""
        return self._pending[0][0] if self._pending else None

    def window_length(self, cadence: float | None, cap: float) -> float:
        """Long enough for min_updates readings at this cadence (and the nominal length)."""
        s = self.settings
        if cadence is None:
            return min(s.window_s, cap)
        return min(cap, max(s.window_s, (s.min_updates + 0.5) * cadence))

    def forget_before(self, ts: float) -> None:
        """Drop remembered events older than `ts` that no pending correlation needs.

        Runs in batches (whenever the list has grown by _FORGET_BATCH): old events only sit
        outside every window's reach, so keeping them a little longer changes nothing.
        """
        if len(self._times) < self._forget_at:
            return
        if self._pending:
            ts = min(ts, min(item[2].ts for item in self._pending) - MAX_CLUSTER_S * 2)
        cut = bisect_left(self._times, ts)
        if cut:
            del self._times[:cut]
            del self._events[:cut]
        self._forget_at = len(self._times) + _FORGET_BATCH

    def rename(self, old: str, new: str) -> None:
        """Follow an entity's rename in the remembered events."""
        self._events = [_renamed(e, old, new) for e in self._events]
        # the keys (due, sequence) do not change, so the list stays a valid heap
        self._pending = [(due, seq, _renamed(e, old, new)) for due, seq, e in self._pending]

    def clear(self) -> None:
        """Drop everything pending."""
        self._times.clear()
        self._events.clear()
        self._pending.clear()
        self._forget_at = _FORGET_BATCH

    def close_due(
        self,
        now: float,
        series: PowerSeries,
        compensate: Compensator,
        teach: Teacher,
        reference: ReferenceLookup,
    ) -> list[Correlation]:
        """Correlate every event whose windows are complete at `now`."""
        out: list[Correlation] = []
        pending = self._pending
        while pending and pending[0][0] <= now:
            _, seq, event = heapq.heappop(pending)
            result = self._correlate(event, now, series, compensate, teach, reference)
            if isinstance(result, float):
                heapq.heappush(pending, (result, seq, event))
            else:
                out.append(result)
        return out

    def _cluster(self, event: DeviceEvent) -> tuple[float, float, list[DeviceEvent]]:
        """Events whose reporting uncertainty overlaps this one's (transitively)."""
        s = self.settings
        reach = s.guard_s + s.settle_s
        low = high = event.ts
        members: list[DeviceEvent] = []
        times, events = self._times, self._events
        while True:
            start = bisect_right(times, low - reach)
            end = bisect_left(times, high + reach)
            found = [e for e in events[start:end] if e is not event]
            if len(found) == len(members):
                return low, high, found
            members = found
            low = min(low, *(e.ts for e in found))
            high = max(high, *(e.ts for e in found))
            if high - low > MAX_CLUSTER_S:
                return low, high, found

    def _correlate(
        self,
        event: DeviceEvent,
        now: float,
        series: PowerSeries,
        compensate: Compensator,
        teach: Teacher,
        reference: ReferenceLookup,
    ) -> Correlation | float:
        s = self.settings
        before_length, after_length, too_slow, min_length = self._timing(series.interval_s())
        reach = s.guard_s + s.settle_s
        times, events = self._times, self._events
        low = high = event.ts
        previous = bisect_right(times, low - reach)
        following = bisect_left(times, high + reach)
        cluster: list[DeviceEvent] = []
        if following - previous > 1 or (following > previous and events[previous] is not event):
            low, high, cluster = self._cluster(event)  # the common case has no neighbours
            previous = bisect_right(times, low - reach)
            following = bisect_left(times, high + reach)
        previous -= 1
        before_end = low - s.guard_s
        after_start = high + s.settle_s
        before_start = before_end - before_length
        after_end = after_start + after_length
        cutters: list[str] = []
        if previous >= 0 and times[previous] + s.settle_s > before_start:
            before_start = times[previous] + s.settle_s
            cutters.append(events[previous].entity_id)
        if following < len(times) and times[following] - s.guard_s < after_end:
            after_end = times[following] - s.guard_s
            cutters.append(events[following].entity_id)
        if now < after_end + s.guard_s:
            return after_end + s.guard_s
        shortened = cutters and (
            before_end - before_start < min_length or after_end - after_start < min_length
        )
        before = series.measure(before_start, max(before_end, before_start))
        after = series.measure(after_start, max(after_end, after_start))
        compensated = 0.0
        uncompensable = bool(shortened)
        overlapping: tuple[str, ...] = ()
        if cluster or shortened:
            for other in cluster:
                expected = None if other.entity_id == event.entity_id else compensate(other)
                if expected is None:
                    uncompensable = True
                else:
                    compensated += expected
            names = [e.entity_id for e in cluster]
            if shortened:
                names.extend(cutters)
            overlapping = tuple(dict.fromkeys(names))
        before_w, after_w = before[0], after[0]
        delta: float | None = None
        pct: float | None = None
        confidence = 0.0
        if before_w is not None and after_w is not None:
            delta = after_w - before_w - compensated
            pct = 100.0 * delta / before_w if abs(before_w) >= 1.0 else None
            confidence = self._confidence(event, delta, before, after, compensated)
        if before[4] or after[4] or delta is None:
            status, confidence = Status.GAP, 0.0
        elif too_slow:
            status, confidence = Status.TOO_SLOW, min(confidence, TOO_SLOW_CONFIDENCE)
            delta = pct = None
        elif uncompensable:
            status = Status.OVERLAP
        elif confidence < s.min_confidence or min(before[3], after[3]) < s.min_updates:
            status = Status.LOW_CONFIDENCE
        else:
            status = Status.OK
        ref_delta = ref_before = ref_after = None
        if reference is not None:
            ref_delta, ref_before, ref_after = _reference(
                reference(event.entity_id), before_start, before_end, after_start, after_end
            )
        learned = False
        if status is Status.OK and delta is not None:
            learned = teach(event, delta, ref_before, ref_after)
        return Correlation(  # positional, in field order: this runs once per event
            event.entity_id,
            event.domain,
            event.kind,
            event.previous_state,
            event.state,
            event.ts,
            event.previous_level,
            event.level,
            before_w,
            after_w,
            delta,
            pct,
            before[3] + after[3],
            round(confidence, 4),
            status,
            overlapping,
            compensated,
            ref_delta,
            learned,
        )

    def _timing(self, cadence: float | None) -> tuple[float, float, bool, float]:
        """(before length, after length, too slow, shortest usable window) at this cadence.

        Cached for the last cadence seen: the meter's cadence changes rarely.
        """
        cached = self._timings
        if cached is not None and cached[0] == cadence:
            return cached[1]
        s = self.settings
        too_slow = cadence is not None and s.min_updates * cadence > SLOW_TOLERANCE * min(
            s.before_cap_s, s.after_cap_s
        )
        timing = (
            self.window_length(cadence, s.before_cap_s),
            self.window_length(cadence, s.after_cap_s),
            too_slow,
            max((cadence or 1.0) * s.min_updates, 0.25 * s.window_s),
        )
        self._timings = (cadence, timing)
        return timing

    def _confidence(
        self,
        event: DeviceEvent,
        delta: float,
        before: Measured,
        after: Measured,
        compensated: float,
    ) -> float:
        """SNR of the step against the windows' noise, times update, drift, direction factors."""
        s = self.settings
        spread_before, drift_before, updates_before = before[1], before[2], before[3]
        spread_after, drift_after, updates_after = after[1], after[2], after[3]
        n_before = updates_before if updates_before > 1 else 1
        n_after = updates_after if updates_after > 1 else 1
        noise = 1.25 * _sqrt(spread_before**2 / n_before + spread_after**2 / n_after)
        noise += 0.5 + 0.05 * abs(compensated)
        size = abs(delta)
        confidence = 1.0 - _exp(-size / noise / 3.0)  # the SNR factor
        fewest = updates_before if updates_before < updates_after else updates_after
        wanted = 2.0 * s.min_updates
        if fewest < wanted:
            confidence *= fewest / wanted
        excess = max(
            abs(drift_before) - 2.0 * spread_before / _sqrt(n_before / 2.0),
            abs(drift_after) - 2.0 * spread_after / _sqrt(n_after / 2.0),
            0.0,
        )
        if excess:
            confidence /= 1.0 + 2.0 * excess / max(size, s.min_delta_w)
        if delta * (event.level - event.previous_level) < 0 and size > noise:
            confidence *= 0.2  # the step goes against the event's direction
        return max(0.0, min(1.0, confidence))


def _reference(
    series: PowerSeries | None,
    before_start: float,
    before_end: float,
    after_start: float,
    after_end: float,
) -> tuple[float | None, float | None, float | None]:
    """(delta, before, after) on the device's own sensor over the same windows."""
    if series is None or before_end <= before_start or after_end <= after_start:
        return None, None, None
    before, _, _, _, before_gap, *_ = series.measure(before_start, before_end)
    after, _, _, _, after_gap, *_ = series.measure(after_start, after_end)
    if before_gap or after_gap or before is None or after is None:
        return None, None, None
    return after - before, before, after


def _renamed(event: DeviceEvent, old: str, new: str) -> DeviceEvent:
    """The event under the device's new entity id (a registry rename)."""
    return replace(event, entity_id=new) if event.entity_id == old else event
