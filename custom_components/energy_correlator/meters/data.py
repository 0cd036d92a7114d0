"""The utility coordinator's snapshot (what entities, actions and the sink read) and runtime data.

CONTRACT shared by meters/coordinator.py (producer) and meters/sensor.py, binary_sensor.py,
services.py, diagnostics.py (readers).
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from ..consumption import Anomaly, MeterKind, Reading, Totals

if TYPE_CHECKING:
    from .coordinator import UtilityCoordinator


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterCost:
    """Cost of today and this month; None with a reason when it cannot be told."""

    today: float | None = None
    this_month: float | None = None
    price: float | None = None  # the current price per unit
    price_entity: str | None = None
    unavailable_reason: str | None = None  # a price.PriceProblem: "unavailable", "wrong_unit"...
    priced_since: float | None = None  # a price entity's first known value (earlier hours unpriced)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterSnapshot:
    """One meter (physical or virtual) as its entities see it."""

    subentry_id: str
    name: str
    kind: MeterKind
    unit: str  # kWh or m³
    virtual: bool
    totals: Totals
    last_reading: Reading | None = None
    days_since_reading: float | None = None
    anomaly_judged: bool = False  # enough complete days to judge
    anomaly: Anomaly | None = None  # the latest complete day, when it is anomalous
    latest_anomaly: Anomaly | None = None  # the most recent anomalous day at all
    cost: MeterCost | None = None  # None when the meter has no price
    clamped_total: float = 0.0  # virtual meters: consumption clamped at zero
    missing_parts: tuple[str, ...] = ()  # virtual meters: names of parts gone (unavailable)


@dataclass(frozen=True, slots=True, kw_only=True)
class UtilityData:
    """Snapshot produced by every refresh of the utility coordinator."""

    now: float
    meters: dict[str, MeterSnapshot] = field(default_factory=dict)


@dataclass(kw_only=True)
class UtilityRuntimeData:
    """Everything the utility entry owns while loaded."""

    coordinator: UtilityCoordinator


type UtilityConfigEntry = ConfigEntry[UtilityRuntimeData]
