"""Persistence: debounced saves while learning, and nothing learned is lost over a restart."""

from collections.abc import Callable
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import UnsupportedStorageVersionError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.energy_correlator.const import (
    DOMAIN,
    STORAGE_MINOR_VERSION,
    STORAGE_SAVE_DELAY_S,
    STORAGE_VERSION,
)
from custom_components.energy_correlator.engine import Engine, ProfileSummary
from custom_components.energy_correlator.store import CorrelatorStore, load_engine_parts
from tests.conftest import set_meter
from tests.engine.helpers import T0, make_engine, toggle_history
from tests.test_listener import run_meter


def same_entry(entry: MockConfigEntry) -> MockConfigEntry:
    """The same config entry as a new object (for a second Home Assistant instance)."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry.entry_id,
        unique_id=entry.unique_id,
        title=entry.title,
        data=dict(entry.data),
        options=dict(entry.options),
    )


async def start_entry(hass: HomeAssistant, entry: MockConfigEntry) -> Engine:
    """Set up the entry with a 300 W meter and the kettle off; returns its engine."""
    set_meter(hass, 300)
    hass.states.async_set("switch.kettle", "off")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    engine: Engine = entry.runtime_data.coordinator.engine
    return engine


async def teach_kettle(hass: HomeAssistant, freezer: FrozenDateTimeFactory, times: int) -> None:
    """Switch a 2 kW kettle on and off under a 1 s meter."""
    for _ in range(times):
        await run_meter(hass, freezer, 40, 300)
        hass.states.async_set("switch.kettle", "on")
        await run_meter(hass, freezer, 40, 2300)
        hass.states.async_set("switch.kettle", "off")
    await run_meter(hass, freezer, 40, 300)


async def test_debounced_save_while_learning(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Learning is written within the save delay, without waiting for an unload."""
    await start_entry(hass, mock_config_entry)
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    await teach_kettle(hass, freezer, 2)
    await run_meter(hass, freezer, int(STORAGE_SAVE_DELAY_S) + 1, 300)
    assert key in hass_storage
    stored = hass_storage[key]
    assert stored["version"] == STORAGE_VERSION
    assert stored["minor_version"] == STORAGE_MINOR_VERSION
    assert "engine" in stored["data"]
    assert "daily_energy" in stored["data"]["shell"]


async def test_restart_loses_no_learning(
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Stop Home Assistant and start it again on the same storage: the profile is still there."""
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        engine = await start_entry(hass, mock_config_entry)
        await teach_kettle(hass, freezer, 4)
        learned = engine.profile("switch.kettle")
        assert learned is not None
        assert learned.learned_power_w == pytest.approx(2000, rel=0.05)
        correlations = engine.stats.correlations
        await hass.async_stop()

    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        entry = same_entry(mock_config_entry)
        engine = await start_entry(hass, entry)
        restored: ProfileSummary | None = engine.profile("switch.kettle")
        assert restored is not None
        assert restored.learned_power_w == pytest.approx(learned.learned_power_w)
        assert restored.events == learned.events
        assert engine.stats.correlations == correlations
        assert entry.runtime_data.coordinator.data.devices["switch.kettle"]
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop()


async def test_older_minor_version_loads(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A file of an older minor version goes through the migration and loads."""
    engine = await start_entry(hass, mock_config_entry)
    await teach_kettle(hass, freezer, 3)
    saved = engine.to_dict()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"] = {
        "version": STORAGE_VERSION,
        "minor_version": 0,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}",
        "data": {"engine": saved},
    }
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    reloaded = mock_config_entry.runtime_data.coordinator.engine
    assert reloaded.profile("switch.kettle") == engine.profile("switch.kettle")


async def test_unknown_major_version_is_refused(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A file from a future major version is not silently misread."""
    hass_storage[f"{DOMAIN}.x"] = {
        "version": STORAGE_VERSION + 1,
        "minor_version": 0,
        "key": f"{DOMAIN}.x",
        "data": {},
    }
    with pytest.raises(UnsupportedStorageVersionError):
        await CorrelatorStore(hass, "x").async_load()


async def test_final_write_at_stop(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Home Assistant stopping flushes the latest state even inside the debounce delay."""
    engine = await start_entry(hass, mock_config_entry)
    await teach_kettle(hass, freezer, 1)
    async_fire_time_changed(hass)
    await hass.async_stop()
    stored = hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"]["data"]["engine"]
    fresh = Engine(engine.config)
    fresh.load_dict(stored)
    assert fresh.stats.correlations == engine.stats.correlations


async def test_unload_after_stop_is_quiet(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unloading after Home Assistant began stopping neither fails nor logs an error."""
    await start_entry(hass, mock_config_entry)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert "Unable to remove" not in caplog.text
    assert f"{DOMAIN}.{mock_config_entry.entry_id}" in hass_storage


async def test_unreadable_learning_is_kept_aside_and_setup_goes_on(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A corrupt file never blocks setup and is not overwritten: a copy is kept beside it."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    broken = {"engine": {"profiles": "not a list"}, "shell": {}}
    hass_storage[key] = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": key,
        "data": broken,
    }
    engine = await start_entry(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert engine.profiles() == []
    assert hass_storage[f"{key}.unreadable"]["data"] == broken
    assert "could not be read" in caplog.text


async def test_newer_file_gives_a_clear_setup_error(
    hass: HomeAssistant, hass_storage: dict[str, Any], mock_config_entry: MockConfigEntry
) -> None:
    """Learning written by a newer release is refused with a translated error, not misread."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    hass_storage[key] = {"version": STORAGE_VERSION + 1, "minor_version": 1, "key": key, "data": {}}
    set_meter(hass, 300)
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason is not None
    assert "newer version" in mock_config_entry.reason
    assert hass_storage[key]["version"] == STORAGE_VERSION + 1  # untouched


def _learned_state() -> dict[str, Any]:
    """A pure engine's stored state with two learned devices (the kettle and a heater)."""
    engine = make_engine()
    toggle_history(engine, "switch.kettle", 2000.0, 6)
    toggle_history(engine, "switch.heater", 800.0, 6, start=T0 + 2000.0)
    state = engine.to_dict()
    assert set(state["profiles"]) == {"switch.kettle", "switch.heater"}
    return json.loads(json.dumps(state))  # as the file holds it


@pytest.mark.parametrize(
    ("damage", "lost"),
    [
        # The case: a NaN aggregate saved as null.
        (lambda s: s["baseline"].update(energy_today_kwh=None), ["baseline"]),
        (lambda s: s["baseline"].update(peaks=[[1, None]]), ["baseline"]),
        (lambda s: s["stats"].update(events=None), ["stats"]),
        (lambda s: s["recent"].append({"entity_id": "switch.x"}), ["recent"]),
        (
            lambda s: s["devices"]["switch.kettle"].update(energy_kwh=None),
            ["devices.switch.kettle"],
        ),
        (lambda s: s["profiles"]["switch.heater"].append(None), ["profiles.switch.heater"]),
        (lambda s: s.update(references=["not", "a", "dict"]), ["references"]),
    ],
)
def test_a_broken_part_costs_only_itself(
    damage: Callable[[dict[str, Any]], None], lost: list[str]
) -> None:
    """Every part that can be read is loaded; the broken one is named."""
    state = _learned_state()
    damage(state)
    engine = make_engine()
    assert load_engine_parts(engine, state) == lost
    learned = {p.entity_id for p in engine.profiles() if p.learned_power_w is not None}
    expected = {"switch.kettle", "switch.heater"} - {
        part.split(".", 1)[1] for part in lost if part.startswith("profiles.")
    }
    assert learned == expected
    if "stats" not in lost:
        assert engine.stats.events == state["stats"]["events"]
    if "baseline" not in lost:
        assert engine.energy_total_kwh() == pytest.approx(state["baseline"]["energy_total_kwh"])


def test_an_intact_state_loads_whole() -> None:
    """Nothing is reported for a good file; not a dict at all is one broken part."""
    state = _learned_state()
    engine = make_engine()
    assert load_engine_parts(engine, state) == []
    assert engine.to_dict()["profiles"] == state["profiles"]
    assert load_engine_parts(make_engine(), ["not", "a", "dict"]) == ["engine"]


async def test_profiles_survive_a_broken_aggregate_over_setup(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The stored NaN-as-null of the issue: learning is intact, the broken part is reported in
    the log and in diagnostics, and the file as it was is kept aside."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    engine_state = _learned_state()
    engine_state["baseline"]["energy_today_kwh"] = None
    stored = {"engine": engine_state, "shell": {"daily_energy": {"total_kwh": "abc"}}}
    hass_storage[key] = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": key,
        "data": stored,
    }
    engine = await start_entry(hass, mock_config_entry)
    assert {p.entity_id for p in engine.profiles()} == {"switch.kettle", "switch.heater"}
    assert "baseline, shell.daily_energy" in caplog.text
    assert hass_storage[f"{key}.unreadable"]["data"] == stored
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    assert diagnostics["store"] == {"unreadable_parts": ["baseline", "shell.daily_energy"]}
