"""Repair issues the InfluxDB sink raises and clears, one copy per entry that writes through it.

A sink may be shared by several entries (one server, one writer): each of them gets its own copy
of an active issue (ids carry the entry id, the text its title), so an entry's issues go with
the entry — on unload, on "stop sending to InfluxDB" and on removal — while the others stay.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN

ISSUE_UNREACHABLE = "influxdb_unreachable"  # failing longer than REPAIR_AFTER; cleared on success
ISSUE_BUCKET_NOT_FOUND = "influxdb_bucket_not_found"  # 404; cleared on success
ISSUE_POINTS_DROPPED = "influxdb_points_dropped"  # cap or 400; cleared a while after recovery

ALL_ISSUES = (ISSUE_UNREACHABLE, ISSUE_BUCKET_NOT_FOUND, ISSUE_POINTS_DROPPED)
_WARNINGS = {ISSUE_POINTS_DROPPED}
_UPDATED = {ISSUE_POINTS_DROPPED}  # re-created with new placeholders each time


def issue_id(key: str, entry_id: str) -> str:
    """The registry id of issue `key` for one entry."""
    return f"{key}_{entry_id}"


def async_delete_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every sink issue of an entry, also ones left in the registry by an earlier run."""
    for key in ALL_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, issue_id(key, entry_id))


class SinkIssues:
    """The sink's active issues, mirrored to every entry attached to it."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing is raised yet and nobody is attached."""
        self._hass = hass
        self._entries: dict[str, ConfigEntry] = {}
        self._active: dict[str, dict[str, str]] = {}  # key -> placeholders (without the title)

    def attach(self, entry: ConfigEntry) -> None:
        """`entry` writes through the sink from now on: it sees the active issues too."""
        self._entries[entry.entry_id] = entry
        for key, placeholders in self._active.items():
            self._raise(entry, key, placeholders)

    def detach(self, entry_id: str) -> None:
        """The entry stops writing through the sink: its copies go."""
        self._entries.pop(entry_id, None)
        async_delete_entry_issues(self._hass, entry_id)

    def create(self, key: str, **placeholders: object) -> None:
        """Raise `key` (translation key too) for every attached entry."""
        if key in self._active and key not in _UPDATED:
            return
        values = {name: str(value) for name, value in placeholders.items()}
        self._active[key] = values
        for entry in self._entries.values():
            self._raise(entry, key, values)

    def delete(self, *keys: str) -> None:
        """Clear the given issues if this sink raised them."""
        for key in keys:
            if self._active.pop(key, None) is not None:
                for entry_id in self._entries:
                    ir.async_delete_issue(self._hass, DOMAIN, issue_id(key, entry_id))

    def _raise(self, entry: ConfigEntry, key: str, placeholders: dict[str, str]) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(key, entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING if key in _WARNINGS else ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={"title": entry.title, **placeholders},
        )
