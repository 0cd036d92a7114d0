"""Set up, unload and remove the utility-meter entry (dispatched from the package's __init__)."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from ..influx import async_acquire_sink, async_remove_entry_backlog
from .coordinator import UtilityCoordinator
from .data import UtilityConfigEntry, UtilityRuntimeData
from .repairs import async_delete_meter_issues
from .store import MeterStore

PLATFORMS: list[Platform] = [Platform.SENSOR, Platform.BINARY_SENSOR]


async def async_setup_utility_entry(hass: HomeAssistant, entry: UtilityConfigEntry) -> bool:
    """Meters from the store, sources followed, a first snapshot, then the platforms."""
    coordinator = UtilityCoordinator(hass, entry)
    # The server's shared sink (None without InfluxDB); released when the entry unloads.
    coordinator.sink = await async_acquire_sink(hass, entry)
    await coordinator.async_setup()
    entry.async_on_unload(coordinator.async_stop_following)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = UtilityRuntimeData(coordinator=coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_utility_entry(hass: HomeAssistant, entry: UtilityConfigEntry) -> bool:
    """Unload the platforms, let a running import finish, save the readings."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await entry.runtime_data.coordinator.async_unload()
    return True


async def async_remove_utility_entry(hass: HomeAssistant, entry: UtilityConfigEntry) -> None:
    """Delete the readings with the entry, and its repair issues."""
    await MeterStore(hass, entry.entry_id).async_remove()
    await async_remove_entry_backlog(hass, entry)
    for subentry_id in entry.subentries:
        async_delete_meter_issues(hass, subentry_id)
