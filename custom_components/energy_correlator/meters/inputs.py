"""What flows into one meter from Home Assistant entities: its source, price and temperature.

A source report becomes a reading in kWh or m³ (a gap when it is not a number, refused when its
unit is of the wrong kind); a price report goes to the meter's price book (unknown while it is
not a number, said once in the log). Renames are kept in the subentry; a deleted source raises a
repair issue (the readings stay) and makes the virtual meters made of it unavailable, a
deleted price sensor makes the cost unknown. A heating meter's outdoor temperature sensor is
followed by `weather_inputs.TemperatureFollower`.
"""

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from homeassistant.core import State, callback
from homeassistant.util import dt as dt_util

from ..const import LOGGER, OPT_PRICE_ENTITY
from ..consumption import ReadingSource
from ..units import state_number, state_unit
from .const import CONF_SOURCE
from .price import MISFITS, PRICE_PROBLEM_LOG
from .repairs import async_source_removed_issue
from .runtime import MeterRuntime
from .tracking import SourceTracker
from .weather_inputs import TemperatureFollower

if TYPE_CHECKING:
    from .coordinator import UtilityCoordinator


class MeterInputs:
    """Follows one meter's source and price sensors for the coordinator."""

    def __init__(self, coordinator: UtilityCoordinator, runtime: MeterRuntime) -> None:
        """Start following; the current states are taken at once."""
        self.coordinator = coordinator
        self.runtime = runtime
        hass = coordinator.hass
        self.source: SourceTracker | None = None
        self.price: SourceTracker | None = None
        if source := runtime.source:
            self.source = SourceTracker(
                hass, source, self._source_state, self._source_renamed, self.source_removed
            )
            if (state := hass.states.get(source)) is not None:
                self._source_state(state, state.last_reported, refresh=False)
            elif hass.is_running:
                self.source_removed(source)
        if entity_id := runtime.price.entity_id:
            self.price = SourceTracker(
                hass,
                entity_id,
                self._price_state,
                partial(self._renamed, OPT_PRICE_ENTITY),
                self._price_removed,
            )
            self._take_price(hass.states.get(entity_id))
        self.temperature = (
            None
            if runtime.weather is None
            else TemperatureFollower(
                coordinator, runtime.subentry_id, runtime.name, runtime.weather
            )
        )

    @callback
    def stop(self) -> None:
        """Stop following them all."""
        for tracker in (self.source, self.price, self.temperature):
            if tracker is not None:
                tracker.stop()

    def _changed(self, refresh: bool = True) -> None:
        coordinator = self.coordinator
        coordinator.mark_dirty(self.runtime.subentry_id)
        if refresh:
            coordinator.schedule_save()
            coordinator.hass.async_create_task(coordinator.async_request_refresh())

    @callback
    def _source_state(self, state: State, when: datetime, refresh: bool = True) -> None:
        runtime = self.runtime
        if runtime.source_missing:  # it reports again: the next refresh deletes the issues
            runtime.source_missing = False
            self._changed(refresh)
        if (value := state_number(state)) is None:
            runtime.gaps += 1
            return
        unit = runtime.reading_unit(state_unit(state))
        if (canonical := runtime.canonical(value, unit)) is None:
            if runtime.wrong_unit != unit:
                LOGGER.warning(
                    "%s reports %s, which is not a unit of %s; its readings are ignored",
                    state.entity_id,
                    unit,
                    runtime.quantity,
                )
            runtime.wrong_unit = unit
            runtime.refused["wrong_unit"] += 1
            return
        runtime.wrong_unit = None
        result = runtime.meter.add_reading(
            when.timestamp(), canonical, dt_util.utcnow().timestamp(), ReadingSource.SENSOR
        )
        runtime.count(result)
        if result.accepted:
            self._changed(refresh)

    @callback
    def _source_renamed(self, old: str, new: str) -> None:
        self.runtime.source = new
        self._renamed(CONF_SOURCE, old, new)

    @callback
    def source_removed(self, entity_id: str) -> None:
        """The source is gone: readings stay, manual readings still work, the user is told.
        It is still followed: a sensor that reports again (set up late, or set over the REST API
        and not restored at a restart) is read again."""
        self.runtime.source_missing = True
        coordinator = self.coordinator
        async_source_removed_issue(
            coordinator.hass, coordinator.config_entry, self.runtime, entity_id
        )
        self._changed(refresh=coordinator.data is not None)  # its virtual meters follow

    @callback
    def _price_state(self, state: State | None, _when: datetime) -> None:
        self._take_price(state)
        self._changed()

    def _take_price(self, state: State | None) -> None:
        """The price (or why there is none) into the book; a problem is logged once."""
        runtime = self.runtime
        price, problem = runtime.price_of(state)
        book = runtime.price
        # Told when a price goes away, or its unit needs the user (not at every start-up,
        # while the price's integration is still loading).
        if problem is not None and (
            book.available or (problem in MISFITS and problem != book.problem)
        ):
            LOGGER.warning(
                "Price sensor %s of %s %s: its cost is unknown until it gives a price",
                book.entity_id,
                runtime.name,
                PRICE_PROBLEM_LOG[problem],
            )
        book.record(dt_util.utcnow().timestamp(), price, problem)

    @callback
    def _price_removed(self, _entity_id: str) -> None:
        self._price_state(None, dt_util.utcnow())

    @callback
    def _renamed(self, key: str, old: str, new: str) -> None:
        """Follow a rename persistently: the subentry keeps the new entity id."""
        if key == OPT_PRICE_ENTITY:
            self.runtime.price.entity_id = new
        coordinator = self.coordinator
        entry = coordinator.config_entry
        if (subentry := entry.subentries.get(self.runtime.subentry_id)) is not None:
            coordinator.hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, key: new}
            )
        LOGGER.info("%s follows %s, renamed to %s", self.runtime.name, old, new)
