"""A cumulative series (time, total) → consumption per UTC hour.

Everything is one non-decreasing curve evaluated at hour boundaries, so the hours between two
readings always add up to exactly the readings' difference (telescoping sums) and no hour is
negative. Between readings the curve is a straight line; across a gap longer than
`gap_fill_after` it follows the meter's learned week profile (extra knots at the gap's hour
boundaries, placed by the profile's cumulative weight), or stays straight when no profile is
known. After the last reading an estimate at the recent rate may be appended, marked as such.
"""

from collections.abc import Callable
import math

import numpy as np

from .models import DAY, HOUR, HourlySeries

COVERED = 3 * HOUR  # hours inside reading intervals at most this long teach the profile
RESOLVED = 26 * HOUR  # days inside reading intervals at most this long can be judged
RECENT = 7 * DAY  # the open interval is extrapolated at the rate of this last stretch

type Weights = Callable[[float, int], np.ndarray]  # (first hour, hours) -> weight per hour


def _profile_knots(
    a: float, b: float, ca: float, cb: float, weights: Weights
) -> tuple[np.ndarray, np.ndarray] | None:
    """Knots at the hour boundaries inside (a, b), spreading cb - ca by the profile."""
    first = math.floor(a / HOUR) * HOUR
    inner = np.arange(math.floor(a / HOUR) + 1, math.ceil(b / HOUR)) * HOUR
    inner = inner[(inner > a) & (inner < b)]
    edges = np.concatenate([[a], inner, [b]])
    hours = int(math.ceil(b / HOUR) - math.floor(a / HOUR))
    w = weights(first, hours)
    piece_hour = ((edges[:-1] - first) // HOUR).astype(np.int64)
    piece = w[piece_hour] * (np.diff(edges) / HOUR)
    total = float(piece.sum())
    if not total > 0:
        return None
    cum = np.cumsum(piece)[:-1] / total
    return inner, ca + (cb - ca) * cum


def _interval_lengths(t: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The length of the reading interval containing each point (inf outside the readings)."""
    idx = np.searchsorted(t, points, side="right")
    inside = (idx > 0) & (idx < len(t))
    lengths = np.full(len(points), np.inf)
    i = idx[inside]
    lengths[inside] = t[i] - t[i - 1]
    on_last = points == t[-1]  # the last reading itself closes its interval
    if len(t) > 1:
        lengths[on_last] = t[-1] - t[-2]
    return lengths


def spread(
    t: np.ndarray, c: np.ndarray, gap_fill_after: float, weights: Weights | None
) -> tuple[HourlySeries, np.ndarray]:
    """Hourly consumption over the hours the readings span, and which hours are well covered
    (the profile learns from those)."""
    if len(t) < 2:
        start = math.floor(t[0] / HOUR) * HOUR if len(t) else 0.0
        return HourlySeries.empty(start), np.zeros(0, bool)
    start = math.floor(t[0] / HOUR) * HOUR
    hours = max(1, int(math.ceil(t[-1] / HOUR) - start / HOUR))
    filled = np.zeros(hours, bool)
    knots_t, knots_c = [t], [c]
    if weights is not None:
        for i in np.flatnonzero(np.diff(t) > gap_fill_after).tolist():
            knots = _profile_knots(
                float(t[i]), float(t[i + 1]), float(c[i]), float(c[i + 1]), weights
            )
            if knots is None:
                continue
            knots_t.append(knots[0])
            knots_c.append(knots[1])
            lo = int((math.floor(t[i] / HOUR) * HOUR - start) // HOUR)
            hi = int(math.ceil(t[i + 1] / HOUR) - start / HOUR)
            filled[lo:hi] = True
    if len(knots_t) > 1:
        all_t, all_c = np.concatenate(knots_t), np.concatenate(knots_c)
        order = np.argsort(all_t, kind="stable")
        all_t, all_c = all_t[order], all_c[order]
    else:
        all_t, all_c = t, c
    bounds = start + HOUR * np.arange(hours + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        steps = np.diff(np.interp(bounds, all_t, all_c))
    values = np.where(np.isfinite(steps) & (steps > 0), steps, 0.0)  # never negative nor inf
    lengths = _interval_lengths(t, bounds)
    widest = np.maximum(lengths[:-1], lengths[1:])
    covered = widest <= COVERED
    resolved = widest <= RESOLVED
    return HourlySeries(start, values, filled, np.zeros(hours, bool), resolved), covered


def recent_rate(t: np.ndarray, c: np.ndarray, max_rate: float = math.inf) -> float:
    """Consumption per second over the last RECENT seconds of readings, taken over at least an
    hour (readings seconds apart are no rate for the hours after them) and at most `max_rate`
    (the meter's plausibility bound); 0 when unknown."""
    if len(t) < 2:
        return 0.0
    since = max(float(t[0]), float(t[-1]) - RECENT)
    span = max(float(t[-1]) - since, HOUR)
    rate = float(c[-1] - np.interp(since, t, c)) / span
    return min(rate, max_rate) if math.isfinite(rate) and rate > 0 else 0.0


def extend_estimate(series: HourlySeries, last_ts: float, rate: float, now: float) -> HourlySeries:
    """`series` with the open interval (last_ts, now] added at `rate`, marked estimated."""
    if now <= last_ts or len(series) == 0 or series.end < last_ts:
        return series
    end = math.ceil(now / HOUR) * HOUR
    hours = round((end - series.start) / HOUR)
    if hours < len(series):
        return series
    bounds = series.start + HOUR * np.arange(hours + 1)
    lo, hi = np.clip(bounds[:-1], last_ts, now), np.clip(bounds[1:], last_ts, now)
    extra = rate * (hi - lo)
    values = np.zeros(hours)
    values[: len(series)] = series.values
    values += extra
    estimated = hi > lo
    estimated[: len(series)] |= series.estimated
    filled = np.zeros(hours, bool)
    filled[: len(series)] = series.filled
    resolved = np.zeros(hours, bool)
    resolved[: len(series)] = series.resolved & ~estimated[: len(series)]
    return HourlySeries(series.start, values, filled, estimated, resolved)
