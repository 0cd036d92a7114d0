"""Learn a new meter's past from the recorder: long-term statistics and states.

Long-term statistics are kept forever: their hourly `state` is the meter's value at the end of
each hour, converted by the recorder to kWh or m³. States are kept about ten days but are
finer. Both are read in time chunks in the recorder's executor (its history functions block)
and returned as readings in the canonical unit (kWh for energy, m³ for volume), ready for
`UtilityMeter.add_readings`, whose rules then judge them like live ones. States are read
without attributes (cheap), so they are taken in `unit`, the meter's current unit; an old unit
change shows up as a jump the reading rules refuse.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from ..consumption import HOUR
from ..units import CUBIC_METER, ENERGY_UNITS, KWH, state_number, to_cubic_meters, to_kwh

CHUNK = timedelta(days=7)
CANONICAL = {EnergyConverter.UNIT_CLASS: KWH, VolumeConverter.UNIT_CLASS: CUBIC_METER}


@dataclass(slots=True)
class HistoryReadings:
    """Readings found in the recorder (not sorted), in the canonical unit."""

    ts: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    from_statistics: int = 0
    from_states: int = 0
    skipped: int = 0  # unknown/unavailable/non-numeric states or unknown units: gaps, not zero


def _canonical(value: float, unit: str | None) -> float | None:
    if unit is None or unit in ENERGY_UNITS:
        return to_kwh(value, unit)
    return to_cubic_meters(value, unit)


async def async_read_history(
    hass: HomeAssistant,
    entity_id: str,
    unit: str | None,
    start: datetime,
    end: datetime,
    *,
    chunk: timedelta = CHUNK,
) -> HistoryReadings:
    """The meter's readings in [start, end) from its statistics and its states."""
    recorder = get_instance(hass)
    found = HistoryReadings()
    since = start
    while since < end:
        until = min(end, since + chunk)
        stats = await recorder.async_add_executor_job(
            statistics_during_period,
            hass,
            since,
            until,
            {entity_id},
            "hour",
            CANONICAL,
            {"state"},
        )
        for row in stats.get(entity_id, []):
            value = row.get("state")
            if value is None:
                found.skipped += 1
                continue
            found.ts.append(float(row["start"]) + HOUR)
            found.values.append(float(value))
            found.from_statistics += 1
        states = await recorder.async_add_executor_job(
            state_changes_during_period, hass, since, until, entity_id, True, False, None, False
        )
        for state in states.get(entity_id.lower(), []):
            number = state_number(state)
            value = _canonical(number, unit) if number is not None else None
            if value is None:
                found.skipped += 1
                continue
            found.ts.append(state.last_changed_timestamp)
            found.values.append(value)
            found.from_states += 1
        since = until
    return found
