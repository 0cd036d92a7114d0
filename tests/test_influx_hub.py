"""One sink per InfluxDB server, shared by the entries that write to it (power and utility)."""

import asyncio
from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.influx import (
    ConsumptionPeriod,
    InfluxSettings,
    InfluxSink,
    async_acquire_sink,
    async_release_sink,
)
from custom_components.energy_correlator.influx.repairs import ISSUE_UNREACHABLE
from custom_components.energy_correlator.influx.sink import journal_path

from .victoria import (
    TOKEN,
    FakeInflux,
    Victoria,
    fake_influx_fixture,  # noqa: F401 - the `fake_influx` fixture
    victoria_fixture,  # noqa: F401 - the `victoria` fixture
    wait_until_drained,
)

BASE = 1_795_000_000.0  # whole seconds: exact in ms and ns


@pytest.fixture(autouse=True)
def _quick_sink() -> Generator[None]:
    """The hub starts sinks itself: tighten the class's tunables before it does."""
    with (
        patch.object(InfluxSink, "flush_interval_s", 0.05),
        patch.object(InfluxSink, "journal_interval_s", 0.05),
        patch.object(InfluxSink, "retry_initial_s", 0.05),
        patch.object(InfluxSink, "retry_max_s", 0.2),
    ):
        yield


def _settings(url: str, *, bucket: str = "energy", cap: int = 1_000) -> InfluxSettings:
    return InfluxSettings(url=url, token=TOKEN, org="home", bucket=bucket, max_backlog_points=cap)


@pytest.fixture
def entries(hass: HomeAssistant, tmp_path: Path) -> tuple[MockConfigEntry, MockConfigEntry]:
    """A power entry and a utility-meter entry."""
    hass.config.config_dir = str(tmp_path)
    power = MockConfigEntry(domain=DOMAIN, title="Power", data={})
    utility = MockConfigEntry(domain=DOMAIN, title="Utility", data={})
    power.add_to_hass(hass)
    utility.add_to_hass(hass)
    return power, utility


async def test_one_sink_per_server_until_the_last_release(
    hass: HomeAssistant, entries: tuple[MockConfigEntry, MockConfigEntry], victoria: Victoria
) -> None:
    """Two entries on one server share a sink; another bucket is another sink."""
    power, utility = entries
    first = await async_acquire_sink(hass, power, _settings(victoria.url))
    second = await async_acquire_sink(hass, utility, _settings(victoria.url + "/"))
    assert first is not None
    assert second is first
    assert first.entry_ids == {power.entry_id, utility.entry_id}
    other = await async_acquire_sink(hass, power, _settings(victoria.url, bucket="other"))
    assert other is not None
    assert other is not first  # power moved to another bucket: it left the first sink
    assert first.entry_ids == {utility.entry_id}

    await async_release_sink(hass, utility.entry_id)
    assert first.stopped
    assert not other.stopped
    await async_release_sink(hass, power.entry_id)
    assert other.stopped
    await async_release_sink(hass, power.entry_id)  # twice is harmless


async def test_cap_is_the_largest_of_the_entries(
    hass: HomeAssistant, entries: tuple[MockConfigEntry, MockConfigEntry], victoria: Victoria
) -> None:
    """The shared backlog keeps what the most generous entry asked for."""
    power, utility = entries
    sink = await async_acquire_sink(hass, power, _settings(victoria.url, cap=10))
    assert sink is not None
    await async_acquire_sink(hass, utility, _settings(victoria.url, cap=50))
    await victoria.stop()
    for i in range(80):
        sink.record("m", (("t", "x"),), (("v", float(i)),), BASE + i)
    assert sink.stats.points_pending == 50
    await async_release_sink(hass, utility.entry_id)
    sink.record("m", (("t", "x"),), (("v", 80.0),), BASE + 80)
    assert sink.stats.points_pending == 10  # the power entry's cap again
    await async_release_sink(hass, power.entry_id)


async def test_disabled_entry_gets_no_sink(
    hass: HomeAssistant, entries: tuple[MockConfigEntry, MockConfigEntry]
) -> None:
    """Without `influxdb_enabled` in its data an entry has no sink."""
    assert await async_acquire_sink(hass, entries[0]) is None


async def test_utility_measurements_through_the_shared_sink(
    hass: HomeAssistant, entries: tuple[MockConfigEntry, MockConfigEntry], victoria: Victoria
) -> None:
    """`meter_consumption` per hour and day and `meter_anomaly` land with float fields."""
    utility = entries[1]
    sink = await async_acquire_sink(hass, utility, _settings(victoria.url))
    assert sink is not None
    common: dict[str, Any] = {"meter_id": "gas", "meter_type": "gas", "unit": "m³"}
    sink.record_meter_consumption(
        BASE,
        **common,
        period=ConsumptionPeriod.HOUR,
        interpolated=True,
        consumption=0.25,
        cost=0.3,
    )
    sink.record_meter_consumption(
        BASE, **common, period=ConsumptionPeriod.DAY, interpolated=False, consumption=6.0
    )
    sink.record_meter_anomaly(
        BASE,
        meter_id="gas",
        value=12.0,
        expected_low=4.0,
        expected_high=8.0,
        methods=["zscore", "rolling_zscore"],
    )
    sink.record_meter_anomaly(
        BASE, meter_id="gas", value=1.0, expected_low=None, expected_high=None, methods=["typo"]
    )
    assert sink.stats.points_dropped == 1  # an unknown method is counted, never raised
    await wait_until_drained(sink)
    series = await victoria.wait_for_samples(7)
    await async_release_sink(hass, utility.entry_id)

    samples = {
        (item["metric"]["__name__"], item["metric"].get("period", "")): item for item in series
    }
    hour = samples["meter_consumption_consumption", "hour"]
    assert hour["metric"] == {
        "__name__": "meter_consumption_consumption",
        **common,
        "period": "hour",
        "interpolated": "true",
    }
    assert hour["values"] == [0.25]
    assert samples["meter_consumption_cost", "hour"]["values"] == [0.3]
    assert samples["meter_consumption_consumption", "day"]["values"] == [6.0]
    assert samples["meter_consumption_consumption", "day"]["metric"]["interpolated"] == "false"
    assert ("meter_consumption_cost", "day") not in samples  # no cost: no field
    assert samples["meter_anomaly_methods", ""]["values"] == [5.0]  # 1 | 4
    assert samples["meter_anomaly_expected_high", ""]["values"] == [8.0]
    assert samples["meter_anomaly_value", ""]["metric"] == {
        "__name__": "meter_anomaly_value",
        "meter_id": "gas",
    }


async def test_issues_follow_each_entry(
    hass: HomeAssistant,
    entries: tuple[MockConfigEntry, MockConfigEntry],
    victoria: Victoria,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Each attached entry has its own copy of an issue; releasing one deletes only its copy."""
    power, utility = entries
    sink = await async_acquire_sink(hass, power, _settings(victoria.url))
    assert sink is not None
    sink.repair_after_s = 0.0
    await victoria.stop()
    sink.record("m", (), (("v", 1.0),), BASE)
    for _ in range(100):
        if issue_registry.async_get_issue(DOMAIN, f"{ISSUE_UNREACHABLE}_{power.entry_id}"):
            break
        await hass.async_block_till_done()
        await asyncio.sleep(0.05)
    await async_acquire_sink(hass, utility, _settings(victoria.url))
    utility_issue = issue_registry.async_get_issue(
        DOMAIN, f"{ISSUE_UNREACHABLE}_{utility.entry_id}"
    )
    assert utility_issue is not None
    assert utility_issue.translation_placeholders is not None
    assert utility_issue.translation_placeholders["title"] == "Utility"

    await async_release_sink(hass, power.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE_UNREACHABLE}_{power.entry_id}") is None
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE_UNREACHABLE}_{utility.entry_id}")
    await async_release_sink(hass, utility.entry_id)
    assert not issue_registry.issues
    assert journal_path(hass, sink.settings).exists()  # the point waits for the next start


async def test_a_new_token_takes_effect_for_the_shared_sink(
    hass: HomeAssistant,
    entries: tuple[MockConfigEntry, MockConfigEntry],
    fake_influx: FakeInflux,
) -> None:
    """An entry attaching with a new token (after a reauth) switches the shared client to it."""
    power, utility = entries
    sink = await async_acquire_sink(hass, power, _settings(fake_influx.url))
    assert sink is not None
    sink.record("m", (), (("v", 1.0),), BASE)
    await wait_until_drained(sink)
    renewed = InfluxSettings(
        url=fake_influx.url, token="renewed", org="home", bucket="energy", max_backlog_points=10
    )
    assert await async_acquire_sink(hass, utility, renewed) is sink
    sink.record("m", (), (("v", 2.0),), BASE + 1)
    await wait_until_drained(sink)
    tokens = [request.headers["Authorization"] for request in fake_influx.requests]
    assert tokens == [f"Token {TOKEN}", "Token renewed"]
    await async_release_sink(hass, power.entry_id)
    await async_release_sink(hass, utility.entry_id)


async def test_an_entry_cannot_attach_to_another_servers_sink(
    hass: HomeAssistant, entries: tuple[MockConfigEntry, MockConfigEntry]
) -> None:
    """A sink writes to one server: attaching with another bucket is a programming error."""
    power, utility = entries
    sink = InfluxSink(hass, _settings("http://127.0.0.1:1"))
    sink.attach(power)
    with pytest.raises(ValueError, match="its own server"):
        sink.attach(utility, _settings("http://127.0.0.1:1", bucket="other"))
    assert sink.entry_ids == {power.entry_id}
