"""Learn from the recorder's history: replay past meter and device states through a temporary
engine, then teach the live engine what it found.

Built for 90 days of a 1 s meter: history is read in time chunks in the recorder's executor
(straight from the states table, `history_rows.py`: meters as arrays of times and watts, no
attributes), replayed in the same executor job, and only each chunk's few correlations come back
to the event loop. Memory is bounded by a chunk; the rows die young, so they do not set off the
full garbage collections that would stop the loop.

Idempotent: every correlation the live engine or an earlier backfill closed is in the entry's
`EventLedger` (by entity and event time), so an event is never taught twice. Backfill, relearn and
reset_statistics of one entry run one at a time (the coordinator's `learning_lock`).
"""

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from heapq import merge
from itertools import islice
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.core import HomeAssistant, split_entity_id
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError

from .const import DOMAIN
from .coordinator import EnergyCorrelatorCoordinator
from .engine import Correlation, Engine, EngineConfig, Status, classify_change, level_of
from .event_ledger import EventLedger
from .history_rows import Change, Samples, metadata_ids, read_chunk
from .units import state_unit
from .watched import WatchRules

DEFAULT_BACKFILL_DAYS = 7
# 600 rows of a 1 s meter per executor job: a short job (the loop runs between chunks) whose
# rows die young, and few enough queries that their overhead stays small.
CHUNK = timedelta(minutes=10)

type _Item = tuple[float, int, str, Any]


@dataclass(slots=True, kw_only=True)
class BackfillResult:
    """What a backfill read and learned (the action's response)."""

    days: float
    start: str
    end: str
    meter_samples: int = 0
    device_events: int = 0
    correlations: int = 0
    learned: int = 0
    rejected: int = 0  # not OK, or not consistent with the profile
    duplicates: int = 0  # already handled live or by an earlier backfill
    devices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


class Replay:
    """A temporary engine fed history in time order, chunk after chunk.

    Pure and blocking: only ever used from executor jobs, one at a time. Meter samples go before
    events of the same instant, and each window is closed when it is due, as the live precise
    timer does.
    """

    def __init__(self, config: EngineConfig) -> None:
        """An empty engine with the live one's settings."""
        self.engine = Engine(config)
        self.samples = 0
        self.events = 0
        self._last: dict[str, Change] = {}  # each device's latest state so far
        self._last_ts: dict[str, float] = {}  # each meter's latest sample so far

    def _close_due(self, until: float, found: list[Correlation]) -> None:
        """Close every window due by `until`, at the moment it is due."""
        engine = self.engine
        while (due := engine.next_due()) is not None and due <= until:
            found.extend(engine.tick(due))
            if engine.next_due() == due:  # nothing closed: wait for more history
                return

    def _meter_items(self, meter: str, samples: Samples) -> Iterable[_Item]:
        """A meter's new samples as timeline items, made one at a time."""
        times, watts = samples
        first = bisect_right(times, self._last_ts.get(meter, float("-inf")))
        if first < len(times):
            self._last_ts[meter] = times[-1]
        return (
            (ts, 0, meter, w)
            for ts, w in zip(islice(times, first, None), watts[first:], strict=True)
        )

    def feed(
        self, meters: Mapping[str, Samples], devices: Mapping[str, list[Change]]
    ) -> list[Correlation]:
        """One chunk of history (rows already seen in an earlier chunk are skipped)."""
        timeline: list[_Item] = []  # device items; the meters' are merged in as they come
        for entity_id, changes in devices.items():
            domain = split_entity_id(entity_id)[0]
            for change in changes:
                ts, new, new_attrs = change
                previous = self._last.get(entity_id)
                if previous is not None and ts <= previous[0]:
                    continue
                self._last[entity_id] = change
                if previous is None:
                    if (level := level_of(domain, new, new_attrs)) is not None:
                        timeline.append((ts, -1, entity_id, level))
                    continue
                _, old, old_attrs = previous
                event = classify_change(entity_id, domain, old, old_attrs, new, new_attrs, ts)
                if event is not None:
                    timeline.append((ts, 1, entity_id, event))
                    self.events += 1
        timeline.sort(key=_order)

        engine = self.engine
        found: list[Correlation] = []
        streams = [self._meter_items(meter, samples) for meter, samples in meters.items()]
        for ts, order, key, payload in merge(timeline, *streams, key=_order):
            self._close_due(ts, found)
            if order == 0:
                engine.add_power(key, ts, payload)
                self.samples += 1
            elif order == 1:
                engine.add_event(payload)
            else:
                engine.set_device_level(key, ts, payload)
        return found

    def finish(self, end_ts: float) -> list[Correlation]:
        """Close what is due by the end of the history."""
        return self.engine.tick(end_ts)


def _order(item: _Item) -> tuple[float, int]:
    """Time order; at the same instant a device's level, then meter samples, then events."""
    return item[0], item[1]


def _read_and_replay(
    hass: HomeAssistant,
    replay: Replay,
    start: datetime,
    end: datetime,
    meters: Mapping[str, tuple[int, str | None]],
    devices: Mapping[str, int],
    first: bool,
) -> list[Correlation]:
    """One chunk read and replayed, in one executor job: its rows never reach the loop."""
    samples, changes = read_chunk(hass, start.timestamp(), end.timestamp(), meters, devices, first)
    return replay.feed(samples, changes)


def _teach(
    live: Engine,
    ledger: EventLedger,
    found: list[Correlation],
    until: float,
    result: BackfillResult,
    learned: set[str],
) -> None:
    """Teach the live engine a chunk's correlations it has not handled yet (on the loop)."""
    for corr in found:
        if corr.ts > until:  # the live engine closes the last windows itself
            continue
        result.correlations += 1
        if ledger.seen(corr.entity_id, corr.ts):
            result.duplicates += 1
            continue
        if corr.status is Status.OK and live.learn(corr):
            result.learned += 1
            learned.add(corr.entity_id)
        else:
            result.rejected += 1
        ledger.add((corr,))


def _unit(hass: HomeAssistant, meter: str) -> str | None:
    """The meter's unit now (history is read without attributes): its state's, else the
    entity registry's (a meter that is unavailable right now)."""
    if (state := hass.states.get(meter)) is not None and (unit := state_unit(state)):
        return unit
    reg_entry = er.async_get(hass).async_get(meter)
    return None if reg_entry is None else reg_entry.unit_of_measurement


async def async_backfill(
    hass: HomeAssistant, coordinator: EnergyCorrelatorCoordinator, days: float
) -> BackfillResult:
    """Replay the last `days` of recorder history and teach the live engine (caller holds the
    coordinator's learning lock)."""
    if "recorder" not in hass.config.components:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="recorder_not_available"
        )
    entry = coordinator.config_entry
    live = coordinator.engine
    config = live.config
    rules = WatchRules.from_data(entry.data)
    meter_ids = [config.main_meter, *config.circuits]
    units = {meter: _unit(hass, meter) for meter in meter_ids}
    devices = sorted(rules.present(hass, also=(p.entity_id for p in live.profiles())))

    end = dt_util.utcnow()
    start = end - timedelta(days=days)
    # Windows that close after `end` are the live engine's (it saw those events itself).
    until = end.timestamp() - config.settle_s - config.after_window_s
    result = BackfillResult(days=days, start=start.isoformat(), end=end.isoformat())
    replay = Replay(config)
    ledger = coordinator.event_ledger
    learned: set[str] = set()
    recorder = get_instance(hass)
    chunk_start = start
    try:
        ids = await recorder.async_add_executor_job(metadata_ids, hass, [*meter_ids, *devices])
        meters = {meter: (ids[meter], units[meter]) for meter in meter_ids if meter in ids}
        device_ids = {entity_id: ids[entity_id] for entity_id in devices if entity_id in ids}
        while chunk_start < end:
            chunk_end = min(chunk_start + CHUNK, end)
            found = await recorder.async_add_executor_job(
                _read_and_replay,
                hass,
                replay,
                chunk_start,
                chunk_end,
                meters,
                device_ids,
                chunk_start == start,
            )
            _teach(live, ledger, found, until, result, learned)
            chunk_start = chunk_end
        _teach(live, ledger, replay.finish(end.timestamp()), until, result, learned)
    except SQLAlchemyError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="history_unavailable",
            translation_placeholders={"error": str(err)},
        ) from err
    finally:  # what was taught so far stays taught: remember it
        await ledger.async_save()
    result.meter_samples = replay.samples
    result.device_events = replay.events
    result.devices = sorted(learned)
    return result
