"""Repair issues of a virtual meter whose part is missing, and the fix flow that mends it.

Two issues per virtual meter at most, kept in step by every recompute: a part deleted from the
entry, and a part whose source sensor was removed (that meter's own issue says so too). While
one is open the virtual meter's entities are unavailable. The fix flow removes the missing
subtracted meters, or asks for the virtual meter's meters again (the reconfigure form); either
way the entry reloads and the issue goes. It also goes when the part comes back (its source
reports again) and with the virtual meter (`repairs.async_delete_meter_issues`).
"""

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import probatio

from ..const import DOMAIN
from .const import CONF_BASE, CONF_NAME, CONF_SUBTRACT
from .flow_forms import (
    meter_choices,
    validate_virtual,
    virtual_data,
    virtual_schema,
    virtual_suggested,
)

if TYPE_CHECKING:
    from .data import UtilityConfigEntry
    from .virtual import MissingParts, VirtualRuntime

DELETED_ISSUE = "virtual_part_deleted"
NO_SOURCE_ISSUE = "virtual_part_source_missing"
MENU = ["remove_parts", "choose_meters"]


def _issue_id(key: str, subentry_id: str) -> str:
    return f"{key}_{subentry_id}"


def is_virtual_issue(issue_id: str) -> bool:
    """Whether a fixable issue is a virtual meter's missing part."""
    return issue_id.startswith((f"{DELETED_ISSUE}_", f"{NO_SOURCE_ISSUE}_"))


@callback
def async_sync_virtual_issues(
    hass: HomeAssistant, entry: UtilityConfigEntry, virtual: VirtualRuntime, missing: MissingParts
) -> None:
    """Raise (or update) the issues of the missing parts; delete those of parts back."""
    no_source = [part for part, _ in missing.no_source]
    wanted: dict[str, tuple[list[str], dict[str, str]]] = {
        DELETED_ISSUE: (list(missing.deleted), {}),
        NO_SOURCE_ISSUE: (
            no_source,
            {"entities": ", ".join(entity for _, entity in missing.no_source)},
        ),
    }
    for key, (parts, extra) in wanted.items():
        issue_id = _issue_id(key, virtual.subentry_id)
        if not parts:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        names = ", ".join(virtual.part_name(part) for part in parts)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={"meter": virtual.name, "parts": names, **extra},
            data={
                "entry_id": entry.entry_id,
                "subentry_id": virtual.subentry_id,
                "missing": ",".join(parts),  # subentry ids (issue data holds no lists)
                # the fix flow's forms show the same words as the issue
                "meter": virtual.name,
                "parts": names,
            },
        )


class VirtualPartsRepairFlow(RepairsFlow):
    """Remove the missing subtracted meters, or choose the virtual meter's meters again."""

    def __init__(self, data: dict[str, Any]) -> None:
        """The issue's data: which virtual meter, and its missing parts."""
        self._data = data

    def _virtual(self) -> tuple[ConfigEntry, ConfigSubentry] | None:
        """The entry and the virtual meter's subentry, None when either is gone."""
        entry = self.hass.config_entries.async_get_entry(str(self._data["entry_id"]))
        if entry is None or (subentry := entry.subentries.get(self._data["subentry_id"])) is None:
            return None
        return entry, subentry

    def _kept(self, subentry: ConfigSubentry) -> list[str] | None:
        """The subtracted meters without the missing ones; None when that leaves none or the
        base itself is missing (then only choosing again helps)."""
        missing = set(str(self._data["missing"]).split(","))
        kept = [part for part in subentry.data[CONF_SUBTRACT] if part not in missing]
        return None if not kept or subentry.data[CONF_BASE] in missing else kept

    def _placeholders(self) -> dict[str, str]:
        return {"meter": str(self._data["meter"]), "parts": str(self._data["parts"])}

    def _save(
        self, entry: ConfigEntry, subentry: ConfigSubentry, data: dict[str, Any]
    ) -> RepairsFlowResult:
        """Store the virtual meter's new data and reload: the next recompute drops the issue."""
        self.hass.config_entries.async_update_subentry(
            entry, subentry, data=data, title=str(data[CONF_NAME])
        )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The menu when the missing parts can be removed, else the form straight away."""
        if (found := self._virtual()) is None:
            return self.async_abort(reason="virtual_meter_gone")
        if self._kept(found[1]) is None:
            return await self.async_step_choose_meters()
        return self.async_show_menu(
            step_id="init", menu_options=MENU, description_placeholders=self._placeholders()
        )

    async def async_step_remove_parts(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Confirm, then subtract the remaining meters only."""
        if (found := self._virtual()) is None:
            return self.async_abort(reason="virtual_meter_gone")
        entry, subentry = found
        if (kept := self._kept(subentry)) is None:  # changed since the menu was shown
            return await self.async_step_choose_meters()
        if user_input is not None:
            return self._save(entry, subentry, {**subentry.data, CONF_SUBTRACT: kept})
        return self.async_show_form(
            step_id="remove_parts",
            data_schema=probatio.Schema({}),
            description_placeholders=self._placeholders(),
        )

    async def async_step_choose_meters(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """The virtual meter's form, pre-filled without the deleted meters."""
        if (found := self._virtual()) is None:
            return self.async_abort(reason="virtual_meter_gone")
        entry, subentry = found
        if len(meter_choices(entry)) < 2:
            return self.async_abort(
                reason="too_few_meters", description_placeholders=self._placeholders()
            )
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_virtual(self.hass, entry, user_input)
            if not errors:
                return self._save(entry, subentry, virtual_data(user_input))
        return self.async_show_form(
            step_id="choose_meters",
            data_schema=self.add_suggested_values_to_schema(
                virtual_schema(entry), user_input or virtual_suggested(entry, subentry.data)
            ),
            errors=errors,
            description_placeholders=self._placeholders(),
        )
