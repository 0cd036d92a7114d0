"""Drive a loaded entry over frozen time: a 1 s meter and watched devices switching."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .conftest import set_meter

PLUG_ATTRS = {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement"}


async def run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: int,
    watts: float,
    plugs: dict[str, float] | None = None,
) -> None:
    """Let `seconds` pass, the meter reporting `watts` every second (heartbeats run too).

    `plugs` are devices' own power sensors reporting alongside (self-validation).
    """
    for _ in range(seconds):
        freezer.tick(1)
        set_meter(hass, watts)
        for plug, plug_w in (plugs or {}).items():
            hass.states.async_set(plug, str(plug_w), PLUG_ATTRS)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def switch(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_id: str,
    state: str,
    before_w: float,
    after_w: float,
) -> None:
    """A quiet meter, the device changes, the meter follows, the windows close."""
    await run(hass, freezer, 35, before_w)
    hass.states.async_set(entity_id, state)
    await hass.async_block_till_done()
    await run(hass, freezer, 45, after_w)


async def cycles(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_id: str,
    base_w: float,
    device_w: float,
    count: int,
) -> None:
    """`count` clean on/off cycles of one device drawing `device_w` over `base_w`."""
    for _ in range(count):
        await switch(hass, freezer, entity_id, "on", base_w, base_w + device_w)
        await switch(hass, freezer, entity_id, "off", base_w + device_w, base_w)
