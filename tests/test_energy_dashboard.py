"""The Energy dashboard in one step: the repair issue, its fix flow, and HA's own validation
(a real recorder compiling statistics, the energy integration's websocket API)."""

from datetime import timedelta
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.energy_dashboard import (
    RECHECK_S,
    async_add_to_energy_dashboard,
    issue_id,
    learned_devices,
)

from .activity import cycles, run
from .conftest import LIGHTS, SWITCHES, our_entity_id, set_meter

KETTLE, HEATER = SWITCHES
GRID = {
    "type": "grid",
    "stat_energy_from": "sensor.grid_energy",
    "stat_energy_to": None,
    "stat_cost": None,
    "entity_energy_price": None,
    "number_energy_price": None,
    "stat_compensation": None,
    "entity_energy_price_export": None,
    "number_energy_price_export": None,
    "cost_adjustment_day": 0,
}


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


def _entity(hass: HomeAssistant, source: str, key: str) -> str:
    entity_id = our_entity_id(hass, f"{source}_{key}")
    assert entity_id is not None
    return entity_id


async def _compile_statistics(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the recorder compile the last 5-minute period (what it does every 5 minutes), then let
    the offer look again."""
    await run(hass, freezer, 310, 300)  # the sensors' first 5-minute period is over
    await async_wait_recording_done(hass)
    now = dt_util.utcnow()
    start = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    do_adhoc_statistics(hass, start=start - timedelta(minutes=5))
    await async_wait_recording_done(hass)
    await run(hass, freezer, int(RECHECK_S) + 1, 300)
    await async_wait_recording_done(hass)


async def _fix(hass: HomeAssistant, client: ClientSessionGenerator, issue: str) -> dict[str, Any]:
    """Open the issue's fix flow as the frontend does, then confirm it."""
    http = await client()
    response = await http.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue}
    )
    assert response.status == HTTPStatus.OK
    form = await response.json()
    assert form["type"] == "form"
    response = await http.post(f"/api/repairs/issues/fix/{form['flow_id']}", json={})
    assert response.status == HTTPStatus.OK
    assert (await response.json())["type"] == "create_entry"
    return form


async def test_learned_devices_into_the_energy_dashboard(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Offered once statistics exist, added with energy and power, valid, offered again later."""
    for component in ("energy", "repairs"):
        assert await async_setup_component(hass, component, {})
    manager = await async_get_manager(hass)
    other = {"stat_consumption": "sensor.fridge_energy"}
    await manager.async_update({"energy_sources": [GRID], "device_consumption": [other]})
    hass.states.async_set(
        "sensor.grid_energy",
        "100",
        {"device_class": "energy", "unit_of_measurement": "kWh", "state_class": "total_increasing"},
    )
    set_meter(hass, 300)
    for entity_id in (*SWITCHES, *LIGHTS):
        hass.states.async_set(entity_id, "off")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issues = ir.async_get(hass)
    issue = issue_id(mock_config_entry.entry_id)

    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    await cycles(hass, freezer, HEATER, 300, 1500, 2)
    await async_wait_recording_done(hass)
    assert len(learned_devices(hass, mock_config_entry)) == 2
    # Sensors without statistics yet would fail energy/validate: not offered yet.
    assert issues.async_get_issue(DOMAIN, issue) is None

    await _compile_statistics(hass, freezer)
    offered = issues.async_get_issue(DOMAIN, issue)
    assert offered is not None
    assert offered.is_fixable
    assert offered.translation_placeholders == {"count": "2", "title": mock_config_entry.title}

    form = await _fix(hass, hass_client, issue)
    assert form["description_placeholders"]["count"] == "2"
    assert "kettle estimated energy" in form["description_placeholders"]["devices"]

    kettle = _entity(hass, KETTLE, "estimated_energy")
    heater = _entity(hass, HEATER, "estimated_energy")
    assert manager.data is not None
    assert manager.data["device_consumption"] == [
        other,
        *sorted(
            [
                {"stat_consumption": heater, "stat_rate": _entity(hass, HEATER, "estimated_power")},
                {"stat_consumption": kettle, "stat_rate": _entity(hass, KETTLE, "estimated_power")},
            ],
            key=lambda d: d["stat_consumption"],
        ),
    ]
    await run(hass, freezer, 10, 300)
    assert issues.async_get_issue(DOMAIN, issue) is None

    # Home Assistant's own check finds nothing wrong with the devices we added.
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "energy/validate"})
    result = (await client.receive_json())["result"]
    assert result["device_consumption"][1:] == [[], []]

    # Never twice: adding again adds nothing.
    devices = learned_devices(hass, mock_config_entry)
    assert await async_add_to_energy_dashboard(hass, devices) == 0
    assert len(manager.data["device_consumption"]) == 3

    # A newly learned device is offered again.
    light = LIGHTS[0]
    await cycles(hass, freezer, light, 300, 60, 3)
    await _compile_statistics(hass, freezer)
    again = issues.async_get_issue(DOMAIN, issue)
    assert again is not None
    assert again.translation_placeholders["count"] == "1"
    assert again.translation_key == "energy_dashboard_device"  # "Add 1 learned device ..."

    # Ignored, then another device is learned: it comes back (not hidden by the old "ignore").
    ir.async_ignore_issue(hass, DOMAIN, issue, True)
    assert issues.async_get_issue(DOMAIN, issue).dismissed_version is not None
    hass.states.async_set("switch.router", "off")
    await run(hass, freezer, 10, 300)
    await cycles(hass, freezer, "switch.router", 300, 30, 3)
    await _compile_statistics(hass, freezer)
    back = issues.async_get_issue(DOMAIN, issue)
    assert back is not None
    assert back.dismissed_version is None
    assert back.translation_placeholders["count"] == "2"


async def test_not_offered_without_energy(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Without the energy integration there is no dashboard to add devices to."""
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    await _compile_statistics(hass, freezer)
    assert learned_devices(hass, init_integration)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id(init_integration.entry_id)) is None


async def test_exported_energy_as_return_to_grid_is_valid(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The exported-energy sensor as a grid connection's "Return to grid" (`stat_energy_to`),
    after a stretch of export and a compiled statistic: energy/validate finds nothing wrong."""
    assert await async_setup_component(hass, "energy", {})
    hass.states.async_set(
        "sensor.grid_energy",
        "100",
        {"device_class": "energy", "unit_of_measurement": "kWh", "state_class": "total_increasing"},
    )
    set_meter(hass, -1500)  # exporting at setup: the sensor is enabled
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    exported = our_entity_id(hass, "exported_energy")
    assert exported is not None
    manager = await async_get_manager(hass)
    await manager.async_update({"energy_sources": [{**GRID, "stat_energy_to": exported}]})

    await run(hass, freezer, 600, -1500)
    await _compile_statistics(hass, freezer)
    assert float(hass.states.get(exported).state) > 0.2  # type: ignore[union-attr]

    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "energy/validate"})
    result = (await client.receive_json())["result"]
    assert result["energy_sources"] == [[]]
