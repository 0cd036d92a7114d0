"""Actions: responses from real learning, filters, relearn/reset, and validation errors."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import DOMAIN

from .activity import cycles, switch
from .conftest import our_entity_id

KETTLE = "switch.kettle"
HEATER = "switch.heater"


async def call(hass: HomeAssistant, service: str, **data: object) -> dict:
    """Call one of our actions and return its response."""
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return response


def sensor(hass: HomeAssistant, key: str) -> str:
    """State of one of our sensors by its unique id key."""
    entity_id = our_entity_id(hass, key)
    assert entity_id is not None
    return hass.states.get(entity_id).state


@pytest.fixture
async def learned(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Kettle (2000 W) learned from two cycles, heater (500 W) seen once."""
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    await switch(hass, freezer, HEATER, "on", 300, 800)
    await switch(hass, freezer, HEATER, "off", 800, 300)
    return init_integration


async def test_get_correlations_filters(hass: HomeAssistant, learned: MockConfigEntry) -> None:
    """Newest first; entity, threshold, since and limit filters apply."""
    rows = (await call(hass, "get_correlations"))["correlations"]
    assert len(rows) == 6
    assert rows[0]["entity_id"] == HEATER
    assert rows[0]["ts"] >= rows[-1]["ts"]
    assert {"power_delta_w", "confidence", "status", "time", "state"} <= set(rows[0])

    kettle = (await call(hass, "get_correlations", entity_id=KETTLE))["correlations"]
    assert [r["entity_id"] for r in kettle] == [KETTLE] * 4
    assert all(abs(r["power_delta_w"]) == pytest.approx(2000, rel=0.02) for r in kettle)

    big = (await call(hass, "get_correlations", min_delta_w=1000))["correlations"]
    assert {r["entity_id"] for r in big} == {KETTLE}

    limited = (await call(hass, "get_correlations", limit=2))["correlations"]
    assert limited == rows[:2]

    later = dt_util.utcnow() + timedelta(minutes=1)
    assert (await call(hass, "get_correlations", since=later.isoformat()))["correlations"] == []


async def test_device_impact(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, learned: MockConfigEntry
) -> None:
    """Learned power with its uncertainty and modes, events, honest projections, correlations."""
    impact = await call(hass, "device_impact", entity_id=KETTLE, config_entry_id=learned.entry_id)
    assert impact["entity_id"] == KETTLE
    assert impact["learned_power_w"] == pytest.approx(2000, rel=0.02)
    assert impact["on_delta_w"] == pytest.approx(2000, rel=0.02)
    assert impact["off_delta_w"] == pytest.approx(2000, rel=0.02)
    assert impact["events"] == 4
    assert impact["confidence"] >= 0.5
    assert 0 < impact["uncertainty_w"] < 0.05 * impact["learned_power_w"]
    assert impact["modes"][0]["power_w"] == pytest.approx(impact["learned_power_w"], abs=0.1)
    assert impact["modes"][0]["events"] == 4
    # minutes observed: what was seen, no projection (not 300 kWh/month from two boils)
    assert 0 < impact["observed_days"] < 1
    assert impact["observed_kwh"] > 0
    assert impact["kwh_per_day"] is None
    assert impact["kwh_per_month"] is None
    assert impact["cost_per_month"] is None
    freezer.tick(timedelta(days=2))
    impact = await call(hass, "device_impact", entity_id=KETTLE)
    assert impact["observed_days"] > 2
    assert impact["kwh_per_month"] == pytest.approx(impact["kwh_per_day"] * 30, rel=0.01)
    assert impact["cost_per_month"] == pytest.approx(impact["kwh_per_month"] * 0.30, abs=0.01)
    assert len(impact["correlations"]) == 4
    assert impact["validation_error_pct"] is None


async def test_device_impact_without_profile(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A device nothing was learned about is a translated validation error."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "device_impact", entity_id="switch.unknown")
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "no_profile"
    assert err.value.translation_placeholders == {"entity_id": "switch.unknown"}


async def test_top_consumers_periods(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, learned: MockConfigEntry
) -> None:
    """Ranked by energy; a week is seven days, a month thirty; nothing projected from minutes."""
    early = (await call(hass, "top_consumers"))["consumers"][0]
    assert early["entity_id"] == KETTLE
    assert early["kwh"] is None
    assert early["cost"] is None
    assert 0 < early["observed_days"] < 1
    freezer.tick(timedelta(days=2))
    month = await call(hass, "top_consumers")
    assert month["period"] == "month"
    assert month["consumers"][0]["entity_id"] == KETTLE
    assert month["consumers"][0]["name"] == "kettle"
    day = await call(hass, "top_consumers", period="day", limit=1)
    assert len(day["consumers"]) == 1
    week = await call(hass, "top_consumers", period="week")
    assert week["consumers"][0]["kwh"] == pytest.approx(day["consumers"][0]["kwh"] * 7, rel=0.01)
    assert month["consumers"][0]["kwh"] == pytest.approx(day["consumers"][0]["kwh"] * 30, rel=0.01)
    assert month["consumers"][0]["cost"] == pytest.approx(
        month["consumers"][0]["kwh"] * 0.30, abs=0.01
    )


async def test_relearn_one_device_then_all(hass: HomeAssistant, learned: MockConfigEntry) -> None:
    """Relearn forgets the named device (its sensors, now unknown, go), or every device."""
    learned_power = our_entity_id(hass, f"{KETTLE}_learned_power")
    assert learned_power is not None
    await hass.services.async_call(DOMAIN, "relearn", {"entity_id": KETTLE}, blocking=True)
    with pytest.raises(ServiceValidationError):
        await call(hass, "device_impact", entity_id=KETTLE)
    assert our_entity_id(hass, f"{KETTLE}_learned_power") is None
    assert hass.states.get(learned_power) is None
    assert (await call(hass, "device_impact", entity_id=HEATER))["events"] >= 1

    await hass.services.async_call(DOMAIN, "relearn", {}, blocking=True)
    with pytest.raises(ServiceValidationError):
        await call(hass, "device_impact", entity_id=HEATER)


async def test_relearn_what_was_never_learned(
    hass: HomeAssistant, learned: MockConfigEntry
) -> None:
    """Naming a device without a profile is a translated error, and nothing is forgotten."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "relearn", {"entity_id": [KETTLE, "switch.never_seen"]}, blocking=True
        )
    assert err.value.translation_key == "nothing_to_relearn"
    assert err.value.translation_placeholders == {"entity_id": "switch.never_seen"}
    assert (await call(hass, "device_impact", entity_id=KETTLE))["events"] >= 1


async def test_reset_statistics_keeps_profiles(
    hass: HomeAssistant, learned: MockConfigEntry
) -> None:
    """Counters go to zero at once; what was learned stays."""
    assert float(sensor(hass, "correlations_found")) == 6
    await hass.services.async_call(DOMAIN, "reset_statistics", {}, blocking=True)
    assert float(sensor(hass, "correlations_found")) == 0
    assert float(sensor(hass, "events_processed")) == 0
    impact = await call(hass, "device_impact", entity_id=KETTLE)
    assert impact["learned_power_w"] == pytest.approx(2000, rel=0.02)


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({"config_entry_id": "nope"}, "service_config_entry_not_found"),
        ({}, "service_found_no_config_entry_for_domain"),
    ],
)
async def test_entry_resolution_errors(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    data: dict,
    translation_key: str,
) -> None:
    """Unknown entry ids, and no loaded entry at all, are translated validation errors."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    if not data:
        assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_consumers", **data)
    assert err.value.translation_key == translation_key


async def test_entry_not_loaded(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """An unloaded entry named explicitly is refused."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_correlations", config_entry_id=init_integration.entry_id)
    assert err.value.translation_key == "service_config_entry_not_loaded"


async def test_schema_rejects_bad_values(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Out-of-range limits and unknown periods never reach the engine."""
    with pytest.raises(probatio.Invalid):
        await call(hass, "top_consumers", period="year")
    with pytest.raises(probatio.Invalid):
        await call(hass, "get_correlations", limit=0)


@pytest.mark.parametrize("entity_id", [123, 1.5, {"a": 1}], ids=["int", "float", "dict"])
async def test_relearn_rejects_an_entity_id_that_is_no_text(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_id: object
) -> None:
    """A number or mapping as entity_id is a validation error (it was a TypeError: HTTP 500)."""
    with pytest.raises(probatio.Invalid):
        await hass.services.async_call(DOMAIN, "relearn", {"entity_id": entity_id}, blocking=True)


async def test_services_yaml_describes_every_action(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """services.yaml parses and names the same fields the schemas accept."""
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    assert set(descriptions) == {
        "get_correlations",
        "device_impact",
        "top_consumers",
        "backfill",
        "relearn",
        "reset_statistics",
        "add_meter_reading",
        "replace_meter",
    }
    assert set(descriptions["get_correlations"]["fields"]) == {
        "config_entry_id",
        "entity_id",
        "since",
        "min_delta_w",
        "limit",
    }
    assert descriptions["device_impact"]["fields"]["entity_id"]["required"] is True
    assert descriptions["backfill"]["fields"]["days"]["default"] == 7
