"""Wider windows for a young device on a noisy meter (issue 10: a 60 W lamp at ±25 W).

One event's step known only to ±20 % (or ±10 W) at 95 % teaches little: a small device on a
noisy meter. While the device's profile is young (its first lessons, book.YOUNG_LESSONS; and for
at most NOISY_TRIES of its events since start, so that a home whose events crowd each other
does not pay for windows that can never grow), the correlator schedules its event on a noisy
meter for windows of up to NOISY_WINDOW_S, and when
the step proves hidden in the noise its windows grow that far (up to the neighbouring events),
so that each level averages more readings; the correlation closes that much later. Later
lessons keep the usual windows: by then the profile's mean averages the noise out, and short
windows are less exposed to other loads. The wider windows are used only when they cut the
step's standard error by 30 % (it goes as the root of 1/readings), and only when their levels
agree with the usual ones (no unwatched step or drift in the added part).
"""

from collections.abc import Callable
import math

from .correlator_settings import CorrelatorSettings
from .models import DeviceEvent
from .modes import TOLERANCE_ABSOLUTE_W, TOLERANCE_RELATIVE, Z_95
from .series import PowerSeries
from .window_stats import Measured

_hypot = math.hypot
NOISY_RATIO = 2.0  # a step whose 95 % interval is this many times ±10 % (or ±5 W)...
NOISY_WINDOW_S = 120.0  # ...is hidden in the meter's noise: its windows may grow to this...
NOISY_GAIN = 0.7  # ...when that cuts its standard error to this share at least
NOISE_REFRESH_S = 300.0  # how long the meter's noisiness, measured once, holds
NOISY_TRIES = 10  # a device's events scheduled for wider windows, at most (since start)
NOISY_AGREE = 2.5  # a widened window's level within this many of the narrow's standard errors
NOISY_DRIFT = 2.6  # ...and its drift within this many of its own (99 % of clean windows)

# the usual windows: before, after, before's start, after's end, readings a window needs
type Narrow = tuple[Measured, Measured, float, float, int]
# the wider ones: before's start, after's end, before, after
type Wide = tuple[float, float, Measured, Measured]


class WideWindows:
    """Which pending correlations wait for wider windows, and which devices may still try.

    `young` (the profile book's) says whether a device is in its first lessons; a device tries
    at most NOISY_TRIES events since start (relearning or a rename carries that along).
    """

    def __init__(self) -> None:
        """Nothing scheduled, the meter's noise not yet measured."""
        self.young: Callable[[DeviceEvent], bool] | None = None
        self.pending: set[int] = set()  # sequence numbers of the pending correlations
        self._noisy = (-math.inf, False)  # (valid until, whether the meter is noisy)
        self.tries: dict[str, int] = {}  # per device: events scheduled for wider windows

    def schedule(
        self, event: DeviceEvent, seq: int, series: PowerSeries, end: float, length: float
    ) -> bool:
        """Whether this event waits for wider windows (then remembered under `seq`); the
        meter's noise is measured on the window of `length` ending at `end`."""
        until, noisy = self._noisy
        if event.ts >= until:
            noisy = meter_noisy(series, end, length)
            self._noisy = (event.ts + NOISE_REFRESH_S, noisy)
        if not noisy:
            return False
        tries = self.tries.get(event.entity_id, 0)
        if tries >= NOISY_TRIES or self.young is None or not self.young(event):
            return False
        self.tries[event.entity_id] = tries + 1
        self.pending.add(seq)
        return True

    def rename(self, old: str, new: str) -> None:
        """Follow an entity's rename."""
        if old in self.tries:
            self.tries[new] = self.tries.pop(old)

    def forget(self, entity_ids: list[str] | None) -> None:
        """Relearned devices may try wider windows again (all when None)."""
        if entity_ids is None:
            self.tries.clear()
        for entity_id in entity_ids or ():
            self.tries.pop(entity_id, None)

    def clear(self) -> None:
        """Forget everything."""
        self.pending.clear()
        self.tries.clear()


def meter_noisy(series: PowerSeries, end: float, length: float) -> bool:
    """Whether the meter's noise alone hides a small step (±5 W) in windows of `length`
    (measured on the window ending at `end`)."""
    level_error = series.measure(end - length, end)[9]
    return Z_95 * math.sqrt(2.0) * level_error > NOISY_RATIO * TOLERANCE_ABSOLUTE_W


def widen_windows(
    settings: CorrelatorSettings,
    neighbours: tuple[list[float], int, int],
    event: DeviceEvent,
    now: float,
    series: PowerSeries,
    narrow: Narrow,
) -> Wide | float | None:
    """The wider windows when the step is hidden in the meter's noise; a float when they
    close later (then ask again); None to keep the usual ones.

    `neighbours` are the remembered events' times and the indices of the events just
    before and just after this one's reach.
    """
    before, after, before_start, after_end, needed = narrow
    times, previous, following = neighbours
    s = settings
    before_end = event.ts - s.guard_s
    after_start = event.ts + s.settle_s
    wide_start = before_end - NOISY_WINDOW_S
    if previous >= 0 and times[previous] + s.settle_s > wide_start:
        wide_start = times[previous] + s.settle_s
    oldest = series.first_ts  # not into the time before the first kept reading (a gap)
    if oldest is not None and oldest > wide_start:
        wide_start = oldest
    wide_end = after_start + NOISY_WINDOW_S
    if following < len(times) and times[following] - s.guard_s < wide_end:
        wide_end = times[following] - s.guard_s
    # the step's variance goes as 1/readings of each window, so as 1/length
    gain = 1.0 / max(before_end - wide_start, 1e-3) + 1.0 / max(wide_end - after_start, 1e-3)
    gain /= 1.0 / max(before_end - before_start, 1e-3) + 1.0 / max(after_end - after_start, 1e-3)
    if gain > NOISY_GAIN * NOISY_GAIN:
        return None
    if (
        before[4]
        or after[4]
        or before[8] is None
        or after[8] is None
        or before[3] < 2 * needed  # a slow meter: its windows are sized by its cadence
        or after[3] < 2 * needed
    ):
        return None
    size = abs(after[8] - before[8])
    bound = NOISY_RATIO * max(TOLERANCE_RELATIVE * size, TOLERANCE_ABSOLUTE_W)
    if Z_95 * _hypot(before[9], after[9]) <= bound:
        return None
    if now < wide_end + s.guard_s:
        return wide_end + s.guard_s
    wide_before = series.measure(wide_start, before_end)
    wide_after = series.measure(after_start, wide_end, True)
    if not (_agrees(before, wide_before) and _agrees(after, wide_after)):
        return None
    return wide_start, wide_end, wide_before, wide_after


def _agrees(narrow: Measured, wide: Measured) -> bool:
    """A widened window still measures the same level: no gap, and no step or drift of the
    base (an unwatched fridge, a wandering base) moved it beyond the noise."""
    if wide[4] or wide[8] is None or narrow[8] is None or not narrow[3]:
        return False
    # the narrow level's standard error, from the wide window's better view of the noise
    expected = wide[9] * math.sqrt(wide[3] / narrow[3])
    # a half-to-half drift has twice a level's standard error: a step inside moves it more
    return (
        abs(wide[8] - narrow[8]) <= NOISY_AGREE * expected
        and abs(wide[2]) <= 2.0 * NOISY_DRIFT * wide[9]
    )
