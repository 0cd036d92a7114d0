"""Small robust statistics shared by profiles and baselines (no numpy: the inputs are tiny)."""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
import math

MAD_SCALE = 1.4826  # scaled MAD = standard deviation for normal data


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    ordered = sorted(values)
    n = len(ordered)
    half = n // 2
    if n % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2.0


def _sorted_median(ordered: list[float]) -> float:
    n = len(ordered)
    half = n // 2
    return ordered[half] if n % 2 else (ordered[half - 1] + ordered[half]) / 2.0


def robust_centre(values: Sequence[float], reject: float = 3.0) -> tuple[float, float, int]:
    """(centre, spread, kept): median after rejecting points beyond `reject` scaled MADs.

    The spread is the scaled MAD of the kept points; `kept` counts the agreeing points.
    """
    return robust_centre_sorted(sorted(values), reject)


def _partition(ordered: Sequence[float], centre: float, k: int) -> tuple[int, int]:
    """(split, taken): where values stop being below the centre, and how many of those are
    among the k+1 smallest |v - centre| (the other k+1-taken start at split).

    Below the centre the deviations rise leftwards, from it on rightwards: two sorted runs,
    so the partition is a bisection (O(log n), no list of deviations built or sorted).
    """
    split = bisect_left(ordered, centre)
    low, high = max(0, k + 1 - (len(ordered) - split)), min(k + 1, split)
    while low < high:
        taken = (low + high) // 2
        # the next value below the centre is nearer than the last one taken above?
        if centre - ordered[split - 1 - taken] < ordered[split + k - taken] - centre:
            low = taken + 1
        else:
            high = taken
    return split, low


def _deviation_at(ordered: Sequence[float], centre: float, k: int, split: int, taken: int) -> float:
    """The k-th smallest deviation, given the partition of the k+1 smallest."""
    rest = k + 1 - taken
    if not taken:
        return ordered[split + rest - 1] - centre
    if not rest:
        return centre - ordered[split - taken]
    return max(centre - ordered[split - taken], ordered[split + rest - 1] - centre)


def _median_deviation(ordered: Sequence[float], centre: float) -> float:
    """Median of |v - centre| over ascending values (non-empty)."""
    count = len(ordered)
    k = (count - 1) // 2
    split, taken = _partition(ordered, centre, k)
    kth = _deviation_at(ordered, centre, k, split, taken)
    if count % 2:
        return kth
    below, above = split - 1 - taken, split + k + 1 - taken  # the next candidates
    following = min(
        centre - ordered[below] if below >= 0 else math.inf,
        ordered[above] - centre if above < count else math.inf,
    )
    return (kth + following) / 2.0


def _within(ordered: list[float], centre: float, limit: float) -> tuple[int, int]:
    """The slice [low, high) of sorted values with |v - centre| <= limit.

    Bisecting at centre -/+ limit may land one value off through rounding; the loops after it
    apply the exact test, so the slice is always the one the plain definition keeps.
    """
    count = len(ordered)
    low = bisect_left(ordered, centre - limit)
    while low > 0 and centre - ordered[low - 1] <= limit:
        low -= 1
    while low < count and abs(ordered[low] - centre) > limit:
        low += 1
    high = bisect_right(ordered, centre + limit, low)
    while high < count and ordered[high] - centre <= limit:
        high += 1
    while high > low and abs(ordered[high - 1] - centre) > limit:
        high -= 1
    return low, high


def robust_centre_sorted(ordered: list[float], reject: float = 3.0) -> tuple[float, float, int]:
    """robust_centre of values already in ascending order (a bucket keeps them sorted).

    Over sorted values the deviations from the median form two sorted runs, so their median
    is a bisection, and the values within the limit are one contiguous slice: no list of
    deviations is built or sorted.
    """
    count = len(ordered)
    first = _sorted_median(ordered)
    spread = MAD_SCALE * _median_deviation(ordered, first)
    if spread > 0.0:
        limit = reject * spread
        if first - ordered[0] < limit and ordered[-1] - first < limit:
            return first, spread, count  # the usual case: nothing to reject
        low, high = _within(ordered, first, limit)  # (all of them, at worst: the same result)
    else:
        if count <= 2:
            return first, spread, count
        low, high = bisect_left(ordered, first), bisect_right(ordered, first)
        if high - low == count:
            return first, spread, count
    kept = ordered[low:high]
    centre = _sorted_median(kept)
    kept_spread = MAD_SCALE * _median_deviation(kept, centre)
    return centre, kept_spread, len(kept)


def robust_slice_sorted(ordered: list[float], reject: float = 3.0) -> tuple[int, int, float]:
    """(low, high, spread): the slice of ascending values within `reject` scaled MADs of their
    median (the values robust_centre_sorted keeps), and the scaled MAD of that slice."""
    count = len(ordered)
    first = _sorted_median(ordered)
    spread = MAD_SCALE * _median_deviation(ordered, first)
    if spread > 0.0:
        limit = reject * spread
        if first - ordered[0] < limit and ordered[-1] - first < limit:
            return 0, count, spread  # the usual case: nothing to reject
        low, high = _within(ordered, first, limit)
    else:
        if count <= 2:
            return 0, count, spread
        low, high = bisect_left(ordered, first), bisect_right(ordered, first)
        if high - low == count:
            return 0, count, spread
    kept = ordered[low:high]
    return low, high, MAD_SCALE * _median_deviation(kept, _sorted_median(kept))


def percentile(pairs: list[tuple[float, float]], pct: float) -> float:
    """Weighted percentile of (value, weight) pairs (non-empty, positive total weight)."""
    pairs.sort()
    total = sum(weight for _, weight in pairs)
    target = total * min(max(pct, 0.0), 100.0) / 100.0
    running = 0.0
    for value, weight in pairs:
        running += weight
        if running >= target:
            return value
    return pairs[-1][0]
