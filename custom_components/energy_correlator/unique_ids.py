"""Our entities' unique ids: built from the entry id and the source entity's registry id.

Neither part changes when the user renames the meter or a watched entity, so an entity keeps its
history. (Entry data version 1.1 built them from the entry's unique id, the meter's entity id:
`async_migrate_unique_ids` moves those.) Per-device entities whose source has no registry entry
fall back to the source's entity id. Also here: removing per-device entities whose source is
gone or forgotten (relearn), so no entity stays unknown for ever.
"""

from collections.abc import Iterable

from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import LOGGER

# The per-device sensors' description keys (device_sensor.py's descriptions use them).
DEVICE_KEYS = ("learned_power", "estimated_power", "estimated_energy")


def service_unique_id(entry: ConfigEntry, key: str) -> str:
    """Unique id of an entity of the entry's own service device."""
    return f"{entry.entry_id}_{key}"


def device_unique_id(entry: ConfigEntry, source: str, key: str) -> str:
    """Unique id of a per-device entity about `source` (a registry id or an entity id)."""
    return f"{entry.entry_id}_{source}_{key}"


@callback
def source_key(hass: HomeAssistant, entity_id: str) -> str:
    """Stable key of a watched entity: its registry id (survives renames), else its entity id."""
    if (reg_entry := er.async_get(hass).async_get(entity_id)) is not None:
        return reg_entry.id
    return entity_id


def _split_device(rest: str) -> str | None:
    """The source part of a per-device unique id after its entry prefix, if it is one."""
    for key in DEVICE_KEYS:
        if rest.endswith(f"_{key}") and len(rest) > len(key) + 1:
            return rest[: -len(key) - 1]
    return None


def device_source(entry: ConfigEntry, unique_id: str) -> str | None:
    """The source of one of the entry's per-device unique ids, None for other unique ids."""
    prefix = f"{entry.entry_id}_"
    if not unique_id.startswith(prefix):
        return None
    return _split_device(unique_id.removeprefix(prefix))


@callback
def source_entity_id(hass: HomeAssistant, source: str) -> str | None:
    """The source's entity id now; None when its registry entry is gone."""
    if "." in source:
        return source
    reg_entry = er.async_get(hass).async_get(source)
    return None if reg_entry is None else reg_entry.entity_id


async def async_migrate_unique_ids(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Version 1.1 → 1.2: `<meter entity id>_…` becomes `<entry id>_…`, entity-id sources
    become registry ids where the source has one now."""
    old_prefix = f"{entry.unique_id or entry.entry_id}_"

    @callback
    def _migrate(reg_entry: er.RegistryEntry) -> dict[str, str] | None:
        if not reg_entry.unique_id.startswith(old_prefix):
            return None
        rest = reg_entry.unique_id.removeprefix(old_prefix)
        if (source := _split_device(rest)) is not None and "." in source:
            rest = rest.replace(source, source_key(hass, source), 1)
        new_unique_id = f"{entry.entry_id}_{rest}"
        if new_unique_id == reg_entry.unique_id:
            return None
        LOGGER.debug("Moving %s to unique id %s", reg_entry.entity_id, new_unique_id)
        return {"new_unique_id": new_unique_id}

    await er.async_migrate_entries(hass, entry.entry_id, _migrate)


@callback
def async_remove_device_entities(
    hass: HomeAssistant, entry: ConfigEntry, entity_ids: Iterable[str] | None
) -> list[str]:
    """Remove the per-device entities about these devices (all when None) and those whose
    source entity no longer exists; returns the removed entity ids."""
    wanted = None if entity_ids is None else set(entity_ids)
    ent_reg = er.async_get(hass)
    removed = []
    for reg_entry in er.async_entries_for_config_entry(ent_reg, entry.entry_id):
        if reg_entry.domain != SENSOR_DOMAIN:
            continue
        if (source := device_source(entry, reg_entry.unique_id)) is None:
            continue
        current = source_entity_id(hass, source)
        if current is None or wanted is None or current in wanted:
            ent_reg.async_remove(reg_entry.entity_id)
            removed.append(reg_entry.entity_id)
    return removed
