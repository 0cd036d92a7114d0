"""Fix flows of repair issues: a utility meter's unexplained drop is told as a meter swap."""

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

from .meters.repairs import ReplaceMeterRepairFlow, is_meter_issue


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The flow that fixes an issue."""
    if is_meter_issue(issue_id) and data is not None:
        return ReplaceMeterRepairFlow(dict(data))
    return ConfirmRepairFlow()
