"""Keeps each meter's external long-term statistic in step with its interpolated consumption.

After every recompute the hours a reading changed are re-imported (utility-core's
`meters/statistics.py` continues the cumulative sum from the stored rows). One import runs at a
time; a change during an import runs another one after it. A failure is logged, counted and
retried with the next change: the meter keeps its pending hours until an import succeeds.
"""

import asyncio
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant

from ..const import DOMAIN, LOGGER
from .statistics import async_import_meter, async_import_series, statistic_id

if TYPE_CHECKING:
    from .coordinator import UtilityCoordinator


def meter_statistic_id(subentry_id: str) -> str:
    """The external statistic of a meter (subentry ids are stable across renames)."""
    return statistic_id(subentry_id.lower())


class StatisticsImporter:
    """Imports changed hours in the background, one run at a time."""

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

    def schedule(self, now: float) -> None:
        """Import what changed (now, or after the running import)."""
        if "recorder" not in self.hass.config.components:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self.coordinator.config_entry.async_create_background_task(
            self.hass, self._async_run(), f"{DOMAIN} statistics import"
        )

    async def async_stop(self) -> None:
        """Let a running import finish (unload)."""
        if self._task is not None and not self._task.done():
            await self._task

    async def async_wait(self) -> None:
        """Wait until nothing is left to import (tests, the end-to-end check)."""
        while self._task is not None and not self._task.done():
            await self._task

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
        now = coordinator.data.now if coordinator.data else 0.0
        changed_from: dict[str, float] = {}
        for subentry_id, runtime in coordinator.meters.items():
            if (pending := runtime.meter.pending_import()) is None:
                continue
            changed_from[subentry_id] = pending.start
            await async_import_meter(
                self.hass,
                runtime.meter,
                statistic_id=meter_statistic_id(subentry_id),
                name=runtime.name,
                now=now,
            )
            self.imports += 1
        for subentry_id, virtual in coordinator.virtuals.items():
            starts = [
                changed_from[p] for p in (virtual.base, *virtual.subtract) if p in changed_from
            ]
            if subentry_id in self._virtual_done and not starts:
                continue
            if (series := virtual.series(coordinator.meters, None)) is None:
                continue
            if subentry_id in self._virtual_done:
                series = series.between(min(starts), series.end)
            await async_import_series(
                self.hass,
                statistic_id=meter_statistic_id(subentry_id),
                name=virtual.name,
                kind=virtual.kind,
                series=series,
            )
            self._virtual_done.add(subentry_id)
            self.imports += 1
