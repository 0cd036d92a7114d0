"""Fix flows of the integration's repair issues (Home Assistant's repairs platform).

One function answers for every fixable issue of the integration; it picks the flow by issue id.
"""

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant

from .energy_dashboard import (
    ISSUE_PREFIX as ENERGY_DASHBOARD_ISSUE,
    ISSUE_TRANSLATION_KEY,
    async_add_to_energy_dashboard,
    async_devices_to_offer,
)
from .meters.repairs import ReplaceMeterRepairFlow, is_meter_issue
from .meters.virtual_repairs import VirtualPartsRepairFlow, is_virtual_issue


class EnergyDashboardFlow(RepairsFlow):
    """Confirm, then add the learned devices to the Energy dashboard."""

    issue_translation_key = ISSUE_TRANSLATION_KEY  # its texts: issues.<this>.fix_flow

    def __init__(self, entry_id: str) -> None:
        """For the entry whose devices are offered."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The flow opens on the confirmation (`user_input` here is the issue, not an answer)."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """One confirmation; the devices are read again when it is given."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        devices = [] if entry is None else await async_devices_to_offer(self.hass, entry)
        if user_input is not None:
            added = await async_add_to_energy_dashboard(self.hass, devices)
            return self.async_create_entry(data={"added": added})
        names = [
            state.name
            if (state := self.hass.states.get(d.energy_entity_id))
            else d.energy_entity_id
            for d in devices
        ]
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={
                "count": str(len(devices)),
                "devices": "\n".join(f"- {name}" for name in names),
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The flow that fixes `issue_id`."""
    if issue_id.startswith(ENERGY_DASHBOARD_ISSUE) and data is not None:
        return EnergyDashboardFlow(str(data["entry_id"]))
    if is_meter_issue(issue_id) and data is not None:
        return ReplaceMeterRepairFlow(dict(data))
    if is_virtual_issue(issue_id) and data is not None:
        return VirtualPartsRepairFlow(dict(data))
    return ConfirmRepairFlow()
