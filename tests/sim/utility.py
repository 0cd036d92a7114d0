"""A seeded utility-meter simulator: true hourly consumption, then readings as meters give them.

Consumption has the shapes real homes show: heating gas follows the outdoor temperature (a
seasonal mean with autocorrelated weather on top, so cold snaps last days; `simulate` returns
it per local day, as a thermometer's daily mean), every meter has a weekday/weekend difference
and an hour-of-day shape (morning and evening peaks, quiet nights), and days vary. Readings are
then taken from the cumulative total the way meters report: every hour (a gas meter on a P1
port), every day with missing days and sometimes missing stretches (a camera reading a water
meter), or by hand at irregular intervals of a few weeks. Anomalies can be planted on chosen
days (a leak, a spike, a holiday week) and are returned as truth. No Home Assistant import;
numpy only; the same seed gives the same home.
"""

from dataclasses import dataclass
from datetime import date, tzinfo

import numpy as np

from custom_components.energy_correlator.consumption import DAY, HOUR, MeterKind
from custom_components.energy_correlator.consumption.localtime import local_hours

UTILITY_START = 1_704_067_200.0  # 2024-01-01 00:00 UTC

# relative hour-of-day shapes (24 values, local time)
_SHAPES = {
    MeterKind.ELECTRICITY: [3, 3, 3, 3, 3, 3, 5, 8, 7, 5, 4, 4, 5, 4, 4, 4, 5, 8, 9, 9, 9, 8, 6, 4],
    MeterKind.GAS: [2, 2, 2, 2, 2, 3, 8, 10, 8, 5, 4, 4, 4, 4, 4, 4, 5, 7, 8, 8, 7, 6, 4, 3],
    MeterKind.WATER: [0, 0, 0, 0, 0, 1, 6, 10, 7, 3, 2, 2, 3, 2, 2, 2, 3, 5, 7, 8, 6, 4, 2, 1],
    MeterKind.HEAT: [3, 3, 3, 3, 3, 4, 7, 8, 7, 5, 4, 4, 4, 4, 4, 4, 5, 6, 7, 7, 6, 5, 4, 3],
}
# mean consumption per day (kWh or m³) away from heating
_BASE_PER_DAY = {
    MeterKind.ELECTRICITY: 9.0,
    MeterKind.GAS: 0.8,
    MeterKind.WATER: 0.35,
    MeterKind.HEAT: 8.0,
}
_HEATED = {MeterKind.GAS: 0.35, MeterKind.HEAT: 3.5}  # per degree-day below 15.5 °C
WEATHER_PERSISTENCE = 0.8  # AR(1) coefficient of a day's departure from the seasonal mean
WEATHER_SD = 3.5  # °C: the spread of those departures (the seasons aside)


@dataclass(frozen=True, slots=True, eq=False)
class Simulated:
    """True hourly consumption and the outdoor mean temperature of each local day."""

    hourly: np.ndarray
    days: np.ndarray  # datetime64[D], local days the hours cover
    temperature: np.ndarray  # °C per day


def _weather(noise: np.ndarray) -> np.ndarray:
    """Autocorrelated departures (AR(1)) from standard normal draws."""
    innovation = noise * WEATHER_SD * np.sqrt(1 - WEATHER_PERSISTENCE**2)
    departure = np.empty(len(noise))
    previous = 0.0
    for i, step in enumerate(innovation):
        previous = WEATHER_PERSISTENCE * previous + step
        departure[i] = previous
    return departure


@dataclass(frozen=True, slots=True)
class Planted:
    """The anomalous days planted into a simulated year, by kind."""

    leak: tuple[date, ...]
    spike: tuple[date, ...]
    holiday: tuple[date, ...]

    @property
    def days(self) -> set[date]:
        """All planted days."""
        return set(self.leak) | set(self.spike) | set(self.holiday)


def true_hourly(
    kind: MeterKind,
    hours: int,
    tz: tzinfo,
    seed: int,
    *,
    start: float = UTILITY_START,
    day_noise: float = 0.03,
    hour_noise: float = 0.18,
    weekend: float = 1.2,
) -> np.ndarray:
    """True consumption per UTC hour from `start` (kWh or m³); `day_noise` and `hour_noise`
    are the relative spreads of whole days and of single hours."""
    return simulate(
        kind,
        hours,
        tz,
        seed,
        start=start,
        day_noise=day_noise,
        hour_noise=hour_noise,
        weekend=weekend,
    ).hourly


def simulate(
    kind: MeterKind,
    hours: int,
    tz: tzinfo,
    seed: int,
    *,
    start: float = UTILITY_START,
    day_noise: float = 0.03,
    hour_noise: float = 0.18,
    weekend: float = 1.2,
) -> Simulated:
    """`true_hourly` with the day temperatures it was made from (the same draws: a meter
    that does not heat has the same numbers whether or not its weather is asked for)."""
    rng = np.random.default_rng(seed)
    local = local_hours(start, hours, tz)
    day = (local // DAY).astype(np.int64)
    hour = ((local - day * DAY) // HOUR).astype(np.int64)
    first = int(day[0])
    days = int(day[-1]) - first + 1
    day_of_year = (np.arange(first, first + days) - 3) % 365.25
    temperature = 10.0 - 8.0 * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    temperature += _weather(rng.normal(0, 1.0, days))
    per_day = np.full(days, _BASE_PER_DAY[kind])
    per_day += _HEATED.get(kind, 0.0) * np.maximum(15.5 - temperature, 0.0)
    weekday = (np.arange(first, first + days) + 3) % 7
    per_day *= np.where(weekday >= 5, weekend, 1.0)
    per_day *= rng.lognormal(0.0, day_noise, days)
    shape = np.array(_SHAPES[kind], dtype=float)
    shape /= shape.sum()
    hourly = per_day[day - first] * shape[hour]
    shape_k = 1 / hour_noise**2  # gamma with mean 1 and the given relative spread
    return Simulated(
        hourly * rng.gamma(shape_k, 1 / shape_k, hours),
        np.arange(first, first + days).astype("datetime64[D]"),
        temperature,
    )


def plant(
    hourly: np.ndarray, tz: tzinfo, *, start: float = UTILITY_START, seed: int = 0
) -> tuple[np.ndarray, Planted]:
    """A leak (+30 % a day for 5 days), a spike day (x3) and a holiday week (near zero) at
    seeded places at least a month apart; returns the changed copy and the planted days."""
    rng = np.random.default_rng(seed)
    local = local_hours(start, len(hourly), tz)
    day = (local // DAY).astype(np.int64)
    first, last = int(day[0]) + 45, int(day[-1]) - 10
    slots = rng.choice(np.arange(first, last, 40), size=3, replace=False)
    leak, spike, holiday = int(slots[0]), int(slots[1]), int(slots[2])
    result = hourly.copy()
    factor = np.ones(len(hourly))
    factor[(day >= leak) & (day < leak + 5)] = 1.3
    factor[day == spike] = 3.0
    factor[(day >= holiday) & (day < holiday + 7)] = 0.03
    result *= factor

    def days(a: int, n: int) -> tuple[date, ...]:
        return tuple(np.arange(a, a + n).astype("datetime64[D]").astype(object))

    return result, Planted(days(leak, 5), days(spike, 1), days(holiday, 7))


def readings(
    hourly: np.ndarray,
    cadence: str,
    seed: int,
    *,
    start: float = UTILITY_START,
    first_value: float = 1234.5,
    resolution: float = 0.001,
) -> tuple[np.ndarray, np.ndarray]:
    """Readings (times, meter values) of the cumulative total of `hourly`.

    cadence "hourly": at every hour's end; "camera": once a day at a jittered time, ~15 % of
    days missing and a few missing stretches of 3-6 days; "manual": by hand every 20-40 days.
    """
    rng = np.random.default_rng(seed)
    total = np.concatenate([[0.0], np.cumsum(hourly)])
    end = start + HOUR * len(hourly)
    if cadence == "hourly":
        ts = start + HOUR * np.arange(1, len(hourly) + 1)
    elif cadence == "camera":
        days = np.arange(start + 7 * HOUR, end, DAY)
        keep = rng.random(len(days)) > 0.15
        for gap in rng.choice(len(days), size=max(1, len(days) // 90), replace=False):
            keep[gap : gap + int(rng.integers(3, 7))] = False
        keep[0] = True
        ts = days[keep] + rng.uniform(0, 2 * HOUR, int(keep.sum()))
    elif cadence == "manual":
        steps = rng.uniform(20 * DAY, 40 * DAY, int((end - start) / (20 * DAY)) + 2)
        ts = start + 10 * HOUR + np.concatenate([[0.0], np.cumsum(steps)])
        ts = np.round(ts / 60) * 60
    else:
        raise ValueError(cadence)
    ts = ts[ts <= end]
    values = first_value + np.interp(ts, start + HOUR * np.arange(len(total)), total)
    return ts, np.floor(values / resolution) * resolution
