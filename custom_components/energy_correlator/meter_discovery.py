"""Finds and checks whole-home power meters, so the config flow can propose one without typing.

Ranking: the grid power sensor(s) of the Energy dashboard first, then sensors whose name says
total/home/house/grid/main, then the largest current reading. The energy meter is proposed the
same way (the grid's energy sensor, else a kWh sensor of the meter's own device or named like a
main meter). Circuits are proposed only when plausible: a channel of the meter's own device or a
sensor named like a circuit, channel, phase or CT clamp — never a watched device's own plug, never
a production (solar) sensor. Our own sensors (peak power, untracked power, energy today...) are
never proposed nor accepted: they are derived from a meter, so choosing one makes a loop.
"""

from dataclasses import dataclass
import math
import re

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State, split_entity_id
from homeassistant.helpers import entity_registry as er

from .const import CONF_ENERGY_SENSOR, CONF_METER, DEFAULT_DOMAINS, DOMAIN
from .energy_prefs import GridSensors, async_energy_prefs, grid_sensors
from .units import ENERGY_UNITS, POWER_UNITS, is_price_of, power_w, state_unit

MAIN_METER_WORDS = frozenset({"total", "home", "house", "grid", "main", "mains", "whole"})
# "Circuit 3", "channel_2", "CT1", "phase L2", "clamp", "sub-meter"...
_CIRCUIT_WORD = re.compile(r"(circuits?|channels?|phases?|clamps?|submeter|sub|ch|ct)\d*|l[1-3]")
PRODUCTION_WORDS = frozenset(
    {"solar", "pv", "production", "produced", "inverter", "generation", "generated", "export"}
)
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


def validate_meter(hass: HomeAssistant, entity_id: str) -> str | None:
    """The form error for a meter that cannot be used, None when it can."""
    if (state := hass.states.get(entity_id)) is None:
        return "meter_not_found"
    if entity_id in _our_entities(hass):
        return "meter_is_ours"
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
    if energy and (state := hass.states.get(energy)) is None:
        errors[CONF_ENERGY_SENSOR] = "energy_not_found"
    elif energy and energy in _our_entities(hass):
        errors[CONF_ENERGY_SENSOR] = "energy_is_ours"  # Energy today would count itself
    elif energy and state is not None and state_unit(state) not in ENERGY_UNITS:
        errors[CONF_ENERGY_SENSOR] = "energy_not_energy"
    return errors


def validate_circuits(hass: HomeAssistant, circuits: list[str]) -> str | None:
    """The form error for circuits that include one of our own (derived) sensors."""
    return "circuit_is_ours" if set(circuits) & _our_entities(hass) else None


def validate_price_entity(hass: HomeAssistant, entity_id: str | None) -> str | None:
    """The form error for a price sensor of the power entry (per kWh), None when it fits."""
    if not entity_id:
        return None
    if (state := hass.states.get(entity_id)) is None:
        return "price_not_found"
    return None if is_price_of(state, ENERGY_UNITS) else "price_not_a_price"


def meter_title(hass: HomeAssistant, entity_id: str) -> str:
    """The entry title: the meter's friendly name."""
    state = hass.states.get(entity_id)
    return state.name if state is not None else entity_id


async def async_discover_meters(hass: HomeAssistant) -> MeterDiscovery:
    """Rank every W/kW power sensor as a whole-home meter candidate, and propose an energy meter."""
    prefs = grid_sensors(await async_energy_prefs(hass))
    entries = hass.config_entries.async_entries(DOMAIN)
    configured = {entry.data[CONF_METER] for entry in entries if CONF_METER in entry.data}
    ranked = [meter for meter in _power_candidates(hass, prefs) if meter not in configured]
    energy = _energy_meter(hass, prefs, ranked[0] if ranked else None)
    if energy in {entry.data.get(CONF_ENERGY_SENSOR) for entry in entries}:
        energy = None  # another entry's meter counts it: not this meter's energy
    return MeterDiscovery(candidates=ranked, energy_sensor=energy)


async def async_discover_circuits(hass: HomeAssistant, meter: str) -> list[str]:
    """The power sensors that plausibly measure one circuit of `meter`'s home (the default list)."""
    ranked = _power_candidates(hass, grid_sensors(await async_energy_prefs(hass)))
    ent_reg = er.async_get(hass)
    meter_device = _device_id(ent_reg, meter)
    watched_devices = _watched_devices(ent_reg)
    circuits: list[str] = []
    for entity_id in ranked:
        if entity_id == meter or (state := hass.states.get(entity_id)) is None:
            continue
        device = _device_id(ent_reg, entity_id)
        if _words(state) & PRODUCTION_WORDS:
            continue
        if device is not None and device == meter_device:
            circuits.append(entity_id)  # a channel of the main meter's own device
        elif device not in watched_devices and any(map(_CIRCUIT_WORD.fullmatch, _words(state))):
            circuits.append(entity_id)
    return circuits


def _power_candidates(hass: HomeAssistant, prefs: GridSensors) -> list[str]:
    """Power sensors (W/kW, or any sensor the Energy dashboard uses as grid power), best first."""
    ranked: list[tuple[tuple[int, int, float, str], str]] = []
    ours = _our_entities(hass)
    for state in hass.states.async_all("sensor"):
        if state_unit(state) not in POWER_UNITS or state.entity_id in ours:
            continue
        in_prefs = state.entity_id in prefs.power
        if not in_prefs and state.attributes.get(ATTR_DEVICE_CLASS) != SensorDeviceClass.POWER:
            continue
        ranked.append((_rank(state, prefs.power), state.entity_id))
    ranked.sort()
    return [entity_id for _, entity_id in ranked]


def _energy_meter(hass: HomeAssistant, prefs: GridSensors, meter: str | None) -> str | None:
    """The grid's energy sensor, else a home-wide kWh counter: on the meter's device or so named."""
    if energy := next((e for e in prefs.energy if hass.states.get(e) is not None), None):
        return energy
    ent_reg = er.async_get(hass)
    meter_device = _device_id(ent_reg, meter) if meter else None
    ranked: list[tuple[int, str]] = []
    ours = _our_entities(hass)
    for state in hass.states.async_all("sensor"):
        if state.entity_id in ours or not _is_energy_counter(state):
            continue
        if _words(state) & PRODUCTION_WORDS:
            continue
        if meter_device is not None and _device_id(ent_reg, state.entity_id) == meter_device:
            ranked.append((0, state.entity_id))
        elif _looks_like_main_meter(state):
            ranked.append((1, state.entity_id))
    return min(ranked)[1] if ranked else None


def _is_energy_counter(state: State) -> bool:
    """An energy sensor that counts up (what the daily energy is read from)."""
    return (
        state.attributes.get(ATTR_DEVICE_CLASS) == SensorDeviceClass.ENERGY
        and state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) in ENERGY_UNITS
        and state.attributes.get("state_class")
        in (SensorStateClass.TOTAL, SensorStateClass.TOTAL_INCREASING)
    )


def _our_entities(hass: HomeAssistant) -> set[str]:
    """The entities of every entry of this integration (derived values, never a meter)."""
    ent_reg = er.async_get(hass)
    return {
        entity.entity_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        for entity in er.async_entries_for_config_entry(ent_reg, entry.entry_id)
    }


def _device_id(ent_reg: er.EntityRegistry, entity_id: str) -> str | None:
    entry = ent_reg.async_get(entity_id)
    return entry.device_id if entry is not None else None


def _watched_devices(ent_reg: er.EntityRegistry) -> set[str]:
    """Devices with an entity of a watched type: their power sensors are the devices' own plugs."""
    return {
        entry.device_id
        for entry in ent_reg.entities.values()
        if entry.device_id is not None and split_entity_id(entry.entity_id)[0] in DEFAULT_DOMAINS
    }


def _rank(state: State, grid_power: list[str]) -> tuple[int, int, float, str]:
    """Sort key: Energy dashboard grid sensors, then main-meter names, then largest reading."""
    if state.entity_id in grid_power:
        return (0, grid_power.index(state.entity_id), 0.0, state.entity_id)
    watts = power_w(state)
    reading = -watts if watts is not None else math.inf
    return (1 if _looks_like_main_meter(state) else 2, 0, reading, state.entity_id)


def _words(state: State) -> set[str]:
    """The words of the entity id and friendly name, lower case."""
    return set(_WORD.findall(f"{state.entity_id} {state.name}".lower()))


def _looks_like_main_meter(state: State) -> bool:
    """Whether the entity id or friendly name says total/home/house/grid/main."""
    return not _words(state).isdisjoint(MAIN_METER_WORDS)
