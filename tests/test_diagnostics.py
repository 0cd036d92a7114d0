"""Diagnostics: everything a bug report needs, and never the InfluxDB token."""

import asyncio
import json
import logging
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_METER,
)
from custom_components.energy_correlator.diagnostics import redact_url
from tests.conftest import METER, set_meter
from tests.test_listener import run_meter
from tests.victoria import (
    FakeInflux,
    drain_with_frozen_clock,
    fake_influx_fixture,  # noqa: F401 - the `fake_influx` fixture
    tighten,
)

TOKEN = "sup3r-s3cret-influx-token=="
URL_PASSWORD = "hunter2-url-password"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8086", "http://127.0.0.1:8086"),
        ("https://user:pw@influx.lan:8086/api", f"https://{REDACTED}@influx.lan:8086/api"),
        ("http://127.0.0.1:8086/?token=abc", f"http://127.0.0.1:8086/?{REDACTED}"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    """Credentials in the URL go, the host stays."""
    assert redact_url(url) == expected


async def test_diagnostics_content_and_redaction(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fake_influx: FakeInflux,
) -> None:
    """Config, engine stats, profiles, correlations and sink state; the token appears nowhere
    (also not in the debug log of a sink that writes)."""
    caplog.set_level(logging.DEBUG, logger="custom_components.energy_correlator")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            **mock_config_entry.data,
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: fake_influx.url,
            CONF_INFLUX_TOKEN: TOKEN,
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
        },
    )
    set_meter(hass, 300)
    hass.states.async_set("switch.kettle", "off")
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    sink = mock_config_entry.runtime_data.sink
    assert sink is not None
    tighten(sink)
    await run_meter(hass, freezer, 40, 300)
    hass.states.async_set("switch.kettle", "on")
    await run_meter(hass, freezer, 40, 2300)
    await drain_with_frozen_clock(hass, freezer, sink)

    result = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)

    assert result["config"][CONF_METER] == METER
    assert result["config"][CONF_INFLUX_TOKEN] == REDACTED
    assert result["engine"]["stats"]["correlations"] >= 1
    assert result["engine"]["meter_power_w"] == pytest.approx(2300)
    assert [p["entity_id"] for p in result["profiles"]] == ["switch.kettle"]
    assert result["recent_correlations"][0]["entity_id"] == "switch.kettle"
    assert result["sink"] is not None
    assert result["sink"]["points_written"] == len(fake_influx.accepted) > 0
    assert result["sink"]["points_pending"] == 0
    assert result["coordinator"]["last_update_success"] is True

    dumped = json.dumps(result)
    assert TOKEN not in dumped
    assert TOKEN not in caplog.text
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_diagnostics_redacts_credentials_in_the_url(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    fake_influx: FakeInflux,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A user name and password in the InfluxDB URL reach neither the download nor the log."""
    url = fake_influx.url.replace("//", f"//admin:{URL_PASSWORD}@")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            **mock_config_entry.data,
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: url,
            CONF_INFLUX_TOKEN: TOKEN,
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
        },
    )
    set_meter(hass, 300)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    result = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)

    assert result["config"][CONF_INFLUX_URL] == fake_influx.url.replace("//", f"//{REDACTED}@")
    assert URL_PASSWORD not in json.dumps(result)
    # The client refuses credentials in the URL beside a token: the failing write is logged.
    sink = mock_config_entry.runtime_data.sink
    assert sink is not None
    deadline = time.monotonic() + 20
    while "InfluxDB write to" not in caplog.text:
        assert time.monotonic() < deadline, "no failed write logged"
        await asyncio.sleep(0.1)
    assert f"{REDACTED}@" in caplog.text
    assert URL_PASSWORD not in caplog.text
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_diagnostics_without_sink(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """No InfluxDB: the sink section is empty and the config has no InfluxDB secrets."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result["sink"] is None
    assert result["profiles"] == []
    assert result["options"] == dict(init_integration.options)
