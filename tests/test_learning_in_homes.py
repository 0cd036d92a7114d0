"""In a real Home Assistant: a small lamp's sensors appear early, the first events after setup
have a before-value, old stored profiles load, net energy never decreases (issue 10)."""

import random
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.energy_correlator.const import DOMAIN, STORAGE_VERSION
from custom_components.energy_correlator.daily_energy import DailyEnergy
from tests.conftest import our_entity_id, set_meter

LAMP = "light.kitchen"
KETTLE = "switch.kettle"


async def noisy_meter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: int,
    watts: float,
    rng: random.Random,
    noise_w: float = 12.5,
) -> None:
    """A 2 s meter with gaussian noise in W (heartbeats run every second)."""
    for second in range(seconds):
        freezer.tick(1)
        if second % 2 == 0:
            set_meter(hass, round(watts + rng.gauss(0.0, noise_w), 1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def learned_sensor(hass: HomeAssistant, entity_id: str) -> str | None:
    """The entity id of a device's learned-power sensor, None while it has none."""
    source = er.async_get(hass).async_get(entity_id)
    key = source.id if source is not None else entity_id
    return our_entity_id(hass, f"{key}_learned_power")


async def test_a_60_w_lamp_gets_its_sensors_after_three_cycles(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """2 s meter, ±25 W noise: three clean on/off cycles of a 60 W lamp make its sensors."""
    rng = random.Random(3)
    for _ in range(3):
        await noisy_meter(hass, freezer, 40, 300.0, rng)
        hass.states.async_set(LAMP, "on", {"supported_color_modes": ["onoff"]})
        await noisy_meter(hass, freezer, 120, 360.0, rng)
        hass.states.async_set(LAMP, "off", {"supported_color_modes": ["onoff"]})
    # a young device's steps on a noisy meter are measured over windows of up to 2 minutes
    await noisy_meter(hass, freezer, 135, 300.0, rng)
    sensor = learned_sensor(hass, LAMP)
    assert sensor is not None
    state = hass.states.get(sensor)
    assert float(state.state) == pytest.approx(60.0, rel=0.1)
    assert state.attributes["events"] == 6
    assert 0 < state.attributes["uncertainty_w"] < 3.1
    assert state.attributes["modes"][0]["events"] == 6


async def test_the_first_event_after_setup_has_a_before_value(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """Start warm: the meter's held value seeds the series, so an event 2 s after setup is
    measured instead of being a meter gap."""
    freezer.tick(2)
    hass.states.async_set(KETTLE, "on")
    await hass.async_block_till_done()
    for _ in range(45):
        freezer.tick(1)
        set_meter(hass, 2300)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    response: Any = await hass.services.async_call(
        DOMAIN, "get_correlations", {}, blocking=True, return_response=True
    )
    first = response["correlations"][-1]
    assert first["status"] != "gap"
    assert first["power_before_w"] == pytest.approx(300.0)
    assert first["power_delta_w"] == pytest.approx(2000.0)


async def test_profiles_stored_before_modes_load(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A store file written before modes and standard errors (minor version 1) loads."""
    bucket = {
        "v": [2000.0, 2010.0, 1990.0, 2005.0],
        "t": [1.0, 2.0, 3.0, 4.0],
        "l": [1.0] * 4,
        "d": [1, -1, 1, -1],
        "r": [],
    }
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"] = {
        "version": STORAGE_VERSION,
        "minor_version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}",
        "data": {
            "engine": {
                "version": 1,
                "profiles": {KETTLE: [{"kind": "onoff", "events": 4, "buckets": {"1.0": bucket}}]},
            }
        },
    }
    set_meter(hass, 300)
    hass.states.async_set(KETTLE, "off")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    impact: Any = await hass.services.async_call(
        DOMAIN, "device_impact", {"entity_id": KETTLE}, blocking=True, return_response=True
    )
    assert impact["learned_power_w"] == pytest.approx(2001.25, abs=0.1)
    assert impact["uncertainty_w"] > 0
    assert impact["modes"] == [{"power_w": 2001.2, "events": 4, "share": 1.0}]
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    (profile,) = diagnostics["profiles"]
    assert profile["uncertainty_w"] == pytest.approx(impact["uncertainty_w"], abs=0.01)
    assert profile["modes"][0]["events"] == 4
    assert diagnostics["engine"]["export_total_kwh"] == 0.0


def test_net_energy_sensor_running_backwards_never_decreases_today() -> None:
    """A net kWh meter that runs back while exporting adds nothing; a real reset still counts."""
    daily = DailyEnergy()
    daily.update("2026-06-01", 1000.0)
    assert daily.update("2026-06-01", 1001.0) == pytest.approx(1.0)
    assert daily.update("2026-06-01", 1000.4) == pytest.approx(1.0)  # exporting
    assert daily.update("2026-06-01", 1000.9) == pytest.approx(1.5)
    assert daily.update("2026-06-01", 0.2) == pytest.approx(1.7)  # reset to zero
    assert daily.update("2026-06-01", -3.0) == pytest.approx(1.7)  # a negative net reading
