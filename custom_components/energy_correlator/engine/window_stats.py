"""Window statistics over a series' readings: the general path of PowerSeries.measure.

Split from series.py: the series answers the common window (clean, no gap) from its running
sums; everything else (a gap inside, an outlier, too few readings, the exact time-weighted
median) is worked out here from the readings, and WindowStats is that answer as an object.
"""

from collections.abc import Sequence
import math
from operator import mul, sub

_sqrt = math.sqrt
_sumprod = math.sumprod
IQR_SCALE = 1.0 / 1.349  # interquartile range -> standard deviation for normal data
# median (time-weighted, None when nothing valid), spread, drift, updates, gap; the valid
# values with the times each held from and to (empty when the running sums gave the level);
# the level (the time-weighted mean of a clean window, else the median) and its standard error
type Measured = tuple[
    float | None,
    float,
    float,
    int,
    bool,
    Sequence[float],
    Sequence[float],
    Sequence[float],
    float | None,
    float,
]
MEDIAN_NOISE = 1.25  # standard error of a median / of a mean, for normal data
CLEAN_MIN_READINGS = 5  # fewer readings cannot show an outlier: the median is the level
CLEAN_SPREADS = 4.0  # a window is clean when every reading is this close to the median


class WindowStats:
    """Statistics of the held power over [start, end] (PowerSeries.measure, as an object).

    The time-weighted mean is computed on first access: most callers never read it.
    """

    __slots__ = (
        "_ends",
        "_mean",
        "_starts",
        "_values",
        "drift",
        "end",
        "error",
        "gap",
        "level",
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
        spread: float,  # robust spread: interquartile range / 1.349 over the readings
        drift: float,  # mean of the second half of the readings minus mean of the first half
        updates: int,  # meter reports inside (start, end]
        gap: bool,  # part of the window had no value (unavailable, or before the first sample)
        values: Sequence[float] = (),
        starts: Sequence[float] = (),
        ends: Sequence[float] = (),
        level: float | None = None,  # the correlator's estimate: mean if clean, else median
        error: float = 0.0,  # standard error of the level
    ) -> None:
        """Record the statistics; `values` held from `starts` to `ends` give the mean later."""
        self.start = start
        self.end = end
        self.median = median
        self.spread = spread
        self.drift = drift
        self.updates = updates
        self.gap = gap
        self._values = values
        self._starts = starts
        self._ends = ends
        self._mean: float | None = None
        self.level = level
        self.error = error

    @property
    def mean(self) -> float | None:
        """Time-weighted mean over the valid part (None when nothing in the window is valid)."""
        if self._mean is None and self._values:
            durations = list(map(sub, self._ends, self._starts, strict=True))
            self._mean = sum(map(mul, self._values, durations, strict=True)) / sum(durations)
        return self._mean


def measure_readings(
    ts: list[float],
    w: list[float],
    first: int,
    last: int,
    start: float,
    end: float,
    flags: tuple[bool, bool, bool],
    ordered: list[float] | None = None,
) -> Measured:
    """PowerSeries.measure from the readings themselves: a window with a gap inside, an
    outlier, too few readings, or one asked for its exact time-weighted median (window()).

    `ts`/`w` are the series' readings, [first, last) the ones inside (start, end]; flags are
    (inside_only, exact_median, warm) as measure() has them; `ordered`, the window's values
    already sorted by measure() (a window without a gap), is not sorted again.
    """
    inside_only, exact_median, warm = flags
    head = first if inside_only or not first else first - 1
    updates = last - first
    values = w[head:last]
    gap = first == 0 and not inside_only and not warm
    starts = ts[head:last]
    starts[0] = max(starts[0], start)
    ends = starts[1:]
    ends.append(end)
    total = sum(values)
    if total != total:  # noqa: PLR0124 - a NaN (a gap) inside: keep the valid readings
        gap = True
        kept = [item for item in zip(values, starts, ends, strict=True) if item[0] == item[0]]
        if not kept:
            return None, 0.0, 0.0, updates, True, (), (), (), None, 0.0
        values = [v for v, _, _ in kept]
        starts = [s for _, s, _ in kept]
        ends = [e for _, _, e in kept]
        total = sum(values)
        half = 0.5 * sum(map(sub, ends, starts, strict=True))
    else:
        half = 0.5 * (end - starts[0])  # the durations add up to the whole valid span
    if half <= 0.0:
        if inside_only and values:  # one reading right at the end: it is the value
            return values[-1], 0.0, 0.0, updates, gap, (), (), (), values[-1], 0.0
        return None, 0.0, 0.0, updates, True, (), (), (), None, 0.0
    durations = list(map(sub, ends, starts, strict=True))
    count = len(values)
    if ordered is None or len(ordered) != count:  # (a gap inside left fewer values)
        ordered = sorted(values)  # floats: CPython's fastest sort
    spread = IQR_SCALE * (ordered[(3 * count) // 4] - ordered[count // 4])
    split = count // 2
    if split:
        early = sum(values[:split])
        drift = (total - early) / (count - split) - early / split
    else:
        drift = 0.0
    clean = count >= CLEAN_MIN_READINGS and spread > 0.0
    if clean:
        limit = CLEAN_SPREADS * spread
        middle = ordered[split]
        clean = ordered[-1] - middle <= limit and middle - ordered[0] <= limit
        if clean and not exact_median:
            level = _sumprod(values, durations) / (2.0 * half)
            error = spread / _sqrt(count)
            return middle, spread, drift, updates, gap, values, starts, ends, level, error
    running = 0.0
    for index in sorted(range(count), key=values.__getitem__):
        running += durations[index]
        if running >= half:  # the loop leaves the median's index behind
            break
    median = values[index]
    if clean:
        level = _sumprod(values, durations) / (2.0 * half)
        error = spread / _sqrt(count)
        return median, spread, drift, updates, gap, values, starts, ends, level, error
    error = MEDIAN_NOISE * spread / _sqrt(count)
    return median, spread, drift, updates, gap, values, starts, ends, median, error
