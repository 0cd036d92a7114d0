"""The simulated home's utility meters (scripts/develop): an hourly gas meter, a water meter
that misses days, both usable as sources of utility meters."""

from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.meters.flow_forms import validate_meter

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


@pytest.fixture
async def home(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, freezer: FrozenDateTimeFactory
) -> list[Event]:
    """The simulated home from YAML; the state changes of its utility meters are collected."""
    freezer.move_to("2026-01-10 00:30:00+00:00")
    monkeypatch.syspath_prepend(str(CONFIG_DIR))
    changes: list[Event] = []

    @callback
    def _collect(event: Event[Any]) -> None:
        if event.data["entity_id"] in ("sensor.gas_meter", "sensor.water_meter"):
            changes.append(event)

    hass.bus.async_listen(EVENT_STATE_CHANGED, _collect)
    assert await async_setup_component(hass, "simulated_home", {"simulated_home": {"seed": 3}})
    await hass.async_block_till_done()
    return changes


async def _run(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hours: int) -> None:
    for _ in range(hours * 6):
        freezer.tick(timedelta(minutes=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def test_gas_meter_reports_every_hour_and_counts_up(
    hass: HomeAssistant, home: list[Event], freezer: FrozenDateTimeFactory
) -> None:
    """One report an hour, never decreasing, a winter day's worth of heating gas."""
    await _run(hass, freezer, 24)
    gas = [
        float(e.data["new_state"].state) for e in home if e.data["entity_id"] == "sensor.gas_meter"
    ]
    assert len(gas) == 25  # the first state, then one reading an hour
    assert all(b > a for a, b in pairwise(gas))
    assert 3.0 < gas[-1] - gas[0] < 15.0
    state = hass.states.get("sensor.gas_meter")
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "m³"
    assert state.attributes["state_class"] == "total_increasing"
    assert not validate_meter(
        hass, {"name": "Gas", "meter_type": "gas", "source_entity": "sensor.gas_meter"}
    )


async def test_water_meter_misses_days(
    hass: HomeAssistant, home: list[Event], freezer: FrozenDateTimeFactory
) -> None:
    """At most one reading a day, and some days none: the gaps the utility wing fills."""
    await _run(hass, freezer, 20 * 24)
    water = [e for e in home if e.data["entity_id"] == "sensor.water_meter"]
    readings = len(water) - 1
    assert 8 <= readings < 20
    assert not validate_meter(
        hass, {"name": "Water", "meter_type": "water", "source_entity": "sensor.water_meter"}
    )


async def test_manual_reading_helper_is_configured() -> None:
    """configuration.yaml offers the input_number a newcomer types readings into."""
    text = (CONFIG_DIR / "configuration.yaml").read_text("utf-8")
    assert "cellar_gas_reading:" in text
