"""The utility entry beside the power entry: dispatch by entry kind, unload and removal."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.meters.store import MeterStore
from tests.meters.conftest import GAS_ATTRS, SetUp, meter


async def test_power_actions_still_find_the_power_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, setup_utility: SetUp
) -> None:
    """With both entries loaded, power actions without an entry id use the power entry;
    naming the utility entry is refused with a translated error."""
    utility = await setup_utility(meter("Gas", "gas", unit="m³"))
    response = await hass.services.async_call(
        DOMAIN, "top_consumers", {}, blocking=True, return_response=True
    )
    assert response is not None
    assert "consumers" in response
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "top_consumers",
            {"config_entry_id": utility.entry_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "not_a_power_entry"


async def test_unload_stops_following_and_remove_deletes_the_readings(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """Unloading leaves no listener; removing deletes the store and the meter's issues."""
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    subentry_id = next(iter(entry.subentries))
    coordinator = entry.runtime_data.coordinator
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"meter_source_removed_{subentry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="meter_source_removed",
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not coordinator._trackers
    hass.states.async_set("sensor.gas", "101", GAS_ATTRS)  # no longer read
    await hass.async_block_till_done()
    assert [r.value for r in coordinator.meters[subentry_id].meter.readings()] == [100.0]
    store = MeterStore(hass, entry.entry_id)
    assert await store.async_load()

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert await MeterStore(hass, entry.entry_id).async_load() is None
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"meter_source_removed_{subentry_id}") is None
