"""A simulated home for `scripts/develop`: a noisy whole-home meter that answers to devices.

Configured from YAML (`simulated_home:` with an optional `seed:`), so the development instance
needs no config flow of its own and the only integration a developer adds is ours.
"""

from datetime import datetime

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import discovery
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import voluptuous as vol

from .model import SimulatedHome

DOMAIN = "simulated_home"
CONF_SEED = "seed"
SIGNAL_UPDATE = f"{DOMAIN}_update"
DATA_HOME: HassKey[SimulatedHome] = HassKey(DOMAIN)
# A real meter (P1 port, Shelly EM, clamp) reports every one to two seconds.
METER_INTERVAL_S = (1.0, 2.0)
PLATFORMS = (
    Platform.SENSOR,
    Platform.BINARY_SENSOR,
    Platform.SWITCH,
    Platform.LIGHT,
    Platform.MEDIA_PLAYER,
)

CONFIG_SCHEMA = vol.Schema(
    {DOMAIN: vol.Any(None, vol.Schema({vol.Optional(CONF_SEED): vol.Coerce(int)}))},
    extra=vol.ALLOW_EXTRA,
)


def now_s() -> float:
    """Simulation time: HA's clock, so frozen time in tests moves the home too."""
    return dt_util.utcnow().timestamp()


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Build the home, start its meter and load the entity platforms."""
    conf = config.get(DOMAIN) or {}
    home = SimulatedHome(seed=conf.get(CONF_SEED))
    hass.data[DATA_HOME] = home
    home.step(now_s())
    cancel: CALLBACK_TYPE | None = None

    @callback
    def _tick(_now: datetime) -> None:
        nonlocal cancel
        home.step(now_s())
        async_dispatcher_send(hass, SIGNAL_UPDATE)
        cancel = async_call_later(hass, home.rng.uniform(*METER_INTERVAL_S), job)

    job = HassJob(_tick, f"{DOMAIN} meter", cancel_on_shutdown=True)
    cancel = async_call_later(hass, home.rng.uniform(*METER_INTERVAL_S), job)

    @callback
    def _stop(_event: Event) -> None:
        if cancel is not None:
            cancel()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop)
    for platform in PLATFORMS:
        hass.async_create_task(
            discovery.async_load_platform(hass, platform, DOMAIN, {}, config),
            f"{DOMAIN} {platform}",
        )
    return True
