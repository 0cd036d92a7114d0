"""The ready dashboard: the strategy module is served and loaded by the frontend (the browser
test, tests/browser, renders it)."""

from http import HTTPStatus
import json
import re

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.dashboard import (
    STRATEGY_FILE,
    STRATEGY_URL,
    async_register_strategy,
)

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


STRATEGY_JS = STRATEGY_FILE.read_text(encoding="utf-8")
EN = json.loads((STRATEGY_FILE.parents[1] / "translations" / "en.json").read_text(encoding="utf-8"))


def _js_string_literals(code: str) -> set[str]:
    """The strings of a JavaScript module, without its // comments."""
    code = re.sub(r"^\s*//.*$|\s//.*$", "", code, flags=re.MULTILINE)
    return {match[1:-1] for match in re.findall(r'"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`', code)}


def test_strategy_texts_are_translation_keys() -> None:
    """Every text the strategy shows is a key of translations/en.json, none an English copy (a
    copy would stay English in every other language)."""
    common = set(re.findall(r't\.common\("(\w+)"\)', STRATEGY_JS))
    common |= set(re.findall(r"\.common\.dashboard_(\w+)", STRATEGY_JS))  # read directly
    sensors = set(re.findall(r't\.sensor\("(\w+)"\)', STRATEGY_JS))
    assert {"top_consumers", "current_power", "column_kwh_month", "description"} <= common
    assert {"daily_energy", "peak_power"} <= sensors
    # The strategy uses every "dashboard_" text of en.json and no other.
    assert {f"dashboard_{key}" for key in common} == {
        key for key in EN["common"] if key.startswith("dashboard_")
    }
    assert sensors <= set(EN["entity"]["sensor"])

    texts = [EN["common"][f"dashboard_{key}"] for key in common]
    texts += [EN["entity"]["sensor"][key]["name"] for key in sensors]
    literals = _js_string_literals(STRATEGY_JS)
    # One word ("Power") may be part of another text ("Power, energy, ..."); a phrase may not.
    copies = [t for t in texts if any(t == s or (" " in t and t in s) for s in literals)]
    assert not copies


async def test_strategy_texts_reach_the_frontend(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """What hass.loadBackendTranslation("common", DOMAIN) asks: the dashboard's texts, by key."""
    assert await async_setup_component(hass, "frontend", {})
    client = await hass_ws_client(hass)
    for language, expected in (("en", "Top consumers"), ("fr", "Top consumers")):
        await client.send_json_auto_id(
            {
                "type": "frontend/get_translations",
                "language": language,
                "category": "common",
                "integration": [DOMAIN],
            }
        )
        resources = (await client.receive_json())["result"]["resources"]
        # A language without its own file falls back to English, key by key.
        assert resources[f"component.{DOMAIN}.common.dashboard_top_consumers"] == expected
        assert set(resources) == {f"component.{DOMAIN}.common.{key}" for key in EN["common"]}
