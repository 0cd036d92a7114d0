"""Typed runtime data and the coordinator's snapshot that entities, actions and the sink read.

CONTRACT shared by coordinator.py (producer), sensor.py / binary_sensor.py / services.py /
diagnostics.py (readers) and influx/ (SinkStats producer).
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .engine import Correlation, EngineStats, ProfileSummary, TopConsumer
from .influx import InfluxSink, SinkStats

if TYPE_CHECKING:
    from .coordinator import EnergyCorrelatorCoordinator


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceData:
    """One learned device as the entities see it."""

    entity_id: str
    profile: ProfileSummary
    level: float  # current level, 0 = off
    estimated_power_w: float | None
    energy_kwh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrelatorData:
    """Snapshot produced by every coordinator refresh."""

    now: float
    meter_power_w: float | None
    untracked_power_w: float | None
    daily_energy_kwh: float | None
    peak_power_w: float | None
    standby_baseline_w: float | None
    last_correlation: Correlation | None
    top_consumers: list[TopConsumer]
    price_per_kwh: float | None
    cost_month: float | None
    phantom_load: bool | None
    high_consumption: bool | None
    stats: EngineStats
    devices: dict[str, DeviceData] = field(default_factory=dict)
    sink: SinkStats | None = None
    # Sent to the grid (a net meter below zero) since the engine started: never part of the above.
    export_total_kwh: float = 0.0


@dataclass(kw_only=True)
class EnergyCorrelatorRuntimeData:
    """Everything one config entry owns while loaded."""

    coordinator: EnergyCorrelatorCoordinator
    sink: InfluxSink | None = None


type EnergyCorrelatorConfigEntry = ConfigEntry[EnergyCorrelatorRuntimeData]
