"""The interpolated hourly series as an external statistic the Energy dashboard accepts."""

from functools import partial
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import numpy as np
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.consumption import (
    DAY,
    HOUR,
    MeterConfig,
    MeterKind,
    ReadingSource,
    UtilityMeter,
)
from custom_components.energy_correlator.meters.const import CONF_NAME
from custom_components.energy_correlator.meters.importer import meter_statistic_id
from custom_components.energy_correlator.meters.statistics import (
    async_import_meter,
    async_import_series,
    metadata,
    statistic_id,
)
from tests.meters.conftest import SetUp, meter, meter_device

TZ = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def _stored(hass: HomeAssistant, sid: str, start: float) -> list[dict]:
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.utc_from_timestamp(start),
        None,
        {sid},
        "hour",
        None,
        {"sum", "change"},
    )
    return [dict(row) for row in rows.get(sid, [])]


def _gas_meter(start: float, now: float) -> UtilityMeter:
    """Monthly-ish manual readings of a gas meter (m³)."""
    meter = UtilityMeter("gas", MeterConfig(kind=MeterKind.GAS, resets=False), TZ)
    for days, value in ((0, 100.0), (10, 112.0), (25, 130.0)):
        assert meter.add_reading(start + days * DAY, value, now, ReadingSource.MANUAL).accepted
    return meter


async def test_import_then_reimport_from_the_changed_hour(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Sums add up to the readings' difference; a late reading rewrites only later hours."""
    now = dt_util.utcnow().timestamp()
    start = (now // HOUR) * HOUR - 40 * DAY
    meter = _gas_meter(start, now)
    sid = statistic_id("gas")

    result = await async_import_meter(hass, meter, statistic_id=sid, name="Gas", chunk_hours=100)
    assert result.hours == 25 * 24
    assert meter.pending_import() is None
    rows = await _stored(hass, sid, start)
    assert len(rows) == 25 * 24
    assert rows[-1]["sum"] == pytest.approx(30.0)
    assert [r["change"] for r in rows] == pytest.approx(meter.hourly().values)
    assert rows[0]["start"] == start

    meter.add_reading(start + 20 * DAY, 127.0, now, ReadingSource.MANUAL)  # late
    pending = meter.pending_import()
    assert pending is not None
    assert pending.start == start + 10 * DAY
    result = await async_import_meter(hass, meter, statistic_id=sid, name="Gas")
    assert result.hours == 15 * 24
    again = await _stored(hass, sid, start)
    assert len(again) == 25 * 24
    before = [r["sum"] for r in rows[: 10 * 24]]
    assert [r["sum"] for r in again[: 10 * 24]] == pytest.approx(before)
    assert again[-1]["sum"] == pytest.approx(30.0)
    assert again[20 * 24 - 1]["sum"] == pytest.approx(27.0)
    assert np.diff([r["sum"] for r in again]).min() >= 0

    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={sid})
    )
    meta = metadata[sid][1]
    assert meta["mean_type"] is StatisticMeanType.NONE
    assert meta["has_sum"]
    assert meta["unit_class"] == "volume"
    assert meta["unit_of_measurement"] == "m³"
    assert meta["source"] == "energy_correlator"

    assert (await async_import_meter(hass, meter, statistic_id=sid, name="Gas")).hours == 0


async def test_estimated_hours_are_not_imported(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Only hours up to the last reading are written (the estimate changes every reading)."""
    now = dt_util.utcnow().timestamp()
    start = (now // HOUR) * HOUR - 5 * DAY
    meter = UtilityMeter("water", MeterConfig(kind=MeterKind.WATER), TZ)
    meter.add_readings(start + HOUR * np.arange(25), 5 + 0.01 * np.arange(25), now)
    series = meter.hourly(now=now)
    assert series.estimated.any()
    nothing = await async_import_series(
        hass,
        statistic_id="energy_correlator:water",
        name="Water",
        unit="m³",
        series=series.between(series.end - HOUR, series.end),  # only the estimate
    )
    assert nothing.hours == 0
    result = await async_import_series(
        hass, statistic_id="energy_correlator:water", name="Water", unit="m³", series=series
    )
    assert result.hours == 24
    assert result.last_sum == pytest.approx(0.24)


async def test_energy_dashboard_accepts_the_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """energy/validate reports nothing for the imported gas, water and grid statistics."""
    assert await async_setup_component(hass, "energy", {})
    now = dt_util.utcnow().timestamp()
    start = (now // HOUR) * HOUR - 3 * DAY
    hours = np.arange(49)
    kinds = {"gas": MeterKind.GAS, "water": MeterKind.WATER, "power": MeterKind.ELECTRICITY}
    for slug, kind in kinds.items():
        meter = UtilityMeter(slug, MeterConfig(kind=kind), TZ)
        meter.add_readings(start + HOUR * hours, 10 + 0.3 * hours, now)
        await async_import_meter(hass, meter, statistic_id=statistic_id(slug), name=slug)
    await async_wait_recording_done(hass)

    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "gas",
                    "stat_energy_from": statistic_id("gas"),
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                },
                {
                    "type": "water",
                    "stat_energy_from": statistic_id("water"),
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                },
                {
                    "type": "grid",
                    "stat_energy_from": statistic_id("power"),
                    "stat_energy_to": None,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                    "stat_compensation": None,
                    "entity_energy_price_export": None,
                    "number_energy_price_export": None,
                    "cost_adjustment_day": 0.0,
                },
            ]
        }
    )
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "energy/validate"})
    msg = await client.receive_json()
    assert msg["success"], msg
    assert msg["result"]["energy_sources"] == [[], [], []]


def test_metadata_unit_classes() -> None:
    """kWh is energy, m³ volume; a unit no converter knows has no unit class."""
    assert metadata("energy_correlator:a", "A", "kWh")["unit_class"] == "energy"
    assert metadata("energy_correlator:a", "A", "m³")["unit_class"] == "volume"
    assert metadata("energy_correlator:a", "A", "%")["unit_class"] is None


async def test_a_renamed_meter_renames_its_statistic(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The statistic's metadata follows a meter's new name after the rename's reload, even when
    no hour is imported again (seen: "Electricity (manual)" stayed after a rename)."""
    freezer.move_to("2026-02-02 12:00:00+00:00")
    entry = await setup_utility(meter("Electricity (manual)", "electricity", unit="kWh"))
    subentry_id = next(iter(entry.subentries))
    device_id = meter_device(hass, entry, subentry_id)
    for value, when in ((100, "2026-02-01 12:00:00"), (110, "2026-02-02 00:00:00")):
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {"meter": device_id, "value": value, "timestamp": when},
            blocking=True,
            return_response=True,
        )
    sid = meter_statistic_id(subentry_id)

    async def stored_name() -> str | None:
        await entry.runtime_data.coordinator.importer.async_wait()
        await async_wait_recording_done(hass)
        found = await get_instance(hass).async_add_executor_job(
            partial(get_metadata, hass, statistic_ids={sid})
        )
        return found[sid][1]["name"] if sid in found else None

    assert await stored_name() == "Electricity (manual)"
    subentry = entry.subentries[subentry_id]
    hass.config_entries.async_update_subentry(
        entry, subentry, title="Electricity", data={**subentry.data, CONF_NAME: "Electricity"}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.meters[subentry_id].meter.pending_import() is None
    assert await stored_name() == "Electricity"
    rows = await _stored(hass, sid, dt_util.parse_datetime("2026-02-01 00:00:00+00:00").timestamp())
    assert rows[-1]["sum"] == pytest.approx(10.0)
