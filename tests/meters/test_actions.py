"""The add_meter_reading and replace_meter actions, their refusals, and the swap repair."""

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN, repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import GAS_ATTRS, SetUp, meter, meter_device, virtual

TRANSLATIONS = (
    Path(__file__).parents[2] / "custom_components/energy_correlator/translations/en.json"
)


def load_translations() -> dict[str, Any]:
    """The shipped English strings."""
    return json.loads(TRANSLATIONS.read_text(encoding="utf-8"))


START = "2026-02-02 12:00:00+00:00"  # local (US/Pacific) 04:00; action times are local


def _subentry(entry: UtilityConfigEntry, title: str) -> str:
    return next(sid for sid, sub in entry.subentries.items() if sub.title == title)


async def _read(
    hass: HomeAssistant, device_id: str, value: Any, when: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"meter": device_id, "value": value}
    if when is not None:
        data["timestamp"] = when
    response = await hass.services.async_call(
        DOMAIN, "add_meter_reading", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


@pytest.fixture
async def manual(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> tuple[UtilityConfigEntry, str]:
    """A manual gas meter read in m³, with two readings a month apart."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Old gas", "gas", unit="m³"))
    device_id = meter_device(hass, entry, _subentry(entry, "Old gas"))
    await _read(hass, device_id, 1000, "2026-01-01 12:00:00")
    await _read(hass, device_id, "1093.5", "2026-02-01 12:00:00")
    return entry, device_id


async def test_add_reading_responds_with_the_consumption(
    hass: HomeAssistant, manual: tuple[UtilityConfigEntry, str]
) -> None:
    """The response has the stored reading and the consumption since the previous one."""
    _, device_id = manual
    response = await _read(hass, device_id, 1100, "2026-02-01 22:00:00")
    assert response["meter"] == "Old gas"
    assert response["reading"]["value"] == 1100
    assert response["reading"]["unit"] == "m³"
    assert response["previous"]["value"] == 1093.5
    assert response["consumption_since_previous"] == pytest.approx(6.5)
    assert response["duplicate"] is False
    # The monthly reading is spread over the month, not put on one hour.
    state = hass.states.get("sensor.old_gas_consumption_this_month")
    assert state is not None
    assert 0 < float(state.state) < 10


async def test_same_reading_twice_is_harmless(
    hass: HomeAssistant, manual: tuple[UtilityConfigEntry, str]
) -> None:
    """A duplicate timestamp with the same value changes nothing and is no error."""
    _, device_id = manual
    response = await _read(hass, device_id, 1093.5, "2026-02-01 12:00:00")
    assert response["duplicate"] is True


@pytest.mark.parametrize(
    ("value", "when", "key"),
    [
        ("12e", None, "reading_not_a_number"),
        ("nan", None, "reading_not_a_number"),
        (-1, None, "reading_negative"),
        (1200, "2026-03-01 12:00:00", "reading_future"),
        (1050, "2026-02-01 12:00:00", "reading_conflict"),  # same time, other value
        (10935, "2026-01-15 12:00:00", "reading_typo"),  # between 1000 and 1093.5
        (900, None, "reading_decrease"),
        (1e308, None, "reading_implausible"),  # no meter shows that much
        (1800, None, "reading_implausible"),  # 700 m³ of gas in a day
    ],
)
async def test_refused_readings_raise_translated_errors_and_store_nothing(
    hass: HomeAssistant,
    manual: tuple[UtilityConfigEntry, str],
    value: Any,
    when: str | None,
    key: str,
) -> None:
    """Each refusal is a translated ServiceValidationError; the readings stay as they were."""
    entry, device_id = manual
    runtime = entry.runtime_data.coordinator.meters[_subentry(entry, "Old gas")]
    before = runtime.meter.readings()
    with pytest.raises(ServiceValidationError) as err:
        await _read(hass, device_id, value, when)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert runtime.meter.readings() == before


async def test_typo_error_names_the_neighbours(
    hass: HomeAssistant, manual: tuple[UtilityConfigEntry, str]
) -> None:
    """12345 between 1000 and 1093.5: the message says what it contradicts."""
    _, device_id = manual
    with pytest.raises(ServiceValidationError) as err:
        await _read(hass, device_id, 12345, "2026-01-20 12:00:00")
    placeholders = err.value.translation_placeholders or {}
    assert placeholders["previous"] == "1000"
    assert placeholders["next"] == "1093.5"
    assert placeholders["value"] == "12345"


async def test_unknown_and_virtual_meters_are_refused(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A device that is not a meter, and a virtual meter, take no readings."""
    freezer.move_to(START)
    entry = await setup_utility(
        meter("A", "electricity", unit="kWh", subentry_id="a"),
        meter("B", "electricity", unit="kWh", subentry_id="b"),
        virtual("A minus B", "a", ["b"], "energy", subentry_id="v"),
    )
    assert set(entry.subentries) == {"a", "b", "v"}
    with pytest.raises(ServiceValidationError) as err:
        await _read(hass, "no-such-device", 1)
    assert err.value.translation_key == "unknown_meter"
    with pytest.raises(ServiceValidationError) as err:
        await _read(hass, meter_device(hass, entry, "v"), 1)
    assert err.value.translation_key == "meter_is_virtual"


async def test_replace_meter_keeps_consumption_honest(
    hass: HomeAssistant, manual: tuple[UtilityConfigEntry, str]
) -> None:
    """A swap: neither negative nor giant consumption; the response tells the implied use."""
    entry, device_id = manual
    response = await hass.services.async_call(
        DOMAIN,
        "replace_meter",
        {
            "meter": device_id,
            "old_final": 1120,
            "new_first": 0,
            "when": "2026-02-01 15:00:00",  # after 1093.5, before now
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["old_final"] == 1120
    assert response["new_first"] == 0
    await _read(hass, device_id, 2.5, "2026-02-01 16:00:00")
    runtime = entry.runtime_data.coordinator.meters[_subentry(entry, "Old gas")]
    hours = runtime.meter.hourly().values
    assert hours.min() >= 0
    assert hours.sum() == pytest.approx(93.5 + 26.5 + 2.5)


async def test_replace_refusal_is_translated(
    hass: HomeAssistant, manual: tuple[UtilityConfigEntry, str]
) -> None:
    """A swap in the future is refused."""
    _, device_id = manual
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "replace_meter",
            {"meter": device_id, "old_final": 1, "new_first": 0, "when": "2027-01-01 00:00:00"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "replace_future"


async def test_unexplained_drop_raises_a_fixable_issue(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A `total` meter that drops: a repair whose fix flow tells the swap; the issue goes."""
    freezer.move_to(START)
    attrs = {**GAS_ATTRS, "state_class": "total"}
    hass.states.async_set("sensor.gas", "500", attrs)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    subentry_id = _subentry(entry, "Gas")
    for value in ("501", "502", "3", "4"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.gas", value, attrs)
        await hass.async_block_till_done()
    await entry.runtime_data.coordinator.async_refresh()
    issues = [
        issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith(f"meter_drop_{subentry_id}")
    ]
    assert len(issues) == 1
    issue = issues[0]
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["previous"] == "502"

    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert flow["step_id"] == "replace"
    assert flow["description_placeholders"]["previous"] == "502"  # the form says what dropped
    # An impossible swap (in the future) shows the error and keeps the form.
    flow = await manager.async_configure(
        flow["flow_id"], {"old_final": 502.4, "new_first": 0, "when": "2027-02-02 07:30:00"}
    )
    assert flow["errors"] == {"base": "future"}  # a key of the form's own errors
    errors = load_translations()["issues"]["meter_drop"]["fix_flow"]["error"]
    assert flow["errors"]["base"] in errors
    result = await manager.async_configure(
        flow["flow_id"], {"old_final": 502.4, "new_first": 0, "when": "2026-02-02 07:30:00"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None
    runtime = entry.runtime_data.coordinator.meters[subentry_id]
    assert len(runtime.meter.replacements()) == 1
    assert dt_util.utc_from_timestamp(runtime.meter.replacements()[0].ts).hour == 15
