"""The estimate after the last reading: readings seconds apart (a sensor driven over the REST
API, a meter that just reset) are no rate to extrapolate for half an hour."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.consumption import (
    HOUR,
    MeterConfig,
    MeterKind,
    UtilityMeter,
)
from tests.meters.conftest import GAS_ATTRS, SetUp, meter

T0 = 1_773_100_800.0  # 2026-03-10 00:00 UTC


def test_readings_seconds_apart_extrapolate_over_at_least_an_hour() -> None:
    """2 m³ in 10 s, then 30 minutes without a reading: about 1 m³ more, not 360 m³."""
    gas = UtilityMeter("g", MeterConfig(kind=MeterKind.GAS), ZoneInfo("UTC"))
    for i, value in enumerate((1000.0, 1001.0, 1002.0)):
        assert gas.add_reading(T0 + 60 + 5 * i, value, T0 + 60 + 5 * i).accepted
    now = T0 + 60 + 10 + HOUR / 2
    assert gas.hourly(now=now).total == pytest.approx(3.0, rel=0.01)


def test_the_estimate_never_exceeds_the_plausible_rate() -> None:
    """A rate above the meter's plausibility bound (25 m³/h for gas) is not extrapolated."""
    gas = UtilityMeter("g", MeterConfig(kind=MeterKind.GAS), ZoneInfo("UTC"))
    assert gas.add_reading(T0, 1000.0, T0).accepted
    assert gas.add_reading(T0 + 60, 1024.0, T0 + 60).accepted  # 24 m³: within an hour's worth
    assert gas.add_reading(T0 + 120, 1048.0, T0 + 120).accepted
    now = T0 + 120 + 2 * HOUR
    assert gas.hourly(now=now).total <= 48.0 + 2 * 25.0 + 1e-6


async def test_consumption_today_after_the_hourly_tick_stays_plausible(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Readings 5 s apart, then the hourly tick: today's consumption is not run away."""
    freezer.move_to("2026-03-10 00:20:00+00:00")
    hass.states.async_set("sensor.gas", "1000", GAS_ATTRS)
    await setup_utility(meter("Gas", "gas", "sensor.gas"))
    for value in ("1001", "1002"):
        freezer.tick(timedelta(seconds=5))
        hass.states.async_set("sensor.gas", value, GAS_ATTRS)
        await hass.async_block_till_done()
    freezer.move_to("2026-03-10 01:00:06+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.gas_consumption_this_month")
    assert state is not None
    assert 2.0 <= float(state.state) <= 2.0 + 2.0  # 2 m³ taken as per hour, for 40 min
