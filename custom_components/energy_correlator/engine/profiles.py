"""Learned device power from many correlations, with robust statistics and slow forgetting.

Each (entity, transition kind) keeps bounded recent observations per level bucket (a tenth of
the level range): an off->level event observes +delta at that level, a level->off event -delta.
Changes between two non-zero levels are kept as relative steps and fill buckets nobody reached
from off. The centre of a bucket is the median after MAD outlier rejection; a value far from the
centre does not teach, but a consistent run of such values replaces the bucket (a replaced bulb
is relearned). Values are in "delta space" (power above the device's own standby).
"""

from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

from .bucket import Bucket
from .models import TransitionKind
from .modes import confidence_of, standard_error
from .stats import median, robust_centre

MAX_RELATIVE = 32
MAX_REFERENCE = 32
CONFIDENT = 0.5  # profile confidence above which its expected deltas compensate overlaps
_CURVE_KINDS = frozenset({TransitionKind.BRIGHTNESS, TransitionKind.FAN_SPEED})


def bucket_of(level: float) -> float:
    """The level bucket (0.1 .. 1.0) a non-zero level belongs to."""
    if level == 1.0:  # every on/off lesson: skip the rounding
        return 1.0
    return min(max(round(level * 10.0) / 10.0, 0.1), 1.0)


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
    modal: bool = False  # the main bucket has more than one mode


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
    uncertainty_w: float | None = None  # standard error of learned_w
    modes: tuple[tuple[float, int, float], ...] = ()  # (delta W, events, share), dominant first


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
        self.buckets: dict[float, Bucket] = {}
        self.relative: list[tuple[float, float, float, float]] = []  # from, to, delta, ts
        self.reference: list[float] = []  # device's own sensor: its full-level power deltas
        self.standby: list[float] = []  # device's own sensor while off
        self.events = 0
        self.last_seen: float | None = None
        self._estimate: KindEstimate | None = None
        self._shape: Shape | None = None

    def add(
        self, previous_level: float, level: float, delta_w: float, ts: float, sigma: float = 0.0
    ) -> bool:
        """Teach one measured delta (with its standard error); False when it fits no mode.

        The learned shape is dropped only when the bucket's statistics were (see Bucket).
        """
        if previous_level <= 0.0 < level:
            bucket = self._bucket(bucket_of(level))
            accepted = bucket.offer(delta_w, ts, level, 1, sigma)
        elif level <= 0.0 < previous_level:
            bucket = self._bucket(bucket_of(previous_level))
            accepted = bucket.offer(-delta_w, ts, previous_level, -1, sigma)
        elif previous_level > 0.0 and level > 0.0 and previous_level != level:
            self.relative.append((previous_level, level, delta_w, ts))
            del self.relative[:-MAX_RELATIVE]
            self._estimate = self._shape = None
            self.events += 1
            self.last_seen = ts if self.last_seen is None else max(self.last_seen, ts)
            return True
        else:
            return False
        if accepted:
            self.events += 1
            last_seen = self.last_seen
            self.last_seen = ts if last_seen is None or ts > last_seen else last_seen
        self._estimate = None
        if not bucket.current:
            self._shape = None
        return accepted

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

    def _bucket(self, key: float) -> Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket()
        return bucket

    @property
    def estimate(self) -> KindEstimate:
        """The current estimate (cached until the next observation)."""
        if self._estimate is None:
            self._estimate = self._compute()
        return self._estimate

    def _points(self, exact: bool) -> dict[float, tuple[float, float, float, int]]:
        """bucket -> (mean level, centre W, spread W, agreeing count), gaps filled by steps."""
        points: dict[float, tuple[float, float, float, int]] = {}
        for key, bucket in self.buckets.items():
            if bucket.values:
                points[key] = bucket.point(exact)
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
            self._shape = self._compute_shape(exact=False)
        return self._shape

    def _compute_shape(self, exact: bool) -> Shape:
        """The shape from the buckets' statistics: lagging (for power_at) or exact (reads)."""
        if not self.relative and self.kind not in _CURVE_KINDS:
            # on/off-like kinds: the highest bucket alone defines the power (no mean levels)
            keys = [key for key, bucket in self.buckets.items() if bucket.values]
            if not keys:
                return Shape(None, (), 0.0, 0.0, 0, 0.0)
            main_key = max(keys)
            bucket = self.buckets[main_key]
            centre, spread, kept = bucket.exact_stats if exact else bucket.stats
            modal = len(bucket.exact_modes if exact else bucket.modes) > 1
            return Shape(centre, (), centre, spread, kept, main_key, modal)
        points = self._points(exact)
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
        shape = self._compute_shape(exact=True)
        learned, curve = shape.learned_w, shape.curve
        centre, spread, kept = shape.centre, shape.spread, shape.kept
        if learned is None:
            return KindEstimate(None, 0.0, None, None, 0.0, (), 0)
        bucket = self.buckets.get(shape.main_key)
        on_delta = off_delta = None
        modes: tuple[tuple[float, int, float], ...] = ()
        if bucket is not None and bucket.values:
            found = bucket.exact_modes
            dominant = found[0]
            on_values: list[float] = []
            off_values: list[float] = []
            for value, direction in zip(bucket.values, bucket.directions, strict=True):
                if dominant.low <= value <= dominant.high:
                    (on_values if direction > 0 else off_values).append(value)
            on_delta = median(on_values) if on_values else None
            off_delta = median(off_values) if off_values else None
            total = len(bucket.values)
            modes = tuple((mode.centre, mode.size, mode.size / total) for mode in found)
            uncertainty = dominant.uncertainty
        else:  # a level nobody reached from off, derived from steps between levels
            uncertainty = standard_error(centre, [(centre, spread)] * max(kept, 1))
        if learned != centre and centre > 0.0:  # extrapolated to full level: scale the error
            uncertainty *= abs(learned / centre)
        confidence = confidence_of(learned, uncertainty)
        return KindEstimate(
            learned, confidence, on_delta, off_delta, spread, curve, kept, uncertainty, modes
        )

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
            profile.buckets[bucket_of(float(key))] = Bucket.from_dict(bucket)
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
