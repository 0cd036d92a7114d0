"""The anomaly vote of heating meters with the outdoor temperature (the degree-day line)."""

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.energy_correlator.consumption import (
    HDD_BASE_C,
    DaySeries,
    DayTemperatures,
    MeterConfig,
    MeterKind,
    UtilityMeter,
    detect,
    weather_fit,
)
from custom_components.energy_correlator.consumption.weather import (
    MIN_WEATHER_DAYS,
    plausible,
)
from tests.sim.utility import plant, readings, simulate

TZ = ZoneInfo("Europe/Amsterdam")
FIRST = np.datetime64("2024-11-01")
SNAP = slice(60, 66)  # six days of hard frost


def _winter(seed: int = 1, n: int = 120) -> tuple[DaySeries, np.ndarray]:
    """Daily heating gas over a winter with a cold snap: 0.8 + 0.35 HDD, 3 % noise."""
    rng = np.random.default_rng(seed)
    temperature = 6.0 + rng.normal(0, 1.0, n)
    temperature[SNAP] = -9.0
    use = (0.8 + 0.35 * np.maximum(HDD_BASE_C - temperature, 0)) * rng.lognormal(0, 0.03, n)
    days = DaySeries(FIRST + np.arange(n), use, np.ones(n, bool), np.zeros(n, bool))
    return days, temperature


def _snap_days(found: list) -> set[date]:
    snap = {d.astype(object) for d in (FIRST + np.arange(SNAP.start, SNAP.stop))}
    return {a.day for a in found} & snap


def test_cold_snap_is_usual_with_the_weather() -> None:
    """Without temperatures the frost is called unusual; with them it is what the cold explains."""
    days, temperature = _winter()
    assert _snap_days(detect(days)), "the plain vote should flag the cold snap"
    assert detect(days, temperature=temperature) == []
    fit = weather_fit(days, temperature)
    assert fit is not None
    assert fit.per_degree_day == pytest.approx(0.35, rel=0.1)
    assert fit.base == pytest.approx(0.8, rel=0.2)
    assert fit.days == 120


def test_leak_and_spike_still_found_on_a_heating_meter() -> None:
    """A simulated year of hourly gas readings: the planted days are found, cold days are not."""
    simulated = simulate(MeterKind.GAS, 366 * 24, TZ, 3)
    hourly, planted = plant(simulated.hourly, TZ, seed=3)
    ts, values = readings(hourly, "hourly", 3)
    meter = UtilityMeter("g", MeterConfig(kind=MeterKind.GAS), TZ)
    meter.add_readings(ts, values, float(ts[-1]))
    weather = DayTemperatures(simulated.days, simulated.temperature)
    found = {a.day for a in meter.anomalies(weather=weather)}
    assert set(planted.spike) <= found
    assert len(found & set(planted.leak)) >= 4
    assert len(found & set(planted.holiday)) >= 6
    assert len(found - planted.days) <= 1
    plain = {a.day for a in meter.anomalies()}
    assert len(plain - planted.days) > 5  # the weather's false alarms
    assert meter.weather_fit(weather) is not None
    assert meter.weather_fit(None) is None


def test_missing_temperature_days() -> None:
    """A third of the days without a temperature: the line is fitted on the others, and the
    frost days whose temperature is known pass."""
    days, temperature = _winter()
    temperature = temperature.copy()
    temperature[::3] = np.nan
    assert weather_fit(days, temperature) is not None
    snap = np.arange(SNAP.start, SNAP.stop)
    known = {(FIRST + i).astype(object) for i in snap if np.isfinite(temperature[i])}
    assert known
    assert not {a.day for a in detect(days, temperature=temperature)} & known


def test_all_nan_is_no_weather() -> None:
    """No temperature at all: exactly the plain vote."""
    days, _ = _winter()
    nan = np.full(len(days.values), np.nan)
    assert weather_fit(days, nan) is None
    assert detect(days, temperature=nan) == detect(days)


def test_too_few_temperature_days() -> None:
    """Fewer than MIN_WEATHER_DAYS days with a temperature: the weather is not used."""
    days, temperature = _winter()
    few = np.full(len(temperature), np.nan)
    few[: MIN_WEATHER_DAYS - 1] = temperature[: MIN_WEATHER_DAYS - 1]
    assert weather_fit(days, few) is None
    assert detect(days, temperature=few) == detect(days)


@pytest.mark.parametrize("absurd", [999.0, -200.0, np.inf, -np.inf, 61.0, -60.5])
def test_absurd_temperatures_are_ignored(absurd: float) -> None:
    """A broken sensor's values outside -60..60 °C count as unknown, never as weather."""
    days, temperature = _winter()
    broken = temperature.copy()
    broken[::4] = absurd
    unknown = temperature.copy()
    unknown[::4] = np.nan
    assert detect(days, temperature=broken) == detect(days, temperature=unknown)
    assert weather_fit(days, broken) == weather_fit(days, unknown)
    assert np.isnan(plausible(np.array([absurd]))).all()


def test_plausible_range_is_inclusive() -> None:
    """-60 and 60 °C are still weather."""
    assert plausible(np.array([-60.0, 60.0, 0.0])).tolist() == [-60.0, 60.0, 0.0]


def test_use_that_does_not_follow_the_cold() -> None:
    """A meter whose use does not rise with the cold (hot water only) gets no weather line."""
    days, temperature = _winter()
    steady = DaySeries(days.days, np.full(len(days.values), 2.0), days.complete, days.estimated)
    assert weather_fit(steady, temperature) is None


def test_a_mild_season_has_no_slope() -> None:
    """Without days that needed heating the slope is unknown: the weather is not used."""
    days, temperature = _winter()
    assert weather_fit(days, np.full(len(temperature), 20.0)) is None


def test_temperature_per_day_required() -> None:
    """A temperature array of another length is a caller's bug, said loudly."""
    days, temperature = _winter()
    with pytest.raises(ValueError, match="one value per day"):
        detect(days, temperature=temperature[:-1])


def test_day_temperatures_align() -> None:
    """Known days are matched by date; others (and an empty record) are NaN."""
    weather = DayTemperatures(
        np.array(["2024-01-02", "2024-01-04"], "datetime64[D]"), np.array([1.5, -2.0])
    )
    wanted = np.array(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-09"], "datetime64[D]")
    assert np.array_equal(weather.on(wanted), [np.nan, 1.5, -2.0, np.nan], equal_nan=True)
    empty = DayTemperatures(np.zeros(0, "datetime64[D]"), np.zeros(0))
    assert np.isnan(empty.on(wanted)).all()


def test_anomalies_follow_new_weather() -> None:
    """The meter's cached anomalies are recomputed for another weather record."""
    simulated = simulate(MeterKind.HEAT, 120 * 24, TZ, 5)
    ts, values = readings(simulated.hourly, "hourly", 5)
    meter = UtilityMeter("h", MeterConfig(kind=MeterKind.HEAT), TZ)
    meter.add_readings(ts, values, float(ts[-1]))
    weather = DayTemperatures(simulated.days, simulated.temperature)
    with_weather = meter.anomalies(weather=weather)
    assert meter.anomalies(weather=weather) == with_weather
    assert len(meter.anomalies()) >= len(with_weather)
