"""Learn from the recorder's history: replay past meter and device states through a temporary
engine (in the executor, off the event loop), then teach the live engine what it found.

Idempotent: a correlation the live engine already holds (same device, same second) is skipped, and
a persisted ledger remembers which period of which device was replayed, so running it twice does
not teach an event twice. Relearning a device clears its part of the ledger.
"""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from homeassistant.components.recorder import get_instance, history
from homeassistant.core import HomeAssistant, State, split_entity_id
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError

from .const import CONF_CIRCUITS, CONF_DOMAINS, CONF_EXCLUDE, CONF_INCLUDE, CONF_METER, DOMAIN
from .coordinator import EnergyCorrelatorCoordinator
from .engine import Correlation, Engine, EngineConfig, Status, classify_change
from .listener import device_level
from .units import power_w

DEFAULT_BACKFILL_DAYS = 7
MAX_BACKFILL_DAYS = 90
LEDGER_VERSION = 1

type Sample = tuple[float, float | None]
type Change = tuple[float, str, Mapping[str, Any]]


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
    duplicates: int = 0  # already known to the live engine
    devices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def watched_entities(
    hass: HomeAssistant, options: Mapping[str, Any], meters: Iterable[str]
) -> set[str]:
    """The devices the listener watches now: its domains plus includes, minus excludes."""
    domains = options.get(CONF_DOMAINS, [])
    watched = set(hass.states.async_entity_ids(domains)) if domains else set()
    watched |= set(options.get(CONF_INCLUDE, []))
    watched -= set(options.get(CONF_EXCLUDE, []))
    return watched - set(meters)


def _close_due(engine: Engine, until: float, found: list[Correlation]) -> None:
    """Close every window due by `until`, at the moment it is due (as the live timer does)."""
    while (due := engine.next_due()) is not None and due <= until:
        found.extend(engine.tick(due))
        if engine.next_due() == due:  # nothing closed: wait for more history
            return


def replay(
    config: EngineConfig,
    meters: Mapping[str, list[Sample]],
    devices: Mapping[str, list[Change]],
    levels: Mapping[str, tuple[float, float]],
    end_ts: float,
) -> tuple[list[Correlation], int]:
    """Feed history to a fresh engine in time order; return its correlations and event count.

    Pure and blocking: runs in the executor. Meter samples go before events of the same instant,
    and each window is closed when it is due, as the live precise timer does.
    """
    engine = Engine(config)
    for entity_id, (ts, level) in levels.items():
        engine.set_device_level(entity_id, ts, level)
    timeline: list[tuple[float, int, str, Any]] = [
        (ts, 0, meter, value) for meter, samples in meters.items() for ts, value in samples
    ]
    events = 0
    for entity_id, changes in devices.items():
        domain = split_entity_id(entity_id)[0]
        for (_, old, old_attrs), (ts, new, new_attrs) in pairwise(changes):
            event = classify_change(entity_id, domain, old, old_attrs, new, new_attrs, ts)
            if event is not None:
                timeline.append((ts, 1, entity_id, event))
                events += 1
    timeline.sort(key=lambda item: (item[0], item[1]))

    found: list[Correlation] = []
    for ts, order, key, payload in timeline:
        _close_due(engine, ts, found)
        if order == 0:
            engine.add_power(key, ts, payload)
        else:
            engine.add_event(payload)
    found.extend(engine.tick(end_ts))
    return found, events


def _read_history(
    hass: HomeAssistant, start: datetime, end: datetime, entity_ids: list[str]
) -> dict[str, list[State]]:
    """Blocking recorder read (all changes, with attributes: brightness, units)."""
    result = history.get_significant_states(
        hass,
        start,
        end,
        entity_ids,
        include_start_time_state=True,
        significant_changes_only=False,
        minimal_response=False,
        no_attributes=False,
    )
    return {eid: [s for s in states if isinstance(s, State)] for eid, states in result.items()}


class BackfillLedger:
    """The periods of each device already replayed, persisted per config entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing loaded yet."""
        self._store: Store[dict[str, list[list[float]]]] = Store(
            hass, LEDGER_VERSION, f"{DOMAIN}.{entry_id}.backfill"
        )
        self.ranges: dict[str, list[list[float]]] = {}

    async def async_load(self) -> None:
        """Read the ledger (empty when there is none)."""
        self.ranges = await self._store.async_load() or {}

    async def async_remove(self) -> None:
        """Delete the ledger file."""
        await self._store.async_remove()

    async def async_save(self) -> None:
        """Write the ledger now (an action's result must survive a restart)."""
        await self._store.async_save(self.ranges)

    def covered(self, entity_id: str, ts: float) -> bool:
        """Whether an event of this device at `ts` was already replayed."""
        return any(start <= ts <= end for start, end in self.ranges.get(entity_id, ()))

    def add(self, entity_ids: Iterable[str], start: float, end: float) -> None:
        """Record a replayed period, merging overlapping ones."""
        for entity_id in entity_ids:
            merged: list[list[float]] = []
            for lo, hi in sorted([*self.ranges.get(entity_id, []), [start, end]]):
                if merged and lo <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            self.ranges[entity_id] = merged

    def forget(self, entity_ids: Iterable[str] | None) -> None:
        """Relearn: these devices (all when None) may be replayed again."""
        if entity_ids is None:
            self.ranges.clear()
        for entity_id in entity_ids or ():
            self.ranges.pop(entity_id, None)


async def async_remove_backfill_ledger(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the ledger with its config entry."""
    await BackfillLedger(hass, entry_id).async_remove()


async def async_forget_backfill(
    hass: HomeAssistant, entry_id: str, entity_ids: Iterable[str] | None
) -> None:
    """Clear the ledger of relearned devices so a later backfill teaches them again."""
    ledger = BackfillLedger(hass, entry_id)
    await ledger.async_load()
    ledger.forget(entity_ids)
    await ledger.async_save()


def _level(row: State) -> float | None:
    """A history row's device level (rows are lazy states: rebuild a plain one)."""
    return device_level(State(row.entity_id, row.state, row.attributes))


def _known(live: Engine, since: float) -> set[tuple[str, int]]:
    return {(c.entity_id, round(c.ts)) for c in live.recent_correlations(since=since)}


def _is_known(known: set[tuple[str, int]], corr: Correlation) -> bool:
    second = round(corr.ts)
    return any((corr.entity_id, second + d) in known for d in (-1, 0, 1))


async def async_backfill(
    hass: HomeAssistant, coordinator: EnergyCorrelatorCoordinator, days: float
) -> BackfillResult:
    """Replay the last `days` of recorder history and teach the live engine."""
    if "recorder" not in hass.config.components:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="recorder_not_available"
        )
    entry = coordinator.config_entry
    options = {**entry.data, **entry.options}
    meters = [options[CONF_METER], *options.get(CONF_CIRCUITS, [])]
    live = coordinator.engine
    devices = watched_entities(hass, options, meters) | {p.entity_id for p in live.profiles()}

    end = dt_util.utcnow()
    start = end - timedelta(days=days)
    try:
        states = await get_instance(hass).async_add_executor_job(
            _read_history, hass, start, end, sorted({*meters, *devices})
        )
    except SQLAlchemyError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="history_unavailable",
            translation_placeholders={"error": str(err)},
        ) from err
    meter_samples: dict[str, list[Sample]] = {
        m: [(s.last_updated_timestamp, power_w(s)) for s in states.get(m, [])] for m in meters
    }
    device_changes: dict[str, list[Change]] = {
        eid: [(s.last_updated_timestamp, s.state, dict(s.attributes)) for s in states[eid]]
        for eid in devices
        if len(states.get(eid, [])) > 1
    }
    levels: dict[str, tuple[float, float]] = {
        eid: (states[eid][0].last_updated_timestamp, level)
        for eid in device_changes
        if (level := _level(states[eid][0])) is not None
    }
    from . import engine_config  # the package imports this module: import at call time

    config: EngineConfig = engine_config(hass, entry)
    found, events = await hass.async_add_executor_job(
        replay, config, meter_samples, device_changes, levels, end.timestamp()
    )

    result = BackfillResult(
        days=days,
        start=start.isoformat(),
        end=end.isoformat(),
        meter_samples=sum(len(samples) for samples in meter_samples.values()),
        device_events=events,
        correlations=len(found),
    )
    # The last windows before `end` may still be open: the live engine closes those itself.
    until = end.timestamp() - config.settle_s - config.after_window_s
    ledger = BackfillLedger(hass, entry.entry_id)
    await ledger.async_load()
    known = _known(live, start.timestamp())
    learned: set[str] = set()
    for corr in found:
        if corr.ts > until:
            continue
        if _is_known(known, corr) or ledger.covered(corr.entity_id, corr.ts):
            result.duplicates += 1
        elif corr.status is Status.OK and live.learn(corr):
            result.learned += 1
            learned.add(corr.entity_id)
        else:
            result.rejected += 1
    ledger.add(devices, start.timestamp(), until)
    await ledger.async_save()
    result.devices = sorted(learned)
    return result
