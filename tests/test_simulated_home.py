"""The simulated home of `scripts/develop` (config/custom_components/simulated_home), in hass.

It lives in the develop config dir, not in the integration: putting `config/` on sys.path makes
the `custom_components` namespace package include it, as Home Assistant does for its config dir.
"""

from pathlib import Path
from statistics import mean
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
POWER = "sensor.home_power"


@pytest.fixture
async def home(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the simulated home up from YAML with a fixed seed; return its model."""
    monkeypatch.syspath_prepend(str(CONFIG_DIR))
    assert await async_setup_component(hass, "simulated_home", {"simulated_home": {"seed": 7}})
    await hass.async_block_till_done()
    return hass.data["simulated_home"]


async def run(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int) -> list[float]:
    """Let `seconds` of frozen time pass; return the meter's reading after each second."""
    readings = []
    for _ in range(seconds):
        freezer.tick(1)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        readings.append(float(hass.states.get(POWER).state))
    return readings


async def test_meter_is_a_power_sensor_reporting_every_one_to_two_seconds(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, home: Any
) -> None:
    """The config flow must find it as a W power meter; the engine needs a 1-2 s cadence."""
    state = hass.states.get(POWER)
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.POWER
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "W"
    assert state.attributes[ATTR_STATE_CLASS] == "measurement"
    energy = hass.states.get("sensor.home_energy")
    assert energy.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"

    changes: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            changes.append(event.data["new_state"].state)
            if event.data["entity_id"] == POWER
            else None
        ),
    )
    readings = await run(hass, freezer, 60)
    assert 30 <= len(changes) <= 60
    # Base load only (180 W +- a wander): noisy but plausible, never negative.
    assert all(50 < r < 800 for r in readings)
    assert float(hass.states.get("sensor.home_energy").state) > 0


async def test_kettle_raises_home_power_by_about_2000_w_then_switches_itself_off(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, home: Any
) -> None:
    """The develop walkthrough: toggle the kettle and watch the meter jump."""
    before = mean((await run(hass, freezer, 10))[-5:])
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.kettle"}, blocking=True
    )
    assert hass.states.get("switch.kettle").state == STATE_ON
    after = mean((await run(hass, freezer, 6))[-4:])
    assert after - before == pytest.approx(2000, rel=0.15)

    await run(hass, freezer, 150)
    assert hass.states.get("switch.kettle").state == STATE_OFF
    assert mean((await run(hass, freezer, 5))[-3:]) < before + 500


async def test_heater_ramps_up_slowly(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, home: Any
) -> None:
    """A resistive heater needs tens of seconds to reach its draw, unlike the kettle."""
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.heater"}, blocking=True
    )
    heater = home.appliances["heater"]
    await run(hass, freezer, 5)
    early = heater.power(home.last_step, home.rng)
    await run(hass, freezer, 115)
    late = heater.power(home.last_step, home.rng)
    assert early < 0.5 * 1500
    assert late == pytest.approx(1500, rel=0.02)


async def test_dimmable_lamp_draw_follows_brightness(hass: HomeAssistant, home: Any) -> None:
    """Brightness changes are device events too; the lamp's draw must track them."""
    lamp = home.appliances["living_room_lamp"]
    for brightness, watts in ((255, 60.0), (128, 32.5), (26, 10.4)):
        await hass.services.async_call(
            "light",
            "turn_on",
            {ATTR_ENTITY_ID: "light.living_room_lamp", "brightness": brightness},
            blocking=True,
        )
        assert hass.states.get("light.living_room_lamp").attributes["brightness"] == brightness
        assert lamp.power(0.0, home.rng) == pytest.approx(watts, abs=0.5)
    await hass.services.async_call(
        "light", "turn_on", {ATTR_ENTITY_ID: "light.hall_light"}, blocking=True
    )
    assert home.appliances["hall_light"].power(0.0, home.rng) == 9.0


async def test_tv_and_washing_machine(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, home: Any
) -> None:
    """The TV is a media player with a standby draw; the washer's draw varies while on."""
    await hass.services.async_call(
        "media_player", "turn_on", {ATTR_ENTITY_ID: "media_player.tv"}, blocking=True
    )
    assert hass.states.get("media_player.tv").state == STATE_ON
    assert home.appliances["tv"].power(0.0, home.rng) == 120.0
    await hass.services.async_call(
        "media_player", "turn_off", {ATTR_ENTITY_ID: "media_player.tv"}, blocking=True
    )
    assert home.appliances["tv"].power(0.0, home.rng) == 0.5

    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.washing_machine"}, blocking=True
    )
    washer = home.appliances["washing_machine"]
    draws = []
    for _ in range(240):
        await run(hass, freezer, 1)
        draws.append(washer.power(home.last_step, home.rng))
    assert max(draws) > 1500  # heating the water
    assert min(draws[150:]) < 300 < max(draws[150:])  # the drum's draw swings


async def test_fridge_cycles_on_its_own(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, home: Any
) -> None:
    """An unwatched load that switches without any device event: the realistic confounder."""
    seen = set()
    for _ in range(40):
        await run(hass, freezer, 30)
        seen.add(hass.states.get("binary_sensor.fridge_compressor").state)
    assert seen == {STATE_ON, STATE_OFF}


def test_develop_configuration_stays_on_loopback() -> None:
    """scripts/develop binds 127.0.0.1 through .storage/http; YAML must not undo that."""
    conf = load_yaml_dict(CONFIG_DIR / "configuration.yaml")
    assert "http" not in conf  # since 2026.x moved to .storage/http, written by scripts/develop
    # default_config pulls in zeroconf, ssdp, dhcp and bluetooth, which listen on every interface.
    for domain in ("default_config", "zeroconf", "ssdp", "dhcp", "bluetooth", "cloud"):
        assert domain not in conf
    assert "simulated_home" in conf
