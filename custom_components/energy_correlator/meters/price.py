"""A meter's price: fixed, or followed from a price entity (Tibber, Nord Pool, a helper).

A price entity's values are kept as a step function of time, so an hour's consumption is priced
at the price that held when it was used, even when a late reading changes that hour. While the
entity gives no usable price the cost is unknown and says why (`PriceProblem`: missing,
unavailable, not a number, not a price, a price per the wrong unit); the fixed price is never
used instead. Hours during an outage are priced, once the entity is back, at the last price
before it. Negative prices are prices: dynamic electricity tariffs go below zero.
"""

from bisect import bisect_right
from collections.abc import Sequence
from enum import StrEnum

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import State
import numpy as np

from ..consumption import HOUR, HourlySeries, MeterKind
from ..units import (
    ENERGY_UNITS,
    VOLUME_UNITS,
    price_misfit,
    price_per_cubic_meter,
    price_per_kwh,
    state_number,
)

# Price changes older than this are forgotten (the cost sensors cover this and last month).
PRICE_HORIZON_S = 70 * 86_400.0


# What a price entity's unit may be "per", by meter type: a kWh for electricity and heat, a m³ or
# a kWh (converted with the calorific value) for gas, a m³ for water.
PRICE_UNITS: dict[MeterKind, frozenset[str | None]] = {
    MeterKind.ELECTRICITY: ENERGY_UNITS,
    MeterKind.HEAT: ENERGY_UNITS,
    MeterKind.GAS: ENERGY_UNITS | VOLUME_UNITS,
    MeterKind.WATER: VOLUME_UNITS,
}


class PriceProblem(StrEnum):
    """Why a price entity gives no price (the cost sensors' `price_unavailable`, translated)."""

    MISSING = "missing"  # no such entity (deleted, or its integration not loaded)
    UNAVAILABLE = "unavailable"  # unavailable or unknown
    NOT_A_NUMBER = "not_a_number"  # a text, NaN or infinite, or too large to convert
    NOT_A_PRICE = "not_a_price"  # a measurement: W, kWh, °C, or a device class not monetary
    WRONG_UNIT = "wrong_unit"  # a price per something the meter does not count (EUR/m³ for kWh)


# Problems of the entity's unit: they last until the user changes the entity or the meter.
MISFITS = frozenset({PriceProblem.NOT_A_PRICE, PriceProblem.WRONG_UNIT})
# The log's words for each problem (logs are not translated; the attribute is).
PRICE_PROBLEM_LOG: dict[PriceProblem, str] = {
    PriceProblem.MISSING: "does not exist",
    PriceProblem.UNAVAILABLE: "is unavailable",
    PriceProblem.NOT_A_NUMBER: "reports no number",
    PriceProblem.NOT_A_PRICE: "is no price (its unit or device class is one of a measurement)",
    PriceProblem.WRONG_UNIT: "is a price per a unit this meter does not count",
}


def read_price(
    state: State | None, kind: MeterKind, kwh_per_m3: float | None
) -> tuple[float | None, PriceProblem | None]:
    """A price entity's state per kWh (electricity, heat) or m³ (gas, water; `kwh_per_m3`
    converts a gas price per kWh), or None and why not."""
    if state is None:
        return None, PriceProblem.MISSING
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None, PriceProblem.UNAVAILABLE
    if state_number(state) is None:
        return None, PriceProblem.NOT_A_NUMBER
    if (misfit := price_misfit(state, PRICE_UNITS[kind])) is not None:
        return None, PriceProblem(misfit)
    if kind in (MeterKind.ELECTRICITY, MeterKind.HEAT):
        price = price_per_kwh(state)
    else:
        price = price_per_cubic_meter(state, kwh_per_m3)
    return (price, None) if price is not None else (None, PriceProblem.NOT_A_NUMBER)


class PriceBook:
    """Prices per time; `available` is whether the current price is known, `problem` why not."""

    def __init__(self, fixed: float | None, entity_id: str | None) -> None:
        """A fixed price, or an entity whose values are recorded with `record`."""
        self.fixed = fixed
        self.entity_id = entity_id
        self.available = fixed is not None
        self.problem: PriceProblem | None = None
        self._ts: list[float] = []
        self._prices: list[float] = []

    @property
    def priced(self) -> bool:
        """Whether the meter has a price at all."""
        return self.fixed is not None or self.entity_id is not None

    @property
    def current(self) -> float | None:
        """The price now; None while the entity is unavailable."""
        if self.fixed is not None:
            return self.fixed
        if not self.available or not self._prices:
            return None
        return self._prices[-1]

    @property
    def since(self) -> float | None:
        """When the entity's first known price was recorded."""
        return self._ts[0] if self._ts else None

    def record(self, ts: float, price: float | None, problem: PriceProblem | None = None) -> None:
        """The entity reported `price` at `ts` (None: no usable price, for `problem`)."""
        self.available = price is not None
        if price is None:
            self.problem = problem or PriceProblem.UNAVAILABLE
            return
        self.problem = None
        if self._prices and self._prices[-1] == price:
            return
        if self._ts and ts < self._ts[-1]:
            return  # out of order: the newer value stays
        self._ts.append(ts)
        self._prices.append(price)
        while len(self._ts) > 1 and self._ts[1] < ts - PRICE_HORIZON_S:
            del self._ts[0], self._prices[0]

    def cost(self, series: HourlySeries) -> float | None:
        """The cost of the series' hours; hours that ended before the first known price cost
        nothing (see `since`), the hour it came in is priced with it (a meter set up at 14:20
        pays for 14:00-15:00); None while the entity is unavailable or has never reported."""
        if self.fixed is not None:
            return series.total * self.fixed
        if not self.available or not self._ts:
            return None
        if len(series) == 0:
            return 0.0
        starts = series.start + HOUR * np.arange(len(series))
        index = np.searchsorted(np.asarray(self._ts), starts, side="right") - 1
        index[(index < 0) & (starts + HOUR > self._ts[0])] = 0
        prices = np.where(index >= 0, np.asarray(self._prices)[np.maximum(index, 0)], 0.0)
        return float(np.dot(series.values, prices))

    def price_at(self, ts: float) -> float | None:
        """The price in force at `ts` (None before the first known one)."""
        if self.fixed is not None:
            return self.fixed
        i = bisect_right(self._ts, ts) - 1
        return self._prices[i] if i >= 0 else None

    def to_list(self) -> list[list[float]]:
        """The recorded changes for the store."""
        return [[ts, price] for ts, price in zip(self._ts, self._prices, strict=True)]

    def load(self, changes: Sequence[Sequence[float]]) -> None:
        """Changes from the store (the entity's availability comes from its current state)."""
        for ts, price in changes:
            self._ts.append(float(ts))
            self._prices.append(float(price))
