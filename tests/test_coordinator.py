"""The heartbeat: precise publication, price, alerts, daily energy, the sink hand-off."""

from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.energy_correlator.const import (
    CONF_CIRCUITS,
    CONF_ENERGY_SENSOR,
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    EVENT_CORRELATION,
    OPT_HIGH_POWER_DURATION_S,
    OPT_HIGH_POWER_W,
    OPT_PHANTOM_THRESHOLD_W,
    OPT_PRICE_ENTITY,
    OPT_PRICE_PER_KWH,
    OPT_SCAN_INTERVAL_S,
)
from custom_components.energy_correlator.coordinator import EnergyCorrelatorCoordinator
from custom_components.energy_correlator.daily_energy import DailyEnergy
from custom_components.energy_correlator.diagnostics import async_get_config_entry_diagnostics
from custom_components.energy_correlator.influx.points import (
    MEASUREMENT_CIRCUIT,
    MEASUREMENT_CORRELATION,
    MEASUREMENT_METER,
    MEASUREMENT_PROFILE,
)
from tests.conftest import METER, set_meter
from tests.test_listener import run_meter
from tests.victoria import (
    FakeInflux,
    drain_with_frozen_clock,
    fake_influx_fixture,  # noqa: F401 - the `fake_influx` fixture
    tighten,
)


async def setup_entry(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    data: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
) -> EnergyCorrelatorCoordinator:
    """Set the entry up with changed data/options; meter at 300 W, kettle off."""
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, **(data or {})}, options={**entry.options, **(options or {})}
    )
    set_meter(hass, 300)
    hass.states.async_set("switch.kettle", "off")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: EnergyCorrelatorCoordinator = entry.runtime_data.coordinator
    return coordinator


async def test_published_before_the_next_heartbeat(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """With a 10 min heartbeat, the one-shot timer still publishes within 30 s of the event."""
    await setup_entry(hass, mock_config_entry, options={OPT_SCAN_INTERVAL_S: 600})
    events = async_capture_events(hass, EVENT_CORRELATION)
    await run_meter(hass, freezer, 40, 300)
    switched_at = dt_util.utcnow()
    hass.states.async_set("switch.kettle", "on")
    for _ in range(30):
        await run_meter(hass, freezer, 1, 2300)
        if events:
            break
    assert events
    assert (dt_util.utcnow() - switched_at).total_seconds() <= 30


async def test_devices_and_snapshot_after_learning(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Learned devices appear in the snapshot with their level and estimated power."""
    coordinator = await setup_entry(hass, mock_config_entry)
    for _ in range(4):
        await run_meter(hass, freezer, 40, 300)
        hass.states.async_set("switch.kettle", "on")
        await run_meter(hass, freezer, 40, 2300)
        hass.states.async_set("switch.kettle", "off")
    await run_meter(hass, freezer, 40, 300)
    data = coordinator.data
    assert data.last_correlation is not None
    assert data.last_correlation.entity_id == "switch.kettle"
    assert data.stats.correlations >= 8
    kettle = data.devices["switch.kettle"]
    assert kettle.profile.learned_power_w == pytest.approx(2000, rel=0.05)
    assert kettle.level == 0
    assert data.meter_power_w == pytest.approx(300)


@pytest.mark.parametrize(
    ("price_state", "expected"),
    [("0.42", 0.42), ("unavailable", 0.25), ("nan", 0.25), ("inf", 0.25), ("cheap", 0.25)],
)
async def test_price_entity_or_fixed(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    price_state: str,
    expected: float,
) -> None:
    """The price entity wins when numeric; otherwise the fixed price option."""
    hass.states.async_set("sensor.tibber_price", price_state)
    coordinator = await setup_entry(
        hass,
        mock_config_entry,
        options={OPT_PRICE_ENTITY: "sensor.tibber_price", OPT_PRICE_PER_KWH: 0.25},
    )
    assert coordinator.data.price_per_kwh == pytest.approx(expected)


@pytest.mark.parametrize(
    ("price_state", "unit", "expected"),
    [
        ("300", "EUR/MWh", 0.3),  # day-ahead prices are often per MWh
        ("0.0003", "EUR/Wh", 0.3),
        ("0.3", "EUR/kWh", 0.3),
        ("0.3", "EUR", 0.3),  # no energy unit: per kWh, as Home Assistant's energy cost
        ("30", "ct/kWh", 0.3),  # a currency's hundredths (30 ct/kWh was taken as 30 EUR/kWh)
    ],
)
async def test_price_entity_unit_is_converted_to_per_kwh(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    price_state: str,
    unit: str,
    expected: float,
) -> None:
    """A price sensor in EUR/MWh is priced per kWh (it was taken as 300 EUR/kWh)."""
    hass.states.async_set("sensor.day_ahead", price_state, {"unit_of_measurement": unit})
    coordinator = await setup_entry(
        hass,
        mock_config_entry,
        options={OPT_PRICE_ENTITY: "sensor.day_ahead", OPT_PRICE_PER_KWH: 0.25},
    )
    assert coordinator.data.price_per_kwh == pytest.approx(expected)


async def test_high_consumption_needs_to_last(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Above the threshold counts only once it lasted the configured duration."""
    coordinator = await setup_entry(
        hass, mock_config_entry, options={OPT_HIGH_POWER_W: 3000, OPT_HIGH_POWER_DURATION_S: 30}
    )
    assert coordinator.data.high_consumption is False
    await run_meter(hass, freezer, 10, 4000)
    assert coordinator.data.high_consumption is False
    await run_meter(hass, freezer, 30, 4000)
    assert coordinator.data.high_consumption is True
    await run_meter(hass, freezer, 6, 1000)
    assert coordinator.data.high_consumption is False
    await run_meter(hass, freezer, 6, "unavailable")
    assert coordinator.data.high_consumption is None


async def test_phantom_load_from_baseline(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Phantom load: last night's baseline above the threshold; unknown without a baseline."""
    freezer.move_to(datetime(2026, 11, 20, 2, 30, tzinfo=dt_util.get_default_time_zone()))
    coordinator = await setup_entry(hass, mock_config_entry)
    assert coordinator.data.standby_baseline_w is None
    assert coordinator.data.phantom_load is None
    # 02:30 -> 05:00 local at 150 W: more than half of the 01:00-05:00 night.
    for step in range(5 * 60):
        freezer.tick(30)
        set_meter(hass, 150 + step % 2)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    await run_meter(hass, freezer, 10, 150)
    assert coordinator.data.standby_baseline_w == pytest.approx(150, abs=1)
    for threshold, expected in ((200.0, False), (100.0, True)):
        hass.config_entries.async_update_entry(
            mock_config_entry,
            options={**mock_config_entry.options, OPT_PHANTOM_THRESHOLD_W: threshold},
        )
        await coordinator.async_refresh()
        assert coordinator.data.phantom_load is expected


def test_daily_energy_counts_increases_and_resets() -> None:
    """Increases within a local day add up; a sensor reset counts from its new value."""
    daily = DailyEnergy()
    assert daily.update("2026-11-23", 100.0) == 0
    assert daily.update("2026-11-23", 101.5) == pytest.approx(1.5)
    assert daily.update("2026-11-23", None) == pytest.approx(1.5)
    assert daily.update("2026-11-23", 0.5) == pytest.approx(2.0)  # the sensor reset
    assert daily.update("2026-11-24", 1.0) == pytest.approx(0.5)  # a new day
    restored = DailyEnergy()
    restored.load(daily.as_dict())
    assert restored.update("2026-11-24", 2.0) == pytest.approx(1.5)


def test_daily_energy_refuses_what_no_supply_delivers() -> None:
    """A counter glitch (thousands of kWh in seconds) adds nothing and becomes the new base."""
    daily = DailyEnergy(max_power_w=100_000.0)
    t0 = 1_780_272_000.0
    daily.update("2026-06-01", 12_000.0, t0)
    assert daily.update("2026-06-01", 12_001.0, t0 + 60) == pytest.approx(1.0)
    assert daily.update("2026-06-01", 1e9, t0 + 65) == pytest.approx(1.0)  # a glitch
    assert daily.update("2026-06-01", 12_002.0, t0 + 70) == pytest.approx(1.0)  # back: a "reset"
    assert daily.update("2026-06-01", 12_003.5, t0 + 75) == pytest.approx(2.5)
    # A sensor reporting every 5 min: 8 kWh in 5 min is 96 kW, still a home's supply.
    assert daily.update("2026-06-01", 12_011.5, t0 + 375) == pytest.approx(10.5)


def test_daily_energy_stays_finite() -> None:
    """A broken energy sensor at 1e308 twice cannot overflow the day's total."""
    daily = DailyEnergy()
    daily.update("2026-11-23", 0.0)
    assert daily.update("2026-11-23", 1e308) == 1e308
    assert daily.update("2026-11-23", 1.0) == 1e308  # a "reset" adding 1 kWh
    assert daily.update("2026-11-23", 1.7e308) == 1e308  # 1e308 + 1.7e308 is inf: refused
    assert daily.update("2026-11-24", 2.0) == 2.0  # a new day, from a "reset" to 2 kWh


async def test_daily_energy_from_energy_sensor(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """With an energy sensor configured, today's energy comes from its readings (Wh -> kWh)."""
    hass.states.async_set("sensor.home_energy", "1000000", {"unit_of_measurement": "Wh"})
    coordinator = await setup_entry(
        hass, mock_config_entry, data={CONF_ENERGY_SENSOR: "sensor.home_energy"}
    )
    hass.states.async_set("sensor.home_energy", "1002500", {"unit_of_measurement": "Wh"})
    await run_meter(hass, freezer, 6, 300)
    assert coordinator.data.daily_energy_kwh == pytest.approx(2.5)


def test_daily_energy_refuses_an_implausible_rise() -> None:
    """With times, a rise the maximum power cannot have drawn is not counted; the glitch's
    return is no "reset" that counts the whole reading; a replaced, higher meter counts on."""
    daily = DailyEnergy(max_power_w=100_000.0)
    daily.update("2026-11-23", 12_000.0, 0.0)
    assert daily.update("2026-11-23", 12_001.0, 60.0) == pytest.approx(1.0)
    assert daily.update("2026-11-23", 1e308, 65.0) == pytest.approx(1.0)  # a glitch
    assert daily.update("2026-11-23", 12_002.0, 70.0) == pytest.approx(1.0)  # back: no reset
    assert daily.update("2026-11-23", 12_002.5, 130.0) == pytest.approx(1.5)
    assert daily.update("2026-11-23", 30_000.0, 135.0) == pytest.approx(1.5)  # a new meter
    assert daily.update("2026-11-23", 30_001.0, 200.0) == pytest.approx(2.5)  # counts on
    assert daily.update("2026-11-23", 30_001.0, 9000.0) == pytest.approx(2.5)  # no change
    assert daily.refused == 3
    # 100 kW for an hour plus the time since the reading changed (at 200 s) is plausible.
    assert daily.update("2026-11-23", 30_301.0, 9000.0) == pytest.approx(302.5)


async def test_daily_energy_glitch_of_the_energy_sensor(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """An energy sensor reporting 1e308 kWh for a moment (seen on a real instance: "Energy
    today" stayed at 1e308 kWh for the rest of the day) leaves today's energy as it was."""
    kwh = {"unit_of_measurement": "kWh", "device_class": "energy"}
    hass.states.async_set("sensor.home_energy", "12000.0", kwh)
    coordinator = await setup_entry(
        hass, mock_config_entry, data={CONF_ENERGY_SENSOR: "sensor.home_energy"}
    )
    refused = []
    for reading in ("12000.5", "1e308", "12001.0", "12001.5"):
        hass.states.async_set("sensor.home_energy", reading, kwh)
        await run_meter(hass, freezer, 6, 300)
        diagnostics = await async_get_config_entry_diagnostics(hass, mock_config_entry)
        refused.append(diagnostics["energy_sensor_refused_rises"])
    assert coordinator.data.daily_energy_kwh == pytest.approx(1.0)
    # shown where a bug report looks for it (counted per heartbeat that refused a reading)
    assert refused[0] == 0
    assert refused[1] >= 1
    assert refused == sorted(refused)


def _points(lines: list[str], measurement: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    """Tags and fields of the written lines of one measurement (no escapes in these names)."""
    points = []
    for line in lines:
        series, fields, _ts = line.split(" ")
        name, *tags = series.split(",")
        if name == measurement:
            points.append(
                (
                    dict(tag.split("=", 1) for tag in tags),
                    dict(field.split("=", 1) for field in fields.split(",")),
                )
            )
    return points


async def test_points_handed_to_the_sink(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    fake_influx: FakeInflux,
) -> None:
    """Every heartbeat writes the meter and circuits; correlations and changed profiles."""
    hass.states.async_set("sensor.kitchen_power", "100", {"unit_of_measurement": "W"})
    coordinator = await setup_entry(
        hass,
        mock_config_entry,
        data={
            CONF_CIRCUITS: ["sensor.kitchen_power"],
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: fake_influx.url,
            CONF_INFLUX_TOKEN: "t0ken-t0ken",
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
        },
    )
    sink = coordinator.sink
    assert sink is not None
    tighten(sink)
    await run_meter(hass, freezer, 40, 300)
    hass.states.async_set("switch.kettle", "on")
    await run_meter(hass, freezer, 40, 2300)
    await drain_with_frozen_clock(hass, freezer, sink)
    lines = list(fake_influx.accepted)
    meter = _points(lines, MEASUREMENT_METER)
    assert meter
    assert meter[-1][0]["meter_entity"] == METER
    assert float(meter[-1][1]["total_power_w"]) == pytest.approx(2300)
    circuit_tags, circuit_fields = _points(lines, MEASUREMENT_CIRCUIT)[-1]
    assert circuit_tags == {"circuit_name": "sensor.kitchen_power", "meter_entity": METER}
    assert float(circuit_fields["power_w"]) == pytest.approx(100)
    correlations = _points(lines, MEASUREMENT_CORRELATION)
    assert [tags["entity_id"] for tags, _ in correlations] == ["switch.kettle"]
    profiles = _points(lines, MEASUREMENT_PROFILE)
    assert "switch.kettle" in {tags["entity_id"] for tags, _ in profiles}
    await run_meter(hass, freezer, 10, 2300)
    await drain_with_frozen_clock(hass, freezer, sink)
    later = list(fake_influx.accepted)
    assert len(_points(later, MEASUREMENT_METER)) > len(meter)
    assert len(_points(later, MEASUREMENT_PROFILE)) == len(profiles)  # unchanged: not repeated
    await coordinator.async_refresh()
    assert coordinator.data.sink is not None
    assert coordinator.data.sink.points_written == len(fake_influx.accepted)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
