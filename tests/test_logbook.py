"""Logbook: correlations and meter anomalies as the Activity panel shows them (real recorder and
logbook, read back through the logbook's websocket API)."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.logbook import (
    EVENT_METER_ANOMALY,
    describe_correlation,
    describe_meter_anomaly,
)

from .activity import switch
from .conftest import LIGHTS, SWITCHES, our_entity_id, set_meter

KETTLE = "switch.kettle"


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def _logbook(
    hass: HomeAssistant, ws: WebSocketGenerator, **filters: Any
) -> list[dict[str, Any]]:
    await async_wait_recording_done(hass)
    client = await ws(hass)
    start = dt_util.utc_from_timestamp(0).isoformat()
    await client.send_json_auto_id({"type": "logbook/get_events", "start_time": start, **filters})
    response = await client.receive_json()
    assert response["success"], response
    return response["result"]


async def test_correlation_in_the_activity_panel(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A kettle turning on reads "kettle turned on: +2 000 W (confidence ..%)" on its entity."""
    assert await async_setup_component(hass, "logbook", {})
    set_meter(hass, 300)
    for entity_id in (*SWITCHES, *LIGHTS):
        hass.states.async_set(entity_id, "off")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    await switch(hass, freezer, KETTLE, "on", 300, 2300)

    # The Activity panel (no filter).
    rows = await _logbook(hass, hass_ws_client)
    ours = [row for row in rows if row.get("domain") == DOMAIN]
    assert len(ours) == 1
    assert ours[0]["entity_id"] == KETTLE
    assert ours[0]["name"] == "kettle"  # the switch's friendly name
    assert ours[0]["message"].startswith("turned on: +2 000 W (confidence ")
    # It stands at the kettle's change (not half a minute later, when its window closed).
    changed = next(row for row in rows if row.get("entity_id") == KETTLE and row.get("state"))
    assert ours[0]["when"] == pytest.approx(changed["when"], abs=0.01)
    # A logbook card listing the device and one of our entities (as the dashboard does) shows it
    # too: the logbook asks for our events only when one of the entities is ours.
    # (Sensors with a unit are "continuous" and left out of logbook queries: use Top consumer.)
    ours_id = our_entity_id(hass, "top_consumer")
    rows = await _logbook(hass, hass_ws_client, entity_ids=[KETTLE, ours_id])
    assert [row["message"] for row in rows if row.get("domain") == DOMAIN] == [ours[0]["message"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"state": "on", "previous_state": "off", "power_delta_w": 1990.4, "confidence": 0.92},
            "turned on: +1 990 W (confidence 92 %)",
        ),
        (
            {"state": "off", "previous_state": "on", "power_delta_w": -9.2, "confidence": 0.5},
            "turned off: -9 W (confidence 50 %)",
        ),
        (
            {"state": "heating", "previous_state": "idle", "power_delta_w": 800, "status": "ok"},
            "changed from idle to heating: +800 W",
        ),
        (
            {"state": "on", "previous_state": "on", "power_delta_w": 30, "confidence": 0.7},
            "changed (on): +30 W (confidence 70 %)",
        ),
        (
            {"state": "on", "previous_state": "off", "power_delta_w": None, "status": "gap"},
            "turned on: no power change could be measured; not learned: the meter was not"
            " reporting",
        ),
        (
            {
                "state": "on",
                "previous_state": "off",
                "power_delta_w": 2100,
                "confidence": 0.2,
                "status": "overlap",
            },
            "turned on: +2 100 W (confidence 20 %); not learned: other devices changed at the same"
            " time",
        ),
    ],
)
def test_correlation_messages(data: dict[str, Any], message: str) -> None:
    """The sign, the confidence and why an event taught nothing, in words."""
    entry = describe_correlation({"entity_id": KETTLE, **data}, "Kettle")
    assert entry == {"name": "Kettle", "message": message, "entity_id": KETTLE}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "name": "Gas meter",
                "entity_id": "sensor.gas",
                "value": 12.345,
                "expected_low": 2,
                "expected_high": 6.5,
                "unit": "m³",
            },
            {
                "name": "Gas meter",
                "message": "unusual consumption: 12.35 m³, expected 2.00 to 6.50 m³",
                "entity_id": "sensor.gas",
            },
        ),
        (
            {"meter_id": "water", "value": 1500},
            {"name": "water", "message": "unusual consumption: 1 500.00"},
        ),
        ({}, {"name": "Utility meter", "message": "unusual consumption"}),
    ],
)
def test_meter_anomaly_messages(data: dict[str, Any], expected: dict[str, Any]) -> None:
    """An anomaly names the meter, the value and the expected range; fields may be missing."""
    assert describe_meter_anomaly(data) == expected


async def test_meter_anomaly_in_the_activity_panel(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The anomaly event of the utility-meter wing is described once the integration is loaded."""
    assert await async_setup_component(hass, "logbook", {})
    set_meter(hass, 300)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    hass.bus.async_fire(
        EVENT_METER_ANOMALY,
        {"name": "Water", "value": 3.0, "expected_low": 0.1, "expected_high": 0.4, "unit": "m³"},
    )
    await hass.async_block_till_done()

    rows = await _logbook(hass, hass_ws_client)
    assert {
        "name": "Water",
        "message": "unusual consumption: 3.00 m³, expected 0.10 to 0.40 m³",
    }.items() <= next(row for row in rows if row.get("name") == "Water").items()
