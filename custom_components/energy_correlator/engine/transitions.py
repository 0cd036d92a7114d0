"""Which HA state changes are device events, and at what level (pure; plain dicts in).

CONTRACT: classify_change(entity_id, domain, old_state, old_attrs, new_state, new_attrs, ts)
returns a DeviceEvent or None (attribute-only changes that do not change power, unknown /
unavailable states, first appearance...).
"""

from collections.abc import Mapping
from typing import Any

from .models import DeviceEvent


def classify_change(
    entity_id: str,
    domain: str,
    old_state: str | None,
    old_attrs: Mapping[str, Any],
    new_state: str | None,
    new_attrs: Mapping[str, Any],
    ts: float,
) -> DeviceEvent | None:
    """Turn one HA state change into a device event, or None when power cannot have changed."""
    raise NotImplementedError
