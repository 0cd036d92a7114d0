"""A utility meter cannot read one of the utility meters' own sensors.

Found on a real Home Assistant: a water meter reconfigured to read its own *Consumption today*
grew without bound (1.3 → 2.9 m³ in 30 s: its estimate became its next reading). A meter that
reads another meter's consumption would interpolate an interpolation.
"""

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.energy_correlator.meters.const import (
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_SOURCE,
    SUBENTRY_METER,
)
from tests.meters.conftest import SetUp, meter

WATER = {"device_class": "water", "state_class": "total_increasing", "unit_of_measurement": "m³"}


async def test_own_consumption_sensor_is_refused_as_source(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """Reconfigure and add: source_is_ours on the field; the meter's own sensor still works."""
    hass.states.async_set("sensor.water_meter", "100.5", WATER)
    entry = await setup_utility(meter("Water", "water", "sensor.water_meter", subentry_id="w"))
    own = "sensor.water_consumption_today"
    assert hass.states.get(own) is not None

    result: Any = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "w"},
    )
    form = {CONF_NAME: "Water", CONF_METER_TYPE: "water", CONF_SOURCE: own}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["errors"] == {CONF_SOURCE: "source_is_ours"}
    form[CONF_SOURCE] = "sensor.water_meter"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    form = {CONF_NAME: "Copy", CONF_METER_TYPE: "water", CONF_SOURCE: own}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["errors"] == {CONF_SOURCE: "source_is_ours"}
    await hass.async_block_till_done()
    assert entry.subentries["w"].data[CONF_SOURCE] == "sensor.water_meter"
