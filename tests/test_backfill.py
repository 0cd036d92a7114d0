"""Backfill: learn from the recorder's history of the meter and a switch, idempotently."""

from unittest.mock import patch

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
from custom_components.energy_correlator.engine import EngineConfig

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
            "custom_components.energy_correlator.backfill._read_chunk",
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
