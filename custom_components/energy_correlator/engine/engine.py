"""The engine facade: the only engine object the Home Assistant shell talks to.

CONTRACT (shared by the shell; keep signatures stable). Implementation lives in series.py,
correlate.py, profiles.py, baseline.py; this class wires them together.
"""

from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, replace
import math
from typing import Any

from .baseline import Baseline
from .book import ProfileBook
from .checks import parse_stats, validate_config, validate_event
from .correlate import Correlator, CorrelatorSettings
from .devices import DeviceLedger
from .models import (
    Correlation,
    DeviceEvent,
    EngineConfig,
    EngineStats,
    ProfileSummary,
    Status,
    TopConsumer,
)
from .plausibility import PlausibilityGate
from .series import PowerSeries

STATE_VERSION = 2  # 2: buckets keep each value's standard error ("s"); 1 loads with 0
MAX_SERIES_SAMPLES = 20_000
RUNNING_AGREES = 0.05  # an on-event's own step this close to the learned power changes nothing
_SKIP_COUNTERS = {
    Status.OVERLAP: "skipped_overlap",
    Status.GAP: "skipped_gap",
    Status.LOW_CONFIDENCE: "skipped_low_confidence",
    Status.TOO_SLOW: "skipped_too_slow",
}


class Engine:
    """Learns device power from meter samples and device events. Time is always an argument."""

    def __init__(self, config: EngineConfig) -> None:
        """Create an empty engine for one main meter (+ circuits)."""
        validate_config(config)
        self.config = config
        self._correlator = Correlator(CorrelatorSettings.from_config(config))
        self._baseline = Baseline(
            timezone=config.timezone,
            night_start_hour=config.night_start_hour,
            night_end_hour=config.night_end_hour,
            standby_percentile=config.standby_percentile,
            peak_window_s=config.peak_window_s,
        )
        self._series: dict[str, PowerSeries] = {}
        self._gates: dict[str, PlausibilityGate] = {}  # in front of each series
        # Peaks from the store for gates not made yet: the spike check survives a restart.
        self._restored_peaks: dict[str, float] = {}
        self._main = self._new_series(config.main_meter)
        self._main.consumer = self._baseline.consume
        self._book = ProfileBook()
        self._book.before_change = self._book_energy
        self._correlator.wide.young = self._book.young
        self._devices = DeviceLedger(self._book.power_at)
        self._running = self._book.running  # on-periods measured by their own on-event
        self._changed_at: dict[str, float] = {}  # each device's latest event
        self._references: dict[str, str] = {}
        self._recent: deque[Correlation] = deque(maxlen=config.recent_correlations)
        self._stats = EngineStats()
        self._sample_base = 0  # series counters at the last reset_statistics
        self._rejected_base = 0
        self._now: float | None = None  # the latest tick

    def _new_series(self, meter_id: str) -> PowerSeries:
        series = PowerSeries(self.config.horizon_s, MAX_SERIES_SAMPLES)
        self._series[meter_id] = series
        gate = self._gates[meter_id] = PlausibilityGate(series.add, self.config.max_power_w)
        if (peak := self._restored_peaks.pop(meter_id, None)) is not None:
            gate.restore_peak(peak)
        return series

    # --- inputs -------------------------------------------------------------------------------
    def add_power(self, meter_id: str, ts: float, watts: float | None) -> None:
        """One meter reading in W (already converted from kW). None/NaN/inf = a gap (unavailable).

        Repeated identical values are real samples (they tell the meter's cadence). Unknown
        meter ids are accepted (reference sensors of devices) and kept in their own series.
        Implausible readings (plausibility.py) are refused as gaps and counted.
        """
        gate = self._gates.get(meter_id)
        if gate is None:
            self._new_series(meter_id)
            gate = self._gates[meter_id]
        gate.add(ts, watts)

    def seed_power(self, meter_id: str, ts: float, watts: float | None) -> None:
        """Start warm: a meter's current value, held since its last report at `ts`.

        At setup and after a restart the series is empty although the meter's value is
        known; seeded, an event in the first window has a before-value instead of a gap.
        An implausible value goes through the gate like any reading (and seeds nothing).
        """
        gate = self._gates.get(meter_id)
        if gate is None:
            self._new_series(meter_id)
            gate = self._gates[meter_id]
        series = self._series[meter_id]
        if (
            not len(series)
            and watts is not None
            and math.isfinite(watts)
            and abs(watts) <= gate.max_w
        ):
            series.seed(ts, watts)
        else:
            gate.add(ts, watts)

    def _rejected_total(self) -> int:
        """Readings refused so far: out of order, non-finite, implausible."""
        series = sum(s.rejected + s.invalid for s in self._series.values())
        return series + sum(gate.rejected for gate in self._gates.values())

    def refused_readings(self) -> dict[str, dict[str, float]]:
        """Per meter: readings refused as implausible or as spikes, and the observed peak."""
        return {
            meter_id: {
                "implausible": gate.implausible,
                "spikes": gate.spikes,
                "peak_w": gate.peak_w,
            }
            for meter_id, gate in self._gates.items()
        }

    def add_event(self, event: DeviceEvent) -> None:
        """A watched device changed; its correlation becomes due once its after-window closes."""
        validate_event(event)
        self._stats.events += 1
        entity_id = event.entity_id
        self._devices.set_level(entity_id, event.ts, event.level)
        if self._running:
            self._running.pop(entity_id, None)
        self._changed_at[entity_id] = event.ts
        self._correlator.add(event, self._main.interval_s(), self._main)

    def set_reference_meter(self, entity_id: str, meter_id: str | None) -> None:
        """Declare the device's own power sensor (smart plug) for self-validation."""
        if meter_id is None:
            self._references.pop(entity_id, None)
        else:
            self._references[entity_id] = meter_id

    def learn(self, correlation: Correlation) -> bool:
        """Teach the profiles one correlation (the path tick uses; backfill replays through it).

        Returns whether it was accepted (status OK and consistent with the profile).
        """
        delta = correlation.power_delta_w
        if correlation.status is not Status.OK or delta is None or not math.isfinite(delta):
            return False
        sigma = correlation.uncertainty_w
        sigma = sigma if sigma is not None and math.isfinite(sigma) and sigma >= 0 else 0.0
        return self._book.teach(correlation.event(), delta, None, None, sigma)

    def _follow_on_period(self, correlation: Correlation) -> None:
        """A device with modes (tick checks): an on-event taught its delta while the device is
        still on at that level, so that step (not the dominant mode) is its power until it
        changes."""
        entity_id = correlation.entity_id
        state = self._devices.get(entity_id)
        if (
            correlation.power_delta_w is None
            or state is None
            or self._changed_at.get(entity_id) != correlation.ts
            or state.level != correlation.level
        ):
            return
        standby = self._book.power_at(entity_id, 0.0) or 0.0
        measured = max(correlation.power_delta_w, 0.0) + standby
        learned = self._book.power_at(entity_id, state.level)
        if learned is not None and abs(measured - learned) <= RUNNING_AGREES * learned:
            return  # the learned power already says it (the common case: nothing to book)
        if self._now is not None:
            self._devices.book(entity_id, self._now)
        self._running[entity_id] = measured

    def _book_energy(self, entity_id: str) -> None:
        """Book a device's energy up to now at the power about to change."""
        if self._now is not None:
            self._devices.book(entity_id, self._now)

    def _reference_series(self, entity_id: str) -> PowerSeries | None:
        meter_id = self._references.get(entity_id)
        return None if meter_id is None else self._series.get(meter_id)

    def set_device_level(self, entity_id: str, ts: float, level: float) -> None:
        """Tell the engine a device's current level without it being an event (startup state)."""
        if not math.isfinite(ts) or not 0.0 <= level <= 1.0:
            raise ValueError(f"bad level {level!r} at {ts!r} for {entity_id}")
        self._devices.set_level(entity_id, ts, level)

    # --- the heartbeat ------------------------------------------------------------------------
    def tick(self, now: float, price_per_kwh: float | None = None) -> list[Correlation]:
        """Close every due window, update profiles and aggregates; return new correlations.

        Also advances energy/cost accumulators (per device and whole home) up to `now`.
        """
        if price_per_kwh is not None and not math.isfinite(price_per_kwh):
            price_per_kwh = None
        self._baseline.price = price_per_kwh
        self._now = now
        self._main.feed()
        self._baseline.advance_to(now)
        closed = self._correlator.close_due(
            now,
            self._main,
            self._book.expected_delta,
            self._book.teach,
            self._reference_series if self._references else None,
        )
        stats = self._stats
        for correlation in closed:
            stats.correlations += 1
            if correlation.learned:
                stats.learned += 1
                if correlation.previous_level <= 0.0 < correlation.level and (
                    self._book.is_modal(correlation.entity_id)
                ):
                    self._follow_on_period(correlation)
            counter = _SKIP_COUNTERS.get(correlation.status)
            if counter is not None:
                setattr(stats, counter, getattr(stats, counter) + 1)
            self._recent.append(correlation)
        self._correlator.forget_before(now - self.config.horizon_s)
        return closed

    def next_due(self) -> float | None:
        """When the earliest pending correlation can be closed (for a precise timer)."""
        return self._correlator.next_due()

    # --- reading what was learned -------------------------------------------------------------
    def profile(self, entity_id: str) -> ProfileSummary | None:
        """Learned profile of one device, None if it has none yet."""
        return self._book.summary(entity_id)

    def profiles(self) -> list[ProfileSummary]:
        """All profiles."""
        found = (self._book.summary(entity_id) for entity_id in self._book.entities())
        return [summary for summary in found if summary is not None]

    def device_level(self, entity_id: str) -> float:
        """Last known level of a device (0 = off)."""
        state = self._devices.get(entity_id)
        return 0.0 if state is None else state.level

    def estimated_power_w(self, entity_id: str) -> float | None:
        """Learned power at the device's current level (standby or 0 when off); None if unknown."""
        return self._book.power_at(entity_id, self.device_level(entity_id))

    def device_energy_kwh(self, entity_id: str) -> float:
        """Estimated energy used by a device since it was first seen (monotonic)."""
        return self._devices.energy_at(entity_id, self._now)

    def top_consumers(self, now: float, limit: int = 10) -> list[TopConsumer]:
        """Devices ranked by estimated kWh per day."""
        rows: list[TopConsumer] = []
        for entity_id, state in self._devices:
            summary = self._book.summary(entity_id)
            if summary is None or summary.learned_power_w is None:
                continue
            on_fraction, mean_level = self._devices.usage(state, now)
            on_power = summary.power_at(mean_level)
            mean_power = on_power * on_fraction + (summary.standby_w or 0.0) * (1 - on_fraction)
            observed_days = self._devices.observed_s(state, now) / 86_400.0
            kwh_per_day = mean_power * 24.0 / 1000.0 if observed_days >= 1.0 else None
            rows.append(
                TopConsumer(
                    entity_id=entity_id,
                    learned_power_w=summary.learned_power_w,
                    on_fraction=on_fraction,
                    kwh_per_day=kwh_per_day,
                    kwh_per_month=None if kwh_per_day is None else kwh_per_day * 30.0,
                    observed_days=observed_days,
                    observed_kwh=mean_power * observed_days * 24.0 / 1000.0,
                    mean_power_w=mean_power,
                )
            )
        rows.sort(key=lambda row: (-row.mean_power_w, row.entity_id))
        return rows[: max(limit, 0)]

    def recent_correlations(
        self, entity_id: str | None = None, since: float | None = None, limit: int | None = None
    ) -> list[Correlation]:
        """Newest first, bounded by config.recent_correlations."""
        out: list[Correlation] = []
        for correlation in reversed(self._recent):
            if limit is not None and len(out) >= limit:
                break
            if entity_id is not None and correlation.entity_id != entity_id:
                continue
            if since is not None and correlation.ts < since:
                continue
            out.append(correlation)
        return out

    def current_power_w(self, meter_id: str | None = None) -> float | None:
        """Latest value of a meter (main meter by default); None while in a gap."""
        series = self._series.get(meter_id or self.config.main_meter)
        return None if series is None else series.last_value

    def meter_interval_s(self, meter_id: str | None = None) -> float | None:
        """The meter's typical update interval (median of recent inter-sample times)."""
        series = self._series.get(meter_id or self.config.main_meter)
        return None if series is None else series.interval_s()

    def untracked_power_w(self, now: float) -> float | None:
        """Meter - sum(circuits) if circuits, else meter - sum(estimated power of devices on).

        Never below 0.
        """
        main = self._main.value_at(now)
        if main is None:
            return None
        if self.config.circuits:
            circuits = [self._series.get(meter_id) for meter_id in self.config.circuits]
            values = [series.value_at(now) for series in circuits if series is not None]
            known = [value for value in values if value is not None]
            if not known:
                return None
            return max(main - sum(known), 0.0)
        devices = 0.0
        for entity_id, state in self._devices:
            if state.level > 0.0:
                devices += self._book.power_at(entity_id, state.level) or 0.0
        return max(main - devices, 0.0)

    def energy_today_kwh(self, now: float) -> float:
        """Whole-home energy integrated from the main meter since local midnight (gaps skipped)."""
        self._main.feed()
        return self._baseline.energy_today(now)

    def export_today_kwh(self, now: float) -> float:
        """Energy sent to the grid (a net meter below zero) since local midnight."""
        self._main.feed()
        return self._baseline.export_today(now)

    def export_total_kwh(self) -> float:
        """Energy sent to the grid since the engine started (or was reset)."""
        self._main.feed()
        return self._baseline.export_total_kwh

    def energy_total_kwh(self) -> float:
        """Whole-home energy integrated since the engine started (or was reset)."""
        self._main.feed()
        return self._baseline.energy_total_kwh

    def peak_w(self, now: float) -> float | None:
        """Highest main-meter power within config.peak_window_s."""
        self._main.feed()
        return self._baseline.peak_w(now)

    def standby_baseline_w(self) -> float | None:
        """Last complete local night's low percentile of the main meter."""
        return self._baseline.standby_w

    def cost_month(self) -> float:
        """Accumulated cost since the local month began."""
        return self._baseline.cost_month

    @property
    def stats(self) -> EngineStats:
        """Counters."""
        samples = sum(s.total + s.replaced for s in self._series.values())
        rejected = self._rejected_total()
        return replace(
            self._stats,
            samples=self._stats.samples + samples - self._sample_base,
            samples_rejected=self._stats.samples_rejected + rejected - self._rejected_base,
        )

    # --- maintenance --------------------------------------------------------------------------
    def rename_entity(self, old_entity_id: str, new_entity_id: str) -> None:
        """Move a device's profile, level, energy and history to its new entity id."""
        if old_entity_id == new_entity_id:
            return
        self._book.rename(old_entity_id, new_entity_id)
        self._devices.rename(old_entity_id, new_entity_id)
        for table in (self._running, self._changed_at):
            if old_entity_id in table:
                table[new_entity_id] = table.pop(old_entity_id)
        self._correlator.rename(old_entity_id, new_entity_id)
        if old_entity_id in self._references:
            self._references[new_entity_id] = self._references.pop(old_entity_id)
        self._recent = deque(
            (
                replace(c, entity_id=new_entity_id) if c.entity_id == old_entity_id else c
                for c in self._recent
            ),
            maxlen=self._recent.maxlen,
        )

    def forget(self, entity_ids: Iterable[str] | None = None) -> None:
        """Drop profiles (all when None): the relearn action."""
        if self._now is not None:
            self._devices.advance(self._now)
        forgotten = None if entity_ids is None else list(entity_ids)
        self._book.forget(forgotten)
        self._correlator.wide.forget(forgotten)
        for entity_id in list(self._running) if forgotten is None else forgotten:
            self._running.pop(entity_id, None)

    def reset_statistics(self) -> None:
        """Zero counters and accumulators, keep profiles."""
        self._stats = EngineStats()
        self._sample_base = sum(s.total + s.replaced for s in self._series.values())
        self._rejected_base = self._rejected_total()
        self._main.feed()
        self._baseline.reset()
        self._devices.reset(self._now)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state (profiles, counters, accumulators, nights, recent correlations)."""
        return {
            "version": STATE_VERSION,
            "profiles": self._book.to_dict(),
            "devices": self._devices.to_dict(),
            "references": dict(self._references),
            "stats": asdict(self.stats),
            "baseline": self._baseline.to_dict(),
            "recent": [correlation.as_dict() for correlation in self._recent],
            "meter_peaks": {
                meter_id: gate.peak_w for meter_id, gate in self._gates.items() if gate.warm
            }
            | self._restored_peaks,
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        """Restore what to_dict produced (unknown keys ignored; missing keys keep defaults).

        Everything is validated before anything changes: malformed data raises ValueError
        and leaves the engine as it was.
        """
        if not isinstance(data, dict):
            raise TypeError(f"engine state must be a dict, got {type(data).__name__}")
        try:
            profiles = ProfileBook.parse(dict(data.get("profiles", {})))
            devices = DeviceLedger.parse(dict(data.get("devices", {})))
            references = {str(k): str(v) for k, v in dict(data.get("references", {})).items()}
            stats = parse_stats(dict(data.get("stats", {})), self._stats)
            recent = [Correlation.from_dict(item) for item in data.get("recent", [])]
            probe = Baseline(self.config.timezone)
            probe.load_dict(dict(data.get("baseline", {})))
            peaks = _parse_peaks(dict(data.get("meter_peaks", {})))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"invalid engine state: {err}") from err
        self._book.replace(profiles)
        self._devices.devices = devices
        self._references = references
        self._stats = stats
        self._sample_base = sum(s.total + s.replaced for s in self._series.values())
        self._rejected_base = self._rejected_total()
        self._recent = deque(recent, maxlen=self.config.recent_correlations)
        self._baseline.load_dict(dict(data.get("baseline", {})))
        for meter_id, peak in peaks.items():
            if (gate := self._gates.get(meter_id)) is not None:
                gate.restore_peak(peak)
            else:
                self._restored_peaks[meter_id] = peak


def _parse_peaks(data: dict[str, Any]) -> dict[str, float]:
    """Stored meter peaks: finite, non-negative watts."""
    peaks = {str(k): float(v) for k, v in data.items()}
    if not all(math.isfinite(v) and v >= 0.0 for v in peaks.values()):
        raise ValueError("a meter peak is not a finite, non-negative number")
    return peaks
