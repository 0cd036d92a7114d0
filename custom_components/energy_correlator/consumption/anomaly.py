"""Unusual days: a vote of three tests on daily consumption.

Each complete day is compared with what is usual for it: its ratio to the median of the
surrounding four weeks (so seasons are not anomalies: a cold January is not a stuck heater),
divided by the meter's own weekday factor (a usual Saturday is not unusual). On these ratios:

- global z-score: |ratio - mean| / sd > `global_z`, mean and sd over the days inside the IQR
  fence (so a holiday week cannot inflate the spread that would hide a leak);
- IQR fence: below Q1 - k IQR or above Q3 + k IQR;
- rolling z-score against the previous `window_days` days that neither global test flagged.

A day is an anomaly when at least `min_votes` agree and it is at least `min_deviation` away
from its usual level (a very steady meter must not alert for a 3 % blip that is 3 sd). Its
expected range, in the meter's unit, is the rolling band (or the fence while the rolling window
is short) times the day's usual level.

A heating meter's use follows the weather, so a cold snap would look like a leak. Given each
day's outdoor mean temperature, the usual level becomes the robust degree-day line of
`weather.py` (times the 29-day median of the ratio to it, so a slow drift of the line is
followed too): the vote then judges what the weather does not explain. Without enough
temperatures nothing changes.
"""

from datetime import date

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .models import Anomaly, AnomalyConfig, DaySeries, WeatherFit
from .weather import fit_weather, nan_median_windows, weather_level

DEFAULT = AnomalyConfig()
TREND_DAYS = 29  # centred window of the usual level
MIN_WINDOW = 7  # rolling baseline days before the rolling test votes
MIN_WEEKS = 4  # weeks of data before weekday factors are used
SD_FLOOR = 0.01  # relative floor of every spread (flat data must not give infinite z)


def _trend(x: np.ndarray) -> np.ndarray:
    """The median of the centred TREND_DAYS window (truncated at the ends; NaN ignored)."""
    half = TREND_DAYS // 2
    padded = np.concatenate([np.full(half, np.nan), x, np.full(half, np.nan)])
    return nan_median_windows(sliding_window_view(padded, TREND_DAYS))


def _judged(days: DaySeries) -> np.ndarray:
    """Positions of the days the vote judges: complete and not estimated."""
    return np.flatnonzero(days.complete & ~days.estimated)


def weather_fit(days: DaySeries, temperature: np.ndarray | None) -> WeatherFit | None:
    """The degree-day line the vote uses for these days (None: the plain 29-day median);
    `temperature` is aligned with `days.days`, °C, NaN where unknown."""
    if temperature is None:
        return None
    if len(temperature) != len(days.days):
        raise ValueError("temperature must have one value per day")
    index = _judged(days)
    return fit_weather(days.values[index], np.asarray(temperature, float)[index])


def _level(x: np.ndarray, temperature: np.ndarray | None, fit: WeatherFit | None) -> np.ndarray:
    """The usual level of each judged day before weekday factors."""
    plain = _trend(x)
    if temperature is None or fit is None:
        return plain
    model = weather_level(temperature, fit)
    known = np.isfinite(model)
    ratio = np.where(known, x / np.where(known, model, 1.0), np.nan)
    return np.where(known, model * _trend(ratio), plain)


def _weekday_factors(ratio: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Median ratio per weekday (1 where too little is known)."""
    factors = np.ones(7)
    if len(ratio) < 7 * MIN_WEEKS:
        return factors
    for w in range(7):
        of_day = ratio[weekday == w]
        if len(of_day) >= MIN_WEEKS:
            factors[w] = float(np.median(of_day))
    factors[~(factors > 0.05)] = 1.0
    return factors


def _rolling(y: np.ndarray, baseline: np.ndarray, window: int) -> tuple[np.ndarray, ...]:
    """Mean, sd and count over the previous `window` baseline days of each day."""
    positions = np.flatnonzero(baseline)
    values = y[positions]
    s1 = np.concatenate([[0.0], np.cumsum(values)])
    s2 = np.concatenate([[0.0], np.cumsum(values * values)])
    upto = np.searchsorted(positions, np.arange(len(y)))  # baseline days before each day
    since = np.maximum(upto - window, 0)
    count = upto - since
    safe = np.maximum(count, 1)
    mean = (s1[upto] - s1[since]) / safe
    var = np.maximum((s2[upto] - s2[since]) / safe - mean * mean, 0.0)
    return mean, np.sqrt(var), count


def detect(
    days: DaySeries, config: AnomalyConfig = DEFAULT, temperature: np.ndarray | None = None
) -> list[Anomaly]:
    """The anomalous complete, non-estimated days, oldest first; `temperature` (°C per day of
    `days`, NaN where unknown) lets a heating meter's cold days be usual."""
    index = _judged(days)
    if len(index) < max(config.min_days, 3):
        return []
    x = days.values[index]
    weekday = ((days.days[index].astype(np.int64) + 3) % 7).astype(np.int64)
    fit = weather_fit(days, temperature)
    level = _level(x, None if fit is None else np.asarray(temperature, float)[index], fit)
    flat = ~(level > 0)
    level[flat] = max(float(np.mean(x)), 1e-12)
    factors = _weekday_factors(x / level, weekday)
    usual = level * factors[weekday]
    y = x / usual

    q1, q3 = np.percentile(y, [25, 75])
    spread = max(float(q3 - q1), SD_FLOOR)
    fence_lo, fence_hi = q1 - config.iqr_k * spread, q3 + config.iqr_k * spread
    iqr = (y < fence_lo) | (y > fence_hi)

    inside = y[~iqr] if (~iqr).sum() >= 3 else y
    mean, sd = float(inside.mean()), float(inside.std())
    sd = max(sd, SD_FLOOR * abs(mean), 1e-12)
    global_z = np.abs(y - mean) / sd > config.global_z

    r_mean, r_sd, r_count = _rolling(y, ~(iqr | global_z), config.window_days)
    r_sd = np.maximum(r_sd, np.maximum(SD_FLOOR * np.abs(r_mean), 1e-12))
    rolling_known = r_count >= MIN_WINDOW
    rolling_z = rolling_known & (np.abs(y - r_mean) / r_sd > config.rolling_z)

    votes = global_z.astype(int) + iqr.astype(int) + rolling_z.astype(int)
    found: list[Anomaly] = []
    material = np.abs(y - 1.0) >= config.min_deviation
    for j in np.flatnonzero((votes >= config.min_votes) & material).tolist():
        if rolling_known[j]:
            lo = r_mean[j] - config.rolling_z * r_sd[j]
            hi = r_mean[j] + config.rolling_z * r_sd[j]
        else:
            lo, hi = fence_lo, fence_hi
        methods = tuple(
            name
            for name, fired in (
                ("global_z", global_z[j]),
                ("iqr", iqr[j]),
                ("rolling_z", rolling_z[j]),
            )
            if fired
        )
        day: date = days.days[index[j]].astype(object)
        found.append(
            Anomaly(
                day=day,
                value=float(x[j]),
                expected_low=max(0.0, float(lo * usual[j])),
                expected_high=max(0.0, float(hi * usual[j])),
                methods=methods,
            )
        )
    return found
