"""Utility meters in a real hass: readings from sensors, what the sensors show, bad input."""

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.meters.const import CONF_SOURCE, SUBENTRY_METER
from custom_components.energy_correlator.meters.coordinator import UtilityCoordinator
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import ENERGY_ATTRS, GAS_ATTRS, SetUp, meter, meter_device

START = "2026-03-10 00:00:00+00:00"  # local (US/Pacific) 2026-03-09 17:00


def _coordinator(entry: UtilityConfigEntry) -> UtilityCoordinator:
    return entry.runtime_data.coordinator


def _subentry(entry: UtilityConfigEntry, title: str) -> str:
    return next(sid for sid, sub in entry.subentries.items() if sub.title == title)


async def _settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the debounced recompute run."""
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _value(hass: HomeAssistant, entity_id: str) -> float | None:
    state = hass.states.get(entity_id)
    assert state is not None
    return None if state.state in ("unknown", "unavailable") else float(state.state)


async def _hourly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_id: str,
    values: list[str],
    attrs: dict[str, str] = GAS_ATTRS,
) -> None:
    for value in values:
        freezer.tick(timedelta(hours=1))
        hass.states.async_set(entity_id, value, attrs)
        await hass.async_block_till_done()


async def test_hourly_sensor_meter(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """An hourly gas meter: consumption today / this month interpolated, with honest metadata."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    await setup_utility(meter("Gas", "gas", "sensor.gas"))
    # 0.5 m³ an hour for 30 hours: local midnight (07:00 UTC on the 10th) is 7 hours in.
    await _hourly(hass, freezer, "sensor.gas", [str(100 + 0.5 * h) for h in range(1, 31)])
    await _settle(hass, freezer)

    today = hass.states.get("sensor.gas_consumption_today")
    assert today is not None
    assert float(today.state) == pytest.approx(0.5 * 23, abs=0.01)
    assert today.attributes["unit_of_measurement"] == "m³"
    assert today.attributes["device_class"] == "gas"
    assert today.attributes["state_class"] == "total"
    assert today.attributes["last_reset"] == "2026-03-10T00:00:00-07:00"
    assert today.attributes["statistic_id"].startswith("energy_correlator:")
    assert _value(hass, "sensor.gas_consumption_this_month") == pytest.approx(15.0, abs=0.01)
    last_month = hass.states.get("sensor.gas_consumption_last_month")
    assert last_month is not None
    assert "state_class" not in last_month.attributes
    assert _value(hass, "sensor.gas_days_since_last_reading") == pytest.approx(0.0, abs=0.01)
    # No price: no cost sensors.
    assert hass.states.get("sensor.gas_cost_today") is None
    assert hass.states.get("binary_sensor.gas_unusual_consumption").state == "unknown"  # type: ignore[union-attr]


async def test_unknown_unavailable_and_text_are_gaps_never_zero(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A sensor that is away for hours: its consumption is spread over the gap, never a 0."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    await _hourly(
        hass,
        freezer,
        "sensor.gas",
        ["101", "unavailable", "unknown", "lots", "nan", "105"],
    )
    await _settle(hass, freezer)
    runtime = _coordinator(entry).meters[_subentry(entry, "Gas")]
    assert [r.value for r in runtime.meter.readings()] == [100.0, 101.0, 105.0]
    assert runtime.gaps == 4
    # The 4 m³ after the gap are spread over its 5 hours, not put on the last one.
    hours = runtime.meter.hourly().values
    assert hours.sum() == pytest.approx(5.0)
    assert list(hours[1:]) == pytest.approx([0.8] * 5)


async def test_negative_reading_is_refused(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A negative total is nonsense: counted as refused, nothing stored."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    await _hourly(hass, freezer, "sensor.gas", ["-3", "101"])
    runtime = _coordinator(entry).meters[_subentry(entry, "Gas")]
    assert [r.value for r in runtime.meter.readings()] == [100.0, 101.0]
    assert runtime.refused["negative"] == 1


async def test_unit_change_mid_way_and_a_unit_of_the_wrong_kind(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """kWh then Wh is converted through units.py; m³ on an electricity meter is refused."""
    freezer.move_to(START)
    hass.states.async_set("sensor.grid", "1000", ENERGY_ATTRS)
    entry = await setup_utility(meter("Grid", "electricity", "sensor.grid"))
    await _hourly(hass, freezer, "sensor.grid", ["1001"], ENERGY_ATTRS)
    await _hourly(
        hass, freezer, "sensor.grid", ["1002000"], {**ENERGY_ATTRS, "unit_of_measurement": "Wh"}
    )
    with caplog.at_level(logging.WARNING):
        await _hourly(
            hass, freezer, "sensor.grid", ["5"], {**ENERGY_ATTRS, "unit_of_measurement": "m³"}
        )
    await _hourly(hass, freezer, "sensor.grid", ["1003"], ENERGY_ATTRS)
    runtime = _coordinator(entry).meters[_subentry(entry, "Grid")]
    assert [r.value for r in runtime.meter.readings()] == [1000.0, 1001.0, 1002.0, 1003.0]
    assert runtime.refused["wrong_unit"] == 1
    assert "not a unit of energy" in caplog.text
    assert runtime.meter.hourly().values.sum() == pytest.approx(3.0)


async def test_total_increasing_drop_is_a_reset(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A total_increasing sensor starting again from 0 counts from its new value."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    await _hourly(hass, freezer, "sensor.gas", ["101", "0.5", "1.5"])
    await _settle(hass, freezer)
    runtime = _coordinator(entry).meters[_subentry(entry, "Gas")]
    assert runtime.meter.hourly().values.sum() == pytest.approx(2.5)
    assert runtime.meter.hourly().values.min() >= 0
    assert not ir.async_get(hass).issues


async def test_source_renamed_is_followed_persistently(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A rename in the entity registry moves the meter to the new entity id, in the subentry too."""
    freezer.move_to(START)
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "test", "gas-1", suggested_object_id="gas")
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    subentry_id = _subentry(entry, "Gas")

    registry.async_update_entity("sensor.gas", new_entity_id="sensor.gas_meter")
    await hass.async_block_till_done()
    assert entry.subentries[subentry_id].data[CONF_SOURCE] == "sensor.gas_meter"
    assert entry.state is ConfigEntryState.LOADED  # a rename does not reload the entry

    await _hourly(hass, freezer, "sensor.gas_meter", ["101"])
    await _hourly(hass, freezer, "sensor.gas", ["999"])  # the old id is no longer read
    runtime = _coordinator(entry).meters[subentry_id]
    assert runtime.source == "sensor.gas_meter"
    assert [r.value for r in runtime.meter.readings()] == [100.0, 101.0]


async def test_source_deleted_keeps_readings_and_raises_an_issue(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A deleted source: readings stay, a repair issue says so."""
    freezer.move_to(START)
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "test", "gas-1", suggested_object_id="gas")
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    subentry_id = _subentry(entry, "Gas")
    await _hourly(hass, freezer, "sensor.gas", ["101"])

    registry.async_remove("sensor.gas")
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"meter_source_removed_{subentry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"meter": "Gas", "entity_id": "sensor.gas"}
    runtime = _coordinator(entry).meters[subentry_id]
    assert runtime.source_missing
    assert len(runtime.meter.readings()) == 2
    await _settle(hass, freezer)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"meter_source_removed_{subentry_id}")


async def test_fixed_price_gives_cost(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Cost today and this month at a fixed price per m³, in the instance's currency."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    await setup_utility(meter("Gas", "gas", "sensor.gas", price=1.5))
    await _hourly(hass, freezer, "sensor.gas", [str(100 + h) for h in range(1, 11)])
    await _settle(hass, freezer)
    consumption = _value(hass, "sensor.gas_consumption_today")
    cost = hass.states.get("sensor.gas_cost_today")
    assert cost is not None
    assert consumption is not None
    assert float(cost.state) == pytest.approx(consumption * 1.5, abs=0.01)
    assert cost.attributes["unit_of_measurement"] == hass.config.currency
    assert cost.attributes["price"] == 1.5
    assert _value(hass, "sensor.gas_cost_this_month") == pytest.approx(15.0, abs=0.05)


async def test_price_entity_unavailable_makes_cost_unknown(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A price sensor away: cost unknown and saying why; no silent switch to another price."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    hass.states.async_set("sensor.price", "2.0")
    await setup_utility(meter("Gas", "gas", "sensor.gas", price_entity="sensor.price"))
    await _hourly(hass, freezer, "sensor.gas", ["101", "102"])
    await _settle(hass, freezer)
    assert _value(hass, "sensor.gas_cost_this_month") == pytest.approx(4.0, abs=0.01)

    with caplog.at_level(logging.WARNING):
        hass.states.async_set("sensor.price", "unavailable")
        await _settle(hass, freezer)
    cost = hass.states.get("sensor.gas_cost_this_month")
    assert cost is not None
    assert cost.state == "unknown"
    assert cost.attributes["price_unavailable"] == "unavailable"
    assert "Price sensor sensor.price of Gas is unavailable" in caplog.text

    hass.states.async_set("sensor.price", "3.0")
    await _hourly(hass, freezer, "sensor.gas", ["103"])
    await _settle(hass, freezer)
    # The new price applies from when it was reported; earlier hours keep theirs.
    cost_now = _value(hass, "sensor.gas_cost_this_month")
    assert cost_now is not None
    assert 4.0 + 2.0 <= cost_now < 4.0 + 3.0


@pytest.mark.parametrize(
    ("meter_type", "attrs", "price", "unit", "per_unit"),
    [
        ("gas", GAS_ATTRS, "100", "EUR/MWh", 0.1 * 11.504 * 0.8885),  # per kWh of gas
        ("gas", GAS_ATTRS, "0.0015", "EUR/L", 1.5),
        ("electricity", ENERGY_ATTRS, "300", "EUR/MWh", 0.3),
        ("electricity", ENERGY_ATTRS, "25", "ct/kWh", 0.25),  # was 25 EUR/kWh
        ("gas", GAS_ATTRS, "120", "ct/m³", 1.2),
    ],
)
async def test_price_entity_unit_is_converted(
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
    meter_type: str,
    attrs: dict[str, str],
    price: str,
    unit: str,
    per_unit: float,
) -> None:
    """EUR/MWh on an electricity meter, a gas tariff per kWh or per litre: priced per kWh or
    m³ as the meter counts."""
    freezer.move_to(START)
    hass.states.async_set("sensor.meter", "100", attrs)
    hass.states.async_set("sensor.price", price, {"unit_of_measurement": unit})
    await setup_utility(meter("Home", meter_type, "sensor.meter", price_entity="sensor.price"))
    await _hourly(hass, freezer, "sensor.meter", ["101", "102"], attrs)
    await _settle(hass, freezer)
    assert _value(hass, "sensor.home_cost_this_month") == pytest.approx(2 * per_unit, rel=0.01)
    cost = hass.states.get("sensor.home_cost_this_month")
    assert cost is not None
    assert cost.attributes["price"] == pytest.approx(per_unit)


async def test_readings_survive_a_reload(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """The store keeps readings across unload/load."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    subentry_id = _subentry(entry, "Gas")
    await _hourly(hass, freezer, "sensor.gas", ["101", "102"])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    readings = _coordinator(entry).meters[subentry_id].meter.readings()
    assert [r.value for r in readings] == [100.0, 101.0, 102.0]


async def test_adding_a_meter_subentry_reloads_with_its_entities(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A meter added on the entry's page gets its device and entities; deleting removes them."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Gas", "gas", unit="m³"))
    subentry = ConfigSubentry(
        data=meter("Water", "water", unit="L")["data"],  # type: ignore[arg-type]
        subentry_type=SUBENTRY_METER,
        title="Water",
        unique_id=None,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.water_consumption_today") is not None
    assert subentry.subentry_id in _coordinator(entry).meters

    hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.water_consumption_today") is None
    assert subentry.subentry_id not in _coordinator(entry).meters


async def test_hourly_tick_moves_the_day(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Without any reading, 'days since the last reading' grows with the hourly tick."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    await setup_utility(meter("Gas", "gas", "sensor.gas"))
    for _ in range(36):
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    await _settle(hass, freezer)
    assert _value(hass, "sensor.gas_days_since_last_reading") == pytest.approx(1.5, abs=0.05)


async def test_a_reading_recomputes_only_its_own_meter(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Another meter's snapshot is kept as it was (no needless work on the event loop)."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    hass.states.async_set("sensor.grid", "1000", ENERGY_ATTRS)
    entry = await setup_utility(
        meter("Gas", "gas", "sensor.gas"), meter("Grid", "electricity", "sensor.grid")
    )
    coordinator = _coordinator(entry)
    grid = _subentry(entry, "Grid")
    before = coordinator.data.meters[grid]
    await _hourly(hass, freezer, "sensor.gas", ["101"])
    await _settle(hass, freezer)
    assert coordinator.data.meters[grid] is before
    assert coordinator.data.meters[_subentry(entry, "Gas")].last_reading.value == 101.0  # type: ignore[union-attr]


async def test_manual_reading_on_a_sensor_with_a_unit_of_the_wrong_kind(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A value typed in for a meter whose sensor now reports in a foreign unit is refused."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    hass.states.async_set("sensor.gas", "100", {**GAS_ATTRS, "unit_of_measurement": "kWh"})
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {"meter": meter_device(hass, entry, _subentry(entry, "Gas")), "value": 101},
            blocking=True,
        )
    assert err.value.translation_key == "reading_wrong_unit"


async def test_reconfigured_to_another_kind_starts_afresh(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Readings in m³ cannot serve a meter that now counts kWh; a new manual unit keeps them."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Old", "gas", unit="m³"))
    subentry_id = _subentry(entry, "Old")
    coordinator = _coordinator(entry)
    coordinator.add_manual_reading(coordinator.meters[subentry_id], 1773100000.0, 10.0)
    subentry = entry.subentries[subentry_id]

    hass.config_entries.async_update_subentry(entry, subentry, data={**subentry.data, "unit": "L"})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(_coordinator(entry).meters[subentry_id].meter.readings()) == 1

    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "meter_type": "electricity", "unit": "kWh"}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _coordinator(entry).meters[subentry_id].meter.readings() == []


async def test_price_entity_renamed_and_deleted(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A renamed price sensor is followed into the subentry; a deleted one makes cost unknown."""
    freezer.move_to(START)
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "test", "price-1", suggested_object_id="price")
    hass.states.async_set("sensor.gas", "100", GAS_ATTRS)
    hass.states.async_set("sensor.price", "2.0")
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas", price_entity="sensor.price"))
    subentry_id = _subentry(entry, "Gas")

    registry.async_update_entity("sensor.price", new_entity_id="sensor.gas_price")
    await hass.async_block_till_done()
    assert entry.subentries[subentry_id].data["price_entity"] == "sensor.gas_price"
    hass.states.async_set("sensor.gas_price", "3.0")
    await _settle(hass, freezer)
    assert _coordinator(entry).meters[subentry_id].price.current == 3.0

    registry.async_remove("sensor.gas_price")
    await _settle(hass, freezer)
    cost = hass.states.get("sensor.gas_cost_today")
    assert cost is not None
    assert cost.state == "unknown"
    assert cost.attributes["price_unavailable"] == "missing"


async def test_source_missing_after_start_raises_the_issue(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """A source deleted while Home Assistant was off: told once Home Assistant has started."""
    hass.set_state(CoreState.not_running)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gone"))
    subentry_id = _subentry(entry, "Gas")
    issue_id = f"meter_source_removed_{subentry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert _coordinator(entry).meters[subentry_id].source_missing
