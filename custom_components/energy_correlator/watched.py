"""Which entities are watched devices: one decision, used by the listener and the backfill.

A device is watched when it is of a watched domain or on the include list, is not on the exclude
list, and is not one of the meters (a meter is never a device, even when its domain is watched).
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from homeassistant.core import HomeAssistant, split_entity_id

from .const import (
    CONF_CIRCUITS,
    CONF_DOMAINS,
    CONF_ENERGY_SENSOR,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_METER,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchRules:
    """The entry's watch lists (entry data, as the config flow stores them)."""

    domains: frozenset[str]
    include: frozenset[str]
    exclude: frozenset[str]
    meters: frozenset[str]  # the configured meters and the energy sensor

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """The rules of a config entry's data."""
        meters = {data[CONF_METER], *(data.get(CONF_CIRCUITS) or ())}
        if energy := data.get(CONF_ENERGY_SENSOR):
            meters.add(energy)
        return cls(
            domains=frozenset(data.get(CONF_DOMAINS) or ()),
            include=frozenset(data.get(CONF_INCLUDE) or ()),
            exclude=frozenset(data.get(CONF_EXCLUDE) or ()),
            meters=frozenset(meters),
        )

    def watches(self, entity_id: str, meters: Collection[str] = ()) -> bool:
        """Whether a state change of this entity can be a device event.

        `meters` are more meters to leave out (the devices' own power sensors the listener found).
        """
        if entity_id in self.exclude or entity_id in self.meters or entity_id in meters:
            return False
        return entity_id in self.include or split_entity_id(entity_id)[0] in self.domains

    def concerns(self, entity_id: str) -> bool:
        """Whether a registry change (rename, removal) of this entity can matter to the entry."""
        return (
            entity_id in self.meters
            or entity_id in self.include
            or entity_id in self.exclude
            or split_entity_id(entity_id)[0] in self.domains
        )

    def present(
        self, hass: HomeAssistant, meters: Collection[str] = (), also: Iterable[str] = ()
    ) -> set[str]:
        """Watched entities in the state machine now, the included ones (present or not) and
        those of `also` (e.g. devices with a learned profile) that the rules watch."""
        found = {*self.include, *hass.states.async_entity_ids(self.domains), *also}
        return {entity_id for entity_id in found if self.watches(entity_id, meters)}
