"""A meter's interpolated hourly consumption as an external long-term statistic.

Imported with the recorder's `async_add_external_statistics` as `energy_correlator:<slug>`, so
the Energy dashboard's electricity, gas or water source can use it (`has_sum`, no mean, the
unit class of the unit). The cumulative `sum` continues from the row stored just before the
first re-imported hour, so a re-import after a late reading rewrites only the hours from there
and stays consistent with the older rows. Estimated hours (after the last reading) are not
imported: they would be rewritten on every reading. Rows are built and handed over a month
at a time, waiting for the recorder to finish each (the loop is free meanwhile, the recorder's
queue stays short, and the next import reads committed sums), so years never stall the loop.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
import math

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.components.recorder.tasks import SynchronizeTask
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from ..consumption import HOUR, HourlySeries, MeterKind, UtilityMeter
from ..units import CUBIC_METER, KWH

SOURCE = "energy_correlator"
CHUNK_HOURS = 24 * 31


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import wrote: `hours` rows over [start, end) and the sum after the last."""

    hours: int
    start: float | None = None
    end: float | None = None
    last_sum: float | None = None


def statistic_id(meter_slug: str) -> str:
    """The external statistic id of a meter: `energy_correlator:<slug>`."""
    return f"{SOURCE}:{meter_slug}"


def unit_of(kind: MeterKind) -> str:
    """The core's canonical unit for a meter kind (kWh or m³)."""
    return CUBIC_METER if kind in (MeterKind.GAS, MeterKind.WATER) else KWH


def _unit_class(unit: str) -> str | None:
    if unit in EnergyConverter.VALID_UNITS:
        return EnergyConverter.UNIT_CLASS
    if unit in VolumeConverter.VALID_UNITS:
        return VolumeConverter.UNIT_CLASS
    return None


def metadata(statistic_id: str, name: str, unit: str) -> StatisticMetaData:
    """The statistic's metadata as Home Assistant requires it for an external sum."""
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=name,
        source=SOURCE,
        statistic_id=statistic_id,
        unit_class=_unit_class(unit),
        unit_of_measurement=unit,
    )


async def async_recorder_caught_up(hass: HomeAssistant) -> None:
    """Wait until the recorder has run everything queued so far (our imports included).

    The recorder's own `async_block_till_done` returns at once while its thread is still
    running the last task taken from an empty queue; a synchronize task queued behind it
    resolves only after it.
    """
    future: asyncio.Future[None] = hass.loop.create_future()
    get_instance(hass).queue_task(SynchronizeTask(future))
    await future


async def _sum_before(hass: HomeAssistant, statistic_id: str, start: float) -> float:
    """The stored sum of the hour just before `start` (0 when there is none)."""
    recorder = get_instance(hass)
    await async_recorder_caught_up(hass)  # our own earlier imports are committed
    begin = datetime.fromtimestamp(start - HOUR, UTC)
    rows = await recorder.async_add_executor_job(
        statistics_during_period,
        hass,
        begin,
        begin + timedelta(hours=1),
        {statistic_id},
        "hour",
        None,
        {"sum"},
    )
    found = rows.get(statistic_id, [])
    return float(found[-1].get("sum") or 0.0) if found else 0.0


async def async_import_series(
    hass: HomeAssistant,
    *,
    statistic_id: str,
    name: str,
    unit: str,
    series: HourlySeries,
    chunk_hours: int = CHUNK_HOURS,
) -> ImportResult:
    """Write `series` up to its first estimated hour, sums continuing the stored ones."""
    estimated = series.estimated.nonzero()[0]
    hours = int(estimated[0]) if len(estimated) else len(series)
    if hours == 0:
        return ImportResult(0)
    meta = metadata(statistic_id, name, unit)
    total = await _sum_before(hass, statistic_id, series.start)
    values = series.values[:hours].tolist()
    for first in range(0, hours, chunk_hours):
        rows: list[StatisticData] = []
        for i in range(first, min(hours, first + chunk_hours)):
            value = values[i]
            total += value if math.isfinite(value) and value > 0 else 0.0  # never a poisoned sum
            start = datetime.fromtimestamp(series.start + HOUR * i, UTC)
            rows.append(StatisticData(start=start, sum=total))
        async_add_external_statistics(hass, meta, rows)
        await async_recorder_caught_up(hass)  # one chunk at a time in the recorder's queue
    return ImportResult(hours, series.start, series.start + HOUR * hours, total)


async def async_flatten_after(
    hass: HomeAssistant, *, statistic_id: str, name: str, unit: str, result: ImportResult
) -> int:
    """After a full re-import, rows stored past its last hour (an older computation's) get its
    final sum: the statistic ends where the readings do and stays continuous. How many."""
    if result.end is None or result.last_sum is None:
        return 0
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime.fromtimestamp(result.end, UTC),
        None,
        {statistic_id},
        "hour",
        None,
        {"sum"},
    )
    stale = [
        StatisticData(start=datetime.fromtimestamp(row["start"], UTC), sum=result.last_sum)
        for row in rows.get(statistic_id, [])
        if row.get("sum") != result.last_sum
    ]
    if stale:
        async_add_external_statistics(hass, metadata(statistic_id, name, unit), stale)
        await async_recorder_caught_up(hass)
    return len(stale)


async def async_rename_statistics(hass: HomeAssistant, names: dict[str, tuple[str, str]]) -> int:
    """Give existing statistics (id -> (name, unit)) their meters' current names: metadata
    written again without rows (a renamed meter; none is created). How many were renamed."""
    stored = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids=set(names))
    )
    renamed = 0
    for sid, (_, meta) in stored.items():
        name, unit = names[sid]
        if meta.get("name") != name and meta.get("unit_of_measurement") == unit:
            async_add_external_statistics(hass, metadata(sid, name, unit), [])
            renamed += 1
    return renamed


async def async_import_meter(
    hass: HomeAssistant,
    meter: UtilityMeter,
    *,
    statistic_id: str,
    name: str,
    chunk_hours: int = CHUNK_HOURS,
) -> ImportResult:
    """Import the hours the meter changed since its last import, then mark them imported."""
    pending = meter.pending_import()
    if pending is None:
        return ImportResult(0)
    series = meter.hourly(start=pending.start)
    result = await async_import_series(
        hass,
        statistic_id=statistic_id,
        name=name,
        unit=unit_of(meter.config.kind),
        series=series,
        chunk_hours=chunk_hours,
    )
    meter.mark_imported(pending.version)
    return result
