"""Observations of one level bucket of a kind profile, with lagging robust statistics.

Split from profiles.py: a bucket only keeps values and answers "does this value agree"; the
profile turns its buckets into a learned power and curve.
"""

from array import array
import math
from typing import Any

from .modes import MODE_MIN_EVENTS, Mode, modes_of_sorted
from .stats import median

MAX_OBSERVATIONS = 32  # per level bucket
TAKEOVER_RUN = 5  # consecutive disagreeing values that replace a bucket
MIN_FOR_REJECTION = 5  # below this many values every value is accepted
LAG_SHARE = 2  # a bucket of n values refreshes its statistics after n // LAG_SHARE + 1 lessons


class Bucket:
    """Observations at one level bucket: value (W), time, exact level, direction (+1 on, -1 off)
    and the value's own standard error (W; 0 when unknown, as in data stored before it).

    Values that fit no mode are kept too (a second mode grows from them) but do not teach;
    the statistics are the dominant mode's (see modes.py).

    A lesson is just an append: the statistics of a bucket of n values are kept while at most
    n // LAG_SHARE newer lessons arrived, so a full bucket recomputes them (from one sort of
    its few dozen values) every n // LAG_SHARE + 1 lessons; so few new values barely move a
    median. The rejection check and the power used for energy booking read these; profile
    reads (exact_stats) see every value.
    """

    __slots__ = (
        "_exact",
        "_lag",
        "_stats",
        "directions",
        "levels",
        "run",
        "sigmas",
        "times",
        "values",
    )

    def __init__(self) -> None:
        self.values = array("d")
        self.times = array("d")
        self.levels = array("d")
        self.directions = array("b")
        self.sigmas = array("d")
        self.run: list[_Item] = []  # recent values that fit no mode
        self._stats: list[Mode] | None = None
        self._lag = 0  # lessons since the statistics were computed
        self._exact: list[Mode] | None = None  # of all values, for reads

    def _analyse(self) -> list[Mode]:
        sigmas = self.sigmas
        noise_var = math.sumprod(sigmas, sigmas) / len(sigmas) if sigmas else 0.0
        return modes_of_sorted(sorted(self.values), noise_var)

    @property
    def modes(self) -> list[Mode]:
        """The modes, most events first (lagging: what rejection and booking use)."""
        if self._stats is None:
            self._stats = self._analyse()
            self._lag = 0
        return self._stats

    @property
    def exact_modes(self) -> list[Mode]:
        """The modes of all the values now (what profile reads report)."""
        if not self._lag and self._stats is not None:
            return self._stats
        if self._exact is None:
            self._exact = self._analyse()
        return self._exact

    @property
    def stats(self) -> tuple[float, float, int]:
        """(centre, spread, agreeing) of the dominant mode (cached until they change)."""
        mode = self.modes[0]
        return mode.centre, mode.spread, mode.kept

    @property
    def exact_stats(self) -> tuple[float, float, int]:
        """(centre, spread, agreeing) of the dominant mode of all the values now."""
        mode = self.exact_modes[0]
        return mode.centre, mode.spread, mode.kept

    def point(self, exact: bool) -> tuple[float, float, float, int]:
        """(mean level, centre, spread, agreeing): one point of a level curve."""
        stats = self.exact_stats if exact else self.stats
        return (sum(self.levels) / len(self.levels), *stats)

    @property
    def current(self) -> bool:
        """Whether the statistics are computed (and within their allowed lag)."""
        return self._stats is not None

    def append(
        self, value: float, ts: float, level: float, direction: int, sigma: float = 0.0
    ) -> None:
        self._exact = None
        if self._stats is not None:
            self._lag += 1
            if self._lag * LAG_SHARE > len(self.values):
                self._stats = None
        values = self.values
        values.append(value)
        self.times.append(ts)
        self.levels.append(level)
        self.directions.append(direction)
        self.sigmas.append(sigma)
        if len(values) > MAX_OBSERVATIONS:
            del values[0]
            del self.times[0]
            del self.levels[0]
            del self.directions[0]
            del self.sigmas[0]

    def clear(self) -> None:
        for column in (self.values, self.times, self.levels, self.directions, self.sigmas):
            del column[:]
        self.run = []
        self._stats = self._exact = None

    def offer(
        self, value: float, ts: float, level: float, direction: int, sigma: float = 0.0
    ) -> bool:
        """Add a value; True when it agrees with a mode (it teaches).

        A value that fits no mode is kept (a second mode may grow from such values) but does
        not teach. A run of values off the dominant mode that agree with each other and with
        nothing kept before them takes the bucket over (a replaced bulb is relearned).
        """
        if len(self.values) < MIN_FOR_REJECTION:
            fitting = 0  # a young bucket accepts everything
        else:
            modes = self._stats or self.modes  # (the property works them out when due)
            dominant = modes[0]
            if abs(value - dominant.centre) <= dominant.tolerance:
                fitting = 0  # the usual lesson: it agrees with the dominant mode
            else:
                fitting = self._fitting(modes, value, sigma)
        if fitting == 0:
            if self.run:
                self.run.clear()
            self.append(value, ts, level, direction, sigma)
            return True
        self.run.append((value, ts, level, direction, sigma))
        del self.run[:-TAKEOVER_RUN]
        if len(self.run) == TAKEOVER_RUN:
            run_values = [v for v, *_ in self.run]
            if _agree(run_values) and not self._seen(run_values):
                run = self.run
                self.clear()
                for kept in run:
                    self.append(*kept)
                return True
        self.append(value, ts, level, direction, sigma)
        return fitting > 0

    @staticmethod
    def _fitting(modes: list[Mode], value: float, sigma: float) -> int:
        """Index of the mode a value agrees with; -1 for none."""
        for index, mode in enumerate(modes):
            distance = abs(value - mode.centre)
            if distance <= mode.tolerance or distance <= 3.0 * math.sqrt(
                sigma * sigma + mode.uncertainty * mode.uncertainty
            ):
                return index
        return -1

    def _seen(self, run_values: list[float]) -> bool:
        """Whether values kept before the run already agree with it (an existing mode)."""
        centre = median(run_values)
        tolerance = max(0.2 * abs(centre), 6.0)
        earlier = len(self.values) - (len(self.run) - 1)
        return sum(abs(v - centre) <= tolerance for v in self.values[:earlier]) >= MODE_MIN_EVENTS

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": list(self.values),
            "t": list(self.times),
            "l": list(self.levels),
            "d": list(self.directions),
            "s": list(self.sigmas),
            "r": [list(item) for item in self.run],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bucket:
        """Inverse of to_dict; data stored before standard errors were kept loads with 0."""
        bucket = cls()
        values = data.get("v", [])
        sigmas = list(data.get("s", []))[: len(values)]
        sigmas += [0.0] * (len(values) - len(sigmas))
        for value, ts, level, direction, sigma in zip(
            values, data.get("t", []), data.get("l", []), data.get("d", []), sigmas, strict=False
        ):
            bucket.append(
                float(value), float(ts), float(level), 1 if direction > 0 else -1, _sigma(sigma)
            )
        bucket.run = [_item(item) for item in data.get("r", [])][-TAKEOVER_RUN:]
        return bucket


type _Item = tuple[float, float, float, int, float]


def _sigma(value: Any) -> float:
    sigma = float(value)
    return sigma if math.isfinite(sigma) and sigma >= 0.0 else 0.0


def _item(raw: list[Any]) -> _Item:
    """A stored run item: (value, ts, level, direction[, sigma])."""
    value, ts, level, direction, *rest = raw
    sigma = _sigma(rest[0]) if rest else 0.0
    return float(value), float(ts), float(level), 1 if direction > 0 else -1, sigma


def _agree(values: list[float]) -> bool:
    centre = median(values)
    return max(values) - min(values) <= max(0.2 * abs(centre), 6.0)
