"""Forms of the utility-meter flows: schemas, their checks, and the subentry data they produce.

Shared by the first flow (which may take the first meter), the meter / virtual-meter subentry
flows (add and reconfigure) and the entry's options. Schemas carry no defaults: the flows fill
them with `add_suggested_values_to_schema`.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_CLASS
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    EntityWithDeviceFilterSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from ..const import CONF_INFLUX_ENABLED, OPT_PRICE_ENTITY
from ..consumption import MeterKind
from ..units import (
    ENERGY,
    ENERGY_UNITS,
    TEMPERATURE_UNITS,
    VOLUME,
    VOLUME_UNITS,
    quantity_of,
    state_unit,
)
from .const import (
    CONF_BASE,
    CONF_CALORIFIC,
    CONF_CORRECTION,
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_OUTPUT,
    CONF_PRICE,
    CONF_SOURCE,
    CONF_SUBTRACT,
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
    SUBENTRY_METER,
    OutputKind,
)
from .price import PriceProblem, read_price

# The device classes a source sensor may have, per meter type.
TYPE_DEVICE_CLASSES: dict[MeterKind, SensorDeviceClass] = {
    MeterKind.ELECTRICITY: SensorDeviceClass.ENERGY,
    MeterKind.HEAT: SensorDeviceClass.ENERGY,
    MeterKind.GAS: SensorDeviceClass.GAS,
    MeterKind.WATER: SensorDeviceClass.WATER,
}
# Meters whose use may follow the outdoor temperature (they may have a temperature sensor):
# heating gas, a heat meter, and electricity (a heat pump, electric heating; without heating
# the fitted weather slope is simply about zero). Water use does not follow it.
HEATING_KINDS = frozenset({MeterKind.GAS, MeterKind.HEAT, MeterKind.ELECTRICITY})
CUMULATIVE = frozenset({SensorStateClass.TOTAL, SensorStateClass.TOTAL_INCREASING})
# Manual readings: the units offered, energy ones first.
MANUAL_UNITS: tuple[str, ...] = tuple(sorted(str(unit) for unit in ENERGY_UNITS if unit)) + tuple(
    sorted(str(unit) for unit in VOLUME_UNITS if unit)
)


def meter_quantity(meter_type: str) -> str:
    """What a meter type counts: energy (electricity, heat) or volume (gas, water)."""
    return VOLUME if meter_type in (MeterKind.GAS, MeterKind.WATER) else ENERGY


def _number(low: float, high: float, step: float, unit: str | None = None) -> NumberSelector:
    config = NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def meter_schema() -> probatio.Schema:
    """Name, type, source sensor (blank = manual readings), unit of manual readings, price."""
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME): TextSelector(),
            probatio.Required(CONF_METER_TYPE): SelectSelector(
                SelectSelectorConfig(
                    options=[str(kind) for kind in MeterKind],
                    mode=SelectSelectorMode.LIST,
                    translation_key="meter_type",
                )
            ),
            probatio.Optional(CONF_SOURCE): EntitySelector(
                EntitySelectorConfig(
                    filter=EntityWithDeviceFilterSelectorConfig(
                        domain="sensor",
                        device_class=sorted({str(dc) for dc in TYPE_DEVICE_CLASSES.values()}),
                    )
                )
            ),
            probatio.Optional(CONF_UNIT): SelectSelector(
                SelectSelectorConfig(options=list(MANUAL_UNITS), mode=SelectSelectorMode.DROPDOWN)
            ),
            probatio.Optional(CONF_PRICE): _number(0, 1000, 0.001),
            probatio.Optional(OPT_PRICE_ENTITY): EntitySelector(
                EntitySelectorConfig(
                    filter=EntityWithDeviceFilterSelectorConfig(
                        domain=["sensor", "input_number", "number"]
                    )
                )
            ),
            probatio.Optional(CONF_TEMPERATURE): _temperature_selector(),
        }
    )


def _temperature_selector() -> EntitySelector:
    """An outdoor temperature sensor (real and virtual heating meters)."""
    return EntitySelector(
        EntitySelectorConfig(
            filter=EntityWithDeviceFilterSelectorConfig(
                domain="sensor", device_class=str(SensorDeviceClass.TEMPERATURE)
            )
        )
    )


GAS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_CALORIFIC): _number(0.1, 100, 0.001, "kWh/m³"),
        probatio.Required(CONF_CORRECTION): _number(0.1, 2, 0.001),
    }
)
GAS_SUGGESTED: dict[str, float] = {
    CONF_CALORIFIC: DEFAULT_CALORIFIC,
    CONF_CORRECTION: DEFAULT_CORRECTION,
}


def validate_meter(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Errors of the meter form, each on its field."""
    meter_type = MeterKind(user_input[CONF_METER_TYPE])
    errors: dict[str, str] = {}
    if not str(user_input[CONF_NAME]).strip():
        errors[CONF_NAME] = "name_required"
    if source := user_input.get(CONF_SOURCE):
        if (error := _source_error(hass, source, meter_type)) is not None:
            errors[CONF_SOURCE] = error
    elif not (unit := user_input.get(CONF_UNIT)):
        errors[CONF_UNIT] = "unit_required"
    elif quantity_of(unit) != meter_quantity(meter_type):
        errors[CONF_UNIT] = "unit_wrong_kind"
    price_entity = user_input.get(OPT_PRICE_ENTITY)
    if user_input.get(CONF_PRICE) is not None and price_entity:
        errors[OPT_PRICE_ENTITY] = "price_twice"
    elif price_entity and (error := _price_error(hass, price_entity, meter_type)) is not None:
        errors[OPT_PRICE_ENTITY] = error
    temperature = user_input.get(CONF_TEMPERATURE)
    if temperature and (error := _temperature_error(hass, temperature, meter_type)):
        errors[CONF_TEMPERATURE] = error
    return errors


def _temperature_error(hass: HomeAssistant, entity_id: str, meter_type: MeterKind) -> str | None:
    """Why a sensor cannot be the meter's outdoor temperature, or None when it can."""
    if meter_type not in HEATING_KINDS:
        return "temperature_not_heating"
    if (state := hass.states.get(entity_id)) is None:
        return "temperature_not_found"
    if (
        state.attributes.get(ATTR_DEVICE_CLASS) != SensorDeviceClass.TEMPERATURE
        or state_unit(state) not in TEMPERATURE_UNITS
    ):
        return "temperature_wrong_type"
    return None


def _price_error(hass: HomeAssistant, entity_id: str, meter_type: MeterKind) -> str | None:
    """Why an entity cannot price the meter, or None when it can (see price.PRICE_UNITS). An
    unavailable or unknown price is accepted: its integration may still be starting."""
    if (state := hass.states.get(entity_id)) is None:
        return "price_not_found"
    problem = read_price(state, meter_type, 1.0)[1]  # any calorific value: only the unit counts
    return None if problem in (None, PriceProblem.UNAVAILABLE) else f"price_{problem}"


def _source_error(hass: HomeAssistant, entity_id: str, meter_type: MeterKind) -> str | None:
    """Why a sensor cannot be the meter's source, or None when it can."""
    if (state := hass.states.get(entity_id)) is None:
        return "source_not_found"
    if state.attributes.get(ATTR_DEVICE_CLASS) != TYPE_DEVICE_CLASSES[meter_type]:
        return "source_wrong_type"
    if state.attributes.get(ATTR_STATE_CLASS) not in CUMULATIVE:
        return "source_not_cumulative"
    if quantity_of(state_unit(state)) != meter_quantity(meter_type):
        return "source_unit_unknown"
    return None


def meter_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The meter form as subentry data; a source sensor brings its own unit; the outdoor
    temperature is kept only when chosen (a reconfigure that clears it removes it)."""
    source = user_input.get(CONF_SOURCE) or None
    price = user_input.get(CONF_PRICE)
    temperature = user_input.get(CONF_TEMPERATURE) or None
    data = {
        CONF_NAME: str(user_input[CONF_NAME]).strip(),
        CONF_METER_TYPE: str(user_input[CONF_METER_TYPE]),
        CONF_SOURCE: source,
        CONF_UNIT: None if source else user_input[CONF_UNIT],
        CONF_PRICE: None if price is None else float(price),
        OPT_PRICE_ENTITY: user_input.get(OPT_PRICE_ENTITY) or None,
    }
    return data if temperature is None else {**data, CONF_TEMPERATURE: temperature}


def gas_data(user_input: Mapping[str, Any]) -> dict[str, float]:
    """The gas form as subentry data."""
    return {
        CONF_CALORIFIC: float(user_input[CONF_CALORIFIC]),
        CONF_CORRECTION: float(user_input[CONF_CORRECTION]),
    }


def meter_choices(entry: ConfigEntry) -> list[SelectOptionDict]:
    """The entry's physical meters as select options (value = subentry id)."""
    return [
        SelectOptionDict(value=subentry_id, label=subentry.title)
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_METER
    ]


def virtual_schema(entry: ConfigEntry) -> probatio.Schema:
    """Name, base meter, the meters subtracted from it, what the result is in, and an outdoor
    temperature (a heating base; without it, its parts' sensor is used)."""
    choices = meter_choices(entry)
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME): TextSelector(),
            probatio.Required(CONF_BASE): SelectSelector(
                SelectSelectorConfig(options=choices, mode=SelectSelectorMode.DROPDOWN)
            ),
            # optional: the frontend pre-selects a required select's first option, which is
            # the base's too (an untouched form was refused as "base subtracted from itself")
            probatio.Optional(CONF_SUBTRACT): SelectSelector(
                SelectSelectorConfig(
                    options=choices, multiple=True, mode=SelectSelectorMode.DROPDOWN
                )
            ),
            probatio.Required(CONF_OUTPUT): SelectSelector(
                SelectSelectorConfig(
                    options=[str(kind) for kind in OutputKind],
                    mode=SelectSelectorMode.LIST,
                    translation_key="output_kind",
                )
            ),
            probatio.Optional(CONF_TEMPERATURE): _temperature_selector(),
        }
    )


def validate_virtual(
    hass: HomeAssistant, entry: ConfigEntry, user_input: Mapping[str, Any]
) -> dict[str, str]:
    """Errors of the virtual-meter form: something to subtract, not the base itself, every
    part convertible to the output (no volume from energy, no energy from water; gas becomes
    kWh through its calorific value), and an outdoor temperature only for a heating base."""
    base = user_input[CONF_BASE]
    subtract = list(user_input.get(CONF_SUBTRACT) or [])
    if not str(user_input[CONF_NAME]).strip():
        return {CONF_NAME: "name_required"}
    if not subtract:
        return {CONF_SUBTRACT: "nothing_subtracted"}
    if base in subtract:
        return {CONF_SUBTRACT: "base_subtracted"}
    kinds = {entry.subentries[part].data[CONF_METER_TYPE] for part in (base, *subtract)}
    if user_input[CONF_OUTPUT] == OutputKind.VOLUME:
        if any(meter_quantity(kind) != VOLUME for kind in kinds):
            return {CONF_OUTPUT: "volume_from_energy"}
        if len(kinds) > 1:  # m³ of gas minus m³ of water
            return {CONF_SUBTRACT: "volume_gas_and_water"}
    elif MeterKind.WATER in kinds:
        return {CONF_OUTPUT: "energy_from_water"}
    base_kind = MeterKind(entry.subentries[base].data[CONF_METER_TYPE])
    temperature = user_input.get(CONF_TEMPERATURE)
    if temperature and (error := _temperature_error(hass, temperature, base_kind)):
        return {CONF_TEMPERATURE: error}
    return {}


def virtual_suggested(entry: ConfigEntry, data: Mapping[str, Any]) -> dict[str, Any]:
    """A virtual meter's data to pre-fill its form, without meters deleted since: the frontend
    submits what is pre-filled, and an id that is no option any more fails the schema."""
    meters = {choice["value"] for choice in meter_choices(entry)}
    suggested = {
        **data,
        CONF_SUBTRACT: [part for part in data.get(CONF_SUBTRACT, []) if part in meters],
    }
    if suggested.get(CONF_BASE) not in meters:
        suggested.pop(CONF_BASE, None)
    return suggested


def virtual_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The virtual-meter form as subentry data (the temperature only when chosen)."""
    data = {
        CONF_NAME: str(user_input[CONF_NAME]).strip(),
        CONF_BASE: user_input[CONF_BASE],
        CONF_SUBTRACT: list(user_input.get(CONF_SUBTRACT) or []),
        CONF_OUTPUT: str(user_input[CONF_OUTPUT]),
    }
    temperature = user_input.get(CONF_TEMPERATURE) or None
    return data if temperature is None else {**data, CONF_TEMPERATURE: temperature}


DEFAULT_UTILITY_OPTIONS: dict[str, Any] = {
    OPT_GAP_DAYS: DEFAULT_GAP_DAYS,
    OPT_ZSCORE: DEFAULT_ZSCORE,
    OPT_IQR: DEFAULT_IQR,
    OPT_ROLLING_Z: DEFAULT_ROLLING_Z,
    OPT_MIN_METHODS: DEFAULT_MIN_METHODS,
    CONF_INFLUX_ENABLED: False,
}

OPTIONS_SCHEMA = probatio.Schema(
    {
        probatio.Required(OPT_GAP_DAYS): _number(0.25, 60, 0.25, "d"),
        probatio.Required(OPT_ZSCORE): _number(1, 10, 0.1),
        probatio.Required(OPT_IQR): _number(0.5, 10, 0.1),
        probatio.Required(OPT_ROLLING_Z): _number(1, 10, 0.1),
        probatio.Required(OPT_MIN_METHODS): _number(1, 3, 1),
        probatio.Required(CONF_INFLUX_ENABLED): BooleanSelector(),  # connection asked next
    }
)


def normalize_utility_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Options as the shell reads them (the methods count as int)."""
    return {**user_input, OPT_MIN_METHODS: int(user_input[OPT_MIN_METHODS])}
