"""A short on-period measured from both its edges (issue 10: a microwave's 25-40 s runs).

When a device's own next event falls inside its after-window, the window is cut there (a
device never overlaps itself) and the pulse's level is measured against the baseline before
its opening edge and after its closing edge, weighted by the readings inside.
"""

import math
from typing import TYPE_CHECKING

from .confidence import step_confidence
from .correlator_settings import CorrelatorSettings, Timing
from .models import Correlation, DeviceEvent, Status, delta_pct
from .series import PowerSeries

if TYPE_CHECKING:
    from .correlate import Teacher

_sqrt = math.sqrt
PULSE_MIN_UPDATES = 2  # readings inside a short on-period for it to teach


def correlate_pulse(
    settings: CorrelatorSettings,
    times: list[float],
    events: list[DeviceEvent],
    event: DeviceEvent,
    previous: int,
    following: int,
    timing: Timing,
    now: float,
    series: PowerSeries,
    teach: Teacher,
) -> Correlation | float | None:
    """A short on-period (or off-period) whose other edge falls inside this event's window.

    The level inside the pulse is measured against the baseline before its opening edge
    and after its closing edge; both edges report (and teach) that step, as the two edges
    of a longer on-period would. None when this is no clean pulse (the general path
    decides).
    """
    s = settings
    count = len(times)
    before_length, after_length, _, min_length, _, _ = timing
    reach = s.guard_s + s.settle_s
    own = event.entity_id
    if (
        following < count
        and events[following].entity_id == own
        and times[following] - s.guard_s < event.ts + s.settle_s + after_length
    ):
        opening, closing, first = event, events[following], previous + 1
    elif (
        previous >= 0
        and events[previous].entity_id == own
        and times[previous] + s.settle_s > event.ts - s.guard_s - before_length
    ):
        opening, closing, first = events[previous], event, previous
    else:
        return None
    last = first + 1
    if closing.level != opening.previous_level or closing.kind is not opening.kind:
        return None  # not back where it started: no common baseline
    if (first > 0 and times[first - 1] > opening.ts - reach) or (
        last + 1 < count and times[last + 1] < closing.ts + reach
    ):
        return None  # another event crowds an edge
    inside_start, inside_end = opening.ts + s.settle_s, closing.ts - s.guard_s
    before_end = opening.ts - s.guard_s
    before_start = before_end - before_length
    crowded = False  # a side too short because another device switched there
    if first > 0 and times[first - 1] + s.settle_s > before_start:
        before_start = times[first - 1] + s.settle_s
        crowded = events[first - 1].entity_id != own
    after_start = closing.ts + s.settle_s
    after_end = after_start + after_length
    if last + 1 < count and times[last + 1] - s.guard_s < after_end:
        after_end = times[last + 1] - s.guard_s
        crowded = crowded or events[last + 1].entity_id != own
    if now < after_end + s.guard_s:
        return after_end + s.guard_s
    inside = series.measure(inside_start, inside_end, True)
    measured = [
        series.measure(before_start, before_end)
        if before_end - before_start >= min_length
        else None,
        series.measure(after_start, after_end, True)
        if after_end - after_start >= min_length
        else None,
    ]
    sides = [m for m in measured if m is not None and m[8] is not None and not m[4]]
    inside_w = inside[8]
    delta = base_w = None
    confidence, sigma = 0.0, None
    base_updates = sum(side[3] for side in sides)
    if sides and inside_w is not None:
        base_w = sum(side[8] for side in sides if side[8] is not None) / len(sides)
        base_spread = _sqrt(sum(side[1] ** 2 for side in sides) / len(sides))
        base_drift = max(abs(side[2]) for side in sides)
        base_error = _sqrt(sum(side[9] ** 2 for side in sides)) / len(sides)
        opening_step = inside_w - base_w
        delta = opening_step if event is opening else -opening_step
        confidence, sigma = step_confidence(
            s.min_delta_w,
            event,
            delta,
            (
                base_w,
                base_spread,
                base_drift,
                base_updates,
                False,
                (),
                (),
                (),
                base_w,
                base_error,
            ),
            inside,
            0.0,
            2.0 * PULSE_MIN_UPDATES,
        )
    if inside[4]:
        status, confidence, sigma = Status.GAP, 0.0, None
    elif not sides:  # no baseline: the meter was away, or others crowded both sides
        gaps = any(m is not None and m[4] for m in measured)
        status = Status.GAP if gaps else Status.OVERLAP if crowded else Status.LOW_CONFIDENCE
        confidence, sigma = 0.0, None
    elif delta is None or inside[3] < PULSE_MIN_UPDATES or confidence < s.min_confidence:
        status = Status.LOW_CONFIDENCE
    else:
        status = Status.OK
    learned = False
    if status is Status.OK and delta is not None:
        learned = teach(event, delta, None, None, sigma or 0.0)
    before_w, after_w = (base_w, inside_w) if event is opening else (inside_w, base_w)
    pct = delta_pct(delta, before_w)
    return Correlation(
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
        base_updates + inside[3],
        round(confidence, 4),
        status,
        (),
        0.0,
        None,
        learned,
        sigma,
        True,
    )
