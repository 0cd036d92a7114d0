"""A meter reset inside one hour, as a real sensor does it: nothing used before it is lost."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.consumption import MeterConfig, MeterKind, UtilityMeter
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import GAS_ATTRS, SetUp, meter

START = "2026-03-10 00:05:00+00:00"
T0 = 1_773_101_100.0  # 2026-03-10 00:05 UTC


async def test_reset_within_the_hour_keeps_what_was_used_before_it(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """1000 → 1001 → 1002 → reset to 0.1 → 0.3 in one hour is 2.3 m³, not 0.3."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "1000", GAS_ATTRS)
    entry: UtilityConfigEntry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    for value in ("1001", "1002", "0.1", "0.3"):
        freezer.tick(timedelta(minutes=5))
        hass.states.async_set("sensor.gas", value, GAS_ATTRS)
        await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    runtime = next(iter(entry.runtime_data.coordinator.meters.values()))
    assert runtime.meter.hourly().values.sum() == pytest.approx(2.3)
    state = hass.states.get("sensor.gas_consumption_today")
    assert state is not None
    assert float(state.state) >= 2.3


def test_a_late_reading_before_a_reset_in_its_hour_is_kept() -> None:
    """Out of order: the reading just before the reset arrives after it, in the same hour."""
    meter = UtilityMeter("m", MeterConfig(), ZoneInfo("UTC"))
    now = T0 + 3600
    for minute, value in ((0, 1000.0), (10, 1001.0), (30, 0.1)):
        assert meter.add_reading(T0 + minute * 60, value, now).accepted
    assert meter.add_reading(T0 + 20 * 60, 1002.0, now).accepted
    assert meter.hourly().values.sum() == pytest.approx(2.1)


@pytest.mark.parametrize("resets", [True, False])
def test_a_drop_to_more_than_could_be_used_since_counts_nothing(resets: bool) -> None:
    """27 833 kWh → 972 kWh three seconds later is no reset (a reset starts from about zero):
    a swap or a typo, whose new value is not consumption (the repair asks; 1 028 kWh of heat in
    9 s was counted before)."""
    heat = UtilityMeter("h", MeterConfig(kind=MeterKind.HEAT, resets=resets), ZoneInfo("UTC"))
    now = T0 + 3600
    for second, value in ((0, 27777.8), (3, 27805.6), (6, 27833.3), (9, 972.2), (20, 972.3)):
        assert heat.add_reading(T0 + second, value, now).accepted
    assert heat.hourly().total == pytest.approx(55.5 + 0.1)
