"""Reconfiguring a meter whose source (or price) sensor is away right now.

Found on a real Home Assistant: after a restart the source and price sensors of a meter were
not (yet) there; its pre-filled reconfigure form refused them (source_not_found,
price_not_found), so not even its name could be changed without choosing other sensors.
"""

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.energy_correlator.const import OPT_PRICE_ENTITY
from custom_components.energy_correlator.meters.const import (
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_SOURCE,
    SUBENTRY_METER,
)
from tests.meters.conftest import SetUp, meter

WATER = {"device_class": "water", "state_class": "total_increasing", "unit_of_measurement": "m³"}


async def test_unchanged_sensors_that_are_away_are_kept(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """The same source and price are accepted while away; another missing sensor is not."""
    hass.states.async_set("sensor.water_meter", "100.5", WATER)
    hass.states.async_set("sensor.water_price", "2.1", {"unit_of_measurement": "EUR/m³"})
    entry = await setup_utility(
        meter(
            "Water",
            "water",
            "sensor.water_meter",
            price_entity="sensor.water_price",
            subentry_id="w",
        )
    )
    hass.states.async_remove("sensor.water_meter")
    hass.states.async_remove("sensor.water_price")
    await hass.async_block_till_done()

    result: Any = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "w"},
    )
    form = {
        CONF_NAME: "Garden water",
        CONF_METER_TYPE: "water",
        CONF_SOURCE: "sensor.other_meter",
        OPT_PRICE_ENTITY: "sensor.water_price",
    }
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["errors"] == {CONF_SOURCE: "source_not_found"}  # a new one must exist
    form[CONF_SOURCE] = "sensor.water_meter"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    data = entry.subentries["w"].data
    assert data[CONF_NAME] == "Garden water"
    assert data[CONF_SOURCE] == "sensor.water_meter"
    assert data[OPT_PRICE_ENTITY] == "sensor.water_price"
