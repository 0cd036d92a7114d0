"""The ready dashboard: the strategy module is served and loaded by the frontend (the browser
test, tests/browser, renders it)."""

from http import HTTPStatus

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.dashboard import STRATEGY_URL, async_register_strategy

from .conftest import METER


async def test_strategy_served_and_loaded(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, init_integration: MockConfigEntry
) -> None:
    """With the frontend, every page loads the strategy; it is registered once."""
    assert await async_setup_component(hass, "frontend", {})
    await async_register_strategy(hass)
    await async_register_strategy(hass)  # a second call changes nothing

    urls = [url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if url.startswith(STRATEGY_URL)]
    assert len(urls) == 1
    response = await (await hass_client()).get(urls[0])
    assert response.status == HTTPStatus.OK
    text = await response.text()
    assert "ll-strategy-dashboard-energy-correlator" in text
    assert "customStrategies" in text


async def test_no_frontend_nothing_served(hass: HomeAssistant) -> None:
    """A Home Assistant without its UI gets no static path (and no error)."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert DATA_EXTRA_MODULE_URL not in hass.data


async def test_untracked_power_names_the_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The dashboard's "current power" tile finds the meter through this attribute."""
    untracked = next(
        state
        for state in hass.states.async_all("sensor")
        if state.entity_id.endswith("_untracked_power")
    )
    assert untracked.attributes["meter_entity_id"] == METER
