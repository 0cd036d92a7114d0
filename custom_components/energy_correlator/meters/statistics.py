"""A meter's interpolated hourly consumption as an external long-term statistic.

Imported with the recorder's `async_add_external_statistics` as `energy_correlator:<slug>`, so
the Energy dashboard's electricity, gas or water source can use it. The cumulative `sum` is
continued from the sum stored just before the first re-imported hour, so a re-import after a
late reading rewrites only the hours it changed and stays consistent with the older rows. Rows
are handed over in chunks with a yield to the event loop between them.
"""

from dataclasses import dataclass

from homeassistant.core import HomeAssistant

from ..consumption import HourlySeries, MeterKind, UtilityMeter

SOURCE = "energy_correlator"
CHUNK_HOURS = 24 * 31


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import wrote: hours from `start` (None when nothing) and the last sum."""

    hours: int
    start: float | None
    end: float | None
    last_sum: float | None


def statistic_id(meter_slug: str) -> str:
    """The external statistic id of a meter: `energy_correlator:<slug>`."""
    return f"{SOURCE}:{meter_slug}"


async def async_import_series(
    hass: HomeAssistant,
    *,
    statistic_id: str,
    name: str,
    kind: MeterKind,
    series: HourlySeries,
    chunk_hours: int = CHUNK_HOURS,
) -> ImportResult:
    """Write `series` (estimated hours excluded) with sums continuing the stored ones."""
    raise NotImplementedError


async def async_import_meter(
    hass: HomeAssistant,
    meter: UtilityMeter,
    *,
    statistic_id: str,
    name: str,
    now: float,
    chunk_hours: int = CHUNK_HOURS,
) -> ImportResult:
    """Import the hours the meter changed since its last import, then mark them imported."""
    raise NotImplementedError
