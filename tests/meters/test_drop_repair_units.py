"""The meter-swap repair speaks the unit the meter shows (GJ), like add_meter_reading does.

Found on a real Home Assistant: a heat meter in GJ that dropped from 50.01 to 0.02 GJ raised
"Heat dropped from 13891.7 to 5.55556 kWh" and its form asked for the old meter's final reading
in kWh: numbers the meter never showed, while the action takes GJ.
"""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN, repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.energy_correlator.const import DOMAIN
from tests.meters.conftest import SetUp, meter

GJ = {"device_class": "energy", "state_class": "total", "unit_of_measurement": "GJ"}
KWH_PER_GJ = 1e9 / 3.6e6


async def test_drop_of_a_gj_meter_is_told_and_fixed_in_gj(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Placeholders and pre-filled values in GJ; the submitted GJ are stored as kWh."""
    freezer.move_to("2026-12-01 12:00:00+00:00")
    hass.states.async_set("sensor.heat", "50", GJ)
    entry = await setup_utility(meter("Heat", "heat", "sensor.heat", subentry_id="heat"))
    for value in ("50.01", "50.02", "0.02"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.heat", value, GJ)
        await hass.async_block_till_done()
    await entry.runtime_data.coordinator.async_refresh()
    (issue,) = [
        issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith("meter_drop_heat")
    ]
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["unit"] == "GJ"
    assert issue.translation_placeholders["previous"] == "50.02"
    assert issue.translation_placeholders["value"] == "0.02"

    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert flow["description_placeholders"]["unit"] == "GJ"
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in flow["data_schema"].schema
    }
    assert suggested["old_final"] == pytest.approx(50.02)
    assert suggested["new_first"] == pytest.approx(0.02)
    result = await manager.async_configure(
        flow["flow_id"],
        {"old_final": 50.03, "new_first": 0.0, "when": "2026-12-01 06:30:00"},  # 14:30 UTC
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    (swap,) = entry.runtime_data.coordinator.meters["heat"].meter.replacements()
    assert swap.old_final == pytest.approx(50.03 * KWH_PER_GJ)
    assert swap.new_first == 0.0
