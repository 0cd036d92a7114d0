"""Event windows -> Correlation: power before vs after a device event, with a confidence.

HA may report a state 0-3 s before or after the real power step, so the before window ends a
guard before the event and the after window starts a settle time after it. Window length follows
the meter's own cadence (enough readings, up to a cap); levels are time-weighted medians.

Other watched events near the event are handled in two ways: events close enough that their
steps cannot be told apart form a cluster (the windows move outside the whole cluster and the
others' confident profiles are subtracted); events further away only shorten the windows. When
that leaves too little window, or a cluster member has no confident profile, the correlation is
an overlap and does not teach. A device's own next event inside its window is a short pulse,
measured from both edges (pulse.py); the confidence of a step is confidence.py's.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import replace
import heapq

from .confidence import step_confidence
from .correlator_settings import CorrelatorSettings, Timing
from .models import Correlation, DeviceEvent, Status, delta_pct
from .noisy import NOISY_TRIES, NOISY_WINDOW_S, WideWindows, widen_windows
from .pulse import correlate_pulse
from .series import PowerSeries
from .trend import ramp_correction

MAX_CLUSTER_S = 60.0
TOO_SLOW_CONFIDENCE = 0.1
_FORGET_BATCH = 64
CADENCE_SLACK = 0.05  # window timing is kept while the cadence stays within this share

# (event, delta_w, reference before, reference after, standard error W) -> taught?
type Teacher = Callable[[DeviceEvent, float, float | None, float | None, float], bool]
# another event -> its expected delta W, None when its device is not confidently known
type Compensator = Callable[[DeviceEvent], float | None]
# a device -> its own power sensor's series; None when no device has one
type ReferenceLookup = Callable[[str], PowerSeries | None] | None


# (due, sequence, event): plain tuples keep the heap's comparisons in C
type _Pending = tuple[float, int, DeviceEvent]


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
        self._timings: tuple[float | None, Timing] | None = None
        self.wide = WideWindows()  # a young device's events on a noisy meter (noisy.py)

    def __len__(self) -> int:
        """Events still waiting for their windows."""
        return len(self._pending)

    def add(
        self, event: DeviceEvent, cadence: float | None, series: PowerSeries | None = None
    ) -> None:
        """Remember an event for overlaps and schedule its correlation.

        A young device's event on a noisy meter (see noisy.py) is scheduled for its wider
        windows at once, so that it is correlated once, not twice.
        """
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
        timing = self._timing(cadence)
        after = timing[1]
        self._seq += 1
        wide = self.wide
        if (
            series is not None
            and not timing[2]
            and wide.tries.get(event.entity_id, 0) < NOISY_TRIES  # cheap: most have tried
            and wide.schedule(event, self._seq, series, ts - s.guard_s, timing[0])
        ):
            after = NOISY_WINDOW_S
        due = ts + s.settle_s + after + s.guard_s
        heapq.heappush(self._pending, (due, self._seq, event))

    def next_due(self) -> float | None:
        """When the earliest pending correlation may close."""
        return self._pending[0][0] if self._pending else None

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
        self.wide.rename(old, new)

    def clear(self) -> None:
        """Drop everything pending."""
        self._times.clear()
        self._events.clear()
        self._pending.clear()
        self.wide.clear()
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
            wide = self.wide.pending
            widen = seq in wide if wide else False
            result = self._correlate(event, now, series, compensate, teach, reference, widen)
            if isinstance(result, float):
                heapq.heappush(pending, (result, seq, event))
            else:
                out.append(result)
                if widen:
                    wide.discard(seq)
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
        widen: bool = False,
    ) -> Correlation | float:
        s = self.settings
        guard, settle = s.guard_s, s.settle_s
        timing = self._timing(series.interval_s())
        before_length, after_length, too_slow, min_length, needed, ceiling = timing
        reach = guard + settle
        times, events = self._times, self._events
        count = len(times)
        low = high = event.ts
        previous = bisect_right(times, low - reach)
        following = bisect_left(times, high + reach)
        cluster: list[DeviceEvent] = []
        if following - previous > 1 or (following > previous and events[previous] is not event):
            low, high, cluster = self._cluster(event)  # the common case has no neighbours
            previous = bisect_right(times, low - reach)
            following = bisect_left(times, high + reach)
        previous -= 1
        before_end = low - guard
        after_start = high + settle
        before_start = before_end - before_length
        after_end = after_start + after_length
        own = event.entity_id
        if (
            not cluster
            and not too_slow
            and (
                (following < count and events[following].entity_id == own)
                or (previous >= 0 and events[previous].entity_id == own)
            )
        ):
            pulse = correlate_pulse(
                s, times, events, event, previous, following, timing, now, series, teach
            )
            if pulse is not None:
                return pulse
        cutters: list[str] = []
        before_limit = before_end - ceiling
        after_limit = after_start + ceiling
        if previous >= 0 and times[previous] + settle > before_limit:
            before_limit = times[previous] + settle
            if before_limit > before_start:
                before_start = before_limit
                if events[previous].entity_id != own:  # a device never overlaps itself
                    cutters.append(events[previous].entity_id)
        if following < count and times[following] - guard < after_limit:
            after_limit = times[following] - guard
            if after_limit < after_end:
                after_end = after_limit
                if events[following].entity_id != own:
                    cutters.append(events[following].entity_id)
        if now < after_end + guard:
            return after_end + guard
        before = series.measure(
            before_start, before_end if before_end > before_start else before_start
        )
        after = series.measure(
            after_start, after_end if after_end > after_start else after_start, True
        )
        if after[3] < needed and after_end < after_limit:
            # a quiet meter (a dropout): look further, up to the ceiling or the next event
            reached = series.nth_after(after_start, needed)
            wanted_end = after_limit if reached is None else min(reached, after_limit)
            if wanted_end > after_end:
                if now < wanted_end + guard:
                    return wanted_end + guard
                after_end = wanted_end
                after = series.measure(after_start, after_end, True)
        if before[3] < needed and before_start > before_limit:
            reached = series.nth_before(before_end, needed)
            wanted_start = before_limit if reached is None else max(reached - 1e-3, before_limit)
            if wanted_start < before_start:
                before_start = wanted_start
                before = series.measure(before_start, before_end)
        if widen and not cluster and not too_slow:
            wider = widen_windows(
                s,
                (times, previous, following),
                event,
                now,
                series,
                (before, after, before_start, after_end, needed),
            )
            if isinstance(wider, float):
                return wider
            if wider is not None:
                before_start, after_end, before, after = wider
        shortened = cutters and (
            before_end - before_start < min_length or after_end - after_start < min_length
        )
        compensated = 0.0
        uncompensable = bool(shortened)
        overlapping: tuple[str, ...] = ()
        if cluster or shortened:
            for other in cluster:
                expected = None if other.entity_id == own else compensate(other)
                if expected is None:
                    uncompensable = True
                else:
                    compensated += expected
            names = [e.entity_id for e in cluster]
            if shortened:
                names.extend(cutters)
            overlapping = tuple(dict.fromkeys(names))
        before_w, after_w = before[8], after[8]
        delta: float | None = None
        pct: float | None = None
        confidence = 0.0
        sigma: float | None = None
        if before_w is not None and after_w is not None:
            delta = after_w - before_w - compensated
            if (  # both windows drift the same way, beyond their noise: a ramp?
                before[2] * after[2] > 0.0
                and abs(before[2]) > 2.0 * before[9]
                and abs(after[2]) > 2.0 * after[9]
            ):
                bounds = (before_start, before_end, after_start, after_end)
                delta -= ramp_correction(before, after, bounds)
            pct = delta_pct(delta, before_w)
            confidence, sigma = step_confidence(
                s.min_delta_w, event, delta, before, after, compensated, 2.0 * needed
            )
        if before[4] or after[4] or before_w is None:
            status, confidence, sigma = Status.GAP, 0.0, None
        elif too_slow:
            status, confidence = Status.TOO_SLOW, min(confidence, TOO_SLOW_CONFIDENCE)
            delta = pct = sigma = None
        elif uncompensable:
            status = Status.OVERLAP
        elif (
            delta is None
            or confidence < s.min_confidence
            or before[3] < needed
            or after[3] < needed
        ):
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
            learned = teach(event, delta, ref_before, ref_after, sigma or 0.0)
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
            sigma,
        )

    def _timing(self, cadence: float | None) -> Timing:
        """Window lengths, whether too slow, shortest usable window, readings a window needs,
        and the ceiling a quiet window may grow to, at this cadence.

        Cached for the last cadence seen: the meter's cadence changes rarely.
        """
        cached = self._timings
        if cached is not None:
            known = cached[0]
            if known == cadence or (
                cadence is not None
                and known is not None
                and abs(cadence - known) <= CADENCE_SLACK * known
            ):  # a jittering cadence moves the windows by nothing worth a recompute
                return cached[1]
        timing = self.settings.timing(cadence)
        self._timings = (cadence, timing)
        return timing


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
    before_gap, after_gap = False, False
    before_stats = series.measure(before_start, before_end)
    after_stats = series.measure(after_start, after_end)
    before, before_gap = before_stats[8], before_stats[4]
    after, after_gap = after_stats[8], after_stats[4]
    if before_gap or after_gap or before is None or after is None:
        return None, None, None
    return after - before, before, after


def _renamed(event: DeviceEvent, old: str, new: str) -> DeviceEvent:
    """The event under the device's new entity id (a registry rename)."""
    return replace(event, entity_id=new) if event.entity_id == old else event
