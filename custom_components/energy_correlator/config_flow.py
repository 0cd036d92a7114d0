"""Config flow: pick the whole-home meter, the devices to watch and, optionally, InfluxDB.

Also the options (tunables), reconfigure (meter, devices, InfluxDB) and reauth (InfluxDB token).
One entry per whole-home meter: the meter's entity id is the unique id.
"""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
)
from homeassistant.core import HomeAssistant, callback
from yarl import URL

from .const import (
    CONF_CIRCUITS,
    CONF_DOMAINS,
    CONF_ENERGY_SENSOR,
    CONF_INCLUDE,
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
    CONF_METER,
    DEFAULT_DOMAINS,
    DOMAIN,
    LOGGER,
    OPT_BACKLOG_MAX_POINTS,
    OPT_PRICE_ENTITY,
)
from .flow_schemas import (
    DEFAULT_OPTIONS,
    DEVICES_SCHEMA,
    INFLUX_FIELDS,
    INFLUX_SCHEMA,
    INFLUX_SUGGESTED,
    METER_SCHEMA,
    REAUTH_SCHEMA,
    device_lists,
    normalize_options,
    options_schema,
)
from .influx import InfluxValidationError, async_validate_influx
from .meter_discovery import (
    async_discover_circuits,
    async_discover_meters,
    meter_title,
    validate_circuits,
    validate_meter_input,
    validate_price_entity,
)
from .meters.config_flow import (
    SUBENTRY_FLOWS,
    UtilityFlowMixin,
    UtilityOptionsFlow,
    is_utility_entry,
)

# Which form field an InfluxDB validation failure belongs to.
_INFLUX_ERROR_FIELDS: dict[str, str] = {
    "cannot_connect": CONF_INFLUX_URL,
    "invalid_auth": CONF_INFLUX_TOKEN,
    "bucket_not_found": CONF_INFLUX_BUCKET,
    "no_write_permission": CONF_INFLUX_TOKEN,
}


class EnergyCorrelatorConfigFlow(UtilityFlowMixin, ConfigFlow, domain=DOMAIN):
    """Set up one whole-home meter with the devices whose power it learns, or the utility meters
    (their steps live in meters/config_flow.py)."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: entity unique ids from the entry id (async_migrate_entry)

    def __init__(self) -> None:
        """Collect the entry data across the steps."""
        self._data: dict[str, Any] = {}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: ConfigEntry,
    ) -> EnergyCorrelatorOptionsFlow | UtilityOptionsFlow:
        """The tunables."""
        if is_utility_entry(config_entry):
            return UtilityOptionsFlow()
        return EnergyCorrelatorOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Meters and virtual meters are subentries of the utility entry."""
        return SUBENTRY_FLOWS if is_utility_entry(config_entry) else {}

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Learn device power from a power meter, or analyse utility meters."""
        return self.async_show_menu(step_id="user", menu_options=["power_meter", "utility_meters"])

    async def async_step_power_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the whole-home meter, pre-selecting the best-ranked candidate."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_meter_input(self.hass, user_input)
            if not errors:
                await self.async_set_unique_id(user_input[CONF_METER])
                self._abort_if_unique_id_configured()
                # Also an entry whose unique id is older than a rename of its meter.
                self._async_abort_entries_match({CONF_METER: user_input[CONF_METER]})
                self._data = _meter_data(user_input)
                return await self.async_step_devices()
        discovery = await async_discover_meters(self.hass)
        suggested = user_input or {
            CONF_METER: discovery.best,
            CONF_ENERGY_SENSOR: discovery.energy_sensor,
        }
        return self.async_show_form(
            step_id="power_meter",
            data_schema=self.add_suggested_values_to_schema(METER_SCHEMA, suggested),
            errors=errors,
            description_placeholders={"candidates": str(len(discovery.candidates))},
            last_step=False,
        )

    async def async_step_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose what to watch and the circuit meters."""
        meter = self._data[CONF_METER]
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _validate_devices(self.hass, meter, user_input)
            if not errors:
                self._data.update(device_lists(user_input))
                return await self.async_step_influxdb_menu()
        suggested = user_input or {
            CONF_DOMAINS: list(DEFAULT_DOMAINS),
            CONF_CIRCUITS: await async_discover_circuits(self.hass, meter),
        }
        return self.async_show_form(
            step_id="devices",
            data_schema=self.add_suggested_values_to_schema(DEVICES_SCHEMA, suggested),
            errors=errors,
            last_step=False,  # the InfluxDB choice follows
        )

    async def async_step_influxdb_menu(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer InfluxDB; it can be skipped and added later by reconfiguring."""
        return self.async_show_menu(step_id="influxdb_menu", menu_options=["influxdb", "finish"])

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry without InfluxDB."""
        return self._async_create({CONF_INFLUX_ENABLED: False})

    async def async_step_influxdb(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connect InfluxDB; the entry is created only once a test write is accepted."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await _async_influx_errors(self.hass, user_input, INFLUX_FIELDS)
            if not errors:
                return self._async_create(_influx_data(user_input))
        return self.async_show_form(
            step_id="influxdb",
            data_schema=self.add_suggested_values_to_schema(
                INFLUX_SCHEMA, user_input or INFLUX_SUGGESTED
            ),
            errors=errors,
        )

    @callback
    def _async_create(self, influx: dict[str, Any]) -> ConfigFlowResult:
        """The entry, titled after the meter, with default options written out."""
        return self.async_create_entry(
            title=meter_title(self.hass, self._data[CONF_METER]),
            data={**self._data, **influx},
            options=DEFAULT_OPTIONS,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose what to change."""
        if is_utility_entry(self._get_reconfigure_entry()):
            return self.async_abort(reason="utility_reconfigure_meters")
        menu = ["reconfigure_meter", "reconfigure_devices", "reconfigure_influxdb"]
        if self._get_reconfigure_entry().data.get(CONF_INFLUX_ENABLED):
            menu.append("disable_influxdb")
        return self.async_show_menu(step_id="reconfigure", menu_options=menu)

    async def async_step_reconfigure_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the whole-home meter; the unique id follows it."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_meter_input(self.hass, user_input)
            if not errors:
                return await self._async_change_meter(entry, _meter_data(user_input))
        return self.async_show_form(
            step_id="reconfigure_meter",
            data_schema=self.add_suggested_values_to_schema(METER_SCHEMA, user_input or entry.data),
            errors=errors,
        )

    async def _async_change_meter(
        self, entry: ConfigEntry, meter_data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Store the new meter; the entry's unique id follows it (entities' do not need to)."""
        new_meter = meter_data[CONF_METER]
        if new_meter != entry.data[CONF_METER]:
            await self.async_set_unique_id(new_meter)
            self._abort_if_unique_id_configured()
            self._async_abort_entries_match({CONF_METER: new_meter})
        circuits = [c for c in entry.data.get(CONF_CIRCUITS, []) if c != new_meter]
        return self.async_update_reload_and_abort(
            entry,
            unique_id=new_meter,
            title=meter_title(self.hass, new_meter),
            data_updates={**meter_data, CONF_CIRCUITS: circuits},
        )

    async def async_step_reconfigure_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change what is watched and the circuits."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _validate_devices(self.hass, entry.data[CONF_METER], user_input)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates=device_lists(user_input)
                )
        return self.async_show_form(
            step_id="reconfigure_devices",
            data_schema=self.add_suggested_values_to_schema(
                DEVICES_SCHEMA, user_input or entry.data
            ),
            errors=errors,
        )

    async def async_step_reconfigure_influxdb(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enable InfluxDB or change its connection."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await _async_influx_errors(self.hass, user_input, INFLUX_FIELDS)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates=_influx_data(user_input)
                )
        # The stored token is not sent back to the browser: a change asks for it again.
        current = {
            key: entry.data[key]
            for key in INFLUX_FIELDS
            if key in entry.data and key != CONF_INFLUX_TOKEN
        }
        return self.async_show_form(
            step_id="reconfigure_influxdb",
            data_schema=self.add_suggested_values_to_schema(
                INFLUX_SCHEMA, user_input or current or INFLUX_SUGGESTED
            ),
            errors=errors,
        )

    async def async_step_disable_influxdb(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Stop sending to InfluxDB and forget its token."""
        entry = self._get_reconfigure_entry()
        data = {key: value for key, value in entry.data.items() if key not in INFLUX_FIELDS}
        return self.async_update_reload_and_abort(entry, data={**data, CONF_INFLUX_ENABLED: False})

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """InfluxDB refused the token (401/403)."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token and check it can write before storing it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            candidate = {**entry.data, CONF_INFLUX_TOKEN: user_input[CONF_INFLUX_TOKEN]}
            errors = await _async_influx_errors(self.hass, candidate, (CONF_INFLUX_TOKEN,))
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_INFLUX_TOKEN: user_input[CONF_INFLUX_TOKEN]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={
                "url": str(entry.data.get(CONF_INFLUX_URL)),
                "bucket": str(entry.data.get(CONF_INFLUX_BUCKET)),
            },
        )


class EnergyCorrelatorOptionsFlow(OptionsFlowWithReload):
    """The tunables; the entry reloads when they change."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form with every tunable; InfluxDB's only when InfluxDB is set up."""
        influx = bool(self.config_entry.data.get(CONF_INFLUX_ENABLED))
        current = {**DEFAULT_OPTIONS, **self.config_entry.options}
        errors: dict[str, str] = {}
        if user_input is not None:
            if error := validate_price_entity(self.hass, user_input.get(OPT_PRICE_ENTITY)):
                errors[OPT_PRICE_ENTITY] = error
                current = user_input
            else:
                # The backlog limit is not on the form without InfluxDB: it keeps its value.
                hidden = {} if influx else {OPT_BACKLOG_MAX_POINTS: current[OPT_BACKLOG_MAX_POINTS]}
                return self.async_create_entry(data={**hidden, **normalize_options(user_input)})
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(self.hass.config.currency, influx=influx), current
            ),
            errors=errors,
        )


def _meter_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """The meter form as entry data; a cleared energy sensor is stored as None."""
    return {
        CONF_METER: user_input[CONF_METER],
        CONF_ENERGY_SENSOR: user_input.get(CONF_ENERGY_SENSOR) or None,
    }


def _validate_devices(
    hass: HomeAssistant, meter: str, user_input: dict[str, Any]
) -> dict[str, str]:
    """Errors of the devices form: the meter and our own sensors are no circuits, and
    something must be watched."""
    lists = device_lists(user_input)
    if meter in lists[CONF_CIRCUITS]:
        return {CONF_CIRCUITS: "circuit_is_meter"}
    if error := validate_circuits(hass, lists[CONF_CIRCUITS]):
        return {CONF_CIRCUITS: error}
    if not lists[CONF_DOMAINS] and not lists[CONF_INCLUDE]:
        return {"base": "no_devices"}
    return {}


def _influx_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """The InfluxDB form as entry data."""
    return {**{key: user_input[key] for key in INFLUX_FIELDS}, CONF_INFLUX_ENABLED: True}


async def _async_influx_errors(
    hass: HomeAssistant, data: Mapping[str, Any], fields: tuple[str, ...]
) -> dict[str, str]:
    """Form errors from a test write; errors of fields not on the form go to base."""
    url = str(data[CONF_INFLUX_URL]).strip()
    try:  # yarl raises ValueError on a broken IPv6 host or a port out of range
        parsed = URL(url)
        usable = parsed.scheme in ("http", "https") and bool(parsed.host) and parsed.port
    except ValueError:
        usable = False
    if not usable:
        return {CONF_INFLUX_URL if CONF_INFLUX_URL in fields else "base": "invalid_url"}
    try:
        await async_validate_influx(
            hass,
            url,
            data[CONF_INFLUX_TOKEN],
            data[CONF_INFLUX_ORG],
            data[CONF_INFLUX_BUCKET],
            data[CONF_INFLUX_VERIFY_SSL],
        )
    except InfluxValidationError as err:
        field = _INFLUX_ERROR_FIELDS.get(err.reason)
        if field is None:
            LOGGER.error("Unexpected InfluxDB validation result %s for %s", err.reason, url)
            return {"base": "unknown"}
        return {field if field in fields else "base": err.reason}
    except Exception:
        # The traceback carries no token: it is neither in the message nor in the URL.
        LOGGER.exception("Unexpected error while checking InfluxDB at %s", url)
        return {"base": "unknown"}
    return {}
