"""Turns Home Assistant states into engine inputs (meter samples and device events).

Only HA's filtered trackers are used, so an unrelated state change costs a dict lookup:
- meters (main, circuits, devices' own power sensors) through `async_track_state_change_event`
  and `async_track_state_report_event` — a meter repeating its value is still a sample and tells
  the engine its cadence;
- watched devices through `async_track_state_change_event` with an explicit entity list
  (the include list + the watched domains' entities), routed by HA's shared entity-keyed
  dispatcher. New entities of a watched domain are added from the entity registry's create
  events, and entities without a registry entry by `async_rescan` (every heartbeat): no
  listener of ours looks at unrelated state changes, not even HA's domain-added filter.
Entity registry renames move the learned profile; removals stop the tracking.
"""

from collections.abc import Callable

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_state_report_event,
)

from .const import (
    CONF_CIRCUITS,
    CONF_ENERGY_SENSOR,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_METER,
    LOGGER,
    OPT_PRICE_ENTITY,
)
from .data import EnergyCorrelatorConfigEntry
from .engine import Engine, classify_change, level_of
from .event_ledger import EventLedger
from .unique_ids import async_remove_device_entities
from .units import power_w
from .watched import WatchRules

_INVALID = frozenset({STATE_UNKNOWN, STATE_UNAVAILABLE, ""})


def device_level(state: State) -> float | None:
    """A device's current level (0 = off) from its state, None when unknown."""
    return level_of(state.domain, state.state, state.attributes)


class StateListener:
    """Owns every state subscription of one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EnergyCorrelatorConfigEntry,
        engine: Engine,
        on_event: Callable[[], None],
        ledger: EventLedger | None = None,
    ) -> None:
        """Nothing is subscribed until `async_start`."""
        self._hass = hass
        self._entry = entry
        self._engine = engine
        self._on_event = on_event
        self._ledger = ledger  # the events already handled (renames move them)
        self._main_meter: str = entry.data[CONF_METER]
        self._circuits: list[str] = list(entry.data.get(CONF_CIRCUITS) or [])
        self._rules = WatchRules.from_data(entry.data)
        self._references: dict[str, str] = {}  # device entity -> its own power sensor
        self._meter_unsubs: list[CALLBACK_TYPE] = []
        self._other_unsubs: list[CALLBACK_TYPE] = []
        self._tracker: CALLBACK_TYPE | None = None
        self._tracked: set[str] = set()  # device entity ids the tracker follows
        self._tracked_meters: frozenset[str] = frozenset()

    @property
    def meters(self) -> frozenset[str]:
        """Every meter fed to the engine: main, circuits and reference sensors."""
        return frozenset({self._main_meter, *self._circuits, *self._references.values()})

    def is_watched(self, entity_id: str) -> bool:
        """Whether a state change of this entity can be a device event (watched.py decides)."""
        return self._rules.watches(entity_id, self._tracked_meters)

    # --- life cycle ---------------------------------------------------------------------------
    @callback
    def async_start(self, _hass: HomeAssistant | None = None) -> None:
        """Subscribe and record the current meters and device levels (after HA has started)."""
        self._subscribe_meters()
        self._tracked = self._present()
        for entity_id in self._tracked:
            if (state := self._hass.states.get(entity_id)) is not None:
                self._adopt(state)
        self._tracker = async_track_state_change_event(
            self._hass, self._tracked, self._device_changed
        )
        self._other_unsubs.append(
            self._hass.bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED,
                self._registry_updated,
                event_filter=self._registry_filter,
            )
        )
        for meter in (self._main_meter, *self._circuits):  # references were read by _adopt
            if (meter_state := self._hass.states.get(meter)) is not None:
                # start warm: the value has held since the meter's last report
                self._engine.seed_power(
                    meter, meter_state.last_reported_timestamp, power_w(meter_state)
                )
        self._on_event()

    @callback
    def async_stop(self) -> None:
        """Drop every subscription (unload)."""
        if self._tracker is not None:
            self._tracker()
            self._tracker = None
        self._tracked = set()
        for unsub in (*self._meter_unsubs, *self._other_unsubs):
            unsub()
        self._meter_unsubs.clear()
        self._other_unsubs.clear()
        self._tracked_meters = frozenset()

    # --- meters -------------------------------------------------------------------------------
    @callback
    def _subscribe_meters(self) -> None:
        """(Re)subscribe when the set of meters changed (a new reference sensor)."""
        meters = self.meters
        if meters == self._tracked_meters:
            return
        for unsub in self._meter_unsubs:
            unsub()
        self._tracked_meters = meters
        self._meter_unsubs = [
            async_track_state_change_event(self._hass, meters, self._meter_changed),
            async_track_state_report_event(self._hass, meters, self._meter_reported),
        ]

    @callback
    def _meter_changed(self, event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        ts = state.last_reported_timestamp if state is not None else event.time_fired_timestamp
        self._add_power(event.data["entity_id"], state, ts)

    @callback
    def _meter_reported(self, event: Event[EventStateReportedData]) -> None:
        state = event.data["new_state"]
        self._add_power(event.data["entity_id"], state, state.last_reported_timestamp)

    @callback
    def _add_power(self, meter: str, state: State | None, ts: float) -> None:
        watts = power_w(state)
        if watts is None:
            LOGGER.debug(
                "Meter %s has no usable reading (%s): recorded as a gap",
                meter,
                None if state is None else state.state,
            )
        self._engine.add_power(meter, ts, watts)

    # --- devices ------------------------------------------------------------------------------
    @callback
    def _adopt(self, state: State) -> None:
        """First sight of a watched device: its level and its own power sensor, if any."""
        if not self.is_watched(state.entity_id):
            return
        if (level := device_level(state)) is not None:
            self._engine.set_device_level(state.entity_id, state.last_updated_timestamp, level)
        self._find_reference(state.entity_id)

    @callback
    def _find_reference(self, entity_id: str) -> None:
        """Self-validation: a power sensor on the same HA device as the watched entity."""
        registry = er.async_get(self._hass)
        entry = registry.async_get(entity_id)
        if entry is None or entry.device_id is None:
            return
        for other in er.async_entries_for_device(registry, entry.device_id):
            if other.domain != "sensor" or other.entity_id == self._main_meter:
                continue
            device_class = other.device_class or other.original_device_class
            if device_class is None and (state := self._hass.states.get(other.entity_id)):
                device_class = state.attributes.get(ATTR_DEVICE_CLASS)
            if device_class != SensorDeviceClass.POWER:
                continue
            if self._references.get(entity_id) != other.entity_id:
                self._references[entity_id] = other.entity_id
                self._engine.set_reference_meter(entity_id, other.entity_id)
                self._subscribe_meters()
                if (ref_state := self._hass.states.get(other.entity_id)) is not None:
                    self._add_power(other.entity_id, ref_state, ref_state.last_reported_timestamp)
            return

    @callback
    def _device_changed(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        if not self.is_watched(entity_id):
            return
        old_state = event.data["old_state"]
        new_state = event.data["new_state"]
        if new_state is None:
            return
        if old_state is None:
            self._adopt(new_state)
            return
        device_event = classify_change(
            entity_id,
            new_state.domain,
            old_state.state,
            old_state.attributes,
            new_state.state,
            new_state.attributes,
            new_state.last_updated_timestamp,
        )
        if device_event is None:
            if old_state.state in _INVALID and (level := device_level(new_state)) is not None:
                # Back from unavailable: a new known level, not an event with a measured delta.
                self._engine.set_device_level(entity_id, new_state.last_updated_timestamp, level)
            return
        self._engine.add_event(device_event)
        self._on_event()

    # --- entity registry ----------------------------------------------------------------------
    @callback
    def _registry_filter(self, event_data: er.EventEntityRegistryUpdatedData) -> bool:
        if event_data["action"] == "create":
            return event_data["entity_id"] not in self._tracked and self.is_watched(
                event_data["entity_id"]
            )
        if event_data["action"] == "remove":
            return self._follows(event_data["entity_id"])
        if event_data["action"] == "update" and "old_entity_id" in event_data:
            return self._follows(event_data["old_entity_id"])
        return False

    def _follows(self, entity_id: str) -> bool:
        """Whether a registry change of this entity concerns this listener."""
        return (
            self._rules.concerns(entity_id)
            or entity_id in self.meters
            or entity_id in self._references
            or entity_id == self._entry.options.get(OPT_PRICE_ENTITY)
        )

    @callback
    def _registry_updated(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        data = event.data
        if data["action"] == "create":
            self._track({data["entity_id"]})
        elif data["action"] == "remove":
            self._removed(data["entity_id"])
        elif data["action"] == "update" and "old_entity_id" in data:
            self._renamed(data["old_entity_id"], data["entity_id"])

    @callback
    def _removed(self, entity_id: str) -> None:
        """Stop following a removed entity; its profile and per-device entities go with it."""
        if self._engine.profile(entity_id) is not None:
            LOGGER.info("%s was removed: forgetting what was learned about it", entity_id)
            self._engine.forget([entity_id])
            self._on_event()
        async_remove_device_entities(self._hass, self._entry, ())  # those of vanished sources
        if self._references.pop(entity_id, None) is not None:
            self._engine.set_reference_meter(entity_id, None)
        for device, reference in list(self._references.items()):
            if reference == entity_id:
                del self._references[device]
                self._engine.set_reference_meter(device, None)
        self._subscribe_meters()
        self._update_tracker()

    @callback
    def _renamed(self, old: str, new: str) -> None:
        """Move the profile; the entry's lists follow the rename, persistently.

        A renamed meter or energy sensor updates the entry (the main meter also its unique id,
        so the same meter cannot be added twice) and reloads it.
        """
        entries = self._hass.config_entries
        data = dict(self._entry.data)
        if old in (self._main_meter, data.get(CONF_ENERGY_SENSOR), *self._circuits):
            unique_id = self._entry.unique_id
            if old == self._main_meter:
                data[CONF_METER] = new
                unique_id = new if unique_id == old else unique_id
            if data.get(CONF_ENERGY_SENSOR) == old:
                data[CONF_ENERGY_SENSOR] = new
            data[CONF_CIRCUITS] = [new if c == old else c for c in self._circuits]
            LOGGER.info("Meter %s was renamed to %s: reloading", old, new)
            entries.async_update_entry(self._entry, data=data, unique_id=unique_id)
            entries.async_schedule_reload(self._entry.entry_id)
            return
        if self._entry.options.get(OPT_PRICE_ENTITY) == old:
            entries.async_update_entry(
                self._entry, options={**self._entry.options, OPT_PRICE_ENTITY: new}
            )
        self._engine.rename_entity(old, new)
        if self._ledger is not None:
            self._ledger.rename(old, new)
        for key in (CONF_INCLUDE, CONF_EXCLUDE):
            if old in (listed := data.get(key) or []):
                data[key] = [new if entity_id == old else entity_id for entity_id in listed]
        if data != self._entry.data:
            entries.async_update_entry(self._entry, data=data)
            self._rules = WatchRules.from_data(data)
        if (reference := self._references.pop(old, None)) is not None:
            self._references[new] = reference
            self._engine.set_reference_meter(new, reference)
        for device, ref in list(self._references.items()):
            if ref == old:
                self._references[device] = new
                self._engine.set_reference_meter(device, new)
        self._subscribe_meters()
        self._update_tracker(renamed_to=new)
        self._on_event()

    # --- which devices are tracked --------------------------------------------------------------
    def _present(self) -> set[str]:
        """Watched entities in the state machine now, and the included ones (present or not)."""
        return self._rules.present(self._hass, self._tracked_meters)

    @callback
    def async_rescan(self) -> None:
        """Track watched entities that appeared without a registry entry (each heartbeat).

        Their first state was not seen as it happened, so it is adopted here: the level is
        known from then on, and their next change is an event.
        """
        if self._tracker is None:
            return
        # A set difference in C first: on most beats nothing is new and nothing else runs.
        unseen = set(self._hass.states.async_entity_ids(self._rules.domains)).difference(
            self._tracked
        )
        new = {entity_id for entity_id in unseen if self.is_watched(entity_id)}
        for entity_id in new:
            if (state := self._hass.states.get(entity_id)) is not None:
                self._adopt(state)
        self._track(new)

    @callback
    def _track(self, entity_ids: set[str]) -> None:
        """Follow these entities too (a created or renamed entity, one found by a rescan)."""
        if entity_ids <= self._tracked:
            return
        self._follow(self._tracked | entity_ids)

    @callback
    def _update_tracker(self, renamed_to: str | None = None) -> None:
        """Follow the watched entities again after a rename or removal changed the lists.

        A renamed entity's new id is followed before its first state under that id arrives.
        """
        present = self._present()
        if renamed_to is not None and self.is_watched(renamed_to):
            present.add(renamed_to)
        self._follow(present)

    @callback
    def _follow(self, entity_ids: set[str]) -> None:
        """Re-subscribe the device tracker to exactly these entities (rare: O(entities))."""
        if self._tracker is not None:
            self._tracker()
        self._tracked = entity_ids
        self._tracker = async_track_state_change_event(self._hass, entity_ids, self._device_changed)
