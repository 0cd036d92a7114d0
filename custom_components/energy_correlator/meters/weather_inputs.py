"""Following one meter's outdoor temperature sensor (a heating meter, or a virtual one).

Its past daily means come from the recorder once Home Assistant runs, new days from its states
(`weather.py`); a rename is kept in the meter's subentry; a deleted sensor keeps its days and
gives no new ones (the vote then judges later days without the weather, as before).
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, State, callback
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..units import temperature_c
from .const import CONF_TEMPERATURE
from .tracking import SourceTracker
from .weather import DailyTemperatures, async_read_daily_means

if TYPE_CHECKING:
    from .coordinator import UtilityCoordinator

WEATHER_LOOKBACK = timedelta(days=5 * 365)  # like the meter's own history


class TemperatureFollower:
    """Feeds a meter's `DailyTemperatures` from its sensor; asks for a recompute per new day."""

    def __init__(
        self,
        coordinator: UtilityCoordinator,
        subentry_id: str,
        name: str,
        weather: DailyTemperatures,
    ) -> None:
        """Start following; the current state is taken at once."""
        self.coordinator = coordinator
        self.subentry_id = subentry_id
        self.name = name
        self.weather = weather
        hass = coordinator.hass
        self.tracker: SourceTracker | None = SourceTracker(
            hass, weather.entity_id, self._state, self._renamed, self._removed
        )
        if (state := hass.states.get(weather.entity_id)) is not None:
            weather.add(state.last_reported_timestamp, temperature_c(state), coordinator.tz)
        self._unsub_started: CALLBACK_TYPE | None = async_at_started(hass, self._learn)

    @callback
    def stop(self) -> None:
        """Stop following."""
        if self.tracker is not None:
            self.tracker.stop()
            self.tracker = None
        if self._unsub_started is not None:
            self._unsub_started()
            self._unsub_started = None

    def _changed(self) -> None:
        coordinator = self.coordinator
        coordinator.mark_dirty(self.subentry_id)
        coordinator.schedule_save()
        coordinator.hass.async_create_task(coordinator.async_request_refresh())

    @callback
    def _state(self, state: State, when: datetime) -> None:
        """A temperature report; the anomalies change only when it completes a day."""
        if self.weather.add(when.timestamp(), temperature_c(state), self.coordinator.tz):
            self._changed()

    @callback
    def _renamed(self, old: str, new: str) -> None:
        """Follow a rename persistently: the subentry keeps the new entity id."""
        self.weather.entity_id = new
        coordinator = self.coordinator
        entry = coordinator.config_entry
        if (subentry := entry.subentries.get(self.subentry_id)) is not None:
            coordinator.hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, CONF_TEMPERATURE: new}
            )
        LOGGER.info("%s follows %s, renamed to %s", self.name, old, new)

    @callback
    def _removed(self, _entity_id: str) -> None:
        """Gone: its days stay, no new ones come (the vote falls back on days without)."""
        self.weather.add(dt_util.utcnow().timestamp(), None, self.coordinator.tz)
        if self.tracker is not None:
            self.tracker.stop()
            self.tracker = None

    @callback
    def _learn(self, hass: HomeAssistant) -> None:
        """Once Home Assistant runs: the sensor's past daily means from the recorder."""
        self._unsub_started = None
        if "recorder" not in hass.config.components:
            return
        coordinator = self.coordinator
        coordinator.learning.append(
            coordinator.config_entry.async_create_background_task(
                hass, self._async_learn(), f"{DOMAIN} learn outdoor temperatures of {self.name}"
            )
        )

    async def _async_learn(self) -> None:
        weather = self.weather
        coordinator = self.coordinator
        end = dt_util.utcnow()
        try:
            means = await async_read_daily_means(
                coordinator.hass, weather.entity_id, end - WEATHER_LOOKBACK, end, coordinator.tz
            )
        except Exception:
            LOGGER.exception(
                "Could not read the history of %s for %s", weather.entity_id, self.name
            )
            return
        weather.merge(means)
        LOGGER.info(
            "%s learned %d daily outdoor temperatures of %s from the recorder",
            self.name,
            len(means),
            weather.entity_id,
        )
        coordinator.mark_dirty(self.subentry_id)
        coordinator.schedule_save()
        await coordinator.async_refresh()
