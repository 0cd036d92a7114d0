"""add_meter_reading when the new reading shows the stored one before it to be the typo.

Found driving a real Home Assistant: readings 1000 (Nov 1), 1150.5 (Nov 15), then 1100 (Nov 25)
removed 1150.5, and the response named the removed reading as `previous` with no consumption,
so a script could not tell the user which reading was dropped nor what was used since.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.energy_correlator.const import DOMAIN
from tests.meters.conftest import SetUp, meter, meter_device

START = "2026-12-01 12:00:00+00:00"


async def _read(hass: HomeAssistant, device_id: str, value: Any, when: str) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "add_meter_reading",
        {"meter": device_id, "value": value, "timestamp": when},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_response_names_the_removed_reading_and_the_real_previous(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """The removed typo is reported as such; previous and consumption are the stored ones."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Cellar gas", "gas", unit="m³", subentry_id="cellar"))
    device_id = meter_device(hass, entry, "cellar")
    await _read(hass, device_id, 1000, "2026-11-01 09:00:00")
    await _read(hass, device_id, 1150.5, "2026-11-15 09:00:00")
    response = await _read(hass, device_id, 1100, "2026-11-25 09:00:00")
    assert response["notice"] == "typo_removed"
    assert response["removed"] is not None
    assert response["removed"]["value"] == 1150.5
    assert response["previous"]["value"] == 1000
    assert response["consumption_since_previous"] == pytest.approx(100)
    runtime = entry.runtime_data.coordinator.meters["cellar"]
    assert [r.value for r in runtime.meter.readings()] == [1000, 1100]


async def test_plain_reading_has_no_removed(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Nothing removed: `removed` is None."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Cellar gas", "gas", unit="m³", subentry_id="cellar"))
    device_id = meter_device(hass, entry, "cellar")
    await _read(hass, device_id, 1000, "2026-11-01 09:00:00")
    response = await _read(hass, device_id, 1100, "2026-11-25 09:00:00")
    assert response["removed"] is None
    assert response["consumption_since_previous"] == pytest.approx(100)
