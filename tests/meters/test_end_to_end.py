"""The issue's 'done when', in a real hass with the recorder.

A user without a power meter adds a gas meter read by hand once a month and one read hourly by a
sensor (with a price), swaps the hourly meter, defines a virtual meter, and sees interpolated
statistics (as the Energy dashboard reads them), cost, and an anomaly on a planted day.
"""

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.meters.const import EVENT_METER_ANOMALY
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import GAS_ATTRS, meter_device

START = "2026-01-01 08:00:00+00:00"  # local (US/Pacific) midnight, 1 January
HOURLY_DAYS = 24
SPIKE_DAY = 22  # day index of the planted spike (a leak: 4x the usual use)


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def _flow(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def _subflow(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)


async def _hourly_use(hour: int) -> float:
    """m³ an hour: a daily shape, a planted day at 4x."""
    day, hod = divmod(hour, 24)
    base = 0.2 + (0.3 if 6 <= hod < 9 or 17 <= hod < 22 else 0.0)
    return base * (4.0 if day == SPIKE_DAY else 1.0)


async def _stats(hass: HomeAssistant, statistic_id: str) -> list[dict[str, Any]]:
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.parse_datetime("2025-12-01 00:00:00+00:00"),
        None,
        {statistic_id},
        "hour",
        None,
        {"sum", "change"},
    )
    return [dict(row) for row in rows.get(statistic_id, [])]


def _subentry(entry: UtilityConfigEntry, title: str) -> str:
    return next(sid for sid, sub in entry.subentries.items() if sub.title == title)


async def test_utility_meters_end_to_end(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Flow -> readings -> sensors -> long-term statistics -> Energy dashboard, end to end."""
    real_now = dt_util.utcnow()  # the websocket's access token was issued now
    freezer.move_to(START)
    assert await async_setup_component(hass, "energy", {})
    events = async_capture_events(hass, EVENT_METER_ANOMALY)
    hass.states.async_set("sensor.gas_meter", "1000", GAS_ATTRS)

    # 1. No power meter: the first flow creates the utility entry with a manual gas meter.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await _flow(hass, result, {"next_step_id": "utility_meters"})
    result = await _flow(hass, result, {"name": "Cellar gas", "meter_type": "gas", "unit": "m³"})
    result = await _flow(hass, result, {"calorific_value": 11.504, "correction_factor": 0.8885})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: UtilityConfigEntry = result["result"]
    await hass.async_block_till_done()

    # 2. An hourly sensor meter with a price, added on the entry's page.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "meter"), context={"source": SOURCE_USER}
    )
    result = await _subflow(
        hass,
        result,
        {"name": "Gas", "meter_type": "gas", "source_entity": "sensor.gas_meter", "price": 1.2},
    )
    result = await _subflow(hass, result, {"calorific_value": 11.504, "correction_factor": 0.8885})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    gas = _subentry(entry, "Gas")
    cellar = _subentry(entry, "Cellar gas")

    # 3. A virtual meter: what the sensor meter counts beyond the cellar meter, in kWh.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "virtual_meter"), context={"source": SOURCE_USER}
    )
    result = await _subflow(
        hass,
        result,
        {
            "name": "Heating",
            "base_meter": gas,
            "subtract_meters": [cellar],
            "output_kind": "energy",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    heating = _subentry(entry, "Heating")
    coordinator = entry.runtime_data.coordinator
    assert set(coordinator.meters) == {gas, cellar}
    assert set(coordinator.virtuals) == {heating}

    # 4. Hourly readings for 24 days; the meter is swapped on day 10 (old 1040.0, new 0).
    total = 1000.0
    swapped_at: datetime | None = None
    for hour in range(1, HOURLY_DAYS * 24 + 1):
        freezer.tick(timedelta(hours=1))
        total += await _hourly_use(hour - 1)
        if hour == 10 * 24 and swapped_at is None:
            swapped_at = dt_util.utcnow() - timedelta(minutes=30)
            old_final, total = total, 0.0
        hass.states.async_set("sensor.gas_meter", f"{total:.3f}", GAS_ATTRS)
        await hass.async_block_till_done()
    assert swapped_at is not None
    swap = await hass.services.async_call(
        DOMAIN,
        "replace_meter",
        {
            "meter": meter_device(hass, entry, gas),
            "old_final": round(old_final - 0.2, 3),
            "new_first": 0,
            "when": swapped_at.isoformat(),
        },
        blocking=True,
        return_response=True,
    )
    assert swap is not None
    assert swap["mismatch"] is False

    # 5. Monthly manual readings of the cellar meter (the last one a week ago).
    device = meter_device(hass, entry, cellar)
    for when, value in (
        ("2025-11-25 09:00:00", 500),
        ("2025-12-24 18:00:00", 531.2),
        ("2026-01-18 08:00:00", 560),
    ):
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {"meter": device, "value": value, "timestamp": when},
            blocking=True,
        )

    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await coordinator.async_refresh()
    await coordinator.importer.async_wait()

    # Interpolated statistics: the sensor meter's hours add up to what was used, the swap shows
    # neither as negative nor as a giant hour.
    expected = sum([await _hourly_use(h) for h in range(HOURLY_DAYS * 24)])
    rows = await _stats(hass, f"energy_correlator:{gas.lower()}")
    changes = [row["change"] for row in rows]
    assert min(changes) >= 0
    assert max(changes) < 2.5
    assert rows[-1]["sum"] == pytest.approx(expected, rel=0.02)

    # The monthly readings are spread over the month, not put on their hour.
    rows = await _stats(hass, f"energy_correlator:{cellar.lower()}")
    assert rows[-1]["sum"] == pytest.approx(60.0, rel=1e-6)
    assert max(row["change"] for row in rows) < 0.2

    # The virtual meter's statistic is in kWh and never negative.
    rows = await _stats(hass, f"energy_correlator:{heating.lower()}")
    assert rows
    assert min(row["change"] for row in rows) >= 0

    # Cost: consumption today at the fixed price.
    today = hass.states.get("sensor.gas_consumption_today")
    cost = hass.states.get("sensor.gas_cost_today")
    assert today is not None
    assert cost is not None
    assert float(cost.state) == pytest.approx(float(today.state) * 1.2, abs=0.01)

    # The planted day is an anomaly: one event, and the binary sensor's attributes tell it.
    spike_day = (dt_util.as_local(dt_util.parse_datetime(START)) + timedelta(days=SPIKE_DAY)).date()  # type: ignore[arg-type]
    assert [event.data["day"] for event in events if event.data["meter_id"] == gas] == [
        spike_day.isoformat()
    ]
    anomaly = hass.states.get("binary_sensor.gas_unusual_consumption")
    assert anomaly is not None
    assert anomaly.attributes["day"] == spike_day.isoformat()
    assert anomaly.attributes["value"] > anomaly.attributes["expected_high"]

    # The Energy dashboard takes the statistics as gas sources without a complaint.
    freezer.move_to(real_now)
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "gas",
                    "stat_energy_from": f"energy_correlator:{sid.lower()}",
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                }
                for sid in (gas, cellar)
            ]
        }
    )
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "energy/validate"})
    msg = await client.receive_json()
    assert msg["success"], msg
    assert msg["result"]["energy_sources"] == [[], []]
