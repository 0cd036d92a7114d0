"""A common ramp under both windows of a step (solar production moving with the clouds).

On a net meter the production changes by watts per second while clouds pass; over the ~half
minute between the middles of the before and after windows that adds tens or hundreds of W to
a device's step. When both windows show the same significant slope (their drift, second half
against first, has twice a level's standard error), the step is corrected by that slope over
the time between the windows' middles. One window's slope alone is no ramp: a fridge starting
or a motor settling moves one window, and a correction from it would add its noise to every
step.
"""

import math

from .window_stats import Measured

TREND_SIGMAS = 3.0  # the common slope must be this many standard errors from zero...
TREND_AGREE = 3.0  # ...and the two windows' slopes this close (in combined standard errors)


def ramp_correction(
    before: Measured, after: Measured, bounds: tuple[float, float, float, float]
) -> float:
    """W to take off the step (after - before) for a ramp common to both windows; 0.0 when
    there is none. `bounds`: before start, before end, after start, after end."""
    before_start, before_end, after_start, after_end = bounds
    before_length, after_length = before_end - before_start, after_end - after_start
    if before_length <= 0.0 or after_length <= 0.0 or before[3] < 4 or after[3] < 4:
        return 0.0
    # drift = (second half's mean - first half's): a slope of k W/s gives k * length / 2
    slope_before, slope_after = 2.0 * before[2] / before_length, 2.0 * after[2] / after_length
    if slope_before * slope_after <= 0.0:
        return 0.0
    # the drift's standard error is twice the level's
    error_before, error_after = 4.0 * before[9] / before_length, 4.0 * after[9] / after_length
    if error_before <= 0.0 or error_after <= 0.0:
        return 0.0
    if abs(slope_before - slope_after) > TREND_AGREE * math.hypot(error_before, error_after):
        return 0.0
    weight_before, weight_after = 1.0 / error_before**2, 1.0 / error_after**2
    slope = (slope_before * weight_before + slope_after * weight_after) / (
        weight_before + weight_after
    )
    if abs(slope) < TREND_SIGMAS / math.sqrt(weight_before + weight_after):
        return 0.0
    return slope * 0.5 * ((after_start + after_end) - (before_start + before_end))
