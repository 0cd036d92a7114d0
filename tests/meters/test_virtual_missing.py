"""A virtual meter whose part is deleted or loses its source: unavailable, a translated repair
issue with a fix flow; the issue goes when the part is back or the virtual meter is mended."""

from datetime import datetime, timedelta
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN, repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.meters.const import (
    CONF_BASE,
    CONF_NAME,
    CONF_OUTPUT,
    CONF_SUBTRACT,
)
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import GAS_ATTRS, SetUp, meter, meter_device, virtual
from tests.meters.test_actions import load_translations

NOW = "2026-03-01 20:00:00+00:00"  # local (US/Pacific) 12:00 on 1 March
LAST_MONTH = "sensor.heat_pump_consumption_last_month"
ANOMALY = "binary_sensor.heat_pump_unusual_consumption"
EN = load_translations()


def _midnight(days_ago: int) -> datetime:
    return dt_util.start_of_local_day(dt_util.now()) - timedelta(days=days_ago)


async def _read(
    hass: HomeAssistant, entry: UtilityConfigEntry, subentry_id: str, use: float
) -> None:
    """Readings at the last two midnights, `use` kWh (or m³) apart: a day of `use`, and
    another estimated up to now (both in February)."""
    device_id = meter_device(hass, entry, subentry_id)
    for when, value in ((_midnight(2), 100.0), (_midnight(1), 100.0 + use)):
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {"meter": device_id, "value": value, "timestamp": when.isoformat()},
            blocking=True,
        )


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def _issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


def _assert_issue(issue: ir.IssueEntry | None, key: str, placeholders: dict[str, str]) -> None:
    """The issue is fixable, with the key's English title and description, whose
    placeholders are all given."""
    assert issue is not None
    assert issue.translation_key == key
    assert issue.translation_placeholders == placeholders
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR
    strings = EN["issues"][key]
    for text in (strings["title"], strings["description"]):
        assert set(re.findall(r"{(\w+)}", text)) <= set(placeholders)


async def _settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the debounced recompute (and a scheduled reload) run."""
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _start_fix(hass: HomeAssistant, issue_id: str) -> Any:
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return manager, await manager.async_init(DOMAIN, data={"issue_id": issue_id})


def _fix_strings(key: str) -> dict[str, Any]:
    return EN["issues"][key]["fix_flow"]


async def _three_meters(hass: HomeAssistant, setup_utility: SetUp) -> UtilityConfigEntry:
    """Heat pump = grid - household - oven: (30 - 10 - 5) x 2 days last month."""
    entry: UtilityConfigEntry = await setup_utility(
        meter("Grid", "electricity", unit="kWh", subentry_id="grid"),
        meter("Household", "electricity", unit="kWh", subentry_id="house"),
        meter("Oven", "electricity", unit="kWh", subentry_id="oven"),
        virtual("Heat pump", "grid", ["house", "oven"], "energy", subentry_id="pump"),
    )
    for subentry_id, use in (("grid", 30.0), ("house", 10.0), ("oven", 5.0)):
        await _read(hass, entry, subentry_id, use)
    assert float(_state(hass, LAST_MONTH)) == pytest.approx(30.0, abs=0.01)
    return entry


async def test_deleted_part_unavailable_issue_and_remove_it_in_the_fix_flow(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """The oven deleted: the heat pump's sensors are unavailable (no made-up 40 kWh) with a
    translated issue; the fix flow's menu removes the oven and the value resumes."""
    freezer.move_to(NOW)
    entry = await _three_meters(hass, setup_utility)
    hass.config_entries.async_remove_subentry(entry, "oven")
    await _settle(hass, freezer)
    issue = _issue(hass, "virtual_part_deleted_pump")
    _assert_issue(issue, "virtual_part_deleted", {"meter": "Heat pump", "parts": "Oven"})
    assert _issue(hass, "virtual_part_source_missing_pump") is None
    assert _state(hass, LAST_MONTH) == "unavailable"
    assert _state(hass, ANOMALY) == "unavailable"
    assert _state(hass, "sensor.grid_consumption_last_month") != "unavailable"
    assert entry.runtime_data.coordinator.data.meters["pump"].missing_parts == ("Oven",)

    manager, flow = await _start_fix(hass, "virtual_part_deleted_pump")
    strings = _fix_strings("virtual_part_deleted")
    assert flow["type"] is FlowResultType.MENU
    assert flow["menu_options"] == ["remove_parts", "choose_meters"]
    assert set(flow["menu_options"]) <= set(strings["step"]["init"]["menu_options"])
    flow = await manager.async_configure(flow["flow_id"], {"next_step_id": "remove_parts"})
    assert flow["step_id"] == "remove_parts"
    assert flow["description_placeholders"] == {"meter": "Heat pump", "parts": "Oven"}
    assert strings["step"]["remove_parts"]["title"]
    result = await manager.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await _settle(hass, freezer)
    assert entry.subentries["pump"].data[CONF_SUBTRACT] == ["house"]
    assert _issue(hass, "virtual_part_deleted_pump") is None
    assert float(_state(hass, LAST_MONTH)) == pytest.approx(40.0, abs=0.01)
    assert _state(hass, ANOMALY) != "unavailable"


async def test_deleted_base_goes_to_the_form_which_checks_and_mends(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Without its base only choosing again helps: the form, not pre-filled with the deleted
    base; a bad choice is refused on its field (translated); a good one mends the meter."""
    freezer.move_to(NOW)
    entry = await _three_meters(hass, setup_utility)
    hass.config_entries.async_remove_subentry(entry, "grid")
    await _settle(hass, freezer)
    _assert_issue(
        _issue(hass, "virtual_part_deleted_pump"),
        "virtual_part_deleted",
        {"meter": "Heat pump", "parts": "Grid"},
    )
    manager, flow = await _start_fix(hass, "virtual_part_deleted_pump")
    strings = _fix_strings("virtual_part_deleted")
    assert flow["step_id"] == "choose_meters"
    suggested = {
        str(marker): (marker.description or {}).get("suggested_value")
        for marker in flow["data_schema"].schema
    }
    assert suggested[CONF_BASE] is None
    assert suggested[CONF_SUBTRACT] == ["house", "oven"]
    assert set(suggested) <= set(strings["step"]["choose_meters"]["data"])
    form = {CONF_NAME: "Heat pump", CONF_BASE: "house", CONF_OUTPUT: "energy"}
    flow = await manager.async_configure(flow["flow_id"], {**form, CONF_SUBTRACT: ["house"]})
    assert flow["errors"] == {CONF_SUBTRACT: "base_subtracted"}
    assert flow["errors"][CONF_SUBTRACT] in strings["error"]
    result = await manager.async_configure(flow["flow_id"], {**form, CONF_SUBTRACT: ["oven"]})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await _settle(hass, freezer)
    assert _issue(hass, "virtual_part_deleted_pump") is None
    assert float(_state(hass, LAST_MONTH)) == pytest.approx(10.0, abs=0.01)  # (10 - 5) x 2


async def test_reconfigure_or_removal_of_the_virtual_meter_deletes_the_issue(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Reconfigured on the entry's page without the deleted meter: the issue goes; raised
    again for another deleted meter, it goes with the virtual meter itself."""
    freezer.move_to(NOW)
    entry = await _three_meters(hass, setup_utility)
    hass.config_entries.async_remove_subentry(entry, "oven")
    await _settle(hass, freezer)
    assert _issue(hass, "virtual_part_deleted_pump") is not None
    result = await entry.start_subentry_reconfigure_flow(hass, "pump")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Heat pump",
            CONF_BASE: "grid",
            CONF_SUBTRACT: ["house"],
            CONF_OUTPUT: "energy",
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await _settle(hass, freezer)
    assert _issue(hass, "virtual_part_deleted_pump") is None
    assert float(_state(hass, LAST_MONTH)) == pytest.approx(40.0, abs=0.01)

    hass.config_entries.async_remove_subentry(entry, "house")
    await _settle(hass, freezer)
    assert _issue(hass, "virtual_part_deleted_pump") is not None
    hass.config_entries.async_remove_subentry(entry, "pump")
    await _settle(hass, freezer)
    assert _issue(hass, "virtual_part_deleted_pump") is None
    assert hass.states.get(LAST_MONTH) is None


async def test_fix_flow_aborts_when_it_cannot_mend(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """One meter left: no virtual meter can be made of it (abort, translated, naming the
    virtual meter to delete)."""
    freezer.move_to(NOW)
    entry: UtilityConfigEntry = await setup_utility(
        meter("Grid", "electricity", unit="kWh", subentry_id="grid"),
        meter("Household", "electricity", unit="kWh", subentry_id="house"),
        virtual("Heat pump", "grid", ["house"], "energy", subentry_id="pump"),
    )
    hass.config_entries.async_remove_subentry(entry, "house")
    await _settle(hass, freezer)
    _manager, result = await _start_fix(hass, "virtual_part_deleted_pump")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "too_few_meters"
    assert result["reason"] in _fix_strings("virtual_part_deleted")["abort"]
    assert result["description_placeholders"] == {"meter": "Heat pump", "parts": "Household"}


async def test_open_fix_flow_aborts_when_the_virtual_meter_was_deleted(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Menus are open, the virtual meter is deleted meanwhile: either next step aborts."""
    freezer.move_to(NOW)
    entry = await _three_meters(hass, setup_utility)
    hass.config_entries.async_remove_subentry(entry, "oven")
    await _settle(hass, freezer)
    manager, first = await _start_fix(hass, "virtual_part_deleted_pump")
    _manager, second = await _start_fix(hass, "virtual_part_deleted_pump")
    assert first["type"] is second["type"] is FlowResultType.MENU
    hass.config_entries.async_remove_subentry(entry, "pump")
    await _settle(hass, freezer)
    for flow, step in ((first, "remove_parts"), (second, "choose_meters")):
        result = await manager.async_configure(flow["flow_id"], {"next_step_id": step})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "virtual_meter_gone"
        assert result["reason"] in _fix_strings("virtual_part_deleted")["abort"]


def test_fix_flow_texts_use_only_the_flows_placeholders() -> None:
    """Every text of both issues' fix flows can be filled from the flow's placeholders."""
    for key in ("virtual_part_deleted", "virtual_part_source_missing"):
        strings = _fix_strings(key)
        texts = [strings["abort"]["too_few_meters"]]
        for step in strings["step"].values():
            texts += [step["title"], step.get("description", "")]
            texts += list(step.get("menu_options", {}).values())
        for text in texts:
            assert set(re.findall(r"{(\w+)}", text)) <= {"meter", "parts"}, text
        assert strings["error"] == EN["config_subentries"]["virtual_meter"]["error"]


async def test_part_source_removed_then_back(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """The gas meter's sensor is deleted: the heating gas is unavailable with its issue
    (naming the sensor) beside the gas meter's own; the sensor reports again: both go and
    the value resumes."""
    freezer.move_to(NOW)
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "test", "gas-1", suggested_object_id="gas")
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry: UtilityConfigEntry = await setup_utility(
        meter("Gas", "gas", "sensor.gas", subentry_id="gas"),
        meter("Hot water", "gas", unit="m³", subentry_id="hot"),
        virtual("Heating", "gas", ["hot"], "volume", subentry_id="heating"),
    )
    await _read(hass, entry, "hot", 0.0)  # known, and none used, up to now
    for value in ("102", "104"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.gas", value, GAS_ATTRS)
        await hass.async_block_till_done()
    await _settle(hass, freezer)
    today = "sensor.heating_consumption_today"
    assert float(_state(hass, today)) == pytest.approx(4.0, abs=0.01)

    registry.async_remove("sensor.gas")
    await _settle(hass, freezer)
    _assert_issue(
        _issue(hass, "virtual_part_source_missing_heating"),
        "virtual_part_source_missing",
        {"meter": "Heating", "parts": "Gas", "entities": "sensor.gas"},
    )
    assert _issue(hass, "meter_source_removed_gas") is not None
    assert _state(hass, today) == "unavailable"
    manager, flow = await _start_fix(hass, "virtual_part_source_missing_heating")
    assert flow["step_id"] == "choose_meters"  # the base itself has no readings
    assert flow["description_placeholders"] == {"meter": "Heating", "parts": "Gas"}
    manager.async_abort(flow["flow_id"])

    freezer.tick(timedelta(hours=1))
    hass.states.async_set("sensor.gas", "107", GAS_ATTRS)
    await _settle(hass, freezer)
    assert _issue(hass, "virtual_part_source_missing_heating") is None
    assert _issue(hass, "meter_source_removed_gas") is None
    assert float(_state(hass, today)) == pytest.approx(7.0, abs=0.01)
