"""Small robust statistics shared by profiles and baselines (no numpy: the inputs are tiny)."""

from collections.abc import Sequence

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
    first = _sorted_median(sorted(values))
    deviations = sorted([abs(v - first) for v in values])
    spread = MAD_SCALE * _sorted_median(deviations)
    if spread > 0.0:
        limit = reject * spread
        if deviations[-1] <= limit:
            return first, spread, len(deviations)
        kept = [v for v in values if abs(v - first) <= limit]
    else:
        kept = [v for v in values if v == first] if len(values) > 2 else list(values)
        if len(kept) == len(values):
            return first, spread, len(kept)
    centre = median(kept)
    kept_spread = MAD_SCALE * median([abs(v - centre) for v in kept])
    return centre, kept_spread, len(kept)


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
