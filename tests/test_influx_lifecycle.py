"""The sink's traces follow the entry: repair issues, backlog files and sink sensors go with it."""

import asyncio
from collections.abc import Generator
from pathlib import Path
import time
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    DOMAIN,
)
from custom_components.energy_correlator.influx import InfluxSettings, InfluxSink
from custom_components.energy_correlator.influx.hub import legacy_backlog_path
from custom_components.energy_correlator.influx.repairs import ISSUE_UNREACHABLE
from custom_components.energy_correlator.influx.sink import journal_path

from .conftest import METER, set_meter
from .victoria import free_port

SINK_SENSORS = ("sink_points_written", "sink_points_pending", "sink_success_rate")


@pytest.fixture(autouse=True)
def _quick_sink() -> Generator[None]:
    """Fail fast and raise the unreachable issue at the first failure."""
    with (
        patch.object(InfluxSink, "repair_after_s", 0.0),
        patch.object(InfluxSink, "flush_interval_s", 0.05),
        patch.object(InfluxSink, "retry_initial_s", 0.05),
        patch.object(InfluxSink, "retry_max_s", 0.2),
        patch.object(InfluxSink, "journal_interval_s", 0.05),
        patch.object(InfluxSink, "stop_flush_timeout_s", 0.5),
    ):
        yield


@pytest.fixture
def dead_url(socket_enabled: None) -> str:
    """A server that is down (nothing listens)."""
    return f"http://127.0.0.1:{free_port()}"


def _influx_entry(
    hass: HomeAssistant,
    base: MockConfigEntry,
    url: str,
    *,
    title: str | None = None,
    unique_id: str | None = None,
    disabled: bool = False,
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title or base.title,
        unique_id=unique_id or base.unique_id,
        disabled_by=ConfigEntryDisabler.USER if disabled else None,
        data={
            **base.data,
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: url,
            CONF_INFLUX_TOKEN: "secret",
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
        },
        options=base.options,
    )
    entry.add_to_hass(hass)
    return entry


async def _setup_failing(
    hass: HomeAssistant, entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> Path:
    """Set the entry up against the dead server; wait for its unreachable issue and journal."""
    set_meter(hass, 300)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"{ISSUE_UNREACHABLE}_{entry.entry_id}"
    deadline = time.monotonic() + 10
    while issue_registry.async_get_issue(DOMAIN, issue_id) is None:
        assert time.monotonic() < deadline, "no unreachable issue"
        await asyncio.sleep(0.05)
    settings = InfluxSettings.from_entry(entry)
    assert settings is not None
    journal = journal_path(hass, settings)
    # The journal is written in the executor after the first failure: on a busy machine it may
    # lag behind the issue.
    while not journal.exists():
        assert time.monotonic() < deadline, "no journal"
        await asyncio.sleep(0.05)
    return journal


def _sink_sensor_ids(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    registry = er.async_get(hass)
    return [
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if e.translation_key in SINK_SENSORS
    ]


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Backlog files go to a temporary config dir."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("config_dir")
async def test_unload_deletes_the_issues_and_keeps_the_backlog(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dead_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Unloading clears the entry's sink issues; its unsent points wait in the journal."""
    entry = _influx_entry(hass, mock_config_entry, dead_url)
    journal = await _setup_failing(hass, entry, issue_registry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    assert journal.exists()


@pytest.mark.usefixtures("config_dir")
async def test_stop_sending_deletes_issues_and_sink_sensors(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dead_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Reconfigure "stop sending to InfluxDB": no sink issue, sensor or backlog left behind."""
    entry = _influx_entry(hass, mock_config_entry, dead_url)
    journal = await _setup_failing(hass, entry, issue_registry)
    sink_sensors = _sink_sensor_ids(hass, entry)
    assert len(sink_sensors) == len(SINK_SENSORS)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "disable_influxdb"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.sink is None
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    assert _sink_sensor_ids(hass, entry) == []
    assert [eid for eid in sink_sensors if hass.states.get(eid) is not None] == []
    assert not journal.exists()  # the connection is forgotten: its points can never be sent
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_removal_deletes_issues_and_backlog_files(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dead_url: str,
    issue_registry: ir.IssueRegistry,
    config_dir: Path,
) -> None:
    """Removing the entry deletes its issues, its journal, the `.unreadable` copy, old files."""
    entry = _influx_entry(hass, mock_config_entry, dead_url)
    journal = await _setup_failing(hass, entry, issue_registry)
    unreadable = journal.with_name(f"{journal.name}.unreadable")
    unreadable.write_text("kept aside by an earlier start\n")
    legacy = legacy_backlog_path(hass, entry.entry_id)
    assert await hass.config_entries.async_unload(entry.entry_id)
    legacy.write_text("# energy_correlator influxdb backlog v1\n")  # from an older version
    issue_registry.async_get_or_create(  # an issue an earlier run left in the registry
        DOMAIN, f"{ISSUE_UNREACHABLE}_{entry.entry_id}", is_fixable=False, is_persistent=True,
        severity=ir.IssueSeverity.ERROR, translation_key=ISSUE_UNREACHABLE,
    )  # fmt: skip
    assert journal.exists()

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not journal.exists()
    assert not unreadable.exists()
    assert not legacy.exists()
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    assert list((config_dir / ".storage").glob("energy_correlator.influx*")) == []


@pytest.mark.usefixtures("config_dir")
async def test_removal_keeps_the_journal_another_entry_uses(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dead_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Two entries on one server share one sink and journal: removing one keeps it."""
    entry = _influx_entry(hass, mock_config_entry, dead_url)
    other = _influx_entry(hass, mock_config_entry, dead_url, title="Other", unique_id="other")
    journal = await _setup_failing(hass, entry, issue_registry)
    assert other.state is ConfigEntryState.LOADED
    shared = entry.runtime_data.sink
    assert shared is not None
    assert other.runtime_data.sink is shared
    assert shared.entry_ids == {entry.entry_id, other.entry_id}
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert journal.exists()
    assert not shared.stopped
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE_UNREACHABLE}_{other.entry_id}")

    assert await hass.config_entries.async_unload(other.entry_id)
    await hass.config_entries.async_remove(other.entry_id)
    await hass.async_block_till_done()
    assert not journal.exists()


@pytest.mark.usefixtures("config_dir")
async def test_an_older_per_entry_backlog_is_taken_over(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, dead_url: str
) -> None:
    """A backlog file of the version before shared sinks is replayed, then deleted."""
    entry = _influx_entry(hass, mock_config_entry, dead_url)
    legacy = legacy_backlog_path(hass, entry.entry_id)
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(
        "# energy_correlator influxdb backlog v1 (line protocol, precision ns)\n"
        f"smart_meter,meter_entity={METER} total_power_w=1.0 1000000000\n"
        f"smart_meter,meter_entity={METER} total_power_w=2.0 2000000000\n"
    )
    set_meter(hass, 300)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sink = entry.runtime_data.sink
    assert sink is not None
    assert sink.stats.points_pending >= 2
    assert not legacy.exists()
    assert journal_path(hass, sink.settings).exists()
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("config_dir")
async def test_removal_keeps_the_journal_of_a_disabled_entry_on_that_server(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dead_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An entry that is configured for the server but not running still owns its backlog."""
    entry = _influx_entry(hass, mock_config_entry, dead_url)
    other = _influx_entry(
        hass, mock_config_entry, dead_url, title="Other", unique_id="other", disabled=True
    )
    journal = await _setup_failing(hass, entry, issue_registry)
    assert other.state is ConfigEntryState.NOT_LOADED
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert journal.exists()
