"""A refused reading is explained in the unit the user typed it in, not in kWh / m³, and at
the user's local time.

Found on a real Home Assistant: a heat meter read in GJ refused 50 (GJ) as "13888.9 kWh is more
than Heat can plausibly have consumed since the reading before it (11.1111 ...)": numbers the
user never typed nor sees on the meter.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
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


@pytest.mark.parametrize(
    ("value", "when", "key", "shown", "previous"),
    [
        (40, "2026-11-20 09:00:00", "reading_decrease", "40", "50"),
        (5000, "2026-11-20 09:00:00", "reading_implausible", "5000", "50"),
        (-2, "2026-11-20 09:00:00", "reading_negative", "-2", None),
    ],
)
async def test_refusal_speaks_the_meters_unit(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    value: float,
    when: str,
    key: str,
    shown: str,
    previous: str | None,
) -> None:
    """GJ in, GJ in the message (value, neighbours and unit)."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Heat", "heat", unit="GJ", subentry_id="heat"))
    device_id = meter_device(hass, entry, "heat")
    await _read(hass, device_id, 50, "2026-11-15 09:00:00")
    with pytest.raises(ServiceValidationError) as err:
        await _read(hass, device_id, value, when)
    assert err.value.translation_key == key
    placeholders = err.value.translation_placeholders or {}
    assert placeholders["value"] == shown
    assert placeholders["unit"] == "GJ"
    if previous is not None:
        assert placeholders["previous"] == previous
        # the user's local time, as the meter-swap repair shows it (not UTC ISO with µs)
        assert placeholders["previous_time"] == "2026-11-15 09:00"
