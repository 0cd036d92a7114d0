"""Fixtures of the utility-meter shell: a utility entry with meters, loaded in a real hass."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import DOMAIN, OPT_PRICE_ENTITY
from custom_components.energy_correlator.meters.const import (
    CONF_BASE,
    CONF_CALORIFIC,
    CONF_CORRECTION,
    CONF_ENTRY_KIND,
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_OUTPUT,
    CONF_PRICE,
    CONF_SOURCE,
    CONF_SUBTRACT,
    CONF_UNIT,
    ENTRY_KIND_UTILITY,
    SUBENTRY_METER,
    SUBENTRY_VIRTUAL,
    UTILITY_UNIQUE_ID,
)
from custom_components.energy_correlator.meters.flow_forms import DEFAULT_UTILITY_OPTIONS

GAS_ATTRS = {"device_class": "gas", "state_class": "total_increasing", "unit_of_measurement": "m³"}
ENERGY_ATTRS = {
    "device_class": "energy",
    "state_class": "total_increasing",
    "unit_of_measurement": "kWh",
}


def meter(
    name: str,
    meter_type: str,
    source: str | None = None,
    unit: str | None = None,
    price: float | None = None,
    price_entity: str | None = None,
    subentry_id: str | None = None,
) -> ConfigSubentryData:
    """A meter subentry as the flow stores it."""
    data: dict[str, Any] = {
        CONF_NAME: name,
        CONF_METER_TYPE: meter_type,
        CONF_SOURCE: source,
        CONF_UNIT: unit,
        CONF_PRICE: price,
        OPT_PRICE_ENTITY: price_entity,
    }
    if meter_type == "gas":
        data |= {CONF_CALORIFIC: 11.504, CONF_CORRECTION: 0.8885}
    result = ConfigSubentryData(data=data, subentry_type=SUBENTRY_METER, title=name, unique_id=None)
    if subentry_id is not None:
        result["subentry_id"] = subentry_id  # type: ignore[typeddict-unknown-key]
    return result


def virtual(
    name: str, base: str, subtract: list[str], output: str, subentry_id: str | None = None
) -> ConfigSubentryData:
    """A virtual-meter subentry."""
    result = ConfigSubentryData(
        data={CONF_NAME: name, CONF_BASE: base, CONF_SUBTRACT: subtract, CONF_OUTPUT: output},
        subentry_type=SUBENTRY_VIRTUAL,
        title=name,
        unique_id=None,
    )
    if subentry_id is not None:
        result["subentry_id"] = subentry_id  # type: ignore[typeddict-unknown-key]
    return result


def utility_entry(*subentries: ConfigSubentryData, **options: Any) -> MockConfigEntry:
    """The utility entry holding these meters."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Utility meters",
        unique_id=UTILITY_UNIQUE_ID,
        data={CONF_ENTRY_KIND: ENTRY_KIND_UTILITY},
        options={**DEFAULT_UTILITY_OPTIONS, **options},
        subentries_data=list(subentries),
    )


type SetUp = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
async def setup_utility(hass: HomeAssistant) -> AsyncGenerator[SetUp]:
    """Add and load a utility entry with the given subentries. At the end it waits for the
    history reads and statistics imports the test left running, while the recorder (set up
    before this fixture, shut down after it) still runs: a read in flight at its shutdown keeps
    a connection that MariaDB and PostgreSQL cannot drop the test database under, and an
    import then waits for a recorder that is gone."""
    entries: list[MockConfigEntry] = []

    async def _setup(*subentries: ConfigSubentryData, **options: Any) -> MockConfigEntry:
        entry = utility_entry(*subentries, **options)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        entries.append(entry)
        return entry

    yield _setup
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            coordinator = entry.runtime_data.coordinator
            await asyncio.gather(*coordinator.learning, return_exceptions=True)
            await coordinator.importer.async_wait()


def meter_device(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> str:
    """The device id of a meter."""
    return next(
        device.id
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if (DOMAIN, subentry_id) in device.identifiers
    )
