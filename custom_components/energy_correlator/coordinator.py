"""The heartbeat: closes the engine's due windows, publishes correlations, builds the snapshot.

Every `scan_interval_s` (and at the precise moment the earliest pending window closes) it runs
`engine.tick`, fires `energy_correlator_correlation` for each new correlation, hands points to
the InfluxDB sink, keeps the meter repair issue current and returns a `CorrelatorData` that the
entities read.
"""

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CIRCUITS,
    CONF_ENERGY_SENSOR,
    CONF_METER,
    DEFAULT_HIGH_POWER_DURATION_S,
    DEFAULT_HIGH_POWER_W,
    DEFAULT_MAX_POWER_W,
    DEFAULT_PHANTOM_THRESHOLD_W,
    DEFAULT_PRICE_PER_KWH,
    DEFAULT_SCAN_INTERVAL_S,
    DOMAIN,
    EVENT_CORRELATION,
    LOGGER,
    METER_UNAVAILABLE_AFTER,
    OPT_HIGH_POWER_DURATION_S,
    OPT_HIGH_POWER_W,
    OPT_MAX_POWER_W,
    OPT_PHANTOM_THRESHOLD_W,
    OPT_PRICE_ENTITY,
    OPT_PRICE_PER_KWH,
    OPT_SCAN_INTERVAL_S,
    REPAIR_AFTER,
)
from .daily_energy import DailyEnergy
from .data import CorrelatorData, DeviceData, EnergyCorrelatorConfigEntry
from .engine import Correlation, Engine, EngineStats, ProfileSummary
from .event_ledger import EventLedger
from .store import CorrelatorStore, StoredData, load_engine_parts
from .units import energy_kwh, price_per_kwh

if TYPE_CHECKING:
    from .influx import InfluxSink


def _learning_counters(stats: EngineStats) -> tuple[int, ...]:
    """The counters worth a save when they change (meter samples are not)."""
    return (stats.events, stats.correlations, stats.learned)


def correlation_payload(correlation: Correlation, entry_id: str) -> dict[str, Any]:
    """The public bus event payload (README: "Bus event") plus transition/confidence/overlap and
    the config entry (two meters, two entries: which one saw it)."""
    return {
        "entry_id": entry_id,
        "entity_id": correlation.entity_id,
        "domain": correlation.domain,
        "state": correlation.state,
        "previous_state": correlation.previous_state,
        "power_before_w": correlation.power_before_w,
        "power_after_w": correlation.power_after_w,
        "power_delta_w": correlation.power_delta_w,
        "power_delta_pct": correlation.power_delta_pct,
        "confidence": correlation.confidence,
        "transition": str(correlation.kind),
        "status": str(correlation.status),
        "overlapped": bool(correlation.overlapping),
        "learned": correlation.learned,
    }


class EnergyCorrelatorCoordinator(DataUpdateCoordinator[CorrelatorData]):
    """One per config entry; owns the engine, the store and the repair issue."""

    config_entry: EnergyCorrelatorConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EnergyCorrelatorConfigEntry,
        engine: Engine,
        store: CorrelatorStore,
    ) -> None:
        """The heartbeat period comes from the options."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=timedelta(
                seconds=float(entry.options.get(OPT_SCAN_INTERVAL_S, DEFAULT_SCAN_INTERVAL_S))
            ),
        )
        self.engine = engine
        self.store = store
        self.event_ledger = EventLedger(hass, entry.entry_id)
        # Backfill, relearn and reset_statistics change what was learned: one at a time.
        self.learning_lock = asyncio.Lock()
        self.sink: InfluxSink | None = None
        self.main_meter: str = entry.data[CONF_METER]
        self._circuits: list[str] = list(entry.data.get(CONF_CIRCUITS) or [])
        self._energy_sensor: str | None = entry.data.get(CONF_ENERGY_SENSOR) or None
        self.daily_energy = DailyEnergy(
            float(entry.options.get(OPT_MAX_POWER_W, DEFAULT_MAX_POWER_W))
        )
        self._due_unsub: CALLBACK_TYPE | None = None
        self._due_at: float | None = None
        self._high_since: float | None = None
        self._meter_bad_since: float | None = None
        # False once the meter has been unavailable for METER_UNAVAILABLE_AFTER: the entities
        # derived from it are unavailable then.
        self.meter_available = True
        self._meter_lost_unsub: CALLBACK_TYPE | None = None
        self._issue_active: bool | None = None  # None: unknown (an issue may survive a restart)
        self._profiles: dict[str, ProfileSummary] = {}
        self._stats: EngineStats | None = None
        self._last_correlation: Correlation | None = None
        self.unreadable_parts: list[str] = []  # of the stored state at setup (diagnostics)

    @property
    def has_energy_sensor(self) -> bool:
        """Whether today's energy comes from an energy sensor rather than the meter."""
        return self._energy_sensor is not None

    @property
    def issue_id(self) -> str:
        """The meter repair issue of this entry."""
        return f"meter_unavailable_{self.config_entry.entry_id}"

    # --- persistence --------------------------------------------------------------------------
    def restore(self, stored: StoredData | None) -> list[str]:
        """Load what the store kept (engine first, then the shell's day state).

        Returns the parts that could not be read (also kept in `unreadable_parts`).
        """
        if not stored:
            return []
        broken = []
        if engine_data := stored.get("engine"):
            broken = load_engine_parts(self.engine, engine_data)
        try:
            self.daily_energy.load(dict(stored.get("shell", {}).get("daily_energy") or {}))
        except TypeError, ValueError, AttributeError:
            self.daily_energy = DailyEnergy(self.daily_energy.max_power_w)
            broken.append("shell.daily_energy")
        self._profiles = {p.entity_id: p for p in self.engine.profiles()}
        recent = self.engine.recent_correlations(limit=1)
        self._last_correlation = recent[0] if recent else None
        self.unreadable_parts = broken
        return broken

    @callback
    def stored_data(self) -> StoredData:
        """The store's payload."""
        return StoredData(
            engine=self.engine.to_dict(), shell={"daily_energy": self.daily_energy.as_dict()}
        )

    # --- precise window timer -----------------------------------------------------------------
    @callback
    def async_schedule_due(self) -> None:
        """Arm a one-shot timer for when the earliest pending window closes."""
        due = self.engine.next_due()
        if due is None or (self._due_at is not None and self._due_at <= due):
            return
        self._cancel_due()
        self._due_at = due
        self._due_unsub = async_track_point_in_utc_time(
            self.hass, self._async_due, dt_util.utc_from_timestamp(due)
        )

    @callback
    def _async_due(self, _now: datetime) -> None:
        """A window closed: publish now (an entry task, so an unload cancels it)."""
        self._due_unsub = None
        self._due_at = None
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} window closed", eager_start=True
        )

    @callback
    def _cancel_due(self) -> None:
        if self._due_unsub is not None:
            self._due_unsub()
        self._due_unsub = None
        self._due_at = None

    async def async_shutdown(self) -> None:
        """Cancel the precise timer too (unload)."""
        self._cancel_due()
        self._cancel_meter_lost()
        await super().async_shutdown()

    # --- the meter's availability -------------------------------------------------------------
    @callback
    def async_follow_meter(self) -> CALLBACK_TYPE:
        """Follow the main meter's availability; returns the unsubscribe (for the unload)."""
        self._meter_seen(self.hass.states.get(self.main_meter))
        unsub = async_track_state_change_event(self.hass, [self.main_meter], self._meter_changed)

        @callback
        def _stop() -> None:
            unsub()
            self._cancel_meter_lost()

        return _stop

    @callback
    def _meter_changed(self, event: Event[EventStateChangedData]) -> None:
        self._meter_seen(event.data["new_state"])

    @callback
    def _meter_seen(self, state: State | None) -> None:
        """The meter's state now: back (log once), or away (the entities go after a minute)."""
        if state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            self._meter_bad_since = None
            self._cancel_meter_lost()
            if not self.meter_available:
                self.meter_available = True
                LOGGER.info("Meter %s is back: its entities are available again", self.main_meter)
                # Refresh after the listener has taken this reading (not eagerly, before it).
                self.config_entry.async_create_background_task(
                    self.hass, self.async_refresh(), f"{DOMAIN} meter back", eager_start=False
                )
            return
        if self._meter_bad_since is not None:
            return
        now = dt_util.utcnow().timestamp()
        self._meter_bad_since = min(now, state.last_changed_timestamp) if state else now
        delay = self._meter_bad_since + METER_UNAVAILABLE_AFTER.total_seconds() - now
        self._meter_lost_unsub = async_call_later(self.hass, max(delay, 0.0), self._meter_lost)

    @callback
    def _meter_lost(self, _now: datetime) -> None:
        """Unavailable for longer than METER_UNAVAILABLE_AFTER: say so once, mark the entities."""
        self._meter_lost_unsub = None
        if self._meter_bad_since is None or not self.meter_available:
            return
        self.meter_available = False
        LOGGER.info(
            "Meter %s has been unavailable for over %s: the entities derived from it are "
            "unavailable until it returns",
            self.main_meter,
            METER_UNAVAILABLE_AFTER,
        )
        self.async_update_listeners()

    @callback
    def _cancel_meter_lost(self) -> None:
        if self._meter_lost_unsub is not None:
            self._meter_lost_unsub()
            self._meter_lost_unsub = None

    # --- the heartbeat ------------------------------------------------------------------------
    async def _async_update_data(self) -> CorrelatorData:
        now = dt_util.utcnow().timestamp()
        price = self._price()
        correlations = self.engine.tick(now, price)
        entry_id = self.config_entry.entry_id
        for correlation in correlations:
            # fired as of the device's change (its window closed half a minute later), so the
            # logbook line stands beside the change it explains
            self.hass.bus.async_fire(
                EVENT_CORRELATION,
                correlation_payload(correlation, entry_id),
                time_fired=min(correlation.ts, now),
            )
        if correlations:
            self._last_correlation = correlations[-1]
            if self.event_ledger.add(correlations):  # a backfill must not teach them again
                self.event_ledger.schedule_save()
        self.async_schedule_due()

        meter_w = self.engine.current_power_w()
        daily_kwh = self._daily_energy(now)
        profiles = {p.entity_id: p for p in self.engine.profiles()}
        stats = replace(self.engine.stats)
        if (
            correlations
            or profiles != self._profiles
            or self._stats is None
            or _learning_counters(stats) != _learning_counters(self._stats)
        ):
            # Learning, relearn, reset or backfill happened: persist (debounced).
            self.store.async_schedule_save()
        self._to_sink(now, meter_w, daily_kwh, correlations, profiles)
        self._profiles = profiles
        self._stats = stats
        self._update_meter_issue(now)

        baseline = self.engine.standby_baseline_w()
        options = self.config_entry.options
        phantom_threshold = float(options.get(OPT_PHANTOM_THRESHOLD_W, DEFAULT_PHANTOM_THRESHOLD_W))
        return CorrelatorData(
            now=now,
            meter_power_w=meter_w,
            untracked_power_w=self.engine.untracked_power_w(now),
            daily_energy_kwh=daily_kwh,
            peak_power_w=self.engine.peak_w(now),
            standby_baseline_w=baseline,
            last_correlation=self._last_correlation,
            top_consumers=self.engine.top_consumers(now, 10),
            price_per_kwh=price,
            cost_month=self.engine.cost_month(),
            phantom_load=None if baseline is None else baseline > phantom_threshold,
            high_consumption=self._high_consumption(now, meter_w),
            stats=stats,
            devices={
                entity_id: DeviceData(
                    entity_id=entity_id,
                    profile=profile,
                    level=self.engine.device_level(entity_id),
                    estimated_power_w=self.engine.estimated_power_w(entity_id),
                    energy_kwh=self.engine.device_energy_kwh(entity_id),
                )
                for entity_id, profile in profiles.items()
                if profile.learned_power_w is not None
            },
            sink=self.sink.stats if self.sink is not None else None,
            export_total_kwh=self.engine.export_total_kwh(),
        )

    def _price(self) -> float | None:
        """Price per kWh: the price entity when it has a number, else the fixed option."""
        options = self.config_entry.options
        if price_entity := options.get(OPT_PRICE_ENTITY):
            state = self.hass.states.get(price_entity)
            if (price := price_per_kwh(state)) is not None:
                return price
            LOGGER.debug("Price entity %s is %s: using the fixed price", price_entity, state)
        fixed = options.get(OPT_PRICE_PER_KWH, DEFAULT_PRICE_PER_KWH)
        return None if fixed is None else float(fixed)

    def _daily_energy(self, now: float) -> float | None:
        """Energy since local midnight: from the energy sensor if configured, else integrated."""
        if self._energy_sensor is None:
            return self.engine.energy_today_kwh(now)
        day = dt_util.as_local(dt_util.utc_from_timestamp(now)).date().isoformat()
        reading = energy_kwh(self.hass.states.get(self._energy_sensor))
        return self.daily_energy.update(day, reading, now)

    def _high_consumption(self, now: float, meter_w: float | None) -> bool | None:
        """Meter above the threshold for at least the configured duration."""
        options = self.config_entry.options
        threshold = float(options.get(OPT_HIGH_POWER_W, DEFAULT_HIGH_POWER_W))
        duration = float(options.get(OPT_HIGH_POWER_DURATION_S, DEFAULT_HIGH_POWER_DURATION_S))
        if meter_w is None:
            return None
        if meter_w <= threshold:
            self._high_since = None
            return False
        if self._high_since is None:
            self._high_since = now
        return now - self._high_since >= duration

    def _to_sink(
        self,
        now: float,
        meter_w: float | None,
        daily_kwh: float | None,
        correlations: list[Correlation],
        profiles: dict[str, ProfileSummary],
    ) -> None:
        """Hand this heartbeat's points to the sink (it buffers; nothing here blocks)."""
        if (sink := self.sink) is None:
            return
        sink.record_meter(now, self.main_meter, meter_w, daily_kwh)
        for circuit in self._circuits:
            if (power := self.engine.current_power_w(circuit)) is None:
                continue
            pct = 100.0 * power / meter_w if meter_w else None
            sink.record_circuit(now, circuit, self.main_meter, power, pct)
        for correlation in correlations:
            sink.record_correlation(correlation)
        for entity_id, profile in profiles.items():
            if self._profiles.get(entity_id) != profile:
                sink.record_profile(now, profile)

    # --- repairs ------------------------------------------------------------------------------
    def _update_meter_issue(self, now: float) -> None:
        """Raise `meter_unavailable` after REPAIR_AFTER without a reading; clear it on return."""
        if self._meter_bad_since is None:
            if self._issue_active is not False:
                ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
                self._issue_active = False
            return
        if not self._issue_active and now - self._meter_bad_since >= REPAIR_AFTER.total_seconds():
            self._issue_active = True
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="meter_unavailable",
                translation_placeholders={"entity": self.main_meter},
            )
