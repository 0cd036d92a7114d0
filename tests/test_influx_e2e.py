"""The whole integration with InfluxDB enabled, writing to a real VictoriaMetrics."""

from pathlib import Path
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
)
from custom_components.energy_correlator.influx import InfluxSink
from custom_components.energy_correlator.influx.sink import journal_path
from tests.conftest import METER

from .victoria import (
    TOKEN,
    Victoria,
    victoria_fixture,  # noqa: F401 - the `victoria` fixture
    wait_until_drained,
)


async def test_loaded_entry_writes_the_meter_and_unloads_cleanly(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    victoria: Victoria,
    tmp_path: Path,
) -> None:
    """Set up with InfluxDB: the heartbeat's meter point reaches the server; unload stops it."""
    hass.config.config_dir = str(tmp_path)
    hass.states.async_set(METER, "300", {"unit_of_measurement": "W", "device_class": "power"})
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            **mock_config_entry.data,
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: victoria.url,
            CONF_INFLUX_TOKEN: TOKEN,
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
            CONF_INFLUX_VERIFY_SSL: True,
        },
    )
    with patch.object(InfluxSink, "flush_interval_s", 0.05):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        sink = mock_config_entry.runtime_data.sink
        assert sink is not None
        await wait_until_drained(sink)
        series = await victoria.wait_for_samples(1)
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    meter = [s for s in series if s["metric"]["__name__"] == "smart_meter_total_power_w"]
    assert meter[0]["metric"]["meter_entity"] == METER
    assert meter[0]["values"][0] == 300.0
    assert sink.stats.points_written >= 1
    assert sink.stats.points_pending == 0
    saved = journal_path(hass, sink.settings)
    assert not saved.exists()
