"""Keeps each meter's external long-term statistic and its InfluxDB series in step with its
interpolated consumption.

After every recompute the hours a reading changed are re-imported (utility-core's
`meters/statistics.py` continues the cumulative sum from the stored rows) and, with InfluxDB,
re-written as `meter_consumption` points per hour and per day (a rewritten point overwrites the
old one). One run at a time; a change during a run runs another one after it. A failure is
logged, counted and retried with the next change: the meter keeps its pending hours.
"""

import asyncio
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant

from ..const import DOMAIN, LOGGER
from ..consumption import HOUR, Anomaly, HourlySeries, daily
from ..influx import ConsumptionPeriod, InfluxSink
from .const import STATISTICS_VERSION
from .data import MeterSnapshot
from .statistics import (
    async_flatten_after,
    async_import_meter,
    async_import_series,
    async_rename_statistics,
    statistic_id,
)

if TYPE_CHECKING:
    from .coordinator import UtilityCoordinator
    from .price import PriceBook
    from .runtime import MeterRuntime

# The core's test names -> the sink's method names (see influx.ANOMALY_METHOD_BITS).
INFLUX_METHODS = {"global_z": "zscore", "iqr": "iqr", "rolling_z": "rolling_zscore"}


def meter_statistic_id(subentry_id: str) -> str:
    """The external statistic of a meter (subentry ids are stable across renames)."""
    return statistic_id(subentry_id.lower())


def record_anomaly(sink: InfluxSink, snapshot: MeterSnapshot, anomaly: Anomaly, tz: tzinfo) -> None:
    """One `meter_anomaly` point at the start of the anomalous local day."""
    day = datetime(anomaly.day.year, anomaly.day.month, anomaly.day.day, tzinfo=tz)
    sink.record_meter_anomaly(
        day.timestamp(),
        meter_id=snapshot.subentry_id,
        value=anomaly.value,
        expected_low=anomaly.expected_low,
        expected_high=anomaly.expected_high,
        methods=[INFLUX_METHODS.get(name, name) for name in anomaly.methods],
        meter_type=str(snapshot.kind),
        unit=snapshot.unit,
    )


def record_consumption(
    sink: InfluxSink,
    series: HourlySeries,
    tz: tzinfo,
    *,
    meter_id: str,
    meter_type: str,
    unit: str,
    price: PriceBook | None,
) -> None:
    """`meter_consumption` points for each hour of the series and each local day it touches."""
    start = series.start
    for i, value in enumerate(series.values):
        if series.estimated[i]:
            continue
        ts = start + HOUR * i
        cost = None if price is None or (p := price.price_at(ts)) is None else float(value) * p
        sink.record_meter_consumption(
            ts,
            meter_id=meter_id,
            meter_type=meter_type,
            unit=unit,
            period=ConsumptionPeriod.HOUR,
            interpolated=bool(series.filled[i]),
            consumption=float(value),
            cost=cost,
        )
    days = daily(series, tz)
    for i in range(len(days.days)):
        if not days.complete[i] or days.estimated[i]:
            continue  # a partly re-written day would be a wrong total: written once it is whole
        day = days.day(i)
        ts = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
        sink.record_meter_consumption(
            ts,
            meter_id=meter_id,
            meter_type=meter_type,
            unit=unit,
            period=ConsumptionPeriod.DAY,
            interpolated=True,
            consumption=float(days.values[i]),
        )


class StatisticsImporter:
    """Imports (and sends) changed hours in the background, one run at a time."""

    def __init__(self, hass: HomeAssistant, coordinator: UtilityCoordinator) -> None:
        """Nothing is imported until `schedule`."""
        self.hass = hass
        self.coordinator = coordinator
        self.imports = 0
        self.failures = 0
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._virtual_done: set[str] = set()
        self._named: set[str] = set()  # statistics whose name was checked since the set-up

    @property
    def _recorder(self) -> bool:
        return "recorder" in self.hass.config.components

    def schedule(self) -> None:
        """Import what changed (now, or after the running import)."""
        if not self._recorder and self.coordinator.sink is None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self.coordinator.config_entry.async_create_background_task(
            self.hass, self._async_run(), f"{DOMAIN} statistics import"
        )

    async def async_wait(self) -> None:
        """Wait until nothing is left to import (unload, tests)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _async_run(self) -> None:
        while True:
            self._again = False
            try:
                await self._async_import_all()
            except Exception as err:
                self.failures += 1
                self.last_error = str(err)
                LOGGER.warning("Importing utility meter statistics failed: %s", err)
                return
            if not self._again:
                return

    async def _async_import_all(self) -> None:
        coordinator = self.coordinator
        sink = coordinator.sink
        changed_from: dict[str, float] = {}
        for subentry_id, runtime in coordinator.meters.items():
            if (pending := runtime.meter.pending_import()) is None:
                continue
            changed_from[subentry_id] = pending.start
            if sink is not None:
                record_consumption(
                    sink,
                    runtime.meter.hourly(start=pending.start),
                    coordinator.tz,
                    meter_id=subentry_id,
                    meter_type=str(runtime.kind),
                    unit=runtime.unit,
                    price=runtime.price if runtime.price.priced else None,
                )
            if self._recorder:
                result = await async_import_meter(
                    self.hass,
                    runtime.meter,
                    statistic_id=meter_statistic_id(subentry_id),
                    name=runtime.name,
                )
                if runtime.statistics_version < STATISTICS_VERSION:
                    await async_flatten_after(
                        self.hass,
                        statistic_id=meter_statistic_id(subentry_id),
                        name=runtime.name,
                        unit=runtime.unit,
                        result=result,
                    )
            else:
                runtime.meter.mark_imported(pending.version)
            if runtime.statistics_version < STATISTICS_VERSION:
                self._recomputed(runtime)
            self.imports += 1
        for subentry_id, virtual in coordinator.virtuals.items():
            parts = (virtual.base, *virtual.subtract)
            starts = [changed_from[part] for part in parts if part in changed_from]
            if subentry_id in self._virtual_done and not starts:
                continue
            if (series := virtual.series(coordinator.meters, None)) is None:
                continue
            if subentry_id in self._virtual_done:
                series = series.between(min(starts), series.end)
            if sink is not None:
                record_consumption(
                    sink,
                    series,
                    coordinator.tz,
                    meter_id=subentry_id,
                    meter_type=str(virtual.kind),
                    unit=virtual.unit,
                    price=None,
                )
            if self._recorder:
                await async_import_series(
                    self.hass,
                    statistic_id=meter_statistic_id(subentry_id),
                    name=virtual.name,
                    unit=virtual.unit,
                    series=series,
                )
            self._virtual_done.add(subentry_id)
            self.imports += 1
        if self._recorder:
            await self._async_rename()

    def _recomputed(self, runtime: MeterRuntime) -> None:
        """A meter's statistics of an older computation were all imported again: stored with
        the new version, so the next start does not repeat it."""
        LOGGER.info(
            "Re-imported the long-term statistics of %s: its consumption is computed differently "
            "since they were imported (statistics version %d -> %d)",
            runtime.name,
            runtime.statistics_version,
            STATISTICS_VERSION,
        )
        runtime.statistics_version = STATISTICS_VERSION
        self.coordinator.schedule_save()

    async def _async_rename(self) -> None:
        """Once per set-up (a renamed meter reloads the entry): the statistics carry the
        meters' current names, also when no hour is imported."""
        coordinator = self.coordinator
        names = {
            meter_statistic_id(subentry_id): (meter.name, meter.unit)
            for meters in (coordinator.meters, coordinator.virtuals)
            for subentry_id, meter in meters.items()
        }
        names = {sid: named for sid, named in names.items() if sid not in self._named}
        if names:
            await async_rename_statistics(self.hass, names)
            self._named |= set(names)
