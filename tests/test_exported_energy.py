"""Exported energy of a net meter (solar): the integral of the meter below zero, never
decreasing, kept over unavailable meters, reloads and restarts; created for every entry, enabled
by default only where export was seen."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
    mock_restore_cache_with_extra_data,
)

from custom_components.energy_correlator.const import (
    DOMAIN,
    METER_UNAVAILABLE_AFTER,
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
)
from custom_components.energy_correlator.unique_ids import service_unique_id

from .conftest import LIGHTS, SWITCHES, set_meter
from .test_net_meter import Watch, meter
from .test_store import same_entry

KEY = "exported_energy"
KWH_PER_WS = 1 / 3_600_000
EXPORT_W = 2000.0


def export_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The entity id of the entry's exported-energy sensor (registered even when disabled)."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, service_unique_id(entry, KEY)
    )
    assert entity_id is not None
    return entity_id


def state_of(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """Current state of one of the entry's service sensors."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, service_unique_id(entry, key)
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None, key
    return state.state


def kwh(hass: HomeAssistant, entry: MockConfigEntry, key: str = KEY) -> float:
    """Numeric state of one of the entry's service sensors."""
    return float(state_of(hass, entry, key))


async def start(hass: HomeAssistant, entry: MockConfigEntry, watts: float | str) -> None:
    """Set the entry up with the meter at `watts` (the devices off)."""
    set_meter(hass, watts)
    for entity_id in SWITCHES:
        hass.states.async_set(entity_id, "off")
    for entity_id in LIGHTS:
        hass.states.async_set(entity_id, "off", {"supported_color_modes": ["brightness"]})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def stored(entry: MockConfigEntry, export_total_kwh: Any) -> dict[str, Any]:
    """The entry's store file holding an earlier export total (the engine's baseline part)."""
    key = f"{DOMAIN}.{entry.entry_id}"
    return {
        key: {
            "version": STORAGE_VERSION,
            "minor_version": STORAGE_MINOR_VERSION,
            "key": key,
            "data": {"engine": {"baseline": {"export_total_kwh": export_total_kwh}}},
        }
    }


def restored(entity_id: str, native_value: Any) -> list[tuple[State, dict[str, Any]]]:
    """A restore-cache row for the sensor, as its last state before a restart."""
    return [
        (
            State(entity_id, str(native_value)),
            {"native_value": native_value, "native_unit_of_measurement": "kWh"},
        )
    ]


async def test_no_export_seen_created_disabled(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """A meter that never went below zero: the sensor exists, disabled by the integration."""
    reg = er.async_get(hass).async_get(export_id(hass, init_integration))
    assert reg is not None
    assert reg.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert reg.translation_key == KEY
    assert hass.states.get(reg.entity_id) is None
    # Enabled by the user, it counts zero for a meter that never exports.
    er.async_get(hass).async_update_entity(reg.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    watch = Watch(hass, init_integration)
    await meter(hass, freezer, watch, 120, 450)
    assert kwh(hass, init_integration) == 0.0


async def test_export_integrated_import_and_cost_untouched(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Import 120 s at 500 W, export 600 s at 2 kW, import again: the export sensor rises by
    exactly the exported energy, today's energy and the cost never drop."""
    await start(hass, mock_config_entry, -EXPORT_W)  # exporting at setup: enabled by default
    reg = er.async_get(hass).async_get(export_id(hass, mock_config_entry))
    assert reg is not None
    assert reg.disabled_by is None
    state = hass.states.get(reg.entity_id)
    assert state is not None
    assert state.attributes["device_class"] == "energy"
    assert state.attributes["state_class"] == "total_increasing"
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert state.name == "Energy Correlator Exported energy"
    watch = Watch(hass, mock_config_entry)

    await meter(hass, freezer, watch, 120, 500)
    exported_before = kwh(hass, mock_config_entry)
    imported = kwh(hass, mock_config_entry, "daily_energy")
    cost = kwh(hass, mock_config_entry, "cost_month")
    await meter(hass, freezer, watch, 600, -EXPORT_W)
    # The import and the cost stand still while exporting.
    assert kwh(hass, mock_config_entry, "daily_energy") == pytest.approx(imported, abs=0.01)
    assert kwh(hass, mock_config_entry, "cost_month") >= cost
    await meter(hass, freezer, watch, 400, 500)  # the last write is due within 5 minutes

    exported = kwh(hass, mock_config_entry) - exported_before
    assert exported == pytest.approx(600 * EXPORT_W * KWH_PER_WS, abs=1e-4)
    coordinator = mock_config_entry.runtime_data.coordinator
    assert coordinator.engine.export_total_kwh() == pytest.approx(
        kwh(hass, mock_config_entry), abs=1e-4
    )
    assert kwh(hass, mock_config_entry, "daily_energy") >= imported + 500 * 400 * KWH_PER_WS * 0.9
    assert watch.checked > 1000


@pytest.mark.parametrize(
    ("bad", "sensor_unavailable"),
    [
        (STATE_UNAVAILABLE, True),
        ("unknown", True),
        ("not a number", False),
        ("nan", False),
        ("-inf", False),
        ("-1e12", False),  # beyond the maximum power: refused, never a huge export
    ],
)
async def test_bad_meter_states_lose_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    bad: str,
    sensor_unavailable: bool,
) -> None:
    """Export, 90 s of a bad meter state, export again: what was counted stays, the bad stretch
    adds nothing, counting goes on after it; unavailable while the meter is."""
    await start(hass, mock_config_entry, -EXPORT_W)
    watch = Watch(hass, mock_config_entry)
    await meter(hass, freezer, watch, 300, -EXPORT_W)
    await meter(hass, freezer, watch, 400, 300)  # written
    first = kwh(hass, mock_config_entry)
    assert first == pytest.approx(300 * EXPORT_W * KWH_PER_WS, abs=1e-3)

    await meter(hass, freezer, watch, int(METER_UNAVAILABLE_AFTER.total_seconds()) + 30, bad)
    during = state_of(hass, mock_config_entry, KEY)
    if sensor_unavailable:
        assert during == STATE_UNAVAILABLE
    else:
        assert float(during) == first

    await meter(hass, freezer, watch, 300, -EXPORT_W)
    await meter(hass, freezer, watch, 400, 300)
    second = kwh(hass, mock_config_entry) - first
    # At most the one held second of the last good reading before the bad stretch.
    assert second == pytest.approx(300 * EXPORT_W * KWH_PER_WS, abs=2 * EXPORT_W * KWH_PER_WS)


async def test_reload_and_reset_statistics_keep_the_total(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """An unload/reload keeps the total; reset_statistics starts the engine's counter over,
    the sensor keeps counting on from where it was (the Energy dashboard sees no reset)."""
    await start(hass, mock_config_entry, -EXPORT_W)
    watch = Watch(hass, mock_config_entry)
    await meter(hass, freezer, watch, 300, -EXPORT_W)
    await meter(hass, freezer, watch, 400, 300)
    first = kwh(hass, mock_config_entry)

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, mock_config_entry, KEY) == STATE_UNAVAILABLE
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert kwh(hass, mock_config_entry) == first

    await hass.services.async_call(DOMAIN, "reset_statistics", {}, blocking=True)
    coordinator = mock_config_entry.runtime_data.coordinator
    assert coordinator.engine.export_total_kwh() == 0.0
    # Today's energy and the cost were reset on purpose; the exported energy must not drop.
    exported = export_id(hass, mock_config_entry)
    watch.last = {exported: watch.last[exported]}
    await meter(hass, freezer, watch, 300, -EXPORT_W)
    await meter(hass, freezer, watch, 400, 300)
    assert kwh(hass, mock_config_entry) == pytest.approx(
        first + 300 * EXPORT_W * KWH_PER_WS, abs=2e-3
    )


async def test_restart_keeps_the_export_total(
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Stop Home Assistant and start it again on the same storage: the total goes on."""
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        await start(hass, mock_config_entry, -EXPORT_W)
        watch = Watch(hass, mock_config_entry)
        await meter(hass, freezer, watch, 300, -EXPORT_W)
        await meter(hass, freezer, watch, 400, 300)
        total = kwh(hass, mock_config_entry)
        assert total == pytest.approx(300 * EXPORT_W * KWH_PER_WS, abs=1e-3)
        await hass.async_stop()

    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        entry = same_entry(mock_config_entry)
        await start(hass, entry, 300)  # not exporting now: still enabled (the registry kept it)
        assert kwh(hass, entry) == total
        watch = Watch(hass, entry)
        await meter(hass, freezer, watch, 300, -EXPORT_W)
        await meter(hass, freezer, watch, 400, 300)
        assert kwh(hass, entry) == pytest.approx(2 * total, abs=2e-3)
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop()


async def test_store_with_export_enables_the_sensor(
    hass: HomeAssistant, hass_storage: dict[str, Any], mock_config_entry: MockConfigEntry
) -> None:
    """An entry whose store already holds export (an update from a version without the sensor)
    gets the sensor enabled, showing that total, even at night."""
    hass_storage.update(stored(mock_config_entry, 12.5))
    await start(hass, mock_config_entry, 300)
    assert kwh(hass, mock_config_entry) == 12.5


@pytest.mark.parametrize(
    ("store_kwh", "last_state", "expected"),
    [
        (1.0, 1.5, 1.5),  # a crash after the last save: the restored state is newer
        (2.0, 1.5, 2.0),  # the store is newer than the restore cache
        (None, 1.5, 1.5),  # the store was lost: the sensor does not fall to zero
        (1.0, "abc", 1.0),  # bad restored values are ignored
        (1.0, -3.0, 1.0),
        (1.0, "nan", 1.0),
        (1.0, "inf", 1.0),
        (1.0, None, 1.0),
        (-5.0, 1.5, 1.5),  # a corrupted store's negative total: its increments still count
    ],
)
async def test_restored_state_and_store_agree(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    store_kwh: Any,
    last_state: Any,
    expected: float,
) -> None:
    """After a restart the larger of store and restored state is the total, nothing counted twice;
    export goes on from there."""
    mock_config_entry.add_to_hass(hass)
    reg = er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        service_unique_id(mock_config_entry, KEY),
        suggested_object_id="energy_correlator_exported_energy",
        config_entry=mock_config_entry,
    )
    mock_restore_cache_with_extra_data(hass, restored(reg.entity_id, last_state))
    if store_kwh is not None:
        hass_storage.update(stored(mock_config_entry, store_kwh))
    await start(hass, mock_config_entry, 300)
    assert kwh(hass, mock_config_entry) == expected
    watch = Watch(hass, mock_config_entry)
    await meter(hass, freezer, watch, 300, -EXPORT_W)
    await meter(hass, freezer, watch, 400, 300)
    assert kwh(hass, mock_config_entry) == pytest.approx(
        expected + 300 * EXPORT_W * KWH_PER_WS, abs=2e-3
    )


async def test_written_at_most_once_a_minute(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """A steady 3 kW export grows the total on every 5 s beat; the recorder gets a row at most
    once a minute (write_policy.ENERGY), not one per beat."""
    await start(hass, mock_config_entry, -3000)
    entity_id = export_id(hass, mock_config_entry)
    watch = Watch(hass, mock_config_entry)
    await meter(hass, freezer, watch, 10, -3000)
    writes: set[object] = set()
    for _ in range(36):  # three minutes of 5 s heartbeats
        await meter(hass, freezer, watch, 5, -3000)
        writes.add(hass.states.get(entity_id).last_updated)  # type: ignore[union-attr]
    assert 2 <= len(writes) <= 4
    assert kwh(hass, mock_config_entry) > 0.1


async def test_non_finite_store_total_adds_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A store whose export total reads as infinite: the engine refuses that part of the store
    (its totals start from zero), the sensor keeps its restored total and adds only what is
    exported after the restart; it never jumps to inf."""
    mock_config_entry.add_to_hass(hass)
    reg = er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        service_unique_id(mock_config_entry, KEY),
        suggested_object_id="energy_correlator_exported_energy",
        config_entry=mock_config_entry,
    )
    mock_restore_cache_with_extra_data(hass, restored(reg.entity_id, 1.5))
    hass_storage.update(stored(mock_config_entry, "inf"))
    await start(hass, mock_config_entry, 300)
    assert kwh(hass, mock_config_entry) == 1.5
    watch = Watch(hass, mock_config_entry)
    await meter(hass, freezer, watch, 300, -EXPORT_W)
    await meter(hass, freezer, watch, 400, 300)
    exported = 300 * EXPORT_W * KWH_PER_WS
    assert kwh(hass, mock_config_entry) == pytest.approx(1.5 + exported, abs=1e-3)


async def test_enabled_later_shows_what_was_exported_meanwhile(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """Set up at night (disabled), the panels export, the user enables the sensor: it starts
    from everything exported since setup, not from zero."""
    watch = Watch(hass, init_integration)
    await meter(hass, freezer, watch, 300, -EXPORT_W)
    await meter(hass, freezer, watch, 10, 300)
    entity_id = export_id(hass, init_integration)
    assert hass.states.get(entity_id) is None
    er.async_get(hass).async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert kwh(hass, init_integration) == pytest.approx(300 * EXPORT_W * KWH_PER_WS, abs=1e-3)
