"""Bad input in a real Home Assistant: a broken meter (1e308, 1e12, -1e308, NaN, inf, text, "",
unit changes), a 100 kB attribute, a device flapping 20 times in 2 s, lights with nonsense
brightness — then a restart from the store. Learning survives, every sensor stays finite or
unknown, and Home Assistant logs no error."""

import logging
import math

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.energy_correlator.entity import finite_state
from tests.conftest import METER, set_meter
from tests.test_listener import run_meter

KETTLE = "switch.kettle"
HEATER = "switch.heater"
LIGHT = "light.kitchen"
HUGE = "x" * 100_000

# (state, unit) the meter reports, one per second; "W" readings around 300 W are plausible.
BROKEN_METER: list[tuple[str, str | None]] = [
    ("1e308", "W"),
    ("1e12", "W"),
    ("-1e308", "W"),
    ("nan", "W"),
    ("inf", "W"),
    ("-inf", "W"),
    ("lots", "W"),
    ("", "W"),
    ("0.31", "kW"),
    ("0.00031", "MW"),
    ("310", "Wh"),
    ("310", None),
    ("1e308", "kW"),
    ("310", "W"),
    ("65535", "W"),  # one sample far above the meter's peak, not confirmed by the next
    ("310", "W"),
]


def our_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """entity id -> state of every entity of the entry."""
    registry = er.async_get(hass)
    return {
        reg.entity_id: hass.states.get(reg.entity_id).state  # type: ignore[union-attr]
        for reg in er.async_entries_for_config_entry(registry, entry.entry_id)
        if hass.states.get(reg.entity_id) is not None
    }


def assert_sane(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Every numeric sensor is finite, plausible and the energy/cost ones not negative."""
    states = our_states(hass, entry)
    assert states
    for entity_id, state in states.items():
        if state in (STATE_UNKNOWN, STATE_UNAVAILABLE) or not entity_id.startswith("sensor."):
            continue
        try:
            value = float(state)
        except ValueError:
            continue  # the top consumer's name, a text sensor
        assert math.isfinite(value), entity_id
        assert abs(value) <= 100_000.0, (entity_id, value)


async def meter_reports(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, state: str, unit: str | None
) -> None:
    """One meter report, a second later."""
    freezer.tick(1)
    attrs = {"device_class": "power", "state_class": "measurement"}
    if unit is not None:
        attrs["unit_of_measurement"] = unit
    hass.states.async_set(METER, state, attrs)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def teach(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_id: str, w: float
) -> None:
    """Three clean on/off cycles of a device under a 1 s meter at 300 W."""
    for _ in range(3):
        await run_meter(hass, freezer, 40, 300)
        hass.states.async_set(entity_id, "on")
        await run_meter(hass, freezer, 40, 300 + w)
        hass.states.async_set(entity_id, "off")
    await run_meter(hass, freezer, 40, 300)


async def test_fuzz_then_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The whole list of the issue, then an unload and a setup from the store."""
    caplog.set_level(logging.WARNING)
    await teach(hass, freezer, KETTLE, 2000.0)
    engine = init_integration.runtime_data.coordinator.engine
    learned = engine.profile(KETTLE)
    assert learned is not None
    assert learned.learned_power_w == pytest.approx(2000.0, rel=0.05)

    for state, unit in BROKEN_METER:
        await meter_reports(hass, freezer, state, unit)
        assert_sane(hass, init_integration)
    hass.states.async_set(METER, "300", {"unit_of_measurement": "W", "junk": HUGE})
    hass.states.async_set(KETTLE, "off", {"junk": HUGE})
    for step in range(20):  # 20 flaps in 2 s
        freezer.tick(0.1)
        hass.states.async_set(HEATER, "on" if step % 2 == 0 else "off", {"junk": HUGE[:step]})
        set_meter(hass, 300 + (800 if step % 2 == 0 else 0))
        await hass.async_block_till_done()
    for brightness in ("abc", -5, 1e9, None, "nan", float("inf"), [1, 2], {"a": 1}):
        freezer.tick(1)
        hass.states.async_set(
            LIGHT, "on", {"brightness": brightness, "supported_color_modes": ["brightness"]}
        )
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    hass.states.async_set(LIGHT, "off", {"supported_color_modes": ["brightness"]})
    await run_meter(hass, freezer, 120, 300)
    assert_sane(hass, init_integration)

    # Nothing absurd was taken: the peak of the day is a real reading, the energy is finite.
    data = init_integration.runtime_data.coordinator.data
    assert data.peak_power_w == pytest.approx(2300.0, rel=0.05)
    assert data.daily_energy_kwh is not None
    assert 0.0 < data.daily_energy_kwh < 1.0
    refused = engine.refused_readings()[METER]
    assert refused["implausible"] == 3  # 1e308, 1e12, -1e308 W (1e308 kW is no number of W)
    assert refused["spikes"] == 1  # 65 535 W once
    # NaN, inf, text, "" and the wrong units are no reading at all (gaps), not refused ones.
    assert engine.stats.samples_rejected == 4

    # Restart: unload (saves) and set up again from the store.
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    restored = init_integration.runtime_data.coordinator.engine
    assert restored is not engine
    profile = restored.profile(KETTLE)
    assert profile is not None
    assert profile.learned_power_w == pytest.approx(learned.learned_power_w, rel=0.01)
    assert init_integration.runtime_data.coordinator.unreadable_parts == []
    await run_meter(hass, freezer, 10, 300)
    assert_sane(hass, init_integration)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage()[:300] for r in errors]
    assert "ValueError" not in caplog.text
    assert "could not be read" not in caplog.text


@pytest.mark.parametrize(
    ("value", "shown"),
    [(math.nan, None), (math.inf, None), (-math.inf, None), (1.5, 1.5), (0, 0), ("x", "x")],
)
def test_entities_show_unknown_for_non_finite_values(value: object, shown: object) -> None:
    """The last guard before Home Assistant: NaN/inf would be refused with a ValueError."""
    assert finite_state(value) == shown  # type: ignore[arg-type]
