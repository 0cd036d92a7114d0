"""A new sensor meter learns its past from the recorder; a swap far off the expected warns."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.consumption import HOUR
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import GAS_ATTRS, SetUp, meter, meter_device


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def _record_hourly(hass: HomeAssistant, hours: int, start: float = 100.0) -> None:
    """The sensor's states of the last `hours` hours, as the recorder keeps them."""
    now = dt_util.utcnow().timestamp()
    for hour in range(hours + 1):
        hass.states.async_set(
            "sensor.gas",
            f"{start + 0.5 * hour:.1f}",
            GAS_ATTRS,
            timestamp=now - HOUR * (hours - hour) - 60,
        )
        await hass.async_block_till_done()
    await async_wait_recording_done(hass)


async def test_new_meter_learns_its_history(
    recorder_mock: Recorder, hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """Three days of the sensor's recorded states become readings when the meter is added."""
    await _record_hourly(hass, 72)
    entry: UtilityConfigEntry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    coordinator = entry.runtime_data.coordinator
    runtime = next(iter(coordinator.meters.values()))
    assert len(coordinator.learning) == 1
    await coordinator.learning[0]
    await coordinator.importer.async_wait()
    assert runtime.learned
    readings = runtime.meter.readings()
    assert len(readings) >= 70
    assert runtime.meter.hourly().values.sum() == pytest.approx(36.0)
    # Learned once: the store remembers it.
    assert coordinator.stored_data()["meters"][runtime.subentry_id]["learned"] is True


async def test_swap_far_off_the_expected_raises_a_warning(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An old final reading implying far more than the usual use: a repair warning, no guess."""
    freezer.move_to("2026-04-01 00:00:00+00:00")
    entry: UtilityConfigEntry = await setup_utility(meter("Old gas", "gas", unit="m³"))
    subentry_id = next(iter(entry.subentries))
    device = meter_device(hass, entry, subentry_id)
    for day in range(10, 0, -1):
        when = f"2026-03-{31 - day:02d} 12:00:00"
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {"meter": device, "value": 1000 + 2 * (10 - day), "timestamp": when},
            blocking=True,
        )
    response = await hass.services.async_call(
        DOMAIN,
        "replace_meter",
        {"meter": device, "old_final": 1100, "new_first": 0, "when": "2026-03-31 06:00:00"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["mismatch"] is True
    issues = [
        issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith(f"meter_swap_mismatch_{subentry_id}")
    ]
    assert len(issues) == 1
    assert issues[0].translation_placeholders is not None
    assert issues[0].translation_placeholders["meter"] == "Old gas"


async def test_a_failed_import_is_counted_and_kept_for_later(
    recorder_mock: Recorder, hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """The recorder refuses the import (here: an id it cannot take): logged, counted in the
    diagnostics, and the changed hours stay pending for the next try."""
    entry: UtilityConfigEntry = await setup_utility(
        meter("Odd", "electricity", unit="kWh", subentry_id="odd-id")
    )
    coordinator = entry.runtime_data.coordinator
    runtime = coordinator.meters["odd-id"]
    now = dt_util.utcnow()
    device = meter_device(hass, entry, "odd-id")
    for days_ago, value in ((3, 10.0), (1, 30.0)):
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {
                "meter": device,
                "value": value,
                "timestamp": (now - timedelta(days=days_ago)).isoformat(),
            },
            blocking=True,
        )
    await coordinator.importer.async_wait()
    assert coordinator.importer.failures >= 1
    assert coordinator.importer.last_error
    assert runtime.meter.pending_import() is not None
