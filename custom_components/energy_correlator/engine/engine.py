"""The engine facade: the only engine object the Home Assistant shell talks to.

CONTRACT (shared by the shell; keep signatures stable). Implementation lives in series.py,
correlate.py, profiles.py, baseline.py; this class wires them together.
"""

from collections.abc import Iterable
from typing import Any

from .models import (
    Correlation,
    DeviceEvent,
    EngineConfig,
    EngineStats,
    ProfileSummary,
    TopConsumer,
)


class Engine:
    """Learns device power from meter samples and device events. Time is always an argument."""

    def __init__(self, config: EngineConfig) -> None:
        """Create an empty engine for one main meter (+ circuits)."""
        raise NotImplementedError

    # --- inputs -------------------------------------------------------------------------------
    def add_power(self, meter_id: str, ts: float, watts: float | None) -> None:
        """One meter reading in W (already converted from kW). None/NaN/inf = a gap (unavailable).

        Repeated identical values are real samples (they tell the meter's cadence). Unknown
        meter ids are accepted (reference sensors of devices) and kept in their own series.
        """
        raise NotImplementedError

    def add_event(self, event: DeviceEvent) -> None:
        """A watched device changed; its correlation becomes due once its after-window closes."""
        raise NotImplementedError

    def set_reference_meter(self, entity_id: str, meter_id: str | None) -> None:
        """Declare the device's own power sensor (smart plug) for self-validation."""
        raise NotImplementedError

    def learn(self, correlation: Correlation) -> bool:
        """Teach the profiles one correlation (the path tick uses; backfill replays through it).

        Returns whether it was accepted (status OK and consistent with the profile).
        """
        raise NotImplementedError

    def set_device_level(self, entity_id: str, ts: float, level: float) -> None:
        """Tell the engine a device's current level without it being an event (startup state)."""
        raise NotImplementedError

    # --- the heartbeat ------------------------------------------------------------------------
    def tick(self, now: float, price_per_kwh: float | None = None) -> list[Correlation]:
        """Close every due window, update profiles and aggregates; return new correlations.

        Also advances energy/cost accumulators (per device and whole home) up to `now`.
        """
        raise NotImplementedError

    def next_due(self) -> float | None:
        """When the earliest pending correlation can be closed (for a precise timer)."""
        raise NotImplementedError

    # --- reading what was learned -------------------------------------------------------------
    def profile(self, entity_id: str) -> ProfileSummary | None:
        """Learned profile of one device, None if it has none yet."""
        raise NotImplementedError

    def profiles(self) -> list[ProfileSummary]:
        """All profiles."""
        raise NotImplementedError

    def device_level(self, entity_id: str) -> float:
        """Last known level of a device (0 = off)."""
        raise NotImplementedError

    def estimated_power_w(self, entity_id: str) -> float | None:
        """Learned power at the device's current level (standby or 0 when off); None if unknown."""
        raise NotImplementedError

    def device_energy_kwh(self, entity_id: str) -> float:
        """Estimated energy used by a device since it was first seen (monotonic)."""
        raise NotImplementedError

    def top_consumers(self, now: float, limit: int = 10) -> list[TopConsumer]:
        """Devices ranked by estimated kWh per day."""
        raise NotImplementedError

    def recent_correlations(
        self, entity_id: str | None = None, since: float | None = None, limit: int | None = None
    ) -> list[Correlation]:
        """Newest first, bounded by config.recent_correlations."""
        raise NotImplementedError

    def current_power_w(self, meter_id: str | None = None) -> float | None:
        """Latest value of a meter (main meter by default); None while in a gap."""
        raise NotImplementedError

    def meter_interval_s(self, meter_id: str | None = None) -> float | None:
        """The meter's typical update interval (median of recent inter-sample times)."""
        raise NotImplementedError

    def untracked_power_w(self, now: float) -> float | None:
        """Meter - sum(circuits) if circuits, else meter - sum(estimated power of devices on); >= 0."""
        raise NotImplementedError

    def energy_today_kwh(self, now: float) -> float:
        """Whole-home energy integrated from the main meter since local midnight (gaps skipped)."""
        raise NotImplementedError

    def peak_w(self, now: float) -> float | None:
        """Highest main-meter power within config.peak_window_s."""
        raise NotImplementedError

    def standby_baseline_w(self) -> float | None:
        """Last complete local night's low percentile of the main meter."""
        raise NotImplementedError

    def cost_today(self) -> float:
        """Accumulated cost since local midnight (from prices passed to tick)."""
        raise NotImplementedError

    def cost_month(self) -> float:
        """Accumulated cost since the local month began."""
        raise NotImplementedError

    @property
    def stats(self) -> EngineStats:
        """Counters."""
        raise NotImplementedError

    # --- maintenance --------------------------------------------------------------------------
    def rename_entity(self, old_entity_id: str, new_entity_id: str) -> None:
        """Move a device's profile, level, energy and history to its new entity id."""
        raise NotImplementedError

    def forget(self, entity_ids: Iterable[str] | None = None) -> None:
        """Drop profiles (all when None): the relearn action."""
        raise NotImplementedError

    def reset_statistics(self) -> None:
        """Zero counters and accumulators, keep profiles."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state (profiles, counters, accumulators, nights, recent correlations)."""
        raise NotImplementedError

    def load_dict(self, data: dict[str, Any]) -> None:
        """Restore what to_dict produced (unknown keys ignored; missing keys keep defaults)."""
        raise NotImplementedError
