"""The InfluxDB sink against a real server (VictoriaMetrics): schema, escaping, outage, restart."""

import asyncio
import logging
from pathlib import Path
import time
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.engine.models import (
    Correlation,
    ProfileSummary,
    Status,
    TransitionKind,
)
from custom_components.energy_correlator.influx import InfluxSink
from custom_components.energy_correlator.influx.repairs import (
    ISSUE_POINTS_DROPPED,
    ISSUE_UNREACHABLE,
)
from custom_components.energy_correlator.influx.sink import journal_path

from .victoria import (
    TOKEN,
    Victoria,
    entry_fixture,  # noqa: F401 - the `entry` fixture
    make_sink,
    sample_counts,
    victoria_fixture,  # noqa: F401 - the `victoria` fixture
    wait_until_drained,
)

BASE = float(round(time.time()) - 3600)  # an hour ago, whole seconds: exact in ms and ns


def _correlation(entity_id: str, ts: float, **changes: Any) -> Correlation:
    values: dict[str, Any] = {
        "entity_id": entity_id,
        "domain": entity_id.split(".", maxsplit=1)[0],
        "kind": TransitionKind.ONOFF,
        "previous_state": "off",
        "state": "on",
        "ts": ts,
        "previous_level": 0.0,
        "level": 1.0,
        "power_before_w": 300.0,
        "power_after_w": 1300.0,
        "power_delta_w": 1000.0,
        "power_delta_pct": 333.3,
        "meter_updates": 12,
        "confidence": 0.9,
        "status": Status.OK,
    }
    values.update(changes)
    return Correlation(**values)


def _profile(entity_id: str) -> ProfileSummary:
    return ProfileSummary(
        entity_id=entity_id,
        kind=TransitionKind.BRIGHTNESS,
        learned_power_w=60.0,
        confidence=0.75,
        events=7,
        on_delta_w=60.0,
        off_delta_w=59.0,
        spread_w=2.0,
        standby_w=0.5,
        last_seen=BASE,
    )


def _by_name(series: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for item in series:
        result.setdefault(item["metric"]["__name__"], []).append(item)
    return result


def _record_meter_points(sink: InfluxSink, start: int, stop: int) -> None:
    for i in range(start, stop):
        sink.record_meter(BASE + i, "sensor.home_power", float(i), None)


def _assert_exactly_once(series: list[dict[str, Any]], expected: range) -> None:
    counts = sample_counts(series)
    values = sorted(
        int(v)
        for item in series
        if item["metric"]["__name__"] == "smart_meter_total_power_w"
        for v in item["values"]
    )
    assert values == list(expected)
    assert set(counts.values()) == {1}


async def test_schema_of_all_measurements(
    hass: HomeAssistant, entry: MockConfigEntry, victoria: Victoria
) -> None:
    """Every measurement lands with its tags, float fields and the given timestamps."""
    sink = make_sink(hass, entry, victoria.url)
    await sink.async_start()
    sink.record_meter(BASE, "sensor.home_power", 1234.5, 7.25)
    sink.record_meter(BASE + 1, "sensor.home_power", 1000.0, None)  # missing field left out
    sink.record_circuit(BASE, "sensor.kitchen_power", "sensor.home_power", 400.0, 32.4)
    sink.record_correlation(_correlation("switch.kettle", BASE + 2, overlapping=("light.a",)))
    sink.record_profile(BASE + 3, _profile("light.desk"))
    await wait_until_drained(sink)
    series = _by_name(await victoria.wait_for_samples(14))
    await sink.async_stop()

    meter = {"meter_entity": "sensor.home_power", "meter_type": "home_assistant"}
    (power,) = series["smart_meter_total_power_w"]
    assert power["metric"] == {"__name__": "smart_meter_total_power_w", **meter}
    assert power["values"] == [1234.5, 1000.0]
    assert power["timestamps"] == [round(BASE * 1000), round((BASE + 1) * 1000)]
    assert series["smart_meter_daily_kwh"][0]["values"] == [7.25]

    circuit = {"circuit_name": "sensor.kitchen_power", "meter_entity": "sensor.home_power"}
    assert series["smart_meter_circuit_power_w"][0]["metric"] == {
        "__name__": "smart_meter_circuit_power_w",
        **circuit,
    }
    assert series["smart_meter_circuit_percentage"][0]["values"] == [32.4]

    tags = {
        "entity_id": "switch.kettle",
        "domain": "switch",
        "state": "on",
        "previous_state": "off",
        "transition": "onoff",
    }
    fields = {
        "power_before_w": 300.0,
        "power_after_w": 1300.0,
        "power_delta_w": 1000.0,
        "power_delta_pct": 333.3,
        "confidence": 0.9,
        "overlapped": 1.0,
    }
    for field, value in fields.items():
        (item,) = series[f"event_energy_correlation_{field}"]
        assert item["metric"] == {"__name__": f"event_energy_correlation_{field}", **tags}
        assert item["values"] == [value]
        assert item["timestamps"] == [round((BASE + 2) * 1000)]

    profile = {"entity_id": "light.desk", "transition": "brightness"}
    for field, value in {"learned_power_w": 60.0, "confidence": 0.75, "events": 7.0}.items():
        (item,) = series[f"device_power_profile_{field}"]
        assert item["metric"] == {"__name__": f"device_power_profile_{field}", **profile}
        assert item["values"] == [value]
    stats = sink.stats
    assert stats.points_written == 5
    assert stats.points_dropped == 0
    assert stats.success_pct == 100.0


@pytest.mark.parametrize(
    "entity_id",
    [
        "sensor.living room",
        "sensor.a,b=c",
        "sensor.wohnzimmer_lüftung_ß_温度",
        "sensor.back\\slash",
        "sensor.trailing\\",
    ],
)
async def test_awkward_tag_values_round_trip(
    hass: HomeAssistant, entry: MockConfigEntry, victoria: Victoria, entity_id: str
) -> None:
    """Spaces, commas, `=`, unicode and backslashes in tags come back unchanged."""
    sink = make_sink(hass, entry, victoria.url)
    await sink.async_start()
    sink.record_correlation(
        _correlation(entity_id, BASE, state="on, really = yes", previous_state="aus (ü)")
    )
    await wait_until_drained(sink)
    series = _by_name(await victoria.wait_for_samples(6))
    await sink.async_stop()
    (item,) = series["event_energy_correlation_power_delta_w"]
    assert item["metric"]["entity_id"] == entity_id
    assert item["metric"]["state"] == "on, really = yes"
    assert item["metric"]["previous_state"] == "aus (ü)"
    assert sink.stats.points_dropped == 0


async def test_outage_ends_with_every_point_exactly_once(
    hass: HomeAssistant, entry: MockConfigEntry, victoria: Victoria
) -> None:
    """Points produced while the server is down are written once it is back, none twice."""
    sink = make_sink(hass, entry, victoria.url)
    await sink.async_start()
    _record_meter_points(sink, 0, 100)
    await wait_until_drained(sink)

    await victoria.stop()
    for chunk in range(10):  # keep producing through the outage
        _record_meter_points(sink, 100 + chunk * 30, 130 + chunk * 30)
        await asyncio.sleep(0.1)
    stats = sink.stats
    assert stats.points_pending >= 300
    assert stats.failing_since is not None
    assert stats.last_error is not None
    assert stats.last_error.startswith("cannot_connect")

    await victoria.start()
    _record_meter_points(sink, 400, 450)
    await wait_until_drained(sink)
    _assert_exactly_once(await victoria.wait_for_samples(450), range(450))
    stats = sink.stats
    assert stats.points_written == 450
    assert stats.points_dropped == 0
    assert stats.failing_since is None
    assert stats.last_error is None
    assert stats.success_pct is not None
    assert stats.success_pct < 100
    await sink.async_stop()


async def test_restart_during_outage_loses_nothing(
    hass: HomeAssistant, entry: MockConfigEntry, victoria: Victoria, tmp_path: Path
) -> None:
    """The backlog is saved on Home Assistant's stop and replayed by the next start."""
    sink = make_sink(hass, entry, victoria.url)
    await sink.async_start()
    _record_meter_points(sink, 0, 50)
    await wait_until_drained(sink)
    await victoria.stop()
    _record_meter_points(sink, 50, 250)
    await asyncio.sleep(0.3)

    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)  # what a restart does first
    await hass.async_block_till_done()
    saved = journal_path(hass, sink.settings)
    assert saved.exists()
    assert sink.stats.points_pending == 200

    await victoria.start()
    after = make_sink(hass, entry, victoria.url)  # the sink of the next run
    _record_meter_points(after, 300, 320)  # recorded before start: replayed lines go first
    await after.async_start()
    assert after.stats.points_pending == 220
    _record_meter_points(after, 250, 300)
    await wait_until_drained(after)
    _assert_exactly_once(await victoria.wait_for_samples(320), range(320))
    await after.async_stop()
    assert not saved.exists()


async def test_cap_drops_only_the_oldest_counts_them_and_clears_after_recovery(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    victoria: Victoria,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Over the cap the oldest points go, are counted, logged and raise a repair issue."""
    sink = make_sink(hass, entry, victoria.url, cap=50)
    await sink.async_start()
    await victoria.stop()
    _record_meter_points(sink, 0, 80)
    await asyncio.sleep(0.3)
    assert sink.stats.points_pending == 50
    assert sink.stats.points_dropped == 30
    issue = issue_registry.async_get_issue(DOMAIN, f"{ISSUE_POINTS_DROPPED}_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["cap"] == "50"

    await victoria.start()
    await wait_until_drained(sink)
    _assert_exactly_once(await victoria.wait_for_samples(50), range(30, 80))
    assert sink.stats.points_dropped == 30
    issue_id = f"{ISSUE_POINTS_DROPPED}_{entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None  # the drop was just now

    sink.drop_issue_clear_s = 0.2  # caught up, and no drop for this long: the issue clears
    await asyncio.sleep(0.3)
    _record_meter_points(sink, 80, 81)
    await wait_until_drained(sink)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await sink.async_stop()


async def test_unreachable_repair_raised_and_cleared(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    victoria: Victoria,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A long outage raises `influxdb_unreachable`; the next successful write clears it."""
    sink = make_sink(hass, entry, victoria.url)
    sink.repair_after_s = 0.2
    issue_id = f"{ISSUE_UNREACHABLE}_{entry.entry_id}"
    await sink.async_start()
    await victoria.stop()
    _record_meter_points(sink, 0, 5)
    await asyncio.sleep(0.8)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await victoria.start()
    await wait_until_drained(sink)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await sink.async_stop()


async def test_token_never_logged(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    victoria: Victoria,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither failures, recovery nor debug logging of the libraries show the token."""
    caplog.set_level(logging.DEBUG)
    sink = make_sink(hass, entry, victoria.url)
    await sink.async_start()
    await victoria.stop()
    _record_meter_points(sink, 0, 10)
    await asyncio.sleep(0.5)
    await victoria.start()
    await wait_until_drained(sink)
    await sink.async_stop()
    assert "InfluxDB write to" in caplog.text  # the failure was logged...
    assert TOKEN not in caplog.text  # ...without the token
    assert TOKEN not in repr(sink.stats)


# A second test instance leaves HA's own daily registry clean-up timer behind (not ours).
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_real_hass_restart_during_outage_loses_nothing(
    victoria: Victoria, tmp_path: Path
) -> None:
    """Two Home Assistant runs on one config dir: the second writes what the first could not."""
    async with async_test_home_assistant(config_dir=str(tmp_path)) as first:
        entry = MockConfigEntry(domain=DOMAIN, title="Home", data={}, entry_id="restart")
        entry.add_to_hass(first)
        sink = make_sink(first, entry, victoria.url)
        await sink.async_start()
        _record_meter_points(sink, 0, 40)
        await wait_until_drained(sink)
        await victoria.stop()
        _record_meter_points(sink, 40, 240)
        await asyncio.sleep(0.3)
        await first.async_stop()  # cancels the writer, fires EVENT_HOMEASSISTANT_STOP
        assert sink.stats.points_pending == 200

    await victoria.start()
    async with async_test_home_assistant(config_dir=str(tmp_path)) as second:
        entry = MockConfigEntry(domain=DOMAIN, title="Home", data={}, entry_id="restart")
        entry.add_to_hass(second)
        sink = make_sink(second, entry, victoria.url)
        await sink.async_start()
        _record_meter_points(sink, 240, 260)
        await wait_until_drained(sink)
        _assert_exactly_once(await victoria.wait_for_samples(260), range(260))
        await sink.async_stop()
