"""Observations of one level bucket of a kind profile, with lagging robust statistics.

Split from profiles.py: a bucket only keeps values and answers "does this value agree"; the
profile turns its buckets into a learned power and curve.
"""

from array import array
from bisect import bisect_left, insort
from typing import Any

from .stats import median, robust_centre_sorted

MAX_OBSERVATIONS = 32  # per level bucket
TAKEOVER_RUN = 5  # consecutive disagreeing values that replace a bucket
MIN_FOR_REJECTION = 5  # below this many values every value is accepted
LAG_SHARE = 3  # a bucket of n values refreshes its statistics after n // LAG_SHARE + 1 lessons


class Bucket:
    """Observations at one level bucket: value (W), time, exact level, direction (+1 on, -1 off).

    The values are also kept in ascending order, updated on every change, so the robust centre
    needs no sort of its own. A lesson is mostly just an insert: the statistics of a bucket of n
    values are kept while at most n // LAG_SHARE newer lessons arrived, so a full bucket
    recomputes them every few lessons (so few new values barely move a median). The rejection
    check and the power used for energy booking read these; profile reads (exact_stats) see
    every value.
    """

    __slots__ = (
        "_exact",
        "_lag",
        "_stats",
        "directions",
        "levels",
        "ordered",
        "run",
        "times",
        "values",
    )

    def __init__(self) -> None:
        self.values = array("d")
        self.times = array("d")
        self.levels = array("d")
        self.directions = array("b")
        self.ordered: list[float] = []
        self.run: list[tuple[float, float, float, int]] = []  # recent rejected values
        self._stats: tuple[float, float, int] | None = None
        self._lag = 0  # lessons since the statistics were computed
        self._exact: tuple[float, float, int] | None = None  # of all values, for reads

    @property
    def stats(self) -> tuple[float, float, int]:
        """(centre, spread, agreeing) of the values (cached until they change)."""
        if self._stats is None:
            self._stats = robust_centre_sorted(self.ordered)
            self._lag = 0
        return self._stats

    @property
    def exact_stats(self) -> tuple[float, float, int]:
        """(centre, spread, agreeing) of all the values now (what profile reads report)."""
        if not self._lag and self._stats is not None:
            return self._stats
        if self._exact is None:
            self._exact = robust_centre_sorted(self.ordered)
        return self._exact

    def point(self, exact: bool) -> tuple[float, float, float, int]:
        """(mean level, centre, spread, agreeing): one point of a level curve."""
        stats = self.exact_stats if exact else self.stats
        return (sum(self.levels) / len(self.levels), *stats)

    @property
    def current(self) -> bool:
        """Whether the statistics are computed (and within their allowed lag)."""
        return self._stats is not None

    def append(self, value: float, ts: float, level: float, direction: int) -> None:
        self._exact = None
        if self._stats is not None:
            self._lag += 1
            if self._lag * LAG_SHARE > len(self.values):
                self._stats = None
        values, ordered = self.values, self.ordered
        values.append(value)
        self.times.append(ts)
        self.levels.append(level)
        self.directions.append(direction)
        insort(ordered, value)
        if len(values) > MAX_OBSERVATIONS:
            del ordered[bisect_left(ordered, values[0])]
            del values[0]
            del self.times[0]
            del self.levels[0]
            del self.directions[0]

    def clear(self) -> None:
        for column in (self.values, self.times, self.levels, self.directions):
            del column[:]
        self.ordered = []
        self.run = []
        self._stats = self._exact = None

    def offer(self, value: float, ts: float, level: float, direction: int) -> bool:
        """Add a value if it agrees with the bucket; a consistent disagreeing run takes over."""
        if len(self.values) >= MIN_FOR_REJECTION:
            centre, spread, _ = self.stats
            tolerance = max(4.0 * spread, 0.15 * abs(centre), 3.0)
            if abs(value - centre) > tolerance:
                self.run.append((value, ts, level, direction))
                del self.run[:-TAKEOVER_RUN]
                if len(self.run) == TAKEOVER_RUN and _agree([v for v, *_ in self.run]):
                    run = self.run
                    self.clear()
                    for item in run:
                        self.append(*item)
                    return True
                return False
        if self.run:
            self.run.clear()
        self.append(value, ts, level, direction)
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": list(self.values),
            "t": list(self.times),
            "l": list(self.levels),
            "d": list(self.directions),
            "r": [list(item) for item in self.run],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bucket:
        bucket = cls()
        for value, ts, level, direction in zip(
            data.get("v", []), data.get("t", []), data.get("l", []), data.get("d", []), strict=False
        ):
            bucket.append(float(value), float(ts), float(level), 1 if direction > 0 else -1)
        bucket.run = [
            (float(v), float(t), float(lv), 1 if d > 0 else -1) for v, t, lv, d in data.get("r", [])
        ][-TAKEOVER_RUN:]
        return bucket


def _agree(values: list[float]) -> bool:
    centre = median(values)
    return max(values) - min(values) <= max(0.2 * abs(centre), 6.0)
