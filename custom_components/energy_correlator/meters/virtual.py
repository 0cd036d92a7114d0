"""A virtual meter in the shell: its base minus the subtracted meters, hour by hour.

A part that is gone (its subentry deleted, or its source sensor removed) makes the virtual meter
unavailable instead of showing a made-up difference: the snapshot names the missing parts, the
entities turn unavailable and virtual_repairs.py raises the repair issue. Nothing is lost
meanwhile: the parts' readings and the statistics already imported stay.

A heating virtual meter (its base counts gas, heat or electricity: heating gas, a heat pump)
judges its days with the outdoor temperature like a real heating meter: its own sensor when it
has one, else the one of its base (or of a subtracted meter).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from ..consumption import (
    Anomaly,
    AnomalyConfig,
    HourlySeries,
    MeterKind,
    daily,
    detect,
    subtract,
    totals,
)
from ..units import ENERGY, VOLUME, canonical_unit
from .const import CONF_BASE, CONF_NAME, CONF_OUTPUT, CONF_SUBTRACT, CONF_TEMPERATURE, OutputKind
from .data import MeterSnapshot
from .flow_forms import HEATING_KINDS
from .runtime import MeterRuntime, judge
from .weather import DailyTemperatures


@dataclass(frozen=True, slots=True)
class MissingParts:
    """The parts a virtual meter cannot be computed without."""

    deleted: tuple[str, ...] = ()  # subentry ids no longer on the entry
    no_source: tuple[tuple[str, str], ...] = ()  # (subentry id, removed source entity id)

    def __bool__(self) -> bool:
        """Whether any part is missing."""
        return bool(self.deleted or self.no_source)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every missing part's subentry id."""
        return self.deleted + tuple(part for part, _ in self.no_source)


@dataclass(kw_only=True)
class VirtualRuntime:
    """A virtual meter: base minus the subtracted meters, hour by hour."""

    subentry_id: str
    name: str
    base: str
    subtract: list[str]
    output: OutputKind
    announced: set[str] = field(default_factory=set)
    clamped_total: float = 0.0
    own_weather: DailyTemperatures | None = None  # its own outdoor temperature sensor's days
    weather: DailyTemperatures | None = None  # what the vote uses: its own, or a part's (`link`)
    part_names: dict[str, str] = field(default_factory=dict)  # kept for parts deleted since

    @property
    def kind(self) -> MeterKind:
        """Energy results are shown as electricity (kWh), volumes as gas (m³)."""
        return MeterKind.ELECTRICITY if self.output == OutputKind.ENERGY else MeterKind.GAS

    @property
    def unit(self) -> str:
        """kWh or m³."""
        return canonical_unit(ENERGY if self.output == OutputKind.ENERGY else VOLUME)

    @property
    def parts(self) -> tuple[str, ...]:
        """The base, then the subtracted meters (subentry ids)."""
        return (self.base, *self.subtract)

    def link(self, meters: Mapping[str, MeterRuntime]) -> None:
        """Remember the parts' names; choose the weather: its own sensor, else its parts'
        (the base's first), and none unless the base may heat (HEATING_KINDS)."""
        for part in self.parts:
            if (runtime := meters.get(part)) is not None:
                self.part_names[part] = runtime.name
        base = meters.get(self.base)
        if base is None or base.kind not in HEATING_KINDS:
            self.weather = None
        elif self.own_weather is not None:
            self.weather = self.own_weather
        else:
            self.weather = next(
                (
                    runtime.weather
                    for part in self.parts
                    if (runtime := meters.get(part)) is not None and runtime.weather is not None
                ),
                None,
            )

    def part_name(self, part: str) -> str:
        """A part's name, also after it was deleted (its id when never known)."""
        return self.part_names.get(part, part)

    def missing(self, meters: Mapping[str, MeterRuntime]) -> MissingParts:
        """The parts deleted from the entry, and those whose source sensor was removed."""
        deleted = tuple(part for part in self.parts if part not in meters)
        no_source = tuple(
            (part, runtime.source)
            for part in self.parts
            if (runtime := meters.get(part)) is not None
            and runtime.source_missing
            and runtime.source
        )
        return MissingParts(deleted, no_source)

    def factor(self, part: MeterRuntime) -> float | None:
        """What one canonical unit of `part` counts in the output (None: cannot)."""
        if self.output == OutputKind.ENERGY:
            return part.kwh_factor()
        return 1.0 if part.quantity == VOLUME else None

    def series(self, meters: Mapping[str, MeterRuntime], now: float | None) -> HourlySeries | None:
        """The hourly difference; None when a part is missing or cannot be converted."""
        base = meters.get(self.base)
        parts = [meters.get(sid) for sid in self.subtract]
        if base is None or (base_factor := self.factor(base)) is None:
            return None
        pairs: list[tuple[HourlySeries, float]] = []
        for part in parts:
            if part is None or (factor := self.factor(part)) is None:
                return None
            pairs.append((part.meter.hourly(now=now), factor))
        result = subtract(base.meter.hourly(now=now), pairs, base_factor)
        self.clamped_total = result.clamped_total
        return result.series

    def snapshot(
        self,
        series: HourlySeries | None,
        now: float,
        tz: tzinfo,
        config: AnomalyConfig,
        missing: MissingParts | None = None,
    ) -> tuple[MeterSnapshot, list[Anomaly]]:
        """Totals and anomaly of the difference; nothing but the missing parts' names when
        a part is missing."""
        if missing or series is None or len(series) == 0:
            empty = MeterSnapshot(
                subentry_id=self.subentry_id,
                name=self.name,
                kind=self.kind,
                unit=self.unit,
                virtual=True,
                totals=totals(HourlySeries.empty(), now, tz),
                missing_parts=tuple(self.part_name(p) for p in missing.ids) if missing else (),
            )
            return empty, []
        days = daily(series, tz)
        temperature = None
        if self.weather is not None:
            self.weather.advance(now, tz)  # a sensor holding its value still ends its day
            temperature = self.weather.record().on(days.days)
        anomalies = detect(days, config, temperature)
        verdict = judge(days, anomalies, config, datetime.fromtimestamp(now, tz).date())
        snapshot = MeterSnapshot(
            subentry_id=self.subentry_id,
            name=self.name,
            kind=self.kind,
            unit=self.unit,
            virtual=True,
            totals=totals(series, now, tz),
            anomaly_judged=verdict.judged,
            anomaly=verdict.latest_day,
            latest_anomaly=verdict.latest_any,
            clamped_total=self.clamped_total,
        )
        return snapshot, anomalies


def build_virtual(
    subentry_id: str, data: Mapping[str, Any], stored: Mapping[str, Any] | None
) -> VirtualRuntime:
    """A virtual meter from its subentry data and its stored state; `link` it to the meters."""
    stored = stored or {}
    temperature = data.get(CONF_TEMPERATURE) or None
    return VirtualRuntime(
        subentry_id=subentry_id,
        name=str(data[CONF_NAME]),
        base=data[CONF_BASE],
        subtract=list(data[CONF_SUBTRACT]),
        output=OutputKind(data[CONF_OUTPUT]),
        announced=set(stored.get("announced", ())),
        own_weather=None
        if temperature is None
        else DailyTemperatures(temperature, dict(stored.get("weather") or {})),
        part_names={str(k): str(v) for k, v in (stored.get("part_names") or {}).items()},
    )
