"""Flows of the utility-meter entry: its first meter, meter and virtual-meter subentries, options.

One entry holds every utility meter as a config subentry: Home Assistant's own way for "several
items of one kind" (each has its own add / reconfigure / delete on the entry's page, its own
device and entities), while the options (gap length, anomaly thresholds, InfluxDB) and the one
InfluxDB connection stay shared by all meters.
"""

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryData,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowHandler, FlowResult
from homeassistant.helpers import entity_registry as er

from ..const import CONF_INFLUX_ENABLED, CONF_INFLUX_TOKEN
from ..consumption import MeterKind
from ..flow_schemas import INFLUX_FIELDS
from .const import (
    CONF_ENTRY_KIND,
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_SOURCE,
    ENTRY_KIND_UTILITY,
    SUBENTRY_METER,
    SUBENTRY_VIRTUAL,
    UTILITY_UNIQUE_ID,
)
from .flow_forms import (
    DEFAULT_UTILITY_OPTIONS,
    GAS_SCHEMA,
    GAS_SUGGESTED,
    OPTIONS_SCHEMA,
    gas_data,
    meter_choices,
    meter_data,
    meter_schema,
    normalize_utility_options,
    validate_meter,
    validate_virtual,
    virtual_data,
    virtual_schema,
    virtual_suggested,
)
from .influx_form import UTILITY_INFLUX_SCHEMA, influx_input, influx_suggested

UTILITY_TITLE = "Utility meters"


def _source_in_use(
    entry: ConfigEntry | None, data: Mapping[str, Any], keep: str | None = None
) -> dict[str, str]:
    """A sensor is the source of one meter only."""
    source = data.get(CONF_SOURCE)
    if entry is None or not source:
        return {}
    for subentry_id, subentry in entry.subentries.items():
        if subentry_id != keep and subentry.data.get(CONF_SOURCE) == source:
            return {CONF_SOURCE: "source_in_use"}
    return {}


def _source_is_ours(
    hass: HomeAssistant, entry: ConfigEntry | None, data: Mapping[str, Any]
) -> dict[str, str]:
    """A meter never reads the utility meters' own sensors (its own consumption would feed
    itself; another meter's would be interpolated twice)."""
    source = data.get(CONF_SOURCE)
    if entry is None or not source:
        return {}
    registered = er.async_get(hass).async_get(source)
    if registered is not None and registered.config_entry_id == entry.entry_id:
        return {CONF_SOURCE: "source_is_ours"}
    return {}


class _MeterSteps[ResultT: FlowResult[Any, Any]](FlowHandler[Any, ResultT, Any]):
    """The meter form, then the gas form for gas meters; shared by the first flow and the
    meter subentry flow (add and reconfigure)."""

    _meter: dict[str, Any]

    def _meter_entry(self) -> ConfigEntry | None:
        """The utility entry the meter joins (None while the first flow creates it)."""
        return None

    def _meter_keep(self) -> str | None:
        """The subentry being reconfigured (its own source is not 'in use')."""
        return None

    def _meter_suggested(self) -> Mapping[str, Any]:
        """The meter's current data when reconfiguring."""
        return {}

    @abstractmethod
    def _async_meter_done(self) -> ResultT:
        """Create or update the meter from `_meter`."""

    def _async_meter_form(
        self, step_id: str, gas_step_id: str, user_input: dict[str, Any] | None
    ) -> ResultT:
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = (
                validate_meter(self.hass, user_input)
                or _source_in_use(self._meter_entry(), user_input, self._meter_keep())
                or _source_is_ours(self.hass, self._meter_entry(), user_input)
            )
            if not errors:
                self._meter = meter_data(user_input)
                if self._meter[CONF_METER_TYPE] == MeterKind.GAS:
                    return self._async_gas_form(gas_step_id, None)
                return self._async_meter_done()
        suggested = user_input or {
            key: value for key, value in self._meter_suggested().items() if value is not None
        }
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(meter_schema(), suggested),
            errors=errors,
        )

    def _async_gas_form(self, step_id: str, user_input: dict[str, Any] | None) -> ResultT:
        """Calorific value and z-factor (kWh = m³ * calorific value * z)."""
        if user_input is not None:
            self._meter.update(gas_data(user_input))
            return self._async_meter_done()
        current = self._meter_suggested()
        suggested = {key: current.get(key, value) for key, value in GAS_SUGGESTED.items()}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(GAS_SCHEMA, suggested),
        )


class UtilityFlowMixin(_MeterSteps[ConfigFlowResult], ConfigFlow):
    """The first flow's utility branch: one entry for all utility meters, created with the
    first meter so a home without a power meter is done in one go."""

    async def async_step_utility_meters(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Single instance: further meters are added on the entry's page."""
        await self.async_set_unique_id(UTILITY_UNIQUE_ID)
        self._abort_if_unique_id_configured(error="utility_already_configured")
        return await self.async_step_utility_meter()

    async def async_step_utility_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The first meter."""
        return self._async_meter_form("utility_meter", "utility_gas", user_input)

    async def async_step_utility_gas(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Calorific value and z-factor of the first meter, when it is a gas meter."""
        return self._async_gas_form("utility_gas", user_input)

    @override
    def _async_meter_done(self) -> ConfigFlowResult:
        return self.async_create_entry(
            title=UTILITY_TITLE,
            data={CONF_ENTRY_KIND: ENTRY_KIND_UTILITY},
            options=DEFAULT_UTILITY_OPTIONS,
            subentries=[
                ConfigSubentryData(
                    data=self._meter,
                    subentry_type=SUBENTRY_METER,
                    title=self._meter[CONF_NAME],
                    unique_id=None,
                )
            ],
        )


class MeterSubentryFlow(_MeterSteps[SubentryFlowResult], ConfigSubentryFlow):
    """Add or reconfigure one physical meter."""

    def __init__(self) -> None:
        """Collect the meter's data across the steps."""
        self._meter: dict[str, Any] = {}

    @override
    def _meter_entry(self) -> ConfigEntry:
        return self._get_entry()

    @override
    def _meter_keep(self) -> str | None:
        return self._reconfigure_subentry_id if self.source == "reconfigure" else None

    @override
    def _meter_suggested(self) -> Mapping[str, Any]:
        if self.source == "reconfigure":
            return self._get_reconfigure_subentry().data
        return {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new meter."""
        return self._async_meter_form("user", "gas", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a meter; its readings and learned history stay."""
        return self._async_meter_form("reconfigure", "gas", user_input)

    async def async_step_gas(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Calorific value and z-factor of a gas meter."""
        return self._async_gas_form("gas", user_input)

    @override
    def _async_meter_done(self) -> SubentryFlowResult:
        title = self._meter[CONF_NAME]
        if self.source == "reconfigure":
            return self.async_update_reload_and_abort(
                self._get_entry(), self._get_reconfigure_subentry(), title=title, data=self._meter
            )
        return self.async_create_entry(title=title, data=self._meter)


class VirtualMeterSubentryFlow(ConfigSubentryFlow):
    """Add or reconfigure a meter computed from others (base minus the subtracted ones)."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new virtual meter."""
        return self._virtual_form("user", user_input, {})

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a virtual meter."""
        current = virtual_suggested(self._get_entry(), self._get_reconfigure_subentry().data)
        return self._virtual_form("reconfigure", user_input, current)

    def _virtual_form(
        self, step_id: str, user_input: dict[str, Any] | None, current: Mapping[str, Any]
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        if len(meter_choices(entry)) < 2:
            return self.async_abort(reason="too_few_meters")
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_virtual(self.hass, entry, user_input)
            if not errors:
                data = virtual_data(user_input)
                if step_id == "reconfigure":
                    return self.async_update_reload_and_abort(
                        entry, self._get_reconfigure_subentry(), title=data[CONF_NAME], data=data
                    )
                return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                virtual_schema(entry), user_input or current
            ),
            errors=errors,
        )


class UtilityOptionsFlow(OptionsFlowWithReload):
    """Gap length, anomaly thresholds and InfluxDB for all utility meters."""

    def __init__(self) -> None:
        """Hold the first form until the InfluxDB connection is checked."""
        self._options: dict[str, Any] = {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The power entry's options own the "init" texts: go to the utility form."""
        return await self.async_step_utility_options()

    async def async_step_utility_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The tunables and whether to write to InfluxDB."""
        if user_input is not None:
            self._options = normalize_utility_options(user_input)
            if self._options[CONF_INFLUX_ENABLED]:
                return await self.async_step_influxdb()
            return self._async_save({CONF_INFLUX_ENABLED: False})
        current = {
            key: value
            for key, value in self.config_entry.options.items()
            if key not in INFLUX_FIELDS
        }
        return self.async_show_form(
            step_id="utility_options",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, {**DEFAULT_UTILITY_OPTIONS, **current}
            ),
        )

    async def async_step_influxdb(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The InfluxDB connection, checked with a test write as for the power entry; pre-filled
        from the power entry's, an empty token reusing one stored for the URL."""
        # The power entry's check, shared; imported here as config_flow imports this module.
        from ..config_flow import _async_influx_errors

        errors: dict[str, str] = {}
        if user_input is not None:
            influx = influx_input(self.hass, self.config_entry, user_input)
            if influx is None:
                errors = {CONF_INFLUX_TOKEN: "token_required"}
            else:
                errors = await _async_influx_errors(self.hass, influx, INFLUX_FIELDS)
            if influx is not None and not errors:
                return self._async_save({**influx, CONF_INFLUX_ENABLED: True})
        return self.async_show_form(
            step_id="influxdb",
            data_schema=self.add_suggested_values_to_schema(
                UTILITY_INFLUX_SCHEMA, influx_suggested(self.hass, self.config_entry, user_input)
            ),
            errors=errors,
        )

    def _async_save(self, influx: dict[str, Any]) -> ConfigFlowResult:
        """The connection goes to the entry's data under the power entry's keys (the shared
        sink, its reauth and its clean-up read them there); the tunables to the options."""
        entry = self.config_entry
        base = {
            key: value
            for key, value in entry.data.items()
            if key not in INFLUX_FIELDS and key != CONF_INFLUX_ENABLED
        }
        data_changed = self.hass.config_entries.async_update_entry(entry, data={**base, **influx})
        if data_changed and dict(entry.options) == self._options:
            # Options unchanged: OptionsFlowWithReload would not reload for the new connection.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data=self._options)


def is_utility_entry(entry: ConfigEntry) -> bool:
    """Whether an entry is the utility-meter entry (absent kind = the power entry)."""
    return entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_UTILITY


SUBENTRY_FLOWS: dict[str, type[ConfigSubentryFlow]] = {
    SUBENTRY_METER: MeterSubentryFlow,
    SUBENTRY_VIRTUAL: VirtualMeterSubentryFlow,
}
