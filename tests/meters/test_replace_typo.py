"""replace_meter with a typo: a swap whose readings imply more than the meter can consume in
the time around it is refused with a message, and nothing is stored (a second swap 23 ms after
the first with old_final 1000.3 GJ stored 277 861 kWh of heat)."""

from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.consumption import (
    MeterConfig,
    MeterKind,
    Refusal,
    UtilityMeter,
)
from tests.meters.conftest import SetUp, meter, meter_device

START = "2026-02-02 12:00:00+00:00"


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


@pytest.mark.parametrize(
    ("later", "swap"),
    [
        # 10 810 m³ of gas in the 12 hours before the swap: an extra digit
        (None, {"old_final": 12000, "new_first": 0, "when": "2026-02-02 00:00:00"}),
        # a reading after the swap time is on the old meter's scale: 1 195 m³ in an hour
        ("1195", {"old_final": 1194, "new_first": 0, "when": "2026-02-02 01:00:00"}),
    ],
)
async def test_implausible_swap_is_refused(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    later: str | None,
    swap: dict[str, Any],
) -> None:
    """Refused as implausible (translated), the readings unchanged."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Old gas", "gas", unit="m³"))
    (subentry_id,) = entry.subentries
    device_id = meter_device(hass, entry, subentry_id)
    reading = {"meter": device_id, "value": 1190, "timestamp": "2026-02-01 12:00:00"}
    await _call(hass, "add_meter_reading", reading)
    if later is not None:
        reading = {"meter": device_id, "value": later, "timestamp": "2026-02-02 02:00:00"}
        await _call(hass, "add_meter_reading", reading)
    runtime = entry.runtime_data.coordinator.meters[subentry_id]
    before = runtime.meter.hourly().total
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "replace_meter", {"meter": device_id, **swap})
    assert err.value.translation_key == "replace_implausible"
    assert runtime.meter.hourly().total == pytest.approx(before)
    assert runtime.meter.replacements() == []


def test_a_second_swap_right_after_the_first_with_a_typo_is_refused() -> None:
    """As seen on a real instance: 3.7 GJ → 0, then 23 ms later 1000.3 GJ → 0 (in kWh)."""
    heat = UtilityMeter("h", MeterConfig(kind=MeterKind.HEAT), ZoneInfo("UTC"))
    t0 = 1_796_160_000.0
    assert heat.add_reading(t0, 1000.0, t0).accepted
    assert heat.replace(t0 + 60, 1027.8, 0.0, t0 + 60).accepted
    result = heat.replace(t0 + 60.023, 277861.1, 0.0, t0 + 61)
    assert (result.accepted, result.reason) == (False, Refusal.IMPLAUSIBLE)
    assert len(heat.replacements()) == 1
