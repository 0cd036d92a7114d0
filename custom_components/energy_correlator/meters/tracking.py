"""Following one source entity: its states (changed and merely reported), renames and removal.

A meter that reports the same total again is still a sample (`state_reported`), as Home
Assistant's own integration/derivative helpers treat it. A rename in the entity registry moves
the subscription to the new entity id and tells the owner, which records it in the subentry.
"""

from collections.abc import Callable
from datetime import datetime

from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.entity_registry import EventEntityRegistryUpdatedData
from homeassistant.helpers.event import (
    async_track_entity_registry_updated_event,
    async_track_state_change_event,
    async_track_state_report_event,
)

type StateCallback = Callable[[State, datetime], None]


class SourceTracker:
    """Calls `on_state(state, when)` for every report of the entity, follows renames."""

    def __init__(
        self,
        hass: HomeAssistant,
        entity_id: str,
        on_state: StateCallback,
        on_renamed: Callable[[str, str], None],
        on_removed: Callable[[str], None],
    ) -> None:
        """Start following `entity_id`."""
        self.hass = hass
        self.entity_id = entity_id
        self._on_state = on_state
        self._on_renamed = on_renamed
        self._on_removed = on_removed
        self._unsubs: list[CALLBACK_TYPE] = []
        self._subscribe()

    def _subscribe(self) -> None:
        entity_id = self.entity_id
        self._unsubs = [
            async_track_state_change_event(self.hass, entity_id, self._changed),
            async_track_state_report_event(self.hass, entity_id, self._reported),
            async_track_entity_registry_updated_event(self.hass, entity_id, self._registry),
        ]

    @callback
    def stop(self) -> None:
        """Stop following."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            self._on_state(state, state.last_reported)

    @callback
    def _reported(self, event: Event[EventStateReportedData]) -> None:
        self._on_state(event.data["new_state"], event.data["last_reported"])

    @callback
    def _registry(self, event: Event[EventEntityRegistryUpdatedData]) -> None:
        data = event.data
        if data["action"] == "remove":
            self._on_removed(self.entity_id)
            return
        if data["action"] == "update" and "old_entity_id" in data:
            old, new = self.entity_id, data["entity_id"]
            self.stop()
            self.entity_id = new
            self._subscribe()
            self._on_renamed(old, new)
