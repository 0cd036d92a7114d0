"""Repair issues the InfluxDB sink raises and clears (one set per config entry)."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

ISSUE_UNREACHABLE = "influxdb_unreachable"  # failing longer than REPAIR_AFTER; cleared on success
ISSUE_BUCKET_NOT_FOUND = "influxdb_bucket_not_found"  # 404; cleared on success
ISSUE_POINTS_DROPPED = "influxdb_points_dropped"  # cap or 400; updated with the running count

_WARNINGS = {ISSUE_POINTS_DROPPED}
_UPDATED = {ISSUE_POINTS_DROPPED}  # re-created with new placeholders each time


class SinkIssues:
    """Creates each issue once (ids carry the entry id) and deletes only what it created."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Nothing is raised yet."""
        self._hass = hass
        self._entry = entry
        self._active: set[str] = set()

    def issue_id(self, key: str) -> str:
        """The registry id of `key` for this entry."""
        return f"{key}_{self._entry.entry_id}"

    def create(self, key: str, **placeholders: object) -> None:
        """Raise `key` (translation key too) with the entry title and `placeholders`."""
        if key in self._active and key not in _UPDATED:
            return
        self._active.add(key)
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self.issue_id(key),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING if key in _WARNINGS else ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={
                "title": self._entry.title,
                **{name: str(value) for name, value in placeholders.items()},
            },
        )

    def delete(self, *keys: str) -> None:
        """Clear the given issues if this sink raised them."""
        for key in keys:
            if key in self._active:
                self._active.discard(key)
                ir.async_delete_issue(self._hass, DOMAIN, self.issue_id(key))
