"""One meter in the shell: its subentry's settings, the core meter, its price, and its snapshot.

Physical meters wrap a `UtilityMeter` (virtual meters, recomputed from their parts, are in
virtual.py). Everything a snapshot needs is computed here from the core's outputs, so the
coordinator only orchestrates.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from homeassistant.core import State

from ..const import OPT_PRICE_ENTITY
from ..consumption import (
    DAY,
    Anomaly,
    AnomalyConfig,
    DaySeries,
    MeterConfig,
    MeterKind,
    Notice,
    ReadingResult,
    UtilityMeter,
)
from ..units import (
    ENERGY,
    canonical_unit,
    gas_kwh,
    to_canonical,
)
from .const import (
    CONF_CALORIFIC,
    CONF_CORRECTION,
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_PRICE,
    CONF_SOURCE,
    CONF_TEMPERATURE,
    CONF_UNIT,
    DEFAULT_CALORIFIC,
    DEFAULT_CORRECTION,
    DEFAULT_GAP_DAYS,
    DEFAULT_IQR,
    DEFAULT_MIN_METHODS,
    DEFAULT_ROLLING_Z,
    DEFAULT_ZSCORE,
    OPT_GAP_DAYS,
    OPT_IQR,
    OPT_MIN_METHODS,
    OPT_ROLLING_Z,
    OPT_ZSCORE,
    STATISTICS_VERSION,
    SWAP_TOLERANCE,
)
from .data import MeterCost, MeterSnapshot
from .flow_forms import HEATING_KINDS, meter_quantity
from .price import PriceBook, PriceProblem, read_price
from .weather import DailyTemperatures

# Anomaly events are fired for recent days only: a meter learned from years of history does
# not flood automations with its past.
ANNOUNCE_WITHIN_DAYS = 7


def anomaly_config(options: Mapping[str, Any]) -> AnomalyConfig:
    """The anomaly vote's thresholds from the entry's options."""
    return AnomalyConfig(
        global_z=float(options.get(OPT_ZSCORE, DEFAULT_ZSCORE)),
        iqr_k=float(options.get(OPT_IQR, DEFAULT_IQR)),
        rolling_z=float(options.get(OPT_ROLLING_Z, DEFAULT_ROLLING_Z)),
        min_votes=int(options.get(OPT_MIN_METHODS, DEFAULT_MIN_METHODS)),
    )


def meter_config(options: Mapping[str, Any], kind: MeterKind, resets: bool) -> MeterConfig:
    """The core's settings from the entry's options."""
    return MeterConfig(
        kind=kind,
        resets=resets,
        gap_fill_after=float(options.get(OPT_GAP_DAYS, DEFAULT_GAP_DAYS)) * DAY,
        swap_tolerance=SWAP_TOLERANCE,
        anomaly=anomaly_config(options),
    )


@dataclass(frozen=True, slots=True)
class Judgement:
    """The anomaly state of the latest complete day."""

    judged: bool
    latest_day: Anomaly | None
    latest_any: Anomaly | None
    anomalies: list[Anomaly]


def judge(
    days: DaySeries, anomalies: list[Anomaly], config: AnomalyConfig, today: date
) -> Judgement:
    """Whether enough complete days exist, and the anomaly of the latest complete day."""
    complete = [
        days.day(i) for i in range(len(days.days)) if days.complete[i] and days.day(i) < today
    ]
    latest = complete[-1] if complete else None
    latest_day = next((a for a in reversed(anomalies) if a.day == latest), None)
    return Judgement(
        judged=len(complete) >= config.min_days,
        latest_day=latest_day,
        latest_any=anomalies[-1] if anomalies else None,
        anomalies=anomalies,
    )


@dataclass(kw_only=True)
class MeterRuntime:
    """A physical meter (sensor or manual readings)."""

    subentry_id: str
    name: str
    kind: MeterKind
    source: str | None
    manual_unit: str | None
    calorific: float
    correction: float
    price: PriceBook
    meter: UtilityMeter
    announced: set[str] = field(default_factory=set)
    learned: bool = False
    statistics_version: int = STATISTICS_VERSION  # the computation its statistics were made by
    refused: Counter[str] = field(default_factory=Counter)  # why readings were not taken
    gaps: int = 0  # unknown/unavailable/non-numeric states seen (gaps, never zero)
    wrong_unit: str | None = None  # the last unit of the wrong kind the source reported
    source_missing: bool = False
    weather: DailyTemperatures | None = None  # a heating meter's outdoor temperature

    def count(self, result: ReadingResult) -> None:
        """Count a refusal by its reason, and resets (diagnostics)."""
        if not result.accepted and result.reason is not None:
            self.refused[str(result.reason)] += 1
        if result.notice is Notice.RESET:
            self.refused["resets"] += 1

    @property
    def quantity(self) -> str:
        """Energy or volume."""
        return meter_quantity(self.kind)

    @property
    def unit(self) -> str:
        """The canonical unit: kWh or m³."""
        return canonical_unit(self.quantity)

    def reading_unit(self, source_unit: str | None) -> str | None:
        """The unit a value arrives in: the source's, else the manual unit."""
        return source_unit if self.source else self.manual_unit

    def canonical(self, value: float, unit: str | None) -> float | None:
        """A value in kWh or m³; None for a unit of the wrong kind."""
        return to_canonical(value, unit, self.quantity)

    def kwh_factor(self) -> float | None:
        """kWh per canonical unit (gas: calorific value x z); None for water."""
        if self.quantity == ENERGY:
            return 1.0
        if self.kind == MeterKind.GAS:
            return gas_kwh(1.0, self.calorific, self.correction)
        return None

    def price_of(self, state: State | None) -> tuple[float | None, PriceProblem | None]:
        """A price entity's state per kWh or m³ (its unit converted), or None and why not."""
        return read_price(state, self.kind, self.kwh_factor())

    def snapshot(
        self, now: float, tz: tzinfo, config: AnomalyConfig
    ) -> tuple[MeterSnapshot, list[Anomaly]]:
        """Totals, last reading, anomaly and cost now; and all anomalous days."""
        meter = self.meter
        today = datetime.fromtimestamp(now, tz).date()
        weather = None
        if self.weather is not None:
            self.weather.advance(now, tz)  # a sensor holding its value still ends its day
            weather = self.weather.record()
        anomalies = meter.anomalies(now, weather)
        verdict = judge(meter.daily(now), anomalies, config, today)
        last = meter.last_reading
        snapshot = MeterSnapshot(
            subentry_id=self.subentry_id,
            name=self.name,
            kind=self.kind,
            unit=self.unit,
            virtual=False,
            totals=meter.totals(now),
            last_reading=last,
            days_since_reading=None if last is None else max(0.0, (now - last.ts) / DAY),
            anomaly_judged=verdict.judged,
            anomaly=verdict.latest_day,
            latest_anomaly=verdict.latest_any,
            cost=self._cost(now, tz),
        )
        return snapshot, anomalies

    def _cost(self, now: float, tz: tzinfo) -> MeterCost | None:
        book = self.price
        if not book.priced:
            return None
        if book.current is None:
            return MeterCost(
                price_entity=book.entity_id,
                unavailable_reason=str(book.problem or PriceProblem.UNAVAILABLE),
                priced_since=book.since,
            )
        local = datetime.fromtimestamp(now, tz)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        month_start = day_start.replace(day=1)
        series = self.meter.hourly(start=month_start.timestamp(), end=now, now=now)
        return MeterCost(
            today=book.cost(series.between(day_start.timestamp(), now + 1)),
            this_month=book.cost(series),
            price=book.current,
            price_entity=book.entity_id,
            priced_since=book.since,
        )


def announce(announced: set[str], anomalies: list[Anomaly], today: date) -> list[Anomaly]:
    """The recent anomalies not announced yet; they are added to `announced`."""
    new = [
        a
        for a in anomalies
        if a.day.isoformat() not in announced
        and a.day >= today - timedelta(days=ANNOUNCE_WITHIN_DAYS)
    ]
    announced |= {a.day.isoformat() for a in new}
    return new


def anomaly_event(
    snapshot: MeterSnapshot, anomaly: Anomaly, entity_id: str | None
) -> dict[str, Any]:
    """The data of the `energy_correlator_meter_anomaly` bus event (public contract);
    `entity_id` is the meter's anomaly sensor."""
    return {
        "entity_id": entity_id,
        "meter_id": snapshot.subentry_id,
        "name": snapshot.name,
        "meter_type": str(snapshot.kind),
        "unit": snapshot.unit,
        "day": anomaly.day.isoformat(),
        "value": anomaly.value,
        "expected_low": anomaly.expected_low,
        "expected_high": anomaly.expected_high,
        "methods": list(anomaly.methods),
    }


def build_meter(
    subentry_id: str,
    data: Mapping[str, Any],
    config: MeterConfig,
    tz: tzinfo,
    stored: Mapping[str, Any] | None,
) -> MeterRuntime:
    """A meter from its subentry data and, when there is one, its stored state."""
    kind = MeterKind(data[CONF_METER_TYPE])
    meter = (
        UtilityMeter.from_dict(dict(stored["meter"]), config, tz)
        if stored and stored.get("meter")
        else UtilityMeter(subentry_id, config, tz)
    )
    version = STATISTICS_VERSION
    if stored and stored.get("meter"):
        found = stored.get("statistics_version")
        version = found if isinstance(found, int) else 1
        if version < STATISTICS_VERSION:
            meter.reimport_all()  # imported by an older computation: all hours again, once
    price = PriceBook(data.get(CONF_PRICE), data.get(OPT_PRICE_ENTITY))
    if stored and stored.get("prices"):
        price.load(stored["prices"])
    temperature = data.get(CONF_TEMPERATURE)
    weather = (
        DailyTemperatures(temperature, dict(stored.get("weather") or {}) if stored else None)
        if temperature and kind in HEATING_KINDS
        else None
    )
    return MeterRuntime(
        subentry_id=subentry_id,
        name=str(data[CONF_NAME]),
        kind=kind,
        source=data.get(CONF_SOURCE),
        manual_unit=data.get(CONF_UNIT),
        calorific=float(data.get(CONF_CALORIFIC, DEFAULT_CALORIFIC)),
        correction=float(data.get(CONF_CORRECTION, DEFAULT_CORRECTION)),
        price=price,
        meter=meter,
        announced=set(stored.get("announced", ())) if stored else set(),
        learned=bool(stored.get("learned")) if stored else False,
        statistics_version=version,
        weather=weather,
    )
