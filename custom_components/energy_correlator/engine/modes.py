"""Modes of one bucket's deltas: clusters of agreeing values, each with a standard error.

A device behind one switch may draw one of a few powers (a dishwasher starts its pump or its
heater; a microwave its lamp or its magnetron). Sorted deltas split into clusters where the
gap between neighbours is larger than both could be by noise (the events' own standard
errors) and by a relative tolerance; a cluster with enough support is a mode. Inside a
cluster the mean of the values that agree with its median (MAD rejection) is the mode's
power; its standard error pools the values' scatter and their own noise: an honest "± W"
from the events.
"""

from itertools import pairwise
import math
from operator import sub
from typing import NamedTuple

from .stats import robust_slice_sorted

MAX_MODES = 3
MODE_MIN_EVENTS = 2  # a mode needs at least this many agreeing values...
MODE_MIN_SHARE = 0.1  # ...and this share of the bucket
GAP_RELATIVE = 0.3  # neighbours closer than this share of their size belong together
GAP_ABSOLUTE_W = 3.0  # (added to the relative part)
GAP_SIGMAS = 3.0  # ...or closer than this many combined standard errors
SINGLE_EVENT_RELATIVE = 0.15  # n values: at best this relative standard error / n
REJECT_MADS = 3.0  # values further than this many scaled MADs from the median are outliers
Z_95 = 1.96
TOLERANCE_RELATIVE = 0.10  # "within 10 % ...
TOLERANCE_ABSOLUTE_W = 5.0  # ... or 5 W, at 95 %" is confidence 0.5


class Mode(NamedTuple):
    """One cluster of agreeing deltas."""

    centre: float  # mean of the agreeing values (W, delta space)
    spread: float  # scaled MAD of the kept values
    kept: int  # values agreeing with the centre
    size: int  # values in the cluster (kept + rejected)
    uncertainty: float  # standard error of the centre (W)
    low: float  # the cluster's value range
    high: float
    tolerance: float  # a new value this close to the centre agrees (besides its own noise)


def find_modes(pairs: list[tuple[float, float]]) -> list[Mode]:
    """Modes of (value, standard error) pairs, most events first; at least one if any value."""
    values = sorted(value for value, _ in pairs)
    sigmas = [sigma for _, sigma in pairs]
    return modes_of_sorted(values, math.sumprod(sigmas, sigmas) / len(sigmas) if sigmas else 0.0)


def modes_of_sorted(ordered: list[float], noise_var: float) -> list[Mode]:
    """Modes of ascending values whose own standard errors have this mean square.

    The values' own errors come from the meter's noise, which all the events of one device
    share, so one figure serves every gap and every mode. Clusters with too little support
    are left out; when none has it, all the values make one mode (a young bucket still has a
    centre, robust as before modes existed).
    """
    count = len(ordered)
    if not count:
        return []
    first, last = ordered[0], ordered[-1]
    by_noise = GAP_SIGMAS * math.sqrt(2.0 * noise_var)
    if last - first <= by_noise or (
        (first > 0.0 or last < 0.0)
        and last - first <= GAP_ABSOLUTE_W + GAP_RELATIVE * min(abs(first), abs(last))
    ):  # the usual bucket: one cloud no gap can split, nothing to look for
        return [_mode(ordered, 0, count, noise_var)]
    if count < 2 or max(map(sub, ordered[1:], ordered, strict=False)) <= by_noise:
        return [_mode(ordered, 0, count, noise_var)]  # no gap beyond the events' own noise
    bounds = [0]
    for index in range(1, count):
        low, high = ordered[index - 1], ordered[index]
        gap = high - low
        if gap > by_noise and gap > GAP_ABSOLUTE_W + GAP_RELATIVE * max(abs(low), abs(high)):
            bounds.append(index)
    bounds.append(count)
    if len(bounds) == 2:
        return [_mode(ordered, 0, count, noise_var)]
    needed = max(MODE_MIN_EVENTS, MODE_MIN_SHARE * count)
    clusters = [(start, stop) for start, stop in pairwise(bounds) if stop - start >= needed]
    if not clusters:
        return [_mode(ordered, 0, count, noise_var)]
    clusters.sort(key=lambda c: (c[0] - c[1], -abs(ordered[(c[0] + c[1]) // 2])))
    return [_mode(ordered, start, stop, noise_var) for start, stop in clusters[:MAX_MODES]]


def _mode(ordered: list[float], start: int, stop: int, noise_var: float) -> Mode:
    """The cluster ordered[start:stop]: the mean of its values within REJECT_MADS of its
    median, with that mean's standard error."""
    values = ordered[start:stop] if start or stop < len(ordered) else ordered
    low, high, spread = robust_slice_sorted(values, REJECT_MADS)
    kept = values[low:high] if low or high < len(values) else values
    count = len(kept)
    mean = math.fsum(kept) / count
    scatter_var = (
        max(math.sumprod(kept, kept) - count * mean * mean, 0.0) / (count - 1) if count > 1 else 0.0
    )
    return Mode(
        mean,
        spread,
        count,
        len(values),
        _combine(mean, count, noise_var, scatter_var),
        values[0],
        values[-1],
        max(4.0 * spread, 0.15 * abs(mean), 3.0),
    )


def standard_error(centre: float, pairs: list[tuple[float, float]]) -> float:
    """Standard error of a centre of these (value, own standard error) pairs."""
    count = len(pairs)
    noise_var = sum(s * s for _, s in pairs) / count
    scatter_var = sum((v - centre) ** 2 for v, _ in pairs) / (count - 1) if count > 1 else 0.0
    return _combine(centre, count, noise_var, scatter_var)


def _combine(centre: float, count: int, noise_var: float, scatter_var: float) -> float:
    """The centre's standard error from the values' own noise and their scatter."""
    floor = SINGLE_EVENT_RELATIVE * abs(centre) / count  # few values prove little
    if count == 1:
        return max(math.sqrt(noise_var), floor)
    if noise_var == 0.0:  # values stored before their own errors were kept: scatter alone
        return max(math.sqrt(scatter_var / count), floor)
    # two estimates of the same per-event error: the windows' noise and the values' scatter
    return max(math.sqrt((noise_var + scatter_var) / (2.0 * count)), floor)


def confidence_of(power_w: float, uncertainty_w: float) -> float:
    """0..1 from the relative error: 0.5 exactly when the 95 % interval is ±10 % (or ±5 W)."""
    if power_w <= 0.0:
        return 0.0
    tolerance = max(TOLERANCE_RELATIVE * power_w, TOLERANCE_ABSOLUTE_W)
    ratio = Z_95 * uncertainty_w / tolerance
    return 1.0 / (1.0 + ratio * ratio)
