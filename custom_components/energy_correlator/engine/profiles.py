"""Learned device power from many correlations, with robust statistics and slow forgetting.

Each (entity, transition kind) keeps bounded recent observations per level bucket (a tenth of
the level range): an off->level event observes +delta at that level, a level->off event -delta.
Changes between two non-zero levels are kept as relative steps and fill buckets nobody reached
from off. The centre of a bucket is the median after MAD outlier rejection; a value far from the
centre does not teach, but a consistent run of such values replaces the bucket (a replaced bulb
is relearned). Values are in "delta space" (power above the device's own standby).
"""

from array import array
from bisect import bisect_left, insort
from dataclasses import dataclass
from itertools import pairwise
import math
from typing import Any, NamedTuple

from .models import TransitionKind
from .stats import median, robust_centre, robust_centre_sorted

MAX_OBSERVATIONS = 32  # per level bucket
MAX_RELATIVE = 32
MAX_REFERENCE = 32
TAKEOVER_RUN = 5  # consecutive disagreeing values that replace a bucket
MIN_FOR_REJECTION = 5  # below this many values every value is accepted
LAG_SHARE = 4  # a bucket of n values refreshes its statistics after n // LAG_SHARE lessons
CONFIDENT = 0.5  # profile confidence above which its expected deltas compensate overlaps
_CURVE_KINDS = frozenset({TransitionKind.BRIGHTNESS, TransitionKind.FAN_SPEED})


def bucket_of(level: float) -> float:
    """The level bucket (0.1 .. 1.0) a non-zero level belongs to."""
    return min(max(round(level * 10.0) / 10.0, 0.1), 1.0)


class _Bucket:
    """Observations at one level bucket: value (W), time, exact level, direction (+1 on, -1 off).

    The values are also kept in ascending order, updated on every change, so the robust centre
    needs no sort of its own. A lesson is only an insert: the statistics of a bucket of n values
    are kept until n // LAG_SHARE - 1 newer lessons arrived (none below 2 * LAG_SHARE values),
    so a full bucket recomputes them every few lessons; so few new values barely move a median.
    """

    __slots__ = ("_lag", "_stats", "directions", "levels", "ordered", "run", "times", "values")

    def __init__(self) -> None:
        self.values = array("d")
        self.times = array("d")
        self.levels = array("d")
        self.directions = array("b")
        self.ordered: list[float] = []
        self.run: list[tuple[float, float, float, int]] = []  # recent rejected values
        self._stats: tuple[float, float, int] | None = None
        self._lag = 0  # lessons since the statistics were computed

    @property
    def stats(self) -> tuple[float, float, int]:
        """(centre, spread, agreeing) of the values (cached until they change)."""
        if self._stats is None:
            self._stats = robust_centre_sorted(self.ordered)
            self._lag = 0
        return self._stats

    @property
    def current(self) -> bool:
        """Whether the statistics are computed (and within their allowed lag)."""
        return self._stats is not None

    @property
    def point(self) -> tuple[float, float, float, int]:
        """(mean level, centre, spread, agreeing): one point of a level curve."""
        return (sum(self.levels) / len(self.levels), *self.stats)

    def append(self, value: float, ts: float, level: float, direction: int) -> None:
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
        self._stats = None

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
    def from_dict(cls, data: dict[str, Any]) -> _Bucket:
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


class Shape(NamedTuple):
    """Learned power at full level and the curve, from the main bucket's statistics.

    A NamedTuple: rebuilt after every lesson, and cheaper to build than a frozen dataclass.
    """

    learned_w: float | None
    curve: tuple[tuple[float, float], ...]
    centre: float
    spread: float
    kept: int
    main_key: float


@dataclass(frozen=True, slots=True)
class KindEstimate:
    """What one kind profile currently says (recomputed only when it changes)."""

    learned_w: float | None  # delta at full level (level 1, or the highest media level)
    confidence: float
    on_delta_w: float | None
    off_delta_w: float | None
    spread_w: float
    curve: tuple[tuple[float, float], ...]
    agreeing: int


class KindProfile:
    """Learned power of one device for one transition kind."""

    __slots__ = (
        "_estimate",
        "_shape",
        "buckets",
        "events",
        "kind",
        "last_seen",
        "reference",
        "relative",
        "standby",
    )

    def __init__(self, kind: TransitionKind) -> None:
        """Empty profile."""
        self.kind = kind
        self.buckets: dict[float, _Bucket] = {}
        self.relative: list[tuple[float, float, float, float]] = []  # from, to, delta, ts
        self.reference: list[float] = []  # device's own sensor: its full-level power deltas
        self.standby: list[float] = []  # device's own sensor while off
        self.events = 0
        self.last_seen: float | None = None
        self._estimate: KindEstimate | None = None
        self._shape: Shape | None = None

    def add(self, previous_level: float, level: float, delta_w: float, ts: float) -> bool:
        """Teach one measured delta; False when it disagrees with what was learned.

        The learned shape is dropped only when the bucket's statistics were (see _Bucket).
        """
        if previous_level <= 0.0 < level:
            bucket = self._bucket(level)
            accepted = bucket.offer(delta_w, ts, level, 1)
        elif level <= 0.0 < previous_level:
            bucket = self._bucket(previous_level)
            accepted = bucket.offer(-delta_w, ts, previous_level, -1)
        elif previous_level > 0.0 and level > 0.0 and previous_level != level:
            self.relative.append((previous_level, level, delta_w, ts))
            del self.relative[:-MAX_RELATIVE]
            self._estimate = self._shape = None
            self._count(ts)
            return True
        else:
            return False
        if accepted:
            self._count(ts)
        self._estimate = None
        if not bucket.current:
            self._shape = None
        return accepted

    def _count(self, ts: float) -> None:
        self.events += 1
        self.last_seen = ts if self.last_seen is None else max(self.last_seen, ts)

    @property
    def has_shape(self) -> bool:
        """Whether the learned shape is cached (False after a lesson that changed it)."""
        return self._shape is not None

    def add_reference(self, previous_level: float, level: float, ref_delta_w: float) -> None:
        """The device's own sensor saw this full on/off step."""
        if min(previous_level, level) <= 0.0 and max(previous_level, level) >= 1.0:
            self.reference.append(abs(ref_delta_w))
            del self.reference[:-MAX_REFERENCE]
            self._estimate = None
            self._shape = None

    def add_standby(self, watts: float) -> None:
        """The device's own sensor while the device is off."""
        self.standby.append(watts)
        del self.standby[:-MAX_REFERENCE]
        self._estimate = None
        self._shape = None

    def _bucket(self, level: float) -> _Bucket:
        key = bucket_of(level)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket()
        return bucket

    @property
    def estimate(self) -> KindEstimate:
        """The current estimate (cached until the next observation)."""
        if self._estimate is None:
            self._estimate = self._compute()
        return self._estimate

    def _points(self) -> dict[float, tuple[float, float, float, int]]:
        """bucket -> (mean level, centre W, spread W, agreeing count), gaps filled by steps."""
        points: dict[float, tuple[float, float, float, int]] = {}
        for key, bucket in self.buckets.items():
            if bucket.values:
                points[key] = bucket.point
        if not self.relative:
            return points
        derived: dict[float, list[tuple[float, float]]] = {}
        for start, end, delta, _ in self.relative:
            start_key, end_key = bucket_of(start), bucket_of(end)
            if start_key in points and end_key not in points:
                derived.setdefault(end_key, []).append((end, points[start_key][1] + delta))
            elif end_key in points and start_key not in points:
                derived.setdefault(start_key, []).append((start, points[end_key][1] - delta))
        for key, found in derived.items():
            centre, spread, kept = robust_centre([watts for _, watts in found])
            level = sum(level for level, _ in found) / len(found)
            points[key] = (level, centre, spread, kept)
        return points

    @property
    def shape(self) -> Shape:
        """Learned power and curve only: the cheap part of the estimate (cached)."""
        if self._shape is None:
            self._shape = self._compute_shape()
        return self._shape

    def _compute_shape(self) -> Shape:
        if not self.relative and self.kind not in _CURVE_KINDS:
            # on/off-like kinds: the highest bucket alone defines the power (no mean levels)
            keys = [key for key, bucket in self.buckets.items() if bucket.values]
            if not keys:
                return Shape(None, (), 0.0, 0.0, 0, 0.0)
            main_key = max(keys)
            centre, spread, kept = self.buckets[main_key].stats
            return Shape(centre, (), centre, spread, kept, main_key)
        points = self._points()
        if not points:
            return Shape(None, (), 0.0, 0.0, 0, 0.0)
        main_key = max(points)
        _, centre, spread, kept = points[main_key]
        if main_key >= 1.0 or self.kind not in _CURVE_KINDS:
            learned = centre
        else:
            learned = _extrapolate_full([(lv, w) for lv, w, _, _ in points.values()])
        curve: tuple[tuple[float, float], ...] = ()
        if self.kind in _CURVE_KINDS:
            pairs = sorted((lv, w) for lv, w, _, _ in points.values())
            if pairs[-1][0] < 1.0:
                pairs.append((1.0, learned))
            curve = tuple(pairs)
        return Shape(learned, curve, centre, spread, kept, main_key)

    def _compute(self) -> KindEstimate:
        shape = self.shape
        learned, curve = shape.learned_w, shape.curve
        centre, spread, kept = shape.centre, shape.spread, shape.kept
        if learned is None:
            return KindEstimate(None, 0.0, None, None, 0.0, (), 0)
        bucket = self.buckets.get(shape.main_key)
        on_values = off_values = None
        if bucket is not None:
            on_values = [v for v, d in zip(bucket.values, bucket.directions, strict=True) if d > 0]
            off_values = [v for v, d in zip(bucket.values, bucket.directions, strict=True) if d < 0]
        on_delta = median(on_values) if on_values else None
        off_delta = median(off_values) if off_values else None
        confidence = _confidence(centre, spread, kept, on_delta, off_delta)
        return KindEstimate(learned, confidence, on_delta, off_delta, spread, curve, kept)

    @property
    def standby_w(self) -> float | None:
        """The device's own power while off, when its sensor told us."""
        return median(self.standby) if self.standby else None

    @property
    def reference_w(self) -> float | None:
        """The device's own sensor's view of its full-level delta."""
        return median(self.reference) if self.reference else None

    def delta_at(self, level: float) -> float:
        """Expected power above standby at `level` (0 when off or unknown)."""
        return shape_delta(self.shape, level)

    def expected_delta(self, previous_level: float, level: float) -> float | None:
        """The power step this profile predicts for a transition; None unless confident."""
        if self.estimate.confidence < CONFIDENT:
            return None
        return self.delta_at(level) - self.delta_at(previous_level)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "kind": str(self.kind),
            "events": self.events,
            "last_seen": self.last_seen,
            "buckets": {str(key): bucket.to_dict() for key, bucket in self.buckets.items()},
            "relative": [list(item) for item in self.relative],
            "reference": list(self.reference),
            "standby": list(self.standby),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KindProfile:
        """Inverse of to_dict; raises ValueError/KeyError/TypeError on malformed data."""
        profile = cls(TransitionKind(data["kind"]))
        profile.events = int(data.get("events", 0))
        last_seen = data.get("last_seen")
        profile.last_seen = None if last_seen is None else float(last_seen)
        for key, bucket in dict(data.get("buckets", {})).items():
            profile.buckets[bucket_of(float(key))] = _Bucket.from_dict(bucket)
        profile.relative = [
            (float(a), float(b), float(d), float(t)) for a, b, d, t in data.get("relative", [])
        ][-MAX_RELATIVE:]
        profile.reference = [float(v) for v in data.get("reference", [])][-MAX_REFERENCE:]
        profile.standby = [float(v) for v in data.get("standby", [])][-MAX_REFERENCE:]
        return profile


def shape_delta(shape: Shape, level: float) -> float:
    """Power above standby at `level` by a learned shape (0 when off or unknown)."""
    if level <= 0.0 or shape.learned_w is None:
        return 0.0
    if not shape.curve:
        return shape.learned_w
    return _interpolate(shape.curve, level)


def _confidence(
    centre: float, spread: float, kept: int, on_delta: float | None, off_delta: float | None
) -> float:
    """Grows with agreeing events; shrinks with spread and with on/off disagreement."""
    if centre <= 0.0:
        return 0.0
    count_factor = 1.0 - math.exp(-kept / 4.0)
    relative_error = spread / (math.sqrt(kept) * centre)
    spread_factor = 1.0 / (1.0 + 5.0 * relative_error)
    agreement = 1.0
    if on_delta is not None and off_delta is not None:
        scale = max(abs(on_delta), abs(off_delta), 1.0)
        agreement = 1.0 / (1.0 + 3.0 * abs(on_delta - off_delta) / scale)
    return max(0.0, min(1.0, count_factor * spread_factor * agreement))


def _extrapolate_full(points: list[tuple[float, float]]) -> float:
    """Power at level 1 from (level, watts) points below it: a least-squares line, or scaling."""
    if len(points) == 1:
        level, watts = points[0]
        return watts / level if level > 0 else watts
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var_x = sum((x - mean_x) ** 2 for x, _ in points)
    if var_x <= 1e-12:
        return mean_y / mean_x if mean_x > 0 else mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var_x
    return mean_y + slope * (1.0 - mean_x)


def _interpolate(curve: tuple[tuple[float, float], ...], level: float) -> float:
    """Piecewise-linear watts at `level`, through (0, 0) below the first point."""
    first_level, first_watts = curve[0]
    if level <= first_level:
        return first_watts * level / first_level if first_level > 0 else first_watts
    for (l0, w0), (l1, w1) in pairwise(curve):
        if level <= l1:
            return w0 + (w1 - w0) * (level - l0) / (l1 - l0) if l1 > l0 else w1
    return curve[-1][1]
