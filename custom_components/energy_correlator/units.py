"""The one place that turns Home Assistant states into numbers in our units.

Built on Home Assistant's own converters, so every unit Home Assistant knows is accepted and
nothing here keeps a private factor table. Power is watts, energy kWh, volume m³ (gas, water);
a heat meter is energy. A state that is not a usable number gives None: a gap, never zero (and
so does a conversion that overflows). A reading without a unit gives None too: a kW meter that
loses its unit for a moment would otherwise read 1000 times too low, and the config flow accepts
no meter without one.
"""

import math

from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfVolume,
)
from homeassistant.core import State
from homeassistant.util.unit_conversion import (
    EnergyConverter,
    PowerConverter,
    TemperatureConverter,
    VolumeConverter,
)

WATT = UnitOfPower.WATT
KWH = UnitOfEnergy.KILO_WATT_HOUR
CUBIC_METER = UnitOfVolume.CUBIC_METERS
CELSIUS = UnitOfTemperature.CELSIUS

POWER_UNITS = frozenset(PowerConverter.VALID_UNITS)
ENERGY_UNITS = frozenset(EnergyConverter.VALID_UNITS)
VOLUME_UNITS = frozenset(VolumeConverter.VALID_UNITS)
TEMPERATURE_UNITS = frozenset(TemperatureConverter.VALID_UNITS)
# Units that measure something: never a price on their own, and no price is "per" a power.
_PHYSICAL_UNITS = POWER_UNITS | ENERGY_UNITS | VOLUME_UNITS | TEMPERATURE_UNITS

_NOT_A_NUMBER = frozenset({STATE_UNKNOWN, STATE_UNAVAILABLE, ""})
# Currencies' hundredths that price sensors report in (euro and US cents, pence, öre / øre,
# Rappen, grosz): a price in them is a hundredth of one in the main currency unit.
_HUNDREDTHS = frozenset(
    {"ct", "cent", "cents", "c", "¢", "p", "pence", "öre", "øre", "ore", "rp", "rp.", "gr"}
)


def number(text: str) -> float | None:
    """A state string as a finite float, or None for unknown/unavailable/text/NaN/inf."""
    if text in _NOT_A_NUMBER:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def state_number(state: State | None) -> float | None:
    """The state as a finite float, or None for unknown/unavailable/text/NaN/inf."""
    return None if state is None else number(state.state)


def _finite(value: float) -> float | None:
    """A conversion's result, None when it overflowed (1e308 kW is no number of watts)."""
    return value if math.isfinite(value) else None


def state_unit(state: State) -> str | None:
    """The state's unit of measurement, None when it has none."""
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    return unit if isinstance(unit, str) and unit else None


def to_watts(value: float, unit: str | None) -> float | None:
    """A power value in watts; a missing or unknown unit gives None."""
    if unit not in POWER_UNITS:
        return None
    return _finite(PowerConverter.convert(value, unit, WATT))


def to_kwh(value: float, unit: str | None) -> float | None:
    """An energy value in kWh; a missing or unknown unit gives None."""
    if unit not in ENERGY_UNITS:
        return None
    return _finite(EnergyConverter.convert(value, unit, KWH))


def to_cubic_meters(value: float, unit: str | None) -> float | None:
    """A volume in m³ (gas, water); an unknown or missing unit gives None."""
    if unit not in VOLUME_UNITS:
        return None
    return _finite(VolumeConverter.convert(value, unit, CUBIC_METER))


def power_w(state: State | None) -> float | None:
    """A power sensor's state in watts, None when it is not a usable W/kW/... reading.

    Negative values are kept: a meter that nets solar export reports them.
    """
    if state is None or (value := state_number(state)) is None:
        return None
    return to_watts(value, state_unit(state))


def energy_kwh(state: State | None) -> float | None:
    """An energy sensor's state in kWh, None when it is not a usable Wh/kWh/MWh/GJ/... reading."""
    if state is None or (value := state_number(state)) is None:
        return None
    return to_kwh(value, state_unit(state))


def price_per_kwh(state: State | None) -> float | None:
    """A price entity's state per kWh, None when it is no number.

    As Home Assistant's own energy cost does, the energy unit after the "/" of its unit
    (EUR/MWh, EUR/Wh) is converted; without one (EUR/kWh, EUR, none) the price is per kWh.
    Unlike it, a price in a currency's hundredths (ct/kWh, p/kWh) becomes one in the main
    unit: 30 ct/kWh is 0.30 EUR/kWh, not 30.
    """
    if state is None or (value := state_number(state)) is None:
        return None
    if not is_price_of(state, ENERGY_UNITS):
        return None  # °C, W, or a gas or water price (EUR/m³): nothing about a kWh
    currency, _, per = (state_unit(state) or "").partition("/")
    value *= currency_scale(currency)
    if per not in ENERGY_UNITS:
        return value
    return _finite(EnergyConverter.convert(value, KWH, per))


def currency_scale(currency: str) -> float:
    """0.01 for a currency's hundredths (ct, p, öre), else 1 (EUR, $, none)."""
    return 0.01 if currency.strip().lower() in _HUNDREDTHS else 1.0


def is_price_of(state: State, per_units: frozenset[str | None]) -> bool:
    """Whether an entity can be the price of what `per_units` measure (ENERGY_UNITS for a kWh;
    VOLUME_UNITS for water; both for gas), for the config flows (see `price_misfit`)."""
    return price_misfit(state, per_units) is None


def price_misfit(state: State, per_units: frozenset[str | None]) -> str | None:
    """Why an entity cannot be the price of what `per_units` measure, None when it can.

    "not_a_price": its device class is not monetary, or its unit is one of a measurement (W,
    kWh, °C). "wrong_unit": a price per something else ("<currency>/m³" for a kWh). Accepted:
    "<currency>/<one of per_units>", a bare currency (EUR, no "/"), no unit, or a "/" unit
    Home Assistant does not know (EUR/kwh).
    """
    if state.attributes.get(ATTR_DEVICE_CLASS) not in (None, "monetary"):
        return "not_a_price"
    if (unit := state_unit(state)) is None:
        return None
    _currency, slash, per = unit.partition("/")
    if not slash:
        return "not_a_price" if unit in _PHYSICAL_UNITS else None
    return None if per in per_units or per not in _PHYSICAL_UNITS else "wrong_unit"


def price_per_cubic_meter(state: State | None, kwh_per_m3: float | None) -> float | None:
    """A volume meter's price entity's state per m³, None when it is no number.

    The unit after the "/" decides: a volume (EUR/L, USD/ft³, EUR/CCF) is converted; an energy
    (a gas tariff in EUR/kWh or EUR/MWh) is converted with `kwh_per_m3` (gas: calorific value x
    z; None for water: such a price says nothing about water, so None); none: per m³. A price
    in a currency's hundredths (ct/m³) becomes one in the main unit.
    """
    if state is None or (value := state_number(state)) is None:
        return None
    if not is_price_of(state, ENERGY_UNITS | VOLUME_UNITS):
        return None  # °C, W, m³: not a price
    currency, _, per = (state_unit(state) or "").partition("/")
    if per in ENERGY_UNITS:
        per_kwh = price_per_kwh(state)  # in the main currency unit already
        return None if kwh_per_m3 is None or per_kwh is None else _finite(per_kwh * kwh_per_m3)
    value *= currency_scale(currency)
    if per in VOLUME_UNITS:
        return _finite(VolumeConverter.convert(value, CUBIC_METER, per))
    return value


def gas_kwh(cubic_meters: float, calorific_kwh_per_m3: float, correction_factor: float) -> float:
    """Gas energy from volume: kWh = m³ * calorific value * correction (z) factor."""
    return cubic_meters * calorific_kwh_per_m3 * correction_factor


# Cumulative utility meters: a reading is energy (electricity, heat) or volume (gas, water).
ENERGY = "energy"
VOLUME = "volume"


def quantity_of(unit: str | None) -> str | None:
    """Whether a meter's unit counts energy or volume; None for a unit of neither kind."""
    if unit in ENERGY_UNITS:
        return ENERGY
    if unit in VOLUME_UNITS:
        return VOLUME
    return None


def canonical_unit(quantity: str) -> str:
    """The unit utility-meter readings are kept in: kWh for energy, m³ for volume."""
    return KWH if quantity == ENERGY else CUBIC_METER


def to_canonical(value: float, unit: str | None, quantity: str) -> float | None:
    """A reading in kWh or m³; None when the unit is not of the meter's kind."""
    if quantity_of(unit) != quantity:
        return None
    return to_kwh(value, unit) if quantity == ENERGY else to_cubic_meters(value, unit)


def to_celsius(value: float, unit: str | None) -> float | None:
    """A temperature in °C (°F and K converted); an unknown or missing unit gives None."""
    if unit not in TEMPERATURE_UNITS:
        return None
    return _finite(TemperatureConverter.convert(value, unit, CELSIUS))


def temperature_c(state: State | None) -> float | None:
    """A temperature sensor's state in °C, None when it is not a usable °C/°F/K reading."""
    if state is None or (value := state_number(state)) is None:
        return None
    return to_celsius(value, state_unit(state))
