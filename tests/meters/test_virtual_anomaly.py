"""Virtual meters, anomalies (binary sensor, bus event, InfluxDB) and diagnostics."""

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
    DOMAIN,
)
from custom_components.energy_correlator.diagnostics import (
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)
from custom_components.energy_correlator.meters.const import EVENT_METER_ANOMALY
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import SetUp, meter, meter_device, utility_entry, virtual
from tests.victoria import FakeInflux, fake_influx_fixture, tighten, wait_until_drained  # noqa: F401

NOW = "2026-03-01 20:00:00+00:00"  # local (US/Pacific) 12:00 on 1 March
DAYS = 40


def _local_midnight(days_ago: int) -> datetime:
    """A local midnight before now (the frozen NOW, or the real now where time runs)."""
    today = dt_util.start_of_local_day(dt_util.now())
    return today - timedelta(days=days_ago)


def _daily(spike: float | None = None) -> list[tuple[datetime, float]]:
    """A reading at each local midnight: ~10 a day, the last day `spike` when given."""
    total = 1000.0
    rows = [(_local_midnight(DAYS), total)]
    for days_ago in range(DAYS - 1, -1, -1):
        use = 10.0 + (days_ago % 3) * 0.5
        if days_ago == 0 and spike is not None:
            use = spike
        total += use
        rows.append((_local_midnight(days_ago), total))
    return rows


async def _read_all(
    hass: HomeAssistant, device_id: str, rows: list[tuple[datetime, float]]
) -> None:
    for when, value in rows:
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {"meter": device_id, "value": value, "timestamp": when.isoformat()},
            blocking=True,
        )


def _subentry(entry: UtilityConfigEntry, title: str) -> str:
    return next(sid for sid, sub in entry.subentries.items() if sub.title == title)


async def test_planted_spike_is_an_anomaly_with_one_event(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """40 usual days, then a day of 4x: the binary sensor turns on, one event is fired."""
    freezer.move_to(NOW)
    events = async_capture_events(hass, EVENT_METER_ANOMALY)
    entry = await setup_utility(meter("Grid", "electricity", unit="kWh"))
    device_id = meter_device(hass, entry, _subentry(entry, "Grid"))
    await _read_all(hass, device_id, _daily(spike=40.0))

    state = hass.states.get("binary_sensor.grid_unusual_consumption")
    assert state is not None
    assert state.state == "on"
    yesterday = (_local_midnight(1)).date().isoformat()
    assert state.attributes["day"] == yesterday
    assert state.attributes["value"] == pytest.approx(40.0)
    assert state.attributes["expected_high"] < 40.0
    assert len(state.attributes["methods"]) >= 2

    await entry.runtime_data.coordinator.async_refresh()  # no second event for the same day
    assert len(events) == 1
    assert events[0].data["meter_id"] == _subentry(entry, "Grid")
    assert events[0].data["day"] == yesterday
    assert events[0].data["unit"] == "kWh"
    assert events[0].data["entity_id"] == "binary_sensor.grid_unusual_consumption"
    assert set(events[0].data["methods"]) == set(state.attributes["methods"])


async def test_usual_days_are_no_anomaly(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """The same meter without the spike stays off."""
    freezer.move_to(NOW)
    entry = await setup_utility(meter("Grid", "electricity", unit="kWh"))
    await _read_all(hass, meter_device(hass, entry, _subentry(entry, "Grid")), _daily())
    state = hass.states.get("binary_sensor.grid_unusual_consumption")
    assert state is not None
    assert state.state == "off"


async def test_virtual_meter_subtracts_and_converts_gas(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Heating gas = gas total - hot-water gas, in kWh (m³ x calorific value x z)."""
    freezer.move_to(NOW)
    entry = await setup_utility(
        meter("Gas", "gas", unit="m³", subentry_id="gas"),
        meter("Hot water gas", "gas", unit="m³", subentry_id="hot"),
        virtual("Heating gas", "gas", ["hot"], "energy", subentry_id="heating"),
        virtual("Heating volume", "gas", ["hot"], "volume", subentry_id="heating_m3"),
    )
    start = _local_midnight(2)
    for subentry_id, values in (("gas", (100.0, 110.0, 130.0)), ("hot", (50.0, 52.0, 56.0))):
        device_id = meter_device(hass, entry, subentry_id)
        await _read_all(
            hass, device_id, [(start + timedelta(days=i), v) for i, v in enumerate(values)]
        )
    factor = 11.504 * 0.8885
    coordinator = entry.runtime_data.coordinator
    snapshot = coordinator.data.meters["heating"]
    assert snapshot.totals.last_month == pytest.approx((30 - 6) * factor, rel=1e-6)
    state = hass.states.get("sensor.heating_gas_consumption_last_month")
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert float(state.state) == pytest.approx((30 - 6) * factor, abs=0.01)
    volume = hass.states.get("sensor.heating_volume_consumption_last_month")
    assert volume is not None
    assert volume.attributes["unit_of_measurement"] == "m³"
    assert float(volume.state) == pytest.approx(24.0, abs=0.001)
    # A virtual meter has no readings and no 'days since' sensor.
    assert hass.states.get("sensor.heating_gas_days_since_last_reading") is None


async def test_virtual_meter_clamps_at_zero_and_counts_it(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A sub-meter reading more than the base in some hours: never negative, the excess counted."""
    freezer.move_to(NOW)
    entry = await setup_utility(
        meter("Grid", "electricity", unit="kWh", subentry_id="grid"),
        meter("Household", "electricity", unit="kWh", subentry_id="house"),
        virtual("Heat pump", "grid", ["house"], "energy", subentry_id="pump"),
    )
    # Readings up to now: no estimate after the last one.
    now = dt_util.now()
    yesterday = now - timedelta(days=1)
    await _read_all(hass, meter_device(hass, entry, "grid"), [(yesterday, 0.0), (now, 10.0)])
    await _read_all(hass, meter_device(hass, entry, "house"), [(yesterday, 0.0), (now, 12.0)])
    snapshot = entry.runtime_data.coordinator.data.meters["pump"]
    assert snapshot.clamped_total == pytest.approx(2.0, abs=0.01)
    assert snapshot.totals.this_month == pytest.approx(0.0)
    state = hass.states.get("sensor.heat_pump_consumption_this_month")
    assert state is not None
    assert state.attributes["clamped_total"] == pytest.approx(2.0, abs=0.01)


async def test_diagnostics_per_entry_and_per_meter(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Readings, gaps, replacements and the last reading of each meter."""
    freezer.move_to(NOW)
    entry = await setup_utility(
        meter("Grid", "electricity", unit="kWh", subentry_id="grid"),
        meter("House", "electricity", unit="kWh", subentry_id="house"),
        virtual("Rest", "grid", ["house"], "energy", subentry_id="rest"),
    )
    device_id = meter_device(hass, entry, "grid")
    await _read_all(hass, device_id, [(_local_midnight(10), 5.0), (_local_midnight(2), 25.0)])
    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(hass, entry)
    grid = diagnostics["meters"]["grid"]
    assert grid["readings_count"] == 2
    assert grid["last_reading"]["value"] == 25.0
    assert grid["gaps"][0]["days"] == pytest.approx(8.0, abs=0.05)
    assert grid["replacements"] == []
    device = dr.async_get(hass).async_get(device_id)
    assert device is not None
    assert await async_get_device_diagnostics(hass, entry, device) == grid
    rest = dr.async_get(hass).async_get(meter_device(hass, entry, "rest"))
    assert rest is not None
    virtual_diagnostics = await async_get_device_diagnostics(hass, entry, rest)
    assert virtual_diagnostics["base"] == "grid"
    assert virtual_diagnostics["subtract"] == ["house"]
    assert diagnostics["options"]["gap_days"] == 2.0


async def test_influxdb_gets_consumption_and_anomalies(
    hass: HomeAssistant, fake_influx: FakeInflux
) -> None:
    """meter_consumption per hour and per day, and meter_anomaly, through the shared sink
    (real time: the sink's retry timers run on it)."""
    entry: MockConfigEntry = utility_entry(meter("Grid", "electricity", unit="kWh"))
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: fake_influx.url,
            CONF_INFLUX_TOKEN: "t0ken-t0ken",
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
            CONF_INFLUX_VERIFY_SSL: True,
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.sink is not None
    tighten(coordinator.sink)
    subentry_id = _subentry(entry, "Grid")
    await _read_all(hass, meter_device(hass, entry, subentry_id), _daily(spike=40.0))
    await coordinator.importer.async_wait()
    await wait_until_drained(coordinator.sink)
    lines = fake_influx.accepted
    hours = [
        line for line in lines if line.startswith("meter_consumption") and "period=hour" in line
    ]
    days = [line for line in lines if line.startswith("meter_consumption") and "period=day" in line]
    anomalies = [line for line in lines if line.startswith("meter_anomaly")]
    assert hours
    assert f"meter_id={subentry_id}" in hours[0]
    assert "meter_type=electricity" in hours[0]
    assert "unit=kWh" in hours[0]
    assert len(days) >= DAYS - 1
    assert len(anomalies) == 1
    assert "value=40" in anomalies[0]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_power_and_utility_entries_share_one_sink(
    hass: HomeAssistant, fake_influx: FakeInflux, mock_config_entry: MockConfigEntry
) -> None:
    """Both entries pointing at one server get the same sink: one writer, one backlog."""
    influx = {
        CONF_INFLUX_ENABLED: True,
        CONF_INFLUX_URL: fake_influx.url,
        CONF_INFLUX_TOKEN: "t0ken-t0ken",
        CONF_INFLUX_ORG: "home",
        CONF_INFLUX_BUCKET: "energy",
        CONF_INFLUX_VERIFY_SSL: True,
    }
    hass.states.async_set(
        "sensor.home_power", "300", {"unit_of_measurement": "W", "device_class": "power"}
    )
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, **influx}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    utility = utility_entry(meter("Grid", "electricity", unit="kWh"))
    utility.add_to_hass(hass)
    hass.config_entries.async_update_entry(utility, data={**utility.data, **influx})
    assert await hass.config_entries.async_setup(utility.entry_id)
    await hass.async_block_till_done()
    sink = utility.runtime_data.coordinator.sink
    assert sink is not None
    assert sink is mock_config_entry.runtime_data.sink
    assert sink.entry_ids == {mock_config_entry.entry_id, utility.entry_id}
    await hass.config_entries.async_unload(utility.entry_id)
    assert not sink.stopped  # the power entry still writes through it
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert sink.stopped
