"""units.py: the one conversion of Home Assistant states to W and kWh, used by the listener,
the config flow's meter checks, backfill and the coordinator's energy sensor and price."""

from homeassistant.core import State
import pytest

from custom_components.energy_correlator.units import (
    energy_kwh,
    power_w,
    price_per_cubic_meter,
    price_per_kwh,
    state_number,
    temperature_c,
)


@pytest.mark.parametrize(
    ("state", "unit", "expected"),
    [
        ("300", "W", 300.0),
        ("0.3", "kW", 300.0),
        ("0.002", "MW", 2000.0),
        ("1500", "mW", 1.5),
        ("-1500", "W", -1500.0),  # a net meter exporting solar stays negative
        ("250", None, None),  # no unit: not a reading (a kW meter would read 1000x too low)
        ("12", "A", None),
        ("12", "Wh", None),  # energy is not power
        ("unavailable", "W", None),
        ("unknown", "W", None),
        ("", "W", None),
        ("abc", "W", None),
        ("nan", "W", None),
        ("inf", "kW", None),
        ("-inf", "W", None),
        ("1e308", "kW", None),  # finite, but not in watts
    ],
)
def test_power_w(state: str, unit: str | None, expected: float | None) -> None:
    """Every power unit Home Assistant knows is converted to W; anything unusable is a gap."""
    attrs = {"unit_of_measurement": unit} if unit else {}
    watts = power_w(State("sensor.p", state, attrs))
    assert watts == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("state", "unit", "expected"),
    [
        ("2500", "Wh", 2.5),
        ("2.5", "kWh", 2.5),
        ("0.0025", "MWh", 2.5),
        ("9", "GJ", 2500.0),
        ("2.5", None, None),
        ("2.5", "W", None),
        ("nan", "kWh", None),
        ("unavailable", "kWh", None),
        ("1e308", "MWh", None),
    ],
)
def test_energy_kwh(state: str, unit: str | None, expected: float | None) -> None:
    """Every energy unit is converted to kWh (the coordinator's old table knew three)."""
    attrs = {"unit_of_measurement": unit} if unit else {}
    kwh = energy_kwh(State("sensor.e", state, attrs))
    assert kwh == (pytest.approx(expected) if expected is not None else None)


def test_missing_state_is_no_number() -> None:
    """A sensor that does not exist gives None everywhere."""
    assert state_number(None) is None
    assert power_w(None) is None
    assert energy_kwh(None) is None


@pytest.mark.parametrize(
    ("state", "unit", "expected"),
    [
        ("300", "EUR/MWh", 0.3),
        ("30", "ct/kWh", 0.30),  # a currency's hundredths: 30 ct is 0.30 EUR
        ("28.5", "p/kWh", 0.285),  # pence
        ("0.03", "ct/Wh", 0.30),
        ("150", "öre/kWh", 1.5),
        ("0.3", "$/kWh", 0.3),
        ("0.3", None, 0.3),
        ("0.3", "EUR/kwh", 0.3),  # not a unit Home Assistant knows: taken as per kWh
        ("abc", "EUR/kWh", None),
        ("1e308", "EUR/Wh", None),  # overflows: no price
        ("1.4", "EUR/m³", None),  # a gas or water price says nothing about a kWh
        ("0.01", "EUR/L", None),
        ("21", "°C", None),  # a temperature chosen by mistake is no price
        ("1850", "W", None),
    ],
)
def test_price_per_kwh(state: str, unit: str | None, expected: float | None) -> None:
    """A price entity's state per kWh from the energy unit after its "/"."""
    attrs = {} if unit is None else {"unit_of_measurement": unit}
    assert price_per_kwh(State("sensor.price", state, attrs)) == (
        None if expected is None else pytest.approx(expected)
    )


@pytest.mark.parametrize(
    ("state", "unit", "kwh_per_m3", "expected"),
    [
        ("1.2", "EUR/m³", None, 1.2),
        ("0.002", "EUR/L", None, 2.0),  # 1000 L in a m³
        ("5", "USD/ft³", None, 5 / 0.028316846592),
        ("0.1", "EUR/kWh", 10.0, 1.0),  # a gas tariff per kWh: calorific value x z per m³
        ("100", "EUR/MWh", 10.0, 1.0),
        ("0.1", "EUR/kWh", None, None),  # water priced per kWh says nothing
        ("1.2", None, None, 1.2),  # no unit: per m³
        ("1.2", "EUR", None, 1.2),
        ("120", "ct/m³", None, 1.2),  # a currency's hundredths
        ("0.12", "ct/L", None, 1.2),
        ("10", "ct/kWh", 10.0, 1.0),  # a gas tariff in ct/kWh: scaled once
        ("abc", "EUR/m³", None, None),
        ("1e308", "EUR/mL", None, None),  # overflows: no price
    ],
)
def test_price_per_cubic_meter(
    state: str, unit: str | None, kwh_per_m3: float | None, expected: float | None
) -> None:
    """A volume meter's price per m³ from the volume or energy unit after its "/"."""
    attrs = {} if unit is None else {"unit_of_measurement": unit}
    assert price_per_cubic_meter(State("sensor.price", state, attrs), kwh_per_m3) == (
        None if expected is None else pytest.approx(expected)
    )
    assert price_per_cubic_meter(None, kwh_per_m3) is None


@pytest.mark.parametrize(
    ("state", "unit", "expected"),
    [
        ("21.5", "°C", 21.5),
        ("32", "°F", 0.0),
        ("14", "°F", -10.0),
        ("273.15", "K", 0.0),
        ("5", None, None),  # no unit: not a temperature
        ("5", "%", None),
        ("unavailable", "°C", None),
        ("unknown", "°C", None),
        ("abc", "°C", None),
    ],
)
def test_temperature_c(state: str, unit: str | None, expected: float | None) -> None:
    """°F and K are converted by Home Assistant's converter; anything else is no temperature."""
    attributes = {} if unit is None else {"unit_of_measurement": unit}
    value = temperature_c(State("sensor.outdoor", state, attributes))
    assert value == (None if expected is None else pytest.approx(expected))
    assert temperature_c(None) is None
