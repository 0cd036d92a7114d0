"""Why a meter's cost is unknown: each cause of an unusable price has its own translated reason."""

from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.meters.price import PriceProblem
from tests.meters.conftest import ENERGY_ATTRS, GAS_ATTRS, SetUp, meter

START = "2026-03-10 00:00:00+00:00"
EN = json.loads(
    (
        Path(__file__).parents[2] / "custom_components/energy_correlator/translations/en.json"
    ).read_text("utf-8")
)
COSTS = ("sensor.grid_cost_today", "sensor.grid_cost_this_month")


async def _settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _grid_with_readings(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """An electricity meter priced by sensor.price, with two hours of 1 kWh each."""
    freezer.move_to(START)
    hass.states.async_set("sensor.grid", "100", ENERGY_ATTRS)
    await setup_utility(meter("Grid", "electricity", "sensor.grid", price_entity="sensor.price"))
    for value in ("101", "102"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.grid", value, ENERGY_ATTRS)
        await hass.async_block_till_done()
    await _settle(hass, freezer)


def _reason(hass: HomeAssistant) -> tuple[float | None, Any]:
    """The cost this month (None: unknown) and the reason; both sensors give the same one."""
    states = [hass.states.get(entity_id) for entity_id in COSTS]
    assert all(state is not None for state in states)
    today, month = states
    assert today is not None
    assert month is not None
    assert today.attributes["price_unavailable"] == month.attributes["price_unavailable"]
    value = None if month.state == "unknown" else round(float(month.state), 1)
    return value, month.attributes["price_unavailable"]


@pytest.mark.parametrize(
    ("state", "attrs", "reason"),
    [
        ("unavailable", {"unit_of_measurement": "EUR/kWh"}, "unavailable"),
        ("unknown", {"unit_of_measurement": "EUR/kWh"}, "unavailable"),
        ("cheap", {"unit_of_measurement": "EUR/kWh"}, "not_a_number"),
        ("nan", {"unit_of_measurement": "EUR/kWh"}, "not_a_number"),
        ("1e308", {"unit_of_measurement": "EUR/Wh"}, "not_a_number"),  # overflows per kWh
        ("1.4", {"unit_of_measurement": "EUR/m³"}, "wrong_unit"),  # a gas price
        ("1.4", {"unit_of_measurement": "USD/gal"}, "wrong_unit"),
        ("21", {"unit_of_measurement": "°C"}, "not_a_price"),
        ("300", {"unit_of_measurement": "kWh"}, "not_a_price"),
        ("0.3", {"device_class": "temperature"}, "not_a_price"),
    ],
)
async def test_each_cause_has_its_reason(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    state: str,
    attrs: dict[str, str],
    reason: str,
) -> None:
    """A usable price gives a cost and no reason; each unusable one its own; back, a cost."""
    hass.states.async_set("sensor.price", "0.5", {"unit_of_measurement": "EUR/kWh"})
    await _grid_with_readings(hass, setup_utility, freezer)
    assert _reason(hass) == (1.0, None)

    hass.states.async_set("sensor.price", state, attrs)
    await _settle(hass, freezer)
    assert _reason(hass) == (None, reason)

    hass.states.async_set("sensor.price", "0.5", {"unit_of_measurement": "EUR/kWh"})
    await _settle(hass, freezer)
    assert _reason(hass) == (1.0, None)


async def test_a_missing_price_entity(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A price sensor that does not exist (deleted, or its integration not loaded yet)."""
    await _grid_with_readings(hass, setup_utility, freezer)
    assert _reason(hass) == (None, "missing")
    hass.states.async_set("sensor.price", "0.25", {"unit_of_measurement": "EUR/kWh"})
    await _settle(hass, freezer)
    assert _reason(hass) == (0.0, None)  # hours that ended before the first price cost nothing


async def test_a_wrong_unit_from_the_start_is_said_and_logged_once(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A price per m³ on a kWh meter: the reason from the first refresh, one warning only."""
    hass.states.async_set("sensor.price", "1.4", {"unit_of_measurement": "EUR/m³"})
    with caplog.at_level(logging.WARNING):
        await _grid_with_readings(hass, setup_utility, freezer)
        hass.states.async_set("sensor.price", "1.5", {"unit_of_measurement": "EUR/m³"})
        await _settle(hass, freezer)
    assert _reason(hass) == (None, "wrong_unit")
    logged = [r for r in caplog.records if "sensor.price of Grid" in r.getMessage()]
    assert len(logged) == 1
    assert "a price per a unit this meter does not count" in logged[0].getMessage()


async def test_water_priced_per_kwh_is_the_wrong_unit(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Water has no calorific value: a price per kWh says nothing about its m³."""
    freezer.move_to(START)
    hass.states.async_set("sensor.water", "10", {**GAS_ATTRS, "device_class": "water"})
    hass.states.async_set("sensor.price", "0.3", {"unit_of_measurement": "EUR/kWh"})
    await setup_utility(meter("Water", "water", "sensor.water", price_entity="sensor.price"))
    await _settle(hass, freezer)
    cost = hass.states.get("sensor.water_cost_this_month")
    assert cost is not None
    assert cost.attributes["price_unavailable"] == "wrong_unit"


async def test_gas_priced_per_kwh_uses_the_calorific_value(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Gas may be priced per kWh (a gas tariff): m³ x calorific value x z, no reason."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    hass.states.async_set("sensor.price", "0.1", {"unit_of_measurement": "EUR/kWh"})
    await setup_utility(meter("Gas", "gas", "sensor.gas", price_entity="sensor.price"))
    freezer.tick(timedelta(hours=1))
    hass.states.async_set("sensor.gas", "101", GAS_ATTRS)
    await _settle(hass, freezer)
    cost = hass.states.get("sensor.gas_cost_this_month")
    assert cost is not None
    assert cost.attributes["price_unavailable"] is None
    assert float(cost.state) == pytest.approx(0.1 * 11.504 * 0.8885, abs=0.01)


async def test_a_negative_price_is_a_price(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Dynamic electricity tariffs go below zero: the cost is negative, not unknown."""
    hass.states.async_set("sensor.price", "-0.05", {"unit_of_measurement": "EUR/kWh"})
    await _grid_with_readings(hass, setup_utility, freezer)
    assert _reason(hass) == (-0.1, None)


def test_every_reason_is_translated() -> None:
    """Each reason the cost sensors can give has English text on both of them."""
    for key in ("cost_today", "cost_this_month"):
        texts = EN["entity"]["sensor"][key]["state_attributes"]["price_unavailable"]["state"]
        assert set(texts) == {str(problem) for problem in PriceProblem}
        assert all(texts.values())
