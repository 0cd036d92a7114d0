"""How far to trust one measured step: its confidence and its standard error in W.

Shared by the correlation of a plain event (before vs after windows) and of a short pulse
(inside vs the baseline around it): both judge a step against the noise of the windows it
was measured from.
"""

import math

from .models import DeviceEvent
from .series import Measured

_sqrt = math.sqrt
_hypot = math.hypot
_exp = math.exp
_DRIFT_ERRORS = 2.0 * math.sqrt(2.0)


def step_confidence(
    min_delta_w: float,
    event: DeviceEvent,
    delta: float,
    before: Measured,
    after: Measured,
    compensated: float,
    wanted: float,
) -> tuple[float, float]:
    """(confidence, standard error of the delta in W).

    Confidence is the SNR of the step against the windows' noise, times update, drift and
    direction factors; the standard error combines the two levels' own standard errors.
    """
    spread_before, drift_before, updates_before = before[1], before[2], before[3]
    spread_after, drift_after, updates_after = after[1], after[2], after[3]
    # a window's spread over the root of its readings (at least one)
    error_before = spread_before / _sqrt(updates_before) if updates_before > 1 else spread_before
    error_after = spread_after / _sqrt(updates_after) if updates_after > 1 else spread_after
    overlap_error = 0.05 * abs(compensated) if compensated else 0.0
    sigma = _hypot(before[9], after[9]) + overlap_error
    noise = 1.25 * _hypot(error_before, error_after) + 0.5 + overlap_error
    size = abs(delta)
    confidence = 1.0 - _exp(-size / noise / 3.0)  # the SNR factor
    fewest = updates_before if updates_before < updates_after else updates_after
    if fewest < wanted:
        confidence *= fewest / wanted
    excess = max(  # 2 spreads / sqrt(n / 2) = 2 sqrt(2) errors
        abs(drift_before) - _DRIFT_ERRORS * error_before,
        abs(drift_after) - _DRIFT_ERRORS * error_after,
        0.0,
    )
    if excess:
        confidence /= 1.0 + 2.0 * excess / max(size, min_delta_w)
        sigma += 0.5 * excess
    if delta * (event.level - event.previous_level) < 0 and size > noise:
        confidence *= 0.2  # the step goes against the event's direction
    if confidence > 1.0:
        return 1.0, sigma
    return (confidence if confidence > 0.0 else 0.0), sigma
