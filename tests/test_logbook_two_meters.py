"""Two power entries watching one device: each Activity line says which meter saw it.

Found on a real Home Assistant with a house meter and a garage meter both watching the heater:
its Activity showed "Heater turned off: -1 174 W (confidence 90 %)" and "Heater turned off:
-1 496 W (confidence 100 %)" at the same second, with no way to tell them apart.
"""

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import DOMAIN, EVENT_CORRELATION
from custom_components.energy_correlator.logbook import async_describe_events
from custom_components.energy_correlator.meters.const import (
    CONF_ENTRY_KIND,
    ENTRY_KIND_UTILITY,
)

HEATER_OFF = {
    "entity_id": "switch.heater",
    "state": "off",
    "previous_state": "on",
    "power_delta_w": -1496.0,
    "confidence": 1.0,
    "status": "ok",
}


def _describer(hass: HomeAssistant) -> Callable[[Event], dict[str, Any]]:
    found: dict[str, Callable[[Event], dict[str, Any]]] = {}

    def _capture(domain: str, event_type: str, describe: Callable[..., Any]) -> None:
        found[event_type] = describe

    async_describe_events(hass, _capture)
    return found[EVENT_CORRELATION]


def _power_entry(hass: HomeAssistant, title: str, meter: str) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title=title, data={"meter_entity": meter})
    entry.add_to_hass(hass)
    return entry


async def test_each_meter_is_named_with_two_power_entries(hass: HomeAssistant) -> None:
    """With a second power entry the line ends with the meter that saw the change."""
    hass.states.async_set("switch.heater", "off", {"friendly_name": "Heater"})
    house = _power_entry(hass, "Home power", "sensor.home_power")
    garage = _power_entry(hass, "Garage meter", "sensor.garage_power")
    describe = _describer(hass)
    house_line = describe(Event(EVENT_CORRELATION, {**HEATER_OFF, "entry_id": house.entry_id}))
    garage_line = describe(Event(EVENT_CORRELATION, {**HEATER_OFF, "entry_id": garage.entry_id}))
    assert house_line["message"] == "turned off: -1 496 W (confidence 100 %), seen by Home power"
    assert garage_line["message"].endswith(", seen by Garage meter")
    assert house_line["name"] == "Heater"


async def test_one_power_entry_names_no_meter(hass: HomeAssistant) -> None:
    """One power entry (and the utility entry): the line stays as it was."""
    hass.states.async_set("switch.heater", "off", {"friendly_name": "Heater"})
    house = _power_entry(hass, "Home power", "sensor.home_power")
    MockConfigEntry(
        domain=DOMAIN, title="Utility meters", data={CONF_ENTRY_KIND: ENTRY_KIND_UTILITY}
    ).add_to_hass(hass)
    describe = _describer(hass)
    line = describe(Event(EVENT_CORRELATION, {**HEATER_OFF, "entry_id": house.entry_id}))
    assert line["message"] == "turned off: -1 496 W (confidence 100 %)"
    # an event of an entry deleted since, or of an older version without entry_id
    assert describe(Event(EVENT_CORRELATION, HEATER_OFF))["message"] == line["message"]
