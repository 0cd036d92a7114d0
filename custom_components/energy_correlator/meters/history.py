"""Learn a new meter's past from the recorder: long-term statistics, then recent states.

Long-term statistics are kept forever (hourly `state`: the meter's value at each hour's end,
normalised by the recorder to the statistic's unit); states are kept ~10 days but finer. Both
are read in time chunks in the recorder's executor and turned into readings in the meter's
canonical unit (kWh or m³), ready for `UtilityMeter.add_readings`.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant

from ..consumption import MeterKind

CHUNK = timedelta(days=31)


@dataclass(slots=True)
class HistoryReadings:
    """Readings found in the recorder, oldest first, in the canonical unit."""

    ts: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    from_statistics: int = 0
    from_states: int = 0
    skipped: int = 0  # unknown/unavailable/non-numeric states (gaps, never zero)


async def async_read_history(
    hass: HomeAssistant,
    entity_id: str,
    kind: MeterKind,
    unit: str | None,
    start: datetime,
    end: datetime,
    *,
    chunk: timedelta = CHUNK,
) -> HistoryReadings:
    """The meter's readings in [start, end) from statistics and states (`unit`: the states')."""
    raise NotImplementedError
