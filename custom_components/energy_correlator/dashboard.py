"""The ready dashboard: serves the dashboard strategy (frontend/energy-correlator-strategy.js).

A strategy rather than YAML to paste: it finds the integration's entities itself (whatever the
meter and devices are called), follows devices learned later, and appears in Home Assistant's
"Add dashboard" dialog, so adding it is one click. It is built only from Home Assistant's own
cards; nothing is added to the frontend but this one small module.
"""

from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant

from .const import DOMAIN

STRATEGY_FILE = Path(__file__).parent / "frontend" / "energy-correlator-strategy.js"
STRATEGY_URL = f"/{DOMAIN}/energy-correlator-strategy.js"
DATA_REGISTERED = f"{DOMAIN}_strategy_registered"


async def async_register_strategy(hass: HomeAssistant) -> None:
    """Serve the strategy module and load it on every frontend page (once per run)."""
    if hass.http is None or "frontend" not in hass.config.components:
        return  # no UI (e.g. a headless install): nothing to serve
    if hass.data.get(DATA_REGISTERED):
        return
    hass.data[DATA_REGISTERED] = True
    await hass.http.async_register_static_paths(
        [StaticPathConfig(STRATEGY_URL, str(STRATEGY_FILE), cache_headers=False)]
    )
    # The file's modification time busts the browser's cache when the integration is updated.
    version = int(STRATEGY_FILE.stat().st_mtime)
    add_extra_js_url(hass, f"{STRATEGY_URL}?v={version}")
