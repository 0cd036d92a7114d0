"""Repair issue `meter_unavailable`: raised after 15 min without the meter, cleared on return."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.energy_correlator.const import DOMAIN, REPAIR_AFTER
from tests.conftest import METER, set_meter
from tests.test_listener import run_meter


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock in heartbeat-sized steps (the meter stays as it is)."""
    remaining = delta.total_seconds()
    while remaining > 0:
        step = min(5.0, remaining)
        freezer.tick(step)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        remaining -= step


def issue_id(entry: MockConfigEntry) -> str:
    """The entry's meter issue id."""
    return f"meter_unavailable_{entry.entry_id}"


async def test_unavailable_meter_raises_and_clears(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Unavailable for 15 min -> issue with the entity as placeholder; a reading clears it."""
    set_meter(hass, "unavailable")
    await advance(hass, freezer, REPAIR_AFTER - timedelta(minutes=1))
    assert issue_registry.async_get_issue(DOMAIN, issue_id(init_integration)) is None

    await advance(hass, freezer, timedelta(minutes=2))
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(init_integration))
    assert issue is not None
    assert issue.translation_key == "meter_unavailable"
    assert issue.translation_placeholders == {"entity": METER}
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not issue.is_fixable

    await run_meter(hass, freezer, 6, 350)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(init_integration)) is None


async def test_short_outage_raises_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Two outages shorter than 15 min each do not add up."""
    for _ in range(2):
        set_meter(hass, "unknown")
        await advance(hass, freezer, timedelta(minutes=10))
        await run_meter(hass, freezer, 6, 300)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(init_integration)) is None


async def test_removed_meter_raises(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A meter entity that disappears is reported too; the issue goes with the entry."""
    hass.states.async_remove(METER)
    await advance(hass, freezer, REPAIR_AFTER + timedelta(minutes=1))
    assert issue_registry.async_get_issue(DOMAIN, issue_id(init_integration)) is not None
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(init_integration)) is None


async def test_stale_issue_cleared_at_start(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An issue left from before a restart goes away when the meter reports at setup."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(mock_config_entry),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="meter_unavailable",
        translation_placeholders={"entity": METER},
    )
    set_meter(hass, 300)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id(mock_config_entry)) is None
