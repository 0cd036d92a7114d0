"""The utility entry's InfluxDB options against real VictoriaMetrics servers: pre-filled from the
power entry, the token never shown, an empty token reusing the power entry's for the same URL."""

from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
    DOMAIN,
)
from custom_components.energy_correlator.meters.flow_forms import DEFAULT_UTILITY_OPTIONS
from tests.meters.conftest import SetUp, meter, meter_device
from tests.victoria import (
    TOKEN,
    Victoria,
    tighten,
    victoria_fixture,  # noqa: F401 - the `victoria` fixture
    wait_until_drained,
)

POWER_INFLUX = {
    CONF_INFLUX_TOKEN: TOKEN,
    CONF_INFLUX_ORG: "home",
    CONF_INFLUX_BUCKET: "power-bucket",
    CONF_INFLUX_VERIFY_SSL: False,
}


@pytest.fixture(name="locked_victoria")
async def locked_victoria_fixture(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[Victoria]:
    """A VictoriaMetrics behind basic auth: it refuses every InfluxDB token with 401."""
    server = Victoria(
        tmp_path / "locked", args=("-httpAuth.username=admin", "-httpAuth.password=secret")
    )
    await server.start()
    try:
        yield server
    finally:
        server.kill()


def _power_entry(hass: HomeAssistant, mock_config_entry: MockConfigEntry, url: str) -> None:
    """The power entry (not loaded: its stored connection is what counts) writing to `url`."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            **mock_config_entry.data,
            **POWER_INFLUX,
            CONF_INFLUX_URL: url,
            CONF_INFLUX_ENABLED: True,
        },
    )


async def _influx_form(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULT_UTILITY_OPTIONS, CONF_INFLUX_ENABLED: True}
    )
    assert result["step_id"] == "influxdb"
    return result


def _suggested(result: Any) -> dict[str, Any]:
    """The values the frontend pre-fills (and submits unless changed)."""
    return {
        str(marker): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }


async def _submit(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    return await hass.config_entries.options.async_configure(result["flow_id"], user_input)


async def test_prefilled_from_the_power_entry_and_its_token_reused(
    hass: HomeAssistant,
    victoria: Victoria,
    mock_config_entry: MockConfigEntry,
    setup_utility: SetUp,
) -> None:
    """URL, org, bucket and certificate check come from the power entry, the token does not;
    submitted as suggested, the power entry's token is checked against the real server, saved,
    and the reloaded entry writes its meter's consumption there."""
    _power_entry(hass, mock_config_entry, victoria.url + "/")
    entry = await setup_utility(meter("Grid", "electricity", unit="kWh"))
    result = await _influx_form(hass, entry)
    suggested = _suggested(result)
    assert suggested == {
        CONF_INFLUX_URL: victoria.url + "/",
        CONF_INFLUX_ORG: "home",
        CONF_INFLUX_BUCKET: "power-bucket",
        CONF_INFLUX_VERIFY_SSL: False,
    }
    assert TOKEN not in str(result)  # nowhere in the form sent to the browser

    result = await _submit(hass, result, {**suggested, CONF_INFLUX_URL: victoria.url})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.data[CONF_INFLUX_TOKEN] == TOKEN
    assert entry.data[CONF_INFLUX_URL] == victoria.url
    assert entry.data[CONF_INFLUX_BUCKET] == "power-bucket"
    assert entry.options[CONF_INFLUX_ENABLED] is True
    assert entry.state is ConfigEntryState.LOADED

    coordinator = entry.runtime_data.coordinator
    sink = coordinator.sink
    assert sink is not None
    tighten(sink)
    device_id = meter_device(hass, entry, next(iter(entry.subentries)))
    now = dt_util.utcnow()
    for value, hours_ago in ((100.0, 5), (105.0, 1)):
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {
                "meter": device_id,
                "value": value,
                "timestamp": (now - timedelta(hours=hours_ago)).isoformat(),
            },
            blocking=True,
            return_response=True,
        )
    await coordinator.importer.async_wait()
    await wait_until_drained(sink)
    series = await victoria.wait_for_samples(1)
    assert any(s["metric"]["__name__"].startswith("meter_consumption") for s in series)

    # Opened again: its own connection is shown, still without the token; empty keeps it.
    result = await _influx_form(hass, entry)
    assert _suggested(result)[CONF_INFLUX_URL] == victoria.url
    assert CONF_INFLUX_TOKEN not in _suggested(result)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_power_token_refused_then_another_server(
    hass: HomeAssistant,
    victoria: Victoria,
    locked_victoria: Victoria,
    mock_config_entry: MockConfigEntry,
    setup_utility: SetUp,
) -> None:
    """A server refusing the reused token: the error is on the token field, the form keeps the
    input without any token; another server with a typed token then succeeds."""
    _power_entry(hass, mock_config_entry, locked_victoria.url)
    entry = await setup_utility(meter("Grid", "electricity", unit="kWh"))
    result = await _influx_form(hass, entry)
    suggested = _suggested(result)
    assert suggested[CONF_INFLUX_URL] == locked_victoria.url

    result = await _submit(hass, result, suggested)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_INFLUX_TOKEN: "invalid_auth"}
    assert _suggested(result) == suggested
    assert TOKEN not in str(result)

    result = await _submit(hass, result, {**suggested, CONF_INFLUX_TOKEN: "typed-t0ken"})
    assert result["errors"] == {CONF_INFLUX_TOKEN: "invalid_auth"}  # any token: refused

    result = await _submit(
        hass,
        result,
        {**suggested, CONF_INFLUX_URL: victoria.url, CONF_INFLUX_TOKEN: "typed-t0ken"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.data[CONF_INFLUX_URL] == victoria.url
    assert entry.data[CONF_INFLUX_TOKEN] == "typed-t0ken"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_an_empty_token_is_never_sent_to_another_server(
    hass: HomeAssistant,
    victoria: Victoria,
    locked_victoria: Victoria,
    mock_config_entry: MockConfigEntry,
    setup_utility: SetUp,
) -> None:
    """The power entry's token goes only to the power entry's URL: for another one an empty
    token is asked for, and nothing is checked or saved."""
    _power_entry(hass, mock_config_entry, locked_victoria.url)
    entry = await setup_utility(meter("Grid", "electricity", unit="kWh"))
    result = await _influx_form(hass, entry)
    result = await _submit(hass, result, {**_suggested(result), CONF_INFLUX_URL: victoria.url})
    assert result["errors"] == {CONF_INFLUX_TOKEN: "token_required"}
    assert CONF_INFLUX_URL not in entry.data
    result = await _submit(
        hass,
        result,
        {**_suggested(result), CONF_INFLUX_URL: victoria.url, CONF_INFLUX_TOKEN: "  "},
    )
    assert result["errors"] == {CONF_INFLUX_TOKEN: "token_required"}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_without_a_power_connection_the_defaults(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, setup_utility: SetUp
) -> None:
    """A power entry without InfluxDB pre-fills nothing of its own: the defaults, and a token
    must be typed."""
    mock_config_entry.add_to_hass(hass)
    entry = await setup_utility(meter("Grid", "electricity", unit="kWh"))
    result = await _influx_form(hass, entry)
    suggested = _suggested(result)
    assert suggested == {
        CONF_INFLUX_URL: "http://localhost:8086",
        CONF_INFLUX_BUCKET: "energy",
        CONF_INFLUX_VERIFY_SSL: True,
    }
    result = await _submit(hass, result, {**suggested, CONF_INFLUX_ORG: "home"})
    assert result["errors"] == {CONF_INFLUX_TOKEN: "token_required"}
    await hass.config_entries.async_unload(entry.entry_id)
