"""Energy Correlator: learns what each device costs from the whole-home power meter."""

from typing import cast

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, UnsupportedStorageVersionError
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .const import (
    CONF_CIRCUITS,
    CONF_METER,
    DEFAULT_AFTER_WINDOW_S,
    DEFAULT_BEFORE_WINDOW_S,
    DEFAULT_MAX_POWER_W,
    DEFAULT_MIN_DELTA_W,
    DEFAULT_SETTLE_S,
    DOMAIN,
    LOGGER,
    OPT_AFTER_WINDOW_S,
    OPT_BEFORE_WINDOW_S,
    OPT_MAX_POWER_W,
    OPT_MIN_DELTA_W,
    OPT_SETTLE_S,
)
from .coordinator import EnergyCorrelatorCoordinator
from .dashboard import async_register_strategy
from .data import EnergyCorrelatorConfigEntry, EnergyCorrelatorRuntimeData
from .energy_dashboard import EnergyDashboardOffer
from .engine import Engine, EngineConfig
from .event_ledger import EventLedger
from .influx import async_acquire_sink, async_remove_entry_backlog
from .listener import StateListener
from .meters.config_flow import is_utility_entry
from .meters.data import UtilityConfigEntry
from .meters.setup import (
    async_remove_utility_entry,
    async_setup_utility_entry,
    async_unload_utility_entry,
)
from .services import async_setup_services
from .store import CorrelatorStore
from .unique_ids import async_migrate_unique_ids

PLATFORMS: list[Platform] = [Platform.SENSOR, Platform.BINARY_SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once (they resolve their config entry per call) and the dashboard."""
    async_setup_services(hass)
    await async_register_strategy(hass)
    return True


def engine_config(hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> EngineConfig:
    """The engine's tunables from the entry's data and options."""
    options = entry.options
    return EngineConfig(
        main_meter=entry.data[CONF_METER],
        circuits=tuple(entry.data.get(CONF_CIRCUITS) or ()),
        before_window_s=float(options.get(OPT_BEFORE_WINDOW_S, DEFAULT_BEFORE_WINDOW_S)),
        after_window_s=float(options.get(OPT_AFTER_WINDOW_S, DEFAULT_AFTER_WINDOW_S)),
        settle_s=float(options.get(OPT_SETTLE_S, DEFAULT_SETTLE_S)),
        min_delta_w=float(options.get(OPT_MIN_DELTA_W, DEFAULT_MIN_DELTA_W)),
        timezone=hass.config.time_zone,
        max_power_w=float(options.get(OPT_MAX_POWER_W, DEFAULT_MAX_POWER_W)),
    )


async def _async_restore(coordinator: EnergyCorrelatorCoordinator, store: CorrelatorStore) -> None:
    """Load what was learned; a file with unreadable parts is also kept aside as it was."""
    try:
        stored = await store.async_load()
    except UnsupportedStorageVersionError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="storage_too_new",
            translation_placeholders={"path": store.path},
        ) from err
    if not stored:
        return
    if broken := coordinator.restore(stored):
        kept = await store.async_keep_unreadable(stored)
        LOGGER.error(
            "Parts of the learned data in %s could not be read (%s): a copy of the file is kept "
            "in %s; everything else was loaded",
            store.path,
            ", ".join(broken),
            kept,
        )


async def async_setup_entry(hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> bool:
    """Engine from the options, learning from the store, heartbeat, listener, platforms."""
    if is_utility_entry(entry):
        return await async_setup_utility_entry(hass, cast(UtilityConfigEntry, entry))
    engine = Engine(engine_config(hass, entry))
    store = CorrelatorStore(hass, entry.entry_id)
    coordinator = EnergyCorrelatorCoordinator(hass, entry, engine, store)
    await _async_restore(coordinator, store)
    await coordinator.event_ledger.async_load()
    entry.async_on_unload(store.async_bind(coordinator.stored_data))

    # The server's shared sink (None without InfluxDB); released when the entry unloads.
    sink = coordinator.sink = await async_acquire_sink(hass, entry)

    entry.async_on_unload(coordinator.async_follow_meter())
    listener = StateListener(
        hass, entry, engine, coordinator.async_schedule_due, coordinator.event_ledger
    )
    entry.async_on_unload(listener.async_stop)
    entry.async_on_unload(async_at_started(hass, listener.async_start))

    await coordinator.async_config_entry_first_refresh()
    # The heartbeat must run even while no entity listens (it publishes correlations); each
    # beat also lets the listener pick up watched entities that appeared without a registry entry.
    entry.async_on_unload(coordinator.async_add_listener(listener.async_rescan))

    entry.runtime_data = EnergyCorrelatorRuntimeData(coordinator=coordinator, sink=sink)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Learned devices are offered for the Energy dashboard (a fixable repair issue).
    offer = EnergyDashboardOffer(hass, entry)
    entry.async_on_unload(coordinator.async_add_listener(offer.async_check))
    entry.async_on_unload(offer.async_stop)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> bool:
    """Persist what was learned, stop the sink, unload the platforms."""
    if is_utility_entry(entry):
        return await async_unload_utility_entry(hass, cast(UtilityConfigEntry, entry))
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    runtime = entry.runtime_data
    await runtime.coordinator.async_shutdown()
    await runtime.coordinator.store.async_save_now()
    await runtime.coordinator.event_ledger.async_save()  # a reload reads it back at once
    ir.async_delete_issue(hass, DOMAIN, runtime.coordinator.issue_id)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> None:
    """Delete the learned data with the entry."""
    if is_utility_entry(entry):
        await async_remove_utility_entry(hass, cast(UtilityConfigEntry, entry))
        return
    await CorrelatorStore(hass, entry.entry_id).async_remove()
    await EventLedger(hass, entry.entry_id).async_remove()
    await async_remove_entry_backlog(hass, entry)


async def async_migrate_entry(hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> bool:
    """1.1 → 1.2: entity unique ids from the entry id (not the meter's entity id)."""
    if entry.version > 1:
        return False  # written by a newer version: refuse rather than guess
    if entry.minor_version < 2:
        await async_migrate_unique_ids(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=2)
    return True
