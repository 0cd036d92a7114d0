"""Backfill: learn from the recorder's history of the meter and a switch, idempotently."""

import asyncio
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy.exc import SQLAlchemyError

from custom_components.energy_correlator.backfill import Replay
from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.engine import (
    Correlation,
    Engine,
    EngineConfig,
    classify_change,
)
from custom_components.energy_correlator.event_ledger import HORIZON_S, EventLedger

from .activity import cycles, run
from .conftest import METER

KETTLE = "switch.kettle"
METER_ATTRS = {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement"}


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


def write_history(hass: HomeAssistant, start: float, cycles: int) -> float:
    """A 1 s meter with ±1 W noise (every reading a change) and a 2 kW kettle cycling."""
    ts = start
    hass.states.async_set(KETTLE, "off", timestamp=ts)
    for _ in range(cycles):
        for state, before, after in (("on", 300, 2300), ("off", 2300, 300)):
            for i in range(35):
                ts += 1
                hass.states.async_set(METER, str(before + i % 2), METER_ATTRS, timestamp=ts)
            hass.states.async_set(KETTLE, state, timestamp=ts + 0.5)
            for i in range(45):
                ts += 1
                hass.states.async_set(METER, str(after + i % 2), METER_ATTRS, timestamp=ts)
    return ts


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    hass.states.async_set(METER, "300", METER_ATTRS)
    hass.states.async_set(KETTLE, "off")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_backfill_learns_from_history_once(
    recorder_mock: Recorder, hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Three past cycles teach the kettle; a second run finds only duplicates."""
    write_history(hass, dt_util.utcnow().timestamp() - 2 * 86_400, 3)
    await async_wait_recording_done(hass)
    await _setup(hass, mock_config_entry)

    result = await hass.services.async_call(
        DOMAIN, "backfill", {"days": 3}, blocking=True, return_response=True
    )
    assert result is not None
    assert result["device_events"] == 6
    assert result["meter_samples"] > 450  # repeated values are not new rows
    assert result["correlations"] == 6
    assert result["learned"] >= 5
    assert result["duplicates"] == 0
    assert result["devices"] == [KETTLE]

    impact = await hass.services.async_call(
        DOMAIN, "device_impact", {"entity_id": KETTLE}, blocking=True, return_response=True
    )
    assert impact is not None
    assert impact["learned_power_w"] == pytest.approx(2000, rel=0.02)
    # Confident now: the per-device sensors were created by the refresh after the backfill.
    assert (
        er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{mock_config_entry.entry_id}_{KETTLE}_learned_power"
        )
        is not None
    )

    again = await hass.services.async_call(
        DOMAIN, "backfill", {"days": 3}, blocking=True, return_response=True
    )
    assert again is not None
    assert again["learned"] == 0
    assert again["duplicates"] == again["correlations"] == 6

    # After a relearn the same history may teach again.
    await hass.services.async_call(DOMAIN, "relearn", {"entity_id": KETTLE}, blocking=True)
    third = await hass.services.async_call(
        DOMAIN, "backfill", {"days": 3}, blocking=True, return_response=True
    )
    assert third is not None
    assert third["learned"] >= 5


async def test_backfill_needs_the_recorder(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without the recorder the action says so in a translated error."""
    await _setup(hass, mock_config_entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "backfill", {}, blocking=True, return_response=True)
    assert err.value.translation_key == "recorder_not_available"


async def test_backfill_reports_a_failing_database(
    recorder_mock: Recorder, hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A database error becomes a translated HomeAssistantError; nothing is learned."""
    await _setup(hass, mock_config_entry)
    with (
        patch(
            "custom_components.energy_correlator.backfill.read_chunk",
            side_effect=SQLAlchemyError("database is locked"),
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await hass.services.async_call(
            DOMAIN, "backfill", {"days": 1}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "history_unavailable"
    assert err.value.translation_placeholders == {"error": "database is locked"}


def test_replay_is_pure_and_ordered() -> None:
    """Without hass: one clean switch-on in the history gives one 2 kW correlation."""
    samples = [(float(t), 300.0 + t % 2) for t in range(35)]
    samples += [(float(t), 2300.0 + t % 2) for t in range(35, 90)]
    changes = [(0.0, "off", {}), (34.5, "on", {})]
    times = [t for t, _ in samples]
    watts: list[float | None] = [w for _, w in samples]
    replay = Replay(EngineConfig(main_meter=METER))
    found = replay.feed({METER: (times[:50], watts[:50])}, {KETTLE: changes})
    # Chunks may overlap at their boundary: rows already seen are skipped.
    found += replay.feed({METER: (times[40:], watts[40:])}, {KETTLE: changes[1:]})
    found += replay.finish(200.0)
    assert replay.events == 1
    assert replay.samples == len(samples)
    assert len(found) == 1
    assert found[0].power_delta_w == pytest.approx(2000, abs=2)


async def test_backfill_skips_the_events_live_learning_saw(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Events learned live are known by identity (entity + time), also after a reload."""
    await _setup(hass, mock_config_entry)
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    await run(hass, freezer, 60, 300)
    await async_wait_recording_done(hass)
    live = mock_config_entry.runtime_data.coordinator.engine
    events = live.profile(KETTLE).events  # type: ignore[union-attr]
    assert events >= 3
    # A reload right away: the live events come back with the entry.
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    result = await hass.services.async_call(
        DOMAIN, "backfill", {"days": 1}, blocking=True, return_response=True
    )
    assert result is not None
    assert result["correlations"] == result["duplicates"] == 4
    assert result["learned"] == 0

    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    again = await hass.services.async_call(
        DOMAIN, "backfill", {"days": 1}, blocking=True, return_response=True
    )
    assert again is not None
    assert again["duplicates"] == 4
    assert again["learned"] == 0
    engine = mock_config_entry.runtime_data.coordinator.engine
    assert engine.profile(KETTLE).events == events  # type: ignore[union-attr]


async def test_backfill_and_relearn_take_turns(
    recorder_mock: Recorder, hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A relearn asked for while a backfill runs waits for it, so nothing it forgets comes back
    from the backfill."""
    write_history(hass, dt_util.utcnow().timestamp() - 86_400, 3)
    await async_wait_recording_done(hass)
    await _setup(hass, mock_config_entry)
    backfill = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "backfill", {"days": 2}, blocking=True, return_response=True
        )
    )
    await asyncio.sleep(0)  # the backfill holds the lock and reads in the executor
    await hass.services.async_call(DOMAIN, "relearn", {"entity_id": KETTLE}, blocking=True)
    result = await backfill
    assert result is not None
    assert result["learned"] >= 5
    assert mock_config_entry.runtime_data.coordinator.engine.profile(KETTLE) is None


async def test_event_ledger_knows_events_by_identity(hass: HomeAssistant) -> None:
    """Hundreds of events are each known by entity and time, however many; relearn forgets a
    device's; events older than the backfill horizon are pruned; it survives a reload."""
    ledger = EventLedger(hass, "entry")
    base = 1_800_000_000.0
    corrs = [_correlation(KETTLE, base + 60.0 * i) for i in range(600)]
    assert ledger.add(corrs)
    assert not ledger.add(corrs[:10])  # nothing new
    assert all(ledger.seen(KETTLE, c.ts) for c in corrs)
    assert ledger.seen(KETTLE, base + 0.0005)
    assert not ledger.seen(KETTLE, base + 30.0)
    assert not ledger.seen("switch.heater", base)
    await ledger.async_save()

    again = EventLedger(hass, "entry")
    await again.async_load()
    assert again.count() == 600
    assert again.add([_correlation(KETTLE, base + HORIZON_S + 600.0 * 60)])
    assert not again.seen(KETTLE, base)  # pruned: beyond the horizon
    again.forget([KETTLE])
    assert again.count() == 0


def _correlation(entity_id: str, ts: float) -> Correlation:
    """A closed correlation (only identity matters to the ledger)."""
    event = classify_change(entity_id, "switch", "off", {}, "on", {}, ts)
    assert event is not None
    engine = Engine(EngineConfig(main_meter=METER))
    engine.add_power(METER, ts - 40, 300.0)
    engine.add_event(event)
    engine.add_power(METER, ts + 1, 2300.0)
    engine.add_power(METER, ts + 60, 2300.0)
    (corr,) = engine.tick(ts + 120)
    return corr


async def test_backfill_while_the_meter_is_unavailable(
    recorder_mock: Recorder, hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """History is read without attributes: the unit comes from the registry when the meter's
    state has none right now."""
    er.async_get(hass).async_get_or_create(
        "sensor", "test", "home_power", suggested_object_id="home_power", unit_of_measurement="W"
    )
    write_history(hass, dt_util.utcnow().timestamp() - 86_400, 3)
    await async_wait_recording_done(hass)
    await _setup(hass, mock_config_entry)
    hass.states.async_set(METER, "unavailable")
    result = await hass.services.async_call(
        DOMAIN, "backfill", {"days": 2}, blocking=True, return_response=True
    )
    assert result is not None
    assert result["learned"] >= 5


async def test_backfill_after_a_rename_knows_the_renamed_device_events(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The recorder moves a renamed entity's history to its new id; the ledger moves too."""
    er.async_get(hass).async_get_or_create("switch", "test", "kettle", suggested_object_id="kettle")
    await _setup(hass, mock_config_entry)
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    await run(hass, freezer, 60, 300)
    er.async_get(hass).async_update_entity(KETTLE, new_entity_id="switch.boiler")
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    result = await hass.services.async_call(
        DOMAIN, "backfill", {"days": 1}, blocking=True, return_response=True
    )
    assert result is not None
    assert result["correlations"] == result["duplicates"] == 4
    assert result["learned"] == 0
