"""Which device events were already handled, by identity (entity id + event time).

The live engine and every backfill note each correlation they closed here, learned or not, so a
backfill never teaches an event twice, however old it is and whoever saw it first. Events older
than the backfill horizon are pruned; relearning a device forgets its events so its history may
teach again. Persisted per config entry; saves are debounced, and Home Assistant writes a pending
save when it stops.
"""

from bisect import bisect_left, insort
from collections.abc import Iterable
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN, MAX_BACKFILL_DAYS
from .engine import Correlation

LEDGER_VERSION = 2
SAVE_DELAY_S = 60
# Both sides take the time from the same state's last_updated: only float noise may differ.
SAME_EVENT_S = 0.001
HORIZON_S = (MAX_BACKFILL_DAYS + 1) * 86_400


class LedgerData(TypedDict):
    """The file's payload."""

    events: dict[str, list[float]]
    ranges: dict[str, list[list[float]]]  # version 1: periods replayed (kept until relearn)


class _LedgerStore(Store[LedgerData]):
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> LedgerData:
        """Version 1 held only the replayed periods of each device."""
        return LedgerData(events={}, ranges=dict(old_data))


class EventLedger:
    """Per device, the sorted times of its events already handled."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing loaded yet."""
        self._store = _LedgerStore(hass, LEDGER_VERSION, f"{DOMAIN}.{entry_id}.backfill")
        self._events: dict[str, list[float]] = {}
        self._ranges: dict[str, list[list[float]]] = {}

    async def async_load(self) -> None:
        """Read the ledger (empty when there is none)."""
        data = await self._store.async_load()
        if data:
            self._events = {eid: sorted(map(float, ts)) for eid, ts in data["events"].items()}
            self._ranges = data.get("ranges") or {}

    async def async_remove(self) -> None:
        """Delete the ledger file (entry removed)."""
        await self._store.async_remove()

    def _data(self) -> LedgerData:
        return LedgerData(events=self._events, ranges=self._ranges)

    def schedule_save(self) -> None:
        """Save within SAVE_DELAY_S (live events)."""
        self._store.async_delay_save(self._data, SAVE_DELAY_S)

    async def async_save(self) -> None:
        """Write now (an action's result must survive a restart)."""
        await self._store.async_save(self._data())

    def seen(self, entity_id: str, ts: float) -> bool:
        """Whether this device's event at `ts` was already handled."""
        if any(lo <= ts <= hi for lo, hi in self._ranges.get(entity_id, ())):
            return True
        times = self._events.get(entity_id)
        if not times:
            return False
        i = bisect_left(times, ts - SAME_EVENT_S)
        return i < len(times) and times[i] <= ts + SAME_EVENT_S

    def add(self, correlations: Iterable[Correlation]) -> bool:
        """Note closed correlations; returns whether anything new was noted."""
        added = False
        for corr in correlations:
            if self.seen(corr.entity_id, corr.ts):
                continue
            times = self._events.setdefault(corr.entity_id, [])
            insort(times, corr.ts)
            if times[0] < corr.ts - HORIZON_S:
                del times[: bisect_left(times, corr.ts - HORIZON_S)]
            added = True
        return added

    def rename(self, old: str, new: str) -> None:
        """A device's entity id changed (the recorder's history moves with it)."""
        if (times := self._events.pop(old, None)) is not None:
            self._events[new] = sorted({*self._events.get(new, ()), *times})
        if (ranges := self._ranges.pop(old, None)) is not None:
            self._ranges[new] = ranges
        self.schedule_save()

    def forget(self, entity_ids: Iterable[str] | None) -> None:
        """Relearn: these devices' events (all when None) may teach again."""
        if entity_ids is None:
            self._events.clear()
            self._ranges.clear()
        for entity_id in entity_ids or ():
            self._events.pop(entity_id, None)
            self._ranges.pop(entity_id, None)

    def count(self) -> int:
        """Events noted (diagnostics, tests)."""
        return sum(len(times) for times in self._events.values())
