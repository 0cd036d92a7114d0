"""The utility entry's InfluxDB form: pre-filled from the power entry, its token never echoed.

Most homes send both wings to one server. When the utility entry has no connection of its own,
the form suggests the power entry's URL, organization, bucket and certificate check. The token
is never sent back to the browser (as core integrations treat secrets): left empty, the token
already stored for the same URL is used, the utility entry's own first, then a power entry's.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
import probatio

from ..const import CONF_INFLUX_ENABLED, CONF_INFLUX_TOKEN, CONF_INFLUX_URL, DOMAIN
from ..flow_schemas import INFLUX_FIELDS, INFLUX_SCHEMA, INFLUX_SUGGESTED
from .const import CONF_ENTRY_KIND, ENTRY_KIND_UTILITY

# The power entry's fields, the token optional: empty reuses a stored one.
UTILITY_INFLUX_SCHEMA = probatio.Schema(
    {
        (probatio.Optional(CONF_INFLUX_TOKEN) if str(marker) == CONF_INFLUX_TOKEN else marker): (
            validator
        )
        for marker, validator in INFLUX_SCHEMA.schema.items()
    }
)


def _same_url(a: Any, b: Any) -> bool:
    """Two server addresses alike up to spaces and a trailing slash."""
    return str(a).strip().rstrip("/") == str(b).strip().rstrip("/")


def _connections(hass: HomeAssistant, entry: ConfigEntry) -> list[Mapping[str, Any]]:
    """The stored InfluxDB connections: the utility entry's own first, then power entries'."""
    power = [
        other.data
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
        and other.data.get(CONF_ENTRY_KIND) != ENTRY_KIND_UTILITY
        and other.data.get(CONF_INFLUX_ENABLED)
    ]
    return [data for data in (entry.data, *power) if data.get(CONF_INFLUX_URL)]


def influx_suggested(
    hass: HomeAssistant, entry: ConfigEntry, user_input: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What the form shows: the input being corrected, else the entry's own connection, else a
    power entry's, else the defaults; never a token."""
    if user_input is not None:
        source: Mapping[str, Any] = user_input
    else:
        source = next(iter(_connections(hass, entry)), INFLUX_SUGGESTED)
    return {key: source[key] for key in INFLUX_FIELDS if key in source and key != CONF_INFLUX_TOKEN}


def influx_input(
    hass: HomeAssistant, entry: ConfigEntry, user_input: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The submitted connection with its token: typed, or stored for the same URL (None: no
    token at all)."""
    token = str(user_input.get(CONF_INFLUX_TOKEN) or "").strip()
    if not token:
        url = user_input[CONF_INFLUX_URL]
        stored = (
            data[CONF_INFLUX_TOKEN]
            for data in _connections(hass, entry)
            if _same_url(data[CONF_INFLUX_URL], url) and data.get(CONF_INFLUX_TOKEN)
        )
        token = next(stored, "")
    if not token:
        return None
    return {
        **{key: user_input[key] for key in INFLUX_FIELDS if key in user_input},
        CONF_INFLUX_TOKEN: token,
    }
