"""What reaches the recorder's database: big, volatile attributes do not."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder, history
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .activity import cycles
from .conftest import our_entity_id

KETTLE = "switch.kettle"


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def test_top_consumers_are_shown_but_not_recorded(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The big, volatile `top_consumers` list and the high-consumption sensor's `power_w` are in
    the state machine, not in the database."""
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    top = our_entity_id(hass, "top_consumer")
    high = our_entity_id(hass, "high_consumption", "binary_sensor")
    assert top is not None
    assert high is not None
    assert hass.states.get(top).attributes["top_consumers"][0]["entity_id"] == KETTLE
    assert hass.states.get(high).attributes["power_w"] == 300
    await async_wait_recording_done(hass)
    rows = await recorder_mock.async_add_executor_job(
        history.get_significant_states,
        hass,
        dt_util.utcnow() - timedelta(hours=1),
        None,
        [top, high],
    )
    assert rows[top]
    assert rows[high]
    for entity_id, hidden in ((top, "top_consumers"), (high, "power_w")):
        for row in rows[entity_id]:
            assert hidden not in row.attributes  # type: ignore[union-attr]
