"""Finds and checks whole-home power meters, so the config flow can propose one without typing.

Ranking: the grid power sensor(s) of the Energy dashboard first, then sensors whose name says
total/home/house/grid/main, then the largest current reading.
"""

from dataclasses import dataclass
import math
import re

from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State

from .const import CONF_ENERGY_SENSOR, CONF_METER
from .units import POWER_UNITS, power_w, state_unit

MAIN_METER_WORDS = frozenset({"total", "home", "house", "grid", "main", "mains", "whole"})
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterDiscovery:
    """What the flow proposes: ranked meter candidates and an energy sensor to go with them."""

    candidates: list[str]
    energy_sensor: str | None

    @property
    def best(self) -> str | None:
        """The meter to pre-select, if any power sensor exists at all."""
        return self.candidates[0] if self.candidates else None

    def circuits_for(self, meter: str | None) -> list[str]:
        """The other power sensors: the default circuit list."""
        return [entity_id for entity_id in self.candidates if entity_id != meter]


@dataclass(frozen=True, slots=True, kw_only=True)
class _GridPrefs:
    """The grid sources of the Energy dashboard, as far as meters are concerned."""

    power: list[str]
    energy: list[str]


def validate_meter(hass: HomeAssistant, entity_id: str) -> str | None:
    """The form error for a meter that cannot be used, None when it can."""
    if (state := hass.states.get(entity_id)) is None:
        return "meter_not_found"
    if state_unit(state) not in POWER_UNITS:
        return "meter_not_power"
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return "meter_unavailable"
    if power_w(state) is None:
        return "meter_not_numeric"
    return None


def validate_meter_input(hass: HomeAssistant, user_input: dict[str, str]) -> dict[str, str]:
    """Field errors for the meter form (meter and optional energy sensor)."""
    errors: dict[str, str] = {}
    if error := validate_meter(hass, user_input[CONF_METER]):
        errors[CONF_METER] = error
    energy = user_input.get(CONF_ENERGY_SENSOR)
    if energy and hass.states.get(energy) is None:
        errors[CONF_ENERGY_SENSOR] = "energy_not_found"
    return errors


def meter_title(hass: HomeAssistant, entity_id: str) -> str:
    """The entry title: the meter's friendly name."""
    state = hass.states.get(entity_id)
    return state.name if state is not None else entity_id


async def async_discover_meters(hass: HomeAssistant) -> MeterDiscovery:
    """Rank every power sensor (W, kW, ...) as a whole-home meter candidate."""
    prefs = await _async_grid_prefs(hass)
    ranked: list[tuple[tuple[int, int, float, str], str]] = []
    for state in hass.states.async_all("sensor"):
        if state_unit(state) not in POWER_UNITS:
            continue
        in_prefs = state.entity_id in prefs.power
        if not in_prefs and state.attributes.get(ATTR_DEVICE_CLASS) != SensorDeviceClass.POWER:
            continue
        ranked.append((_rank(state, prefs.power), state.entity_id))
    ranked.sort()
    energy = next((e for e in prefs.energy if hass.states.get(e) is not None), None)
    return MeterDiscovery(candidates=[entity_id for _, entity_id in ranked], energy_sensor=energy)


def _rank(state: State, grid_power: list[str]) -> tuple[int, int, float, str]:
    """Sort key: Energy dashboard grid sensors, then main-meter names, then largest reading."""
    if state.entity_id in grid_power:
        return (0, grid_power.index(state.entity_id), 0.0, state.entity_id)
    watts = power_w(state)
    reading = -watts if watts is not None else math.inf
    return (1 if _looks_like_main_meter(state) else 2, 0, reading, state.entity_id)


def _looks_like_main_meter(state: State) -> bool:
    """Whether the entity id or friendly name says total/home/house/grid/main."""
    words = set(_WORD.findall(f"{state.entity_id} {state.name}".lower()))
    return not words.isdisjoint(MAIN_METER_WORDS)


async def _async_grid_prefs(hass: HomeAssistant) -> _GridPrefs:
    """Grid power and energy sensors from the Energy dashboard; empty when it is not set up."""
    manager = await async_get_manager(hass)
    power: list[str] = []
    energy: list[str] = []
    if manager.data is None:
        return _GridPrefs(power=power, energy=energy)
    for source in manager.data["energy_sources"]:
        if source["type"] != "grid":
            continue
        rate = source.get("stat_rate") or source.get("power_config", {}).get("stat_rate")
        if rate:
            power.append(rate)
        if stat_energy := source.get("stat_energy_from"):
            energy.append(stat_energy)
    return _GridPrefs(power=power, energy=energy)
