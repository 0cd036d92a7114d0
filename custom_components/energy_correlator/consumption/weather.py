"""The weather's share of a heating meter's daily use: a robust line on heating degree days.

A heating meter (gas, heat, a heat pump's electricity) uses about `base + k x HDD` a day,
HDD = max(HDD_BASE_C - T, 0) for the day's outdoor mean T. Fitted with weights that ignore
outliers (a least-absolute start, then Tukey's bisquare on relative residuals), so a planted
leak or a holiday week cannot bend the line that is then used to judge them. Temperatures
outside a plausible range are ignored.
"""

import warnings

import numpy as np

from .models import WeatherFit

HDD_BASE_C = 15.5  # °C: the usual heating limit of degree days (no heating above it)
PLAUSIBLE_C = (-60.0, 60.0)  # an outdoor daily mean outside this is a broken sensor, ignored
MIN_WEATHER_DAYS = 21  # judged days with a temperature before the weather is used
MIN_HEATING_DAYS = 7  # of them, days that needed heating (else the slope is unknown)
BISQUARE_C = 4.685  # Tukey's constant (95 % efficiency on normal residuals)
ITERATIONS = 12


def plausible(temperature: np.ndarray) -> np.ndarray:
    """The temperatures, NaN where unknown or outside PLAUSIBLE_C."""
    t = np.asarray(temperature, dtype=float)
    low, high = PLAUSIBLE_C
    with np.errstate(invalid="ignore"):
        return np.where((t >= low) & (t <= high), t, np.nan)


def heating_degree_days(temperature: np.ndarray) -> np.ndarray:
    """max(HDD_BASE_C - T, 0) per day (NaN where T is unknown)."""
    return np.maximum(HDD_BASE_C - temperature, 0.0)


def _weighted_line(h: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted least squares of x = a + b h."""
    sw = w.sum()
    mh, mx = (w * h).sum() / sw, (w * x).sum() / sw
    var = (w * (h - mh) ** 2).sum()
    b = (w * (h - mh) * (x - mx)).sum() / var if var > 0 else 0.0
    return float(mx - b * mh), float(b)


def fit_weather(values: np.ndarray, temperature: np.ndarray) -> WeatherFit | None:
    """The robust line of daily use on HDD, or None when the weather cannot explain the use
    (too few days with a temperature, too few heating days, or no rise with the cold)."""
    t = plausible(temperature)
    known = np.isfinite(t) & np.isfinite(values)
    h, x = heating_degree_days(t[known]), values[known]
    if len(x) < MIN_WEATHER_DAYS or (h > 1.0).sum() < MIN_HEATING_DAYS:
        return None
    floor = max(0.05 * float(np.median(x)), 1e-9)
    w = np.ones(len(x))
    a = b = 0.0
    for step in range(ITERATIONS):
        a, b = _weighted_line(h, x, w)
        relative = (x - (a + b * h)) / np.maximum(a + b * h, floor)
        if step < ITERATIONS // 2:  # least absolute deviations: no outlier pulls the start
            w = 1.0 / np.maximum(np.abs(relative), 0.01)
            continue
        scale = max(1.4826 * float(np.median(np.abs(relative))), 0.01)
        u = relative / (BISQUARE_C * scale)
        w = np.where(np.abs(u) < 1.0, (1.0 - u * u) ** 2, 0.0)
        if w.sum() < MIN_WEATHER_DAYS / 2:
            return None
    if not b > 0:
        return None
    return WeatherFit(base=max(a, floor), per_degree_day=b, days=len(x))


def weather_level(temperature: np.ndarray, fit: WeatherFit) -> np.ndarray:
    """What the weather makes usual for each day (NaN where its temperature is unknown)."""
    return fit.base + fit.per_degree_day * heating_degree_days(plausible(temperature))


def nan_median_windows(windows: np.ndarray) -> np.ndarray:
    """Median of each row ignoring NaN; NaN for a row of NaN only (no warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(windows, axis=1)
