"""A meter set up mid-hour with a price sensor: the hour it was set up in is priced too."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.consumption import HOUR, HourlySeries
from custom_components.energy_correlator.meters.price import PriceBook
from tests.meters.conftest import GAS_ATTRS, SetUp, meter


def test_the_hour_of_the_first_price_is_priced_with_it() -> None:
    """First price at 00:20: hour 0 at that price (it cost nothing, for ever, before)."""
    book = PriceBook(None, "sensor.price")
    book.record(20 * 60, 2.0)
    series = HourlySeries(0.0, np.array([1.0, 1.0]), *(np.zeros(2, bool),) * 2, np.ones(2, bool))
    assert book.cost(series) == pytest.approx(4.0)
    early = HourlySeries(-HOUR, np.array([1.0]), *(np.zeros(1, bool),) * 2, np.ones(1, bool))
    assert book.cost(early) == 0.0  # an hour that ended before the first price: nothing


async def test_cost_today_of_a_meter_added_mid_hour(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Added at 00:20 with a price sensor, 2 m³ by 00:40: cost today is 2 m³ at 1.40."""
    freezer.move_to("2026-03-10 08:20:00+00:00")  # 01:20 in US/Pacific's morning
    hass.states.async_set("sensor.gas_price", "1.40", {"unit_of_measurement": "EUR/m³"})
    hass.states.async_set("sensor.gas", "1000", GAS_ATTRS)
    await setup_utility(meter("Gas", "gas", "sensor.gas", price_entity="sensor.gas_price"))
    for value in ("1001", "1002"):
        freezer.tick(timedelta(minutes=10))
        hass.states.async_set("sensor.gas", value, GAS_ATTRS)
        await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    consumption = hass.states.get("sensor.gas_consumption_today")
    cost = hass.states.get("sensor.gas_cost_today")
    assert consumption is not None
    assert cost is not None
    assert float(cost.state) == pytest.approx(1.40 * float(consumption.state), abs=0.01)
    assert float(cost.state) > 0
