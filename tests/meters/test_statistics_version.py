"""Statistics imported by an older consumption computation are re-imported once, from the
stored readings, with continuous sums; the new version is stored so it is not repeated."""

from typing import Any

from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.consumption import (
    DAY,
    HOUR,
    MeterConfig,
    MeterKind,
    ReadingSource,
    UtilityMeter,
)
from custom_components.energy_correlator.meters.const import (
    METER_STORAGE_MINOR_VERSION,
    METER_STORAGE_VERSION,
    STATISTICS_VERSION,
)
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from custom_components.energy_correlator.meters.importer import meter_statistic_id
from custom_components.energy_correlator.meters.statistics import (
    async_recorder_caught_up,
    metadata,
)
from tests.meters.conftest import meter, utility_entry

READINGS = ((0, 100.0), (1, 110.0), (3, 112.0), (5, 130.0))  # (days after start, m³)
BEFORE = (1.0, 2.0, 3.0)  # sums of hours before the first kept reading (readings forgotten)


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


def _old_meter(subentry_id: str, start: float, now: float) -> dict[str, Any]:
    """A gas meter's stored state as an older version saved it (no statistics version)."""
    core = UtilityMeter(subentry_id, MeterConfig(kind=MeterKind.GAS, resets=False), dt_util.UTC)
    for days, value in READINGS:
        assert core.add_reading(start + days * DAY, value, now, ReadingSource.MANUAL).accepted
    core.mark_imported(core.pending_import().version)  # type: ignore[union-attr]
    return {"meter": core.to_dict(), "unit": "m³", "prices": [], "announced": [], "learned": True}


def _store(hass_storage: dict[str, Any], entry: MockConfigEntry, meters: dict[str, Any]) -> str:
    key = f"{DOMAIN}.utility.{entry.entry_id}"
    hass_storage[key] = {
        "version": METER_STORAGE_VERSION,
        "minor_version": METER_STORAGE_MINOR_VERSION,
        "key": key,
        "data": {"meters": meters},
    }
    return key


async def _rows(hass: HomeAssistant, sid: str, start: float) -> list[tuple[float, float]]:
    """(hour start, sum) of every stored hour from `start`."""
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.utc_from_timestamp(start),
        None,
        {sid},
        "hour",
        None,
        {"sum"},
    )
    return [(row["start"], row["sum"]) for row in found.get(sid, [])]


async def _write(hass: HomeAssistant, sid: str, rows: list[tuple[float, float]]) -> None:
    async_add_external_statistics(
        hass,
        metadata(sid, "Gas", "m³"),
        [StatisticData(start=dt_util.utc_from_timestamp(ts), sum=total) for ts, total in rows],
    )
    await async_recorder_caught_up(hass)


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_old_statistics_are_recomputed_once(
    recorder_mock: Recorder, hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Wrong sums (doubled, and hours past the last reading) of a version-1 meter are rewritten
    from its readings: continuing the rows before it, conserving the readings' difference,
    flat after the last reading. The stored version then keeps a second start from it."""
    now = dt_util.utcnow().timestamp()
    start = (now // HOUR) * HOUR - 10 * DAY
    entry = utility_entry(meter("Gas", "gas", unit="m³", subentry_id="gasmeter"))
    key = _store(hass_storage, entry, {"gasmeter": _old_meter("gasmeter", start, now)})
    sid = meter_statistic_id("gasmeter")
    hours = 5 * 24
    wrong = [(start - HOUR * (3 - i), total) for i, total in enumerate(BEFORE)]
    wrong += [(start + HOUR * i, BEFORE[-1] + 0.5 * i) for i in range(hours + 6)]
    await _write(hass, sid, wrong)

    await _set_up(hass, entry)
    typed: UtilityConfigEntry = entry
    coordinator = typed.runtime_data.coordinator
    await coordinator.importer.async_wait()
    runtime = coordinator.meters["gasmeter"]
    assert runtime.statistics_version == STATISTICS_VERSION
    assert coordinator.importer.imports == 1

    rows = await _rows(hass, sid, start - 3 * HOUR)
    assert [total for _, total in rows[:3]] == list(BEFORE)  # older rows untouched
    assert [ts for ts, _ in rows] == [ts for ts, _ in wrong]
    expected = BEFORE[-1] + np.cumsum(runtime.meter.hourly().values)
    assert len(expected) == hours
    assert [total for _, total in rows[3 : 3 + hours]] == pytest.approx(expected)
    assert rows[2 + hours][1] == pytest.approx(BEFORE[-1] + 30.0)  # the readings' difference
    assert [total for _, total in rows[3 + hours :]] == pytest.approx([BEFORE[-1] + 30.0] * 6)
    assert np.diff([total for _, total in rows]).min() >= 0

    # A second start imports nothing: a row changed by hand stays as it is.
    tampered = start + 24 * HOUR
    await _write(hass, sid, [(tampered, 999.0)])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"]["meters"]["gasmeter"]["statistics_version"] == (
        STATISTICS_VERSION
    )
    coordinator = typed.runtime_data.coordinator
    await coordinator.importer.async_wait()
    assert coordinator.importer.imports == 0
    assert dict(await _rows(hass, sid, start))[tampered] == 999.0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_current_meter_is_not_reimported(
    recorder_mock: Recorder, hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A meter stored with the current version and nothing pending imports nothing."""
    now = dt_util.utcnow().timestamp()
    start = (now // HOUR) * HOUR - 10 * DAY
    entry = utility_entry(meter("Gas", "gas", unit="m³", subentry_id="gasmeter"))
    stored = {**_old_meter("gasmeter", start, now), "statistics_version": STATISTICS_VERSION}
    _store(hass_storage, entry, {"gasmeter": stored})
    sid = meter_statistic_id("gasmeter")
    await _write(hass, sid, [(start, 7.0)])
    await _set_up(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await coordinator.importer.async_wait()
    assert coordinator.importer.imports == 0
    assert await _rows(hass, sid, start) == [(start, 7.0)]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_failed_reimport_keeps_the_old_version(
    recorder_mock: Recorder, hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """The recorder refuses the import (an id it cannot take): the version stays old, so the
    next start tries the whole re-import again."""
    now = dt_util.utcnow().timestamp()
    start = (now // HOUR) * HOUR - 10 * DAY
    entry = utility_entry(meter("Odd", "gas", unit="m³", subentry_id="odd-id"))
    key = _store(hass_storage, entry, {"odd-id": _old_meter("odd-id", start, now)})
    await _set_up(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await coordinator.importer.async_wait()
    assert coordinator.importer.failures >= 1
    runtime = coordinator.meters["odd-id"]
    assert runtime.statistics_version == 1
    pending = runtime.meter.pending_import()
    assert pending is not None
    assert pending.start == start
    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[key]["data"]["meters"]["odd-id"]["statistics_version"] == 1
