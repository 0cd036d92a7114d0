"""The backfill's narrow reads of the recorder's states table (real recorder, real SQLite)."""

import math

from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy import text

from custom_components.energy_correlator.history_rows import metadata_ids, read_chunk

METER = "sensor.home_power"
KW_METER = "sensor.circuit_power"
LIGHT = "light.desk"
KETTLE = "switch.kettle"
W = {"unit_of_measurement": "W"}


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def _history(hass: HomeAssistant) -> float:
    """Rows at t0-5 (before the range), t0, t0+1 (unavailable), t0+2 and t0+10 (the end)."""
    t0 = dt_util.utcnow().timestamp() - 3600
    for offset, value in ((-5, "250"), (0, "300"), (1, "unavailable"), (2, "310.5"), (10, "9")):
        hass.states.async_set(METER, value, W, timestamp=t0 + offset)
    hass.states.async_set(KW_METER, "1.5", {"unit_of_measurement": "kW"}, timestamp=t0 + 3)
    hass.states.async_set(LIGHT, "off", timestamp=t0 - 60)
    hass.states.async_set(LIGHT, "on", {"brightness": 128}, timestamp=t0 + 4)
    hass.states.async_set(LIGHT, "on", {"brightness": 255}, timestamp=t0 + 6)
    hass.states.async_set(KETTLE, "on", timestamp=t0 + 5)
    await async_wait_recording_done(hass)
    return t0


async def _read(
    hass: HomeAssistant, t0: float, first: bool
) -> tuple[dict[str, tuple[list[float], list[float]]], dict[str, list[tuple[float, str, dict]]]]:
    recorder = get_instance(hass)
    ids = await recorder.async_add_executor_job(
        metadata_ids, hass, [METER, KW_METER, LIGHT, KETTLE, "sensor.never_recorded"]
    )
    assert set(ids) == {METER, KW_METER, LIGHT, KETTLE}  # no history: left out
    samples, changes = await recorder.async_add_executor_job(
        read_chunk,
        hass,
        t0,
        t0 + 10,
        {METER: (ids[METER], "W"), KW_METER: (ids[KW_METER], "kW")},
        {LIGHT: ids[LIGHT], KETTLE: ids[KETTLE]},
        first,
    )
    return (
        {k: (list(times), list(watts)) for k, (times, watts) in samples.items()},
        {k: [(ts, state, dict(attrs)) for ts, state, attrs in rows] for k, rows in changes.items()},
    )


async def test_rows_of_a_half_open_range(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """[start, end): the row at the start is in, the one at the end is the next chunk's;
    non-numbers are gaps (NaN); kW become W; device attributes are parsed."""
    t0 = await _history(hass)
    samples, changes = await _read(hass, t0, first=False)

    times, watts = samples[METER]
    assert [t - t0 for t in times] == pytest.approx([0, 1, 2])
    assert watts[0] == 300
    assert math.isnan(watts[1])
    assert watts[2] == 310.5
    assert samples[KW_METER][1] == [1500.0]
    assert [(ts - t0, state, attrs.get("brightness")) for ts, state, attrs in changes[LIGHT]] == [
        pytest.approx((4, "on", 128)),
        pytest.approx((6, "on", 255)),
    ]
    assert [state for _, state, _ in changes[KETTLE]] == ["on"]


async def test_first_chunk_starts_with_the_state_held(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """The first chunk also gives each entity's state at its start, timed at the start."""
    t0 = await _history(hass)
    samples, changes = await _read(hass, t0 + 0.5, first=True)

    times, watts = samples[METER]
    assert [t - t0 for t in times] == pytest.approx([0.5, 1, 2, 10])
    assert watts[0] == 300  # held since t0
    assert changes[LIGHT][0][:2] == (t0 + 0.5, "off")  # held since t0 - 60
    assert changes[KETTLE] == [(pytest.approx(t0 + 5), "on", {})]  # no earlier state


async def test_a_meter_without_a_unit_reads_as_gaps(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """No unit (or not a power unit): every sample is a gap, none is taken as watts."""
    t0 = await _history(hass)
    ids = await get_instance(hass).async_add_executor_job(metadata_ids, hass, [METER])
    samples, changes = await get_instance(hass).async_add_executor_job(
        read_chunk, hass, t0, t0 + 10, {METER: (ids[METER], None)}, {}, False
    )
    assert changes == {}
    assert len(samples[METER][1]) == 3
    assert all(math.isnan(w) for w in samples[METER][1])


def _break_attributes(hass: HomeAssistant, entity_id: str, shared_attrs: str) -> None:
    with session_scope(hass=hass) as session:
        session.execute(
            text(
                "UPDATE state_attributes SET shared_attrs = :attrs WHERE attributes_id IN"
                " (SELECT s.attributes_id FROM states s JOIN states_meta m"
                " ON s.metadata_id = m.metadata_id WHERE m.entity_id = :entity_id)"
            ),
            {"attrs": shared_attrs, "entity_id": entity_id},
        )


@pytest.mark.parametrize("shared_attrs", ["{broken", "[1, 2]", '"text"'])
async def test_unreadable_attributes_count_as_none(
    recorder_mock: Recorder, hass: HomeAssistant, shared_attrs: str
) -> None:
    """A device row whose stored attributes are not a JSON object still reads (as no
    attributes) instead of failing the whole backfill."""
    t0 = await _history(hass)
    await get_instance(hass).async_add_executor_job(_break_attributes, hass, LIGHT, shared_attrs)
    _, changes = await _read(hass, t0, first=True)
    assert [(ts - t0, state, attrs) for ts, state, attrs in changes[LIGHT]] == [
        (0, "off", {}),
        (pytest.approx(4), "on", {}),
        (pytest.approx(6), "on", {}),
    ]
