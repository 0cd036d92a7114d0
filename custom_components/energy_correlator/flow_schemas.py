"""Form schemas shared by the config, reconfigure, reauth and options flows.

Schemas carry no defaults: the flows fill them with `add_suggested_values_to_schema`, so the same
schema serves a first setup (discovered values) and a reconfigure (the entry's values).
"""

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import UnitOfPower, UnitOfTime
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    EntityWithDeviceFilterSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .const import (
    CONF_CIRCUITS,
    CONF_DOMAINS,
    CONF_ENERGY_SENSOR,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
    CONF_METER,
    DEFAULT_AFTER_WINDOW_S,
    DEFAULT_BACKLOG_MAX_POINTS,
    DEFAULT_BEFORE_WINDOW_S,
    DEFAULT_DOMAINS,
    DEFAULT_HIGH_POWER_DURATION_S,
    DEFAULT_HIGH_POWER_W,
    DEFAULT_INFLUX_BUCKET,
    DEFAULT_INFLUX_URL,
    DEFAULT_MAX_POWER_W,
    DEFAULT_MIN_DELTA_W,
    DEFAULT_PHANTOM_THRESHOLD_W,
    DEFAULT_PRICE_PER_KWH,
    DEFAULT_SCAN_INTERVAL_S,
    DEFAULT_SETTLE_S,
    OPT_AFTER_WINDOW_S,
    OPT_BACKLOG_MAX_POINTS,
    OPT_BEFORE_WINDOW_S,
    OPT_HIGH_POWER_DURATION_S,
    OPT_HIGH_POWER_W,
    OPT_MAX_POWER_W,
    OPT_MIN_DELTA_W,
    OPT_PHANTOM_THRESHOLD_W,
    OPT_PRICE_ENTITY,
    OPT_PRICE_PER_KWH,
    OPT_SCAN_INTERVAL_S,
    OPT_SETTLE_S,
)

# Offered besides the defaults: each can switch something that draws power.
EXTRA_DOMAINS: tuple[str, ...] = (
    "input_boolean",
    "remote",
    "siren",
    "valve",
    "lock",
    "lawn_mower",
)
DEVICE_LISTS: tuple[str, ...] = (CONF_DOMAINS, CONF_INCLUDE, CONF_EXCLUDE, CONF_CIRCUITS)
INFLUX_FIELDS: tuple[str, ...] = (
    CONF_INFLUX_URL,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_ORG,
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_VERIFY_SSL,
)

_POWER_SENSOR = EntityWithDeviceFilterSelectorConfig(
    domain="sensor", device_class=SensorDeviceClass.POWER
)
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

METER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_METER): EntitySelector(EntitySelectorConfig(filter=_POWER_SENSOR)),
        probatio.Optional(CONF_ENERGY_SENSOR): EntitySelector(
            EntitySelectorConfig(
                filter=EntityWithDeviceFilterSelectorConfig(
                    domain="sensor", device_class=SensorDeviceClass.ENERGY
                )
            )
        ),
    }
)

DEVICES_SCHEMA = probatio.Schema(
    {
        probatio.Optional(CONF_DOMAINS): SelectSelector(
            SelectSelectorConfig(
                options=[*DEFAULT_DOMAINS, *EXTRA_DOMAINS],
                multiple=True,
                mode=SelectSelectorMode.LIST,
                translation_key="domains",
            )
        ),
        probatio.Optional(CONF_INCLUDE): EntitySelector(EntitySelectorConfig(multiple=True)),
        probatio.Optional(CONF_EXCLUDE): EntitySelector(EntitySelectorConfig(multiple=True)),
        probatio.Optional(CONF_CIRCUITS): EntitySelector(
            EntitySelectorConfig(filter=_POWER_SENSOR, multiple=True)
        ),
    }
)

INFLUX_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_INFLUX_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        probatio.Required(CONF_INFLUX_TOKEN): _PASSWORD,
        probatio.Required(CONF_INFLUX_ORG): TextSelector(),
        probatio.Required(CONF_INFLUX_BUCKET): TextSelector(),
        probatio.Required(CONF_INFLUX_VERIFY_SSL): BooleanSelector(),
    }
)
INFLUX_SUGGESTED: dict[str, Any] = {
    CONF_INFLUX_URL: DEFAULT_INFLUX_URL,
    CONF_INFLUX_BUCKET: DEFAULT_INFLUX_BUCKET,
    CONF_INFLUX_VERIFY_SSL: True,
}

REAUTH_SCHEMA = probatio.Schema({probatio.Required(CONF_INFLUX_TOKEN): _PASSWORD})

DEFAULT_OPTIONS: dict[str, Any] = {
    OPT_MIN_DELTA_W: DEFAULT_MIN_DELTA_W,
    OPT_BEFORE_WINDOW_S: DEFAULT_BEFORE_WINDOW_S,
    OPT_AFTER_WINDOW_S: DEFAULT_AFTER_WINDOW_S,
    OPT_SETTLE_S: DEFAULT_SETTLE_S,
    OPT_SCAN_INTERVAL_S: DEFAULT_SCAN_INTERVAL_S,
    OPT_PHANTOM_THRESHOLD_W: DEFAULT_PHANTOM_THRESHOLD_W,
    OPT_HIGH_POWER_W: DEFAULT_HIGH_POWER_W,
    OPT_HIGH_POWER_DURATION_S: DEFAULT_HIGH_POWER_DURATION_S,
    OPT_PRICE_PER_KWH: DEFAULT_PRICE_PER_KWH,
    OPT_BACKLOG_MAX_POINTS: DEFAULT_BACKLOG_MAX_POINTS,
    OPT_MAX_POWER_W: DEFAULT_MAX_POWER_W,
}
# Options that are counts or whole seconds; NumberSelector always returns floats.
INTEGER_OPTIONS = frozenset(
    {OPT_SCAN_INTERVAL_S, OPT_HIGH_POWER_DURATION_S, OPT_BACKLOG_MAX_POINTS}
)


def _number(low: float, high: float, step: float, unit: str) -> NumberSelector:
    """A box number field (sliders are useless over these ranges)."""
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=step, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


def options_schema(currency: str, *, influx: bool = True) -> probatio.Schema:
    """The tunables; the price is per kWh in the instance's currency. Without InfluxDB
    (`influx=False`) its backlog limit is left out."""
    seconds = UnitOfTime.SECONDS
    watts = UnitOfPower.WATT
    schema = probatio.Schema(
        {
            probatio.Required(OPT_MIN_DELTA_W): _number(1, 5000, 1, watts),
            probatio.Required(OPT_BEFORE_WINDOW_S): _number(5, 600, 1, seconds),
            probatio.Required(OPT_AFTER_WINDOW_S): _number(5, 600, 1, seconds),
            probatio.Required(OPT_SETTLE_S): _number(0, 300, 1, seconds),
            probatio.Required(OPT_SCAN_INTERVAL_S): _number(1, 300, 1, seconds),
            probatio.Required(OPT_PHANTOM_THRESHOLD_W): _number(0, 10_000, 1, watts),
            probatio.Required(OPT_HIGH_POWER_W): _number(100, 100_000, 100, watts),
            probatio.Required(OPT_HIGH_POWER_DURATION_S): _number(5, 3600, 1, seconds),
            probatio.Required(OPT_PRICE_PER_KWH): _number(0, 100, 0.001, f"{currency}/kWh"),
            probatio.Optional(OPT_PRICE_ENTITY): EntitySelector(
                EntitySelectorConfig(filter=EntityWithDeviceFilterSelectorConfig(domain="sensor"))
            ),
            probatio.Required(OPT_MAX_POWER_W): _number(1000, 10_000_000, 1000, watts),
        }
    )
    if not influx:
        return schema
    return schema.extend(
        {probatio.Required(OPT_BACKLOG_MAX_POINTS): _number(1000, 10_000_000, 1000, "points")}
    )


def normalize_options(user_input: dict[str, Any]) -> dict[str, Any]:
    """Options as the integration reads them: counts and whole seconds as int."""
    return {
        key: int(value) if key in INTEGER_OPTIONS else value for key, value in user_input.items()
    }


def device_lists(user_input: dict[str, Any]) -> dict[str, list[str]]:
    """The devices form with every list present (the frontend omits cleared lists)."""
    return {key: list(user_input.get(key, [])) for key in DEVICE_LISTS}
