"""The utility entry's coordinator: readings in (sensors, actions, history), snapshots out.

No polling: a source sensor's report, a manual reading, a replacement or a price change asks for
a (debounced) recompute; an hourly tick moves the day and the estimate after the last reading.
Each recompute fires anomaly events, keeps the repair issues in step and re-imports the hours
whose consumption changed into the long-term statistics.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any

from homeassistant.components.sensor import ATTR_STATE_CLASS
from homeassistant.config_entries import SIGNAL_CONFIG_ENTRY_CHANGED, ConfigEntry, ConfigEntryChange
from homeassistant.core import (
    CALLBACK_TYPE,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..consumption import (
    AnomalyConfig,
    MeterKind,
    ReadingResult,
    ReadingSource,
    Refusal,
    ReplaceResult,
)
from ..influx import InfluxSink
from ..units import canonical_unit
from .const import (
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_SOURCE,
    EVENT_METER_ANOMALY,
    METER_SAVE_DELAY,
    SUBENTRY_METER,
    SUBENTRY_VIRTUAL,
)
from .data import UtilityConfigEntry, UtilityData
from .flow_forms import meter_quantity
from .history_learning import async_learn_history
from .importer import StatisticsImporter, record_anomaly
from .inputs import MeterInputs
from .repairs import (
    async_delete_meter_issues,
    async_delete_source_issue,
    async_swap_issue,
    async_sync_drop_issues,
)
from .runtime import (
    MeterRuntime,
    announce,
    anomaly_config,
    anomaly_event,
    build_meter,
    meter_config,
)
from .store import MeterStore, StoredMeter, StoredUtility
from .virtual import VirtualRuntime, build_virtual
from .virtual_repairs import async_sync_virtual_issues
from .weather_inputs import TemperatureFollower

REFRESH_COOLDOWN_S = 5.0
UNLOAD_IMPORT_WAIT_S = 30.0


def _sensor_resets(state: State | None) -> bool:
    """A total_increasing sensor's drop is a reset; a `total` one's is a suspected swap."""
    return state is None or state.attributes.get(ATTR_STATE_CLASS) != "total"


class UtilityCoordinator(DataUpdateCoordinator[UtilityData]):
    """All meters of the utility entry."""

    config_entry: UtilityConfigEntry

    def __init__(self, hass: HomeAssistant, entry: UtilityConfigEntry) -> None:
        """Nothing is read yet; `async_setup` loads the store and starts following sources."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} utility meters",
            update_interval=None,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=REFRESH_COOLDOWN_S, immediate=False
            ),
        )
        self.tz = dt_util.get_time_zone(hass.config.time_zone) or UTC
        self.store = MeterStore(hass, entry.entry_id)
        self.meters: dict[str, MeterRuntime] = {}
        self.virtuals: dict[str, VirtualRuntime] = {}
        self.anomaly_config: AnomalyConfig = anomaly_config(entry.options)
        self.importer = StatisticsImporter(hass, self)
        self.sink: InfluxSink | None = None
        self.learning: list[asyncio.Task[None]] = []  # history reads of new meters
        # Meters whose snapshot must be recomputed (None: all of them, e.g. the hourly tick).
        self._dirty: set[str] | None = None
        self._trackers: dict[str, MeterInputs] = {}
        self._followers: list[TemperatureFollower] = []  # virtual meters' own temperatures
        self._unsubs: list[CALLBACK_TYPE] = []
        self._subentry_ids = frozenset(entry.subentries)

    # Set-up and tear-down.

    async def async_setup(self) -> None:
        """Restore every meter, follow its source and price, and learn new meters' history."""
        entry = self.config_entry
        stored = (await self.store.async_load() or {}).get("meters", {})
        for subentry_id, subentry in entry.subentries.items():
            if subentry.subentry_type == SUBENTRY_METER:
                self._add_meter(subentry_id, subentry.data, stored.get(subentry_id))
        for subentry_id, subentry in entry.subentries.items():
            if subentry.subentry_type == SUBENTRY_VIRTUAL:
                virtual = build_virtual(subentry_id, subentry.data, stored.get(subentry_id))
                virtual.link(self.meters)
                self.virtuals[subentry_id] = virtual
                if virtual.own_weather is not None and virtual.weather is virtual.own_weather:
                    self._followers.append(
                        TemperatureFollower(self, subentry_id, virtual.name, virtual.own_weather)
                    )
        self._unsubs.append(async_track_time_change(self.hass, self._hourly, minute=0, second=5))
        self._unsubs.append(
            async_dispatcher_connect(self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._entry_changed)
        )
        self._unsubs.append(async_at_started(self.hass, self._started))

    def _add_meter(self, subentry_id: str, data: Any, stored: StoredMeter | None) -> None:
        source = data.get(CONF_SOURCE)
        state = self.hass.states.get(source) if source else None
        kind = MeterKind(data[CONF_METER_TYPE])
        config = meter_config(
            self.config_entry.options, kind, bool(source) and _sensor_resets(state)
        )
        unit = canonical_unit(meter_quantity(kind))
        if stored and stored.get("unit", unit) != unit:
            # Reconfigured to a meter of another kind: its readings are in another unit.
            LOGGER.warning(
                "%s now counts %s instead of %s; its stored readings are not used",
                data[CONF_NAME],
                unit,
                stored.get("unit"),
            )
            stored = None
        try:
            runtime = build_meter(subentry_id, data, config, self.tz, stored)
        except (ValueError, TypeError, KeyError) as err:
            LOGGER.error(
                "Stored readings of %s could not be read (%s); it starts afresh",
                data[CONF_NAME],
                err,
            )
            runtime = build_meter(subentry_id, data, config, self.tz, None)
        self.meters[subentry_id] = runtime
        self._trackers[subentry_id] = MeterInputs(self, runtime)

    @callback
    def async_stop_following(self) -> None:
        """Stop following sources, prices and time (unload, or a failed set-up)."""
        for tracker in self._trackers.values():
            tracker.stop()
        self._trackers.clear()
        for follower in self._followers:
            follower.stop()
        self._followers.clear()
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    async def async_unload(self) -> None:
        """Finish a running import and save."""
        self.async_stop_following()
        await self.async_shutdown()
        try:
            async with asyncio.timeout(UNLOAD_IMPORT_WAIT_S):
                await self.importer.async_wait()
        except TimeoutError:
            LOGGER.warning("The statistics import did not finish; it resumes at the next start")
        await self.store.async_save(self.stored_data())

    @callback
    def _started(self, _hass: HomeAssistant) -> None:
        """Once Home Assistant runs (the recorder too): a source that never appeared is gone;
        learn the history of new sensor meters."""
        registry = er.async_get(self.hass)
        for subentry_id, runtime in self.meters.items():
            source = runtime.source
            if (
                source
                and self.hass.states.get(source) is None
                and registry.async_get(source) is None
            ):
                self._trackers[subentry_id].source_removed(source)
        for runtime in self.meters.values():
            if runtime.source and not runtime.learned:
                self.learning.append(
                    self.config_entry.async_create_background_task(
                        self.hass,
                        self._async_learn(runtime),
                        f"{DOMAIN} learn history of {runtime.name}",
                    )
                )

    async def _async_learn(self, runtime: MeterRuntime) -> None:
        if await async_learn_history(self.hass, runtime):
            self.mark_dirty(runtime.subentry_id)
            self.schedule_save()
            await self.async_refresh()

    @callback
    def _entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """A meter added or deleted on the entry's page: reload to build its entities."""
        if entry.entry_id != self.config_entry.entry_id or change != ConfigEntryChange.UPDATED:
            return
        if frozenset(entry.subentries) != self._subentry_ids:
            for gone in self._subentry_ids - frozenset(entry.subentries):
                async_delete_meter_issues(self.hass, gone)
            self._subentry_ids = frozenset(entry.subentries)
            self.hass.config_entries.async_schedule_reload(entry.entry_id)

    @callback
    def _hourly(self, _now: datetime) -> None:
        """The day, the estimate and 'days since the last reading' move with time."""
        if dt_util.as_local(_now).hour == 3:
            for runtime in self.meters.values():
                runtime.meter.learn_profile()
        self.mark_dirty(None)
        self.hass.async_create_task(self.async_request_refresh())

    # Readings.

    def add_manual_reading(self, runtime: MeterRuntime, ts: float, value: float) -> ReadingResult:
        """A reading typed in (already in kWh or m³); the caller refreshes."""
        result = runtime.meter.add_reading(
            ts, value, dt_util.utcnow().timestamp(), ReadingSource.MANUAL
        )
        runtime.count(result)
        if result.accepted or result.reason is Refusal.DUPLICATE:
            self.mark_dirty(runtime.subentry_id)
            self.schedule_save()
        return result

    def replace(
        self, runtime: MeterRuntime, ts: float, old_final: float, new_first: float
    ) -> ReplaceResult:
        """A meter swap (values in kWh or m³); a swap far off the expected is warned about."""
        result = runtime.meter.replace(ts, old_final, new_first, dt_util.utcnow().timestamp())
        if result.accepted and result.replacement is not None:
            self.mark_dirty(runtime.subentry_id)
            self.schedule_save()
            if result.replacement.mismatch:
                async_swap_issue(self.hass, self.config_entry, runtime, result.replacement)
        return result

    # Snapshots.

    @callback
    def mark_dirty(self, subentry_id: str | None) -> None:
        """A meter changed (None: time moved for all); its snapshot is recomputed next."""
        if subentry_id is None or self._dirty is None:
            self._dirty = None
        else:
            self._dirty.add(subentry_id)

    async def _async_update_data(self) -> UtilityData:
        """Recompute the changed meters (and the virtual meters made of them), one meter per
        step of the event loop; fire events, sync repairs, schedule the statistics import."""
        now = dt_util.utcnow().timestamp()
        today = datetime.fromtimestamp(now, self.tz).date()
        config = self.anomaly_config
        previous = self.data.meters if self.data is not None else {}
        dirty, self._dirty = self._dirty, set()
        snapshots = {}
        fired = []
        for subentry_id, runtime in self.meters.items():
            if dirty is not None and subentry_id not in dirty and subentry_id in previous:
                snapshots[subentry_id] = previous[subentry_id]
                continue
            await asyncio.sleep(0)  # a home of many meters never stalls the loop at once
            snapshot, anomalies = runtime.snapshot(now, self.tz, config)
            snapshots[subentry_id] = snapshot
            fired += [(snapshot, a) for a in announce(runtime.announced, anomalies, today)]
            async_sync_drop_issues(self.hass, self.config_entry, runtime)
            if runtime.source and not runtime.source_missing:
                async_delete_source_issue(self.hass, runtime)
        for subentry_id, virtual in self.virtuals.items():
            parts = {subentry_id, *virtual.parts}  # its own temperature marks it dirty
            if dirty is not None and not parts & dirty and subentry_id in previous:
                snapshots[subentry_id] = previous[subentry_id]
                continue
            await asyncio.sleep(0)
            missing = virtual.missing(self.meters)
            async_sync_virtual_issues(self.hass, self.config_entry, virtual, missing)
            series = None if missing else virtual.series(self.meters, now)
            snapshot, anomalies = virtual.snapshot(series, now, self.tz, config, missing)
            snapshots[subentry_id] = snapshot
            fired += [(snapshot, a) for a in announce(virtual.announced, anomalies, today)]
        for snapshot, anomaly in fired:
            if self.sink is not None:
                record_anomaly(self.sink, snapshot, anomaly, self.tz)
            # The logbook tells it on the meter's anomaly sensor.
            entity_id = er.async_get(self.hass).async_get_entity_id(
                "binary_sensor", DOMAIN, f"{snapshot.subentry_id}_anomaly"
            )
            self.hass.bus.async_fire(
                EVENT_METER_ANOMALY, anomaly_event(snapshot, anomaly, entity_id)
            )
        if fired:
            self.schedule_save()
        self.importer.schedule()
        return UtilityData(now=now, meters=snapshots)

    # Persistence.

    @callback
    def schedule_save(self) -> None:
        """Write within METER_SAVE_DELAY (Home Assistant flushes it on stop)."""
        self.store.async_delay_save(self.stored_data, METER_SAVE_DELAY.total_seconds())

    def stored_data(self) -> StoredUtility:
        """The file's payload now."""
        meters: dict[str, StoredMeter] = {
            subentry_id: StoredMeter(
                meter=runtime.meter.to_dict(),
                unit=runtime.unit,
                prices=runtime.price.to_list(),
                announced=sorted(runtime.announced),
                learned=runtime.learned,
                statistics_version=runtime.statistics_version,
                **({} if runtime.weather is None else {"weather": runtime.weather.to_dict()}),
            )
            for subentry_id, runtime in self.meters.items()
        }
        for subentry_id, virtual in self.virtuals.items():
            meters[subentry_id] = StoredMeter(
                announced=sorted(virtual.announced), part_names=dict(virtual.part_names)
            )
            if virtual.own_weather is not None:
                meters[subentry_id]["weather"] = virtual.own_weather.to_dict()
        return StoredUtility(meters=meters)
