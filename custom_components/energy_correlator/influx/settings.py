"""Where and how an entry sends to InfluxDB, and which server a sink is shared for."""

from collections.abc import Mapping
from dataclasses import dataclass
import hashlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigEntry

from ..const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
    DEFAULT_BACKLOG_MAX_POINTS,
    DEFAULT_INFLUX_BUCKET,
    DEFAULT_INFLUX_URL,
    OPT_BACKLOG_MAX_POINTS,
)


@dataclass(frozen=True, slots=True)
class SinkKey:
    """One destination: entries with the same key write through one sink and one backlog."""

    url: str
    org: str
    bucket: str

    @property
    def digest(self) -> str:
        """A short stable name for files of this destination (no secrets in it)."""
        text = f"{self.url}\n{self.org}\n{self.bucket}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True)
class InfluxSettings:
    """An entry's InfluxDB connection and backlog cap."""

    url: str
    token: str
    org: str
    bucket: str
    verify_ssl: bool = True
    max_backlog_points: int = DEFAULT_BACKLOG_MAX_POINTS

    @property
    def key(self) -> SinkKey:
        """The destination (a trailing slash does not make a second server)."""
        return SinkKey(self.url.rstrip("/"), self.org, self.bucket)

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> InfluxSettings | None:
        """The settings in an entry's data (`CONF_INFLUX_*`) and options; None when disabled."""
        return cls.from_data(entry.data, entry.options)

    @classmethod
    def from_data(
        cls, data: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> InfluxSettings | None:
        """The settings from entry data and options; None unless `influxdb_enabled` is set."""
        if not data.get(CONF_INFLUX_ENABLED):
            return None
        return cls(
            url=data.get(CONF_INFLUX_URL, DEFAULT_INFLUX_URL),
            token=data.get(CONF_INFLUX_TOKEN, ""),
            org=data.get(CONF_INFLUX_ORG, ""),
            bucket=data.get(CONF_INFLUX_BUCKET, DEFAULT_INFLUX_BUCKET),
            verify_ssl=bool(data.get(CONF_INFLUX_VERIFY_SSL, True)),
            max_backlog_points=int(
                (options or {}).get(OPT_BACKLOG_MAX_POINTS, DEFAULT_BACKLOG_MAX_POINTS)
            ),
        )


def redact_url(url: str) -> str:
    """The URL without user name / password or query (they could carry a secret): for logs and
    diagnostics."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = REDACTED if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
