"""Modes of one bucket's deltas: clusters of agreeing values, each with a standard error.

A device behind one switch may draw one of a few powers (a dishwasher starts its pump or its
heater; a microwave its lamp or its magnetron). Sorted deltas split into clusters where the
gap between neighbours is larger than both could be by noise (their own standard errors) and
by a relative tolerance; a cluster with enough support is a mode. Inside a cluster the mean of
the values that agree with its median (MAD rejection) is the mode's power, and its standard
error comes from the values' scatter or their own noise, whichever is larger: an honest "± W"
from the events.
"""

from itertools import pairwise
import math
from typing import NamedTuple

from .stats import MAD_SCALE, median

MAX_MODES = 3
MODE_MIN_EVENTS = 2  # a mode needs at least this many agreeing values...
MODE_MIN_SHARE = 0.1  # ...and this share of the bucket
GAP_RELATIVE = 0.3  # neighbours closer than this share of their size belong together
GAP_ABSOLUTE_W = 3.0
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


def find_modes(pairs: list[tuple[float, float]]) -> list[Mode]:
    """Modes of (value, standard error) pairs, most events first; at least one if any value.

    Clusters with too little support are left out; when none has it, all the values make one
    mode (a young bucket still has a centre, robust as before modes existed).
    """
    if not pairs:
        return []
    pairs = sorted(pairs)
    clusters: list[list[tuple[float, float]]] = [[pairs[0]]]
    for previous, current in pairwise(pairs):
        gap = current[0] - previous[0]
        limit = max(
            GAP_ABSOLUTE_W,
            GAP_RELATIVE * max(abs(previous[0]), abs(current[0])),
            GAP_SIGMAS * math.sqrt(previous[1] ** 2 + current[1] ** 2),
        )
        if gap <= limit:
            clusters[-1].append(current)
        else:
            clusters.append([current])
    total = len(pairs)
    needed = max(MODE_MIN_EVENTS, MODE_MIN_SHARE * total)
    ranked = sorted(clusters, key=lambda c: (-len(c), -abs(c[len(c) // 2][0])))
    supported = [c for c in ranked if len(c) >= needed]
    if not supported:  # a young or scattered bucket: one robust centre of everything
        return [_mode(pairs)]
    return [_mode(cluster) for cluster in supported[:MAX_MODES]]


def _mode(cluster: list[tuple[float, float]]) -> Mode:
    """The cluster's centre: the mean of the values within REJECT_MADS of its median."""
    values = [value for value, _ in cluster]  # ascending
    centre = median(values)
    spread = MAD_SCALE * median([abs(v - centre) for v in values])
    if spread > 0.0:
        agreeing = [(v, s) for v, s in cluster if abs(v - centre) <= REJECT_MADS * spread]
    elif len(values) > 2:
        agreeing = [(v, s) for v, s in cluster if v == centre]
    else:
        agreeing = cluster
    kept = [v for v, _ in agreeing]
    mean = sum(kept) / len(kept)
    kept_spread = MAD_SCALE * median([abs(v - mean) for v in kept])
    return Mode(
        mean,
        kept_spread,
        len(kept),
        len(cluster),
        standard_error(mean, agreeing),
        values[0],
        values[-1],
    )


def standard_error(centre: float, pairs: list[tuple[float, float]]) -> float:
    """Standard error of a robust centre of these (value, own standard error) pairs."""
    count = len(pairs)
    noise = math.sqrt(sum(s * s for _, s in pairs) / count)
    floor = SINGLE_EVENT_RELATIVE * abs(centre) / count  # few values prove little
    if count == 1:
        return max(noise, floor)
    scatter_var = sum((v - centre) ** 2 for v, _ in pairs) / (count - 1)
    if noise == 0.0:  # values stored before their own errors were kept: scatter alone
        return max(math.sqrt(scatter_var / count), floor)
    # two estimates of the same per-event error: the windows' noise and the values' scatter
    return max(math.sqrt((noise * noise + scatter_var) / (2.0 * count)), floor)


def confidence_of(power_w: float, uncertainty_w: float) -> float:
    """0..1 from the relative error: 0.5 exactly when the 95 % interval is ±10 % (or ±5 W)."""
    if power_w <= 0.0:
        return 0.0
    tolerance = max(TOLERANCE_RELATIVE * power_w, TOLERANCE_ABSOLUTE_W)
    ratio = Z_95 * uncertainty_w / tolerance
    return 1.0 / (1.0 + ratio * ratio)
