"""Set up, unload and reload: a loaded entry works, an unloaded one leaves nothing behind."""

from collections import Counter
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.energy_correlator import engine_config
from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    DOMAIN,
    OPT_AFTER_WINDOW_S,
    OPT_SCAN_INTERVAL_S,
)
from custom_components.energy_correlator.coordinator import EnergyCorrelatorCoordinator
from tests.conftest import METER


def listener_counts(hass: HomeAssistant) -> Counter[str]:
    """Bus listeners per event type."""
    return Counter(hass.bus.async_listeners())


def tracked_entities(hass: HomeAssistant) -> set[str]:
    """Entity ids that have a filtered state-change or state-report callback."""
    from homeassistant.helpers.event import (
        _TRACK_STATE_CHANGE_DATA,
        _TRACK_STATE_REPORT_DATA,
    )

    found: set[str] = set()
    for key in (_TRACK_STATE_CHANGE_DATA, _TRACK_STATE_REPORT_DATA):
        if (tracker := hass.data.get(key)) is not None:
            found |= {entity_id for entity_id, jobs in tracker.callbacks.items() if jobs}
    return found


async def test_setup_builds_runtime_data(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A loaded entry has its coordinator, no sink without InfluxDB, and data from the meter."""
    runtime = init_integration.runtime_data
    assert isinstance(runtime.coordinator, EnergyCorrelatorCoordinator)
    assert runtime.sink is None
    assert runtime.coordinator.data.meter_power_w == pytest.approx(300)
    assert runtime.coordinator.update_interval is not None
    assert runtime.coordinator.update_interval.total_seconds() == 5
    assert {METER, "switch.kettle", "light.kitchen"} <= tracked_entities(hass)
    assert hass.services.has_service(DOMAIN, "get_correlations")


async def test_engine_config_from_options(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Options and HA's time zone reach the engine."""
    await hass.config.async_update(time_zone="Europe/Berlin")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**mock_config_entry.options, OPT_AFTER_WINDOW_S: 20}
    )
    config = engine_config(hass, mock_config_entry)
    assert config.main_meter == METER
    assert config.after_window_s == 20
    assert config.timezone == "Europe/Berlin"


async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """No bus listener, state tracker, timer or task survives an unload.

    A first set-up/unload cycle warms up what is not ours (platform components, the entity
    registry's pending save); the second cycle must leave everything exactly as it was.
    """
    hass.states.async_set(METER, "300", {"unit_of_measurement": "W"})
    hass.states.async_set("switch.kettle", "off")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(60)
    async_fire_time_changed(hass)  # lets pending registry saves run
    await hass.async_block_till_done()
    before = listener_counts(hass)
    tracked_before = tracked_entities(hass)

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = mock_config_entry.runtime_data.coordinator
    hass.states.async_set("switch.kettle", "on")  # arms the precise window timer
    await hass.async_block_till_done()
    assert coordinator._due_unsub is not None
    assert tracked_entities(hass) > tracked_before

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert listener_counts(hass) == before
    assert tracked_entities(hass) == tracked_before
    assert coordinator._unsub_refresh is None
    assert coordinator._due_unsub is None
    assert not mock_config_entry._background_tasks
    assert not mock_config_entry._tasks


async def test_reload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A reload (options flow, reconfigure) brings a fresh, working entry."""
    old = init_integration.runtime_data.coordinator
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.coordinator is not old


async def test_scan_interval_option(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The heartbeat period is an option."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**mock_config_entry.options, OPT_SCAN_INTERVAL_S: 2}
    )
    hass.states.async_set(METER, "300", {"unit_of_measurement": "W"})
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    interval = mock_config_entry.runtime_data.coordinator.update_interval
    assert interval is not None
    assert interval.total_seconds() == 2


SINK = "custom_components.energy_correlator.influx.InfluxSink"


async def test_influx_sink_started_and_stopped(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """With InfluxDB enabled the sink starts with the entry and stops on unload."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            **mock_config_entry.data,
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: "http://127.0.0.1:8086",
            CONF_INFLUX_TOKEN: "secret-token",
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
        },
    )
    hass.states.async_set(METER, "300", {"unit_of_measurement": "W"})
    with (
        patch(f"{SINK}.async_start", AsyncMock()) as start,
        patch(f"{SINK}.async_stop", AsyncMock()) as stop,
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert mock_config_entry.state is ConfigEntryState.LOADED
        sink = mock_config_entry.runtime_data.sink
        assert sink is not None
        assert mock_config_entry.runtime_data.coordinator.sink is sink
        start.assert_awaited_once()
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        stop.assert_awaited_once()


async def test_remove_entry_deletes_store(
    hass: HomeAssistant, hass_storage: dict, init_integration: MockConfigEntry
) -> None:
    """Removing the entry removes its learned data and its backfill ledger."""
    key = f"{DOMAIN}.{init_integration.entry_id}"
    ledger = f"{key}.backfill"
    hass_storage[ledger] = {"version": 1, "minor_version": 1, "key": ledger, "data": {}}
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert ledger not in hass_storage
