"""Checks an InfluxDB connection for the config flow before an entry is created or updated.

One empty write to the v2 write endpoint answers every question at once without putting a test
point into the user's bucket: the server must be reachable (cannot_connect), accept the token
(401 -> invalid_auth), know the bucket (404 -> bucket_not_found) and let the token write to it
(403 -> no_write_permission). An empty body is accepted with 204 by InfluxDB 2.x and
VictoriaMetrics; a server that rejects the empty body itself (400) has already passed the
token and bucket checks, so that counts as success too.
"""

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

VALIDATE_TIMEOUT_S = 10.0


class InfluxValidationError(Exception):
    """The connection cannot be used; `reason` is the config flow's error key."""

    def __init__(self, reason: str) -> None:
        """Keep the error key (never the token or the server's text)."""
        super().__init__(reason)
        self.reason = reason


async def async_validate_influx(
    hass: HomeAssistant, url: str, token: str, org: str, bucket: str, verify_ssl: bool
) -> None:
    """Raise `InfluxValidationError` unless `bucket` accepts writes with `token`."""
    session = async_get_clientsession(hass, verify_ssl=verify_ssl)
    try:
        async with session.post(
            f"{url.rstrip('/')}/api/v2/write",
            params={"org": org, "bucket": bucket, "precision": "ns"},
            headers={"Authorization": f"Token {token}"},
            data=b"",
            timeout=aiohttp.ClientTimeout(total=VALIDATE_TIMEOUT_S),
            allow_redirects=False,
        ) as response:
            status = response.status
    except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as err:
        raise InfluxValidationError("cannot_connect") from err
    if 200 <= status < 300 or status in (400, 422):
        return
    if status == 401:
        raise InfluxValidationError("invalid_auth")
    if status == 403:
        raise InfluxValidationError("no_write_permission")
    if status == 404:
        raise InfluxValidationError("bucket_not_found")
    raise InfluxValidationError("cannot_connect")
