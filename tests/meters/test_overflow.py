"""A meter's absurd readings never make an entity Home Assistant refuses (inf is no state)."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.energy_correlator.const import DOMAIN
from tests.meters.conftest import SetUp, meter, meter_device


async def test_overflowing_consumption_is_unknown_not_an_error(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Seen on a real instance: after a 1e308 m³ reading, a restart's interpolation overflowed
    to inf and "Consumption today"/"Cost today" failed to be added (ValueError, ERROR log).
    Such readings are now refused as implausible; the entities stay sane across a reload."""
    freezer.move_to("2026-02-02 12:00:00+00:00")
    entry = await setup_utility(meter("Gas", "gas", unit="m³", price=1.25))
    device_id = meter_device(hass, entry, next(iter(entry.subentries)))
    for hour, value in enumerate((1000, 1e308, 1.7e308)):
        data = {"meter": device_id, "value": value, "timestamp": f"2026-02-02 0{hour + 1}:00:00"}
        if hour == 0:
            await hass.services.async_call(
                DOMAIN, "add_meter_reading", data, blocking=True, return_response=True
            )
            continue
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "add_meter_reading", data, blocking=True, return_response=True
            )
        assert err.value.translation_key == "reading_implausible"
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert "Error adding entity" not in caplog.text
    for key in ("consumption_today", "cost_today"):
        state = hass.states.get(f"sensor.gas_{key}")
        assert state is not None, key
        assert state.state not in ("inf", "nan"), key
