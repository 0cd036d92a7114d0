"""Config, options, reconfigure and reauth flows, each error continuing to success."""

from collections.abc import AsyncGenerator, Generator
import json
from pathlib import Path
from typing import Any, cast
from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.config_flow import (
    EnergyCorrelatorConfigFlow,
    EnergyCorrelatorOptionsFlow,
)
from custom_components.energy_correlator.const import (
    CONF_CIRCUITS,
    CONF_DOMAINS,
    CONF_ENERGY_SENSOR,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
    CONF_METER,
    DEFAULT_DOMAINS,
    DEFAULT_INFLUX_BUCKET,
    DEFAULT_INFLUX_URL,
    DOMAIN,
    OPT_BACKLOG_MAX_POINTS,
    OPT_HIGH_POWER_DURATION_S,
    OPT_MIN_DELTA_W,
    OPT_PRICE_ENTITY,
    OPT_SCAN_INTERVAL_S,
)
from custom_components.energy_correlator.flow_schemas import DEFAULT_OPTIONS
from custom_components.energy_correlator.influx.validation import InfluxValidationError
from custom_components.energy_correlator.meters.config_flow import UtilityOptionsFlow

TRANSLATIONS = json.loads(
    (
        Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations" / "en.json"
    ).read_text(encoding="utf-8")
)
POWER_W = {"device_class": "power", "unit_of_measurement": "W"}
VALIDATE = "custom_components.energy_correlator.config_flow.async_validate_influx"
TOKEN = "s3cr3t-t0ken"
INFLUX_INPUT = {
    CONF_INFLUX_URL: "http://127.0.0.1:8086",
    CONF_INFLUX_TOKEN: TOKEN,
    CONF_INFLUX_ORG: "home",
    CONF_INFLUX_BUCKET: "energy",
    CONF_INFLUX_VERIFY_SSL: True,
}
DEVICES_INPUT = {
    CONF_DOMAINS: ["switch", "light"],
    CONF_INCLUDE: ["input_boolean.boiler"],
    CONF_EXCLUDE: ["switch.router"],
    CONF_CIRCUITS: ["sensor.kitchen_power"],
}
ENTRY_DATA = {
    CONF_METER: "sensor.house_power",
    CONF_ENERGY_SENSOR: None,
    CONF_DOMAINS: list(DEFAULT_DOMAINS),
    CONF_INCLUDE: [],
    CONF_EXCLUDE: [],
    CONF_CIRCUITS: ["sensor.kitchen_power"],
    CONF_INFLUX_ENABLED: False,
}


def _influx_error(reason: str) -> InfluxValidationError:
    """The validation error the InfluxDB check raises."""
    return InfluxValidationError(reason)


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Generator[AsyncMock]:
    """Entries created or reloaded by the flows do not really set up."""
    with (
        patch(
            "custom_components.energy_correlator.async_setup_entry",
            new_callable=AsyncMock,
            return_value=True,
            create=True,
        ) as setup,
        patch(
            "custom_components.energy_correlator.async_unload_entry",
            new_callable=AsyncMock,
            return_value=True,
            create=True,
        ),
    ):
        yield setup


@pytest.fixture
def mock_validate() -> Generator[AsyncMock]:
    """The InfluxDB test write succeeds unless a test says otherwise."""
    with patch(VALIDATE, return_value=None) as validate:
        yield validate


@pytest.fixture(autouse=True)
def home(hass: HomeAssistant) -> None:
    """A home with a whole-home meter, two device meters and an energy counter."""
    hass.states.async_set("sensor.house_power", "1850", {**POWER_W, "friendly_name": "House power"})
    hass.states.async_set("sensor.kitchen_power", "2100", POWER_W)
    hass.states.async_set("sensor.tv_power", "120", POWER_W)
    hass.states.async_set("sensor.solar_power", "3000", POWER_W)
    hass.states.async_set("sensor.price", "0.31", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set(
        "sensor.house_energy",
        "9000.5",
        {"device_class": "energy", "unit_of_measurement": "kWh", "state_class": "total_increasing"},
    )


def _entry(
    hass: HomeAssistant, data: dict[str, Any] | None = None, **kwargs: Any
) -> MockConfigEntry:
    """An existing entry for the house meter."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="House power",
        unique_id=kwargs.pop("unique_id", "sensor.house_power"),
        data=data or ENTRY_DATA,
        options=DEFAULT_OPTIONS,
        **kwargs,
    )
    entry.add_to_hass(hass)
    return entry


def _suggested(result: ConfigFlowResult, key: str) -> Any:
    """The value a form pre-fills for a field."""
    for marker in result["data_schema"].schema:  # type: ignore[union-attr]
        if marker == key:
            return (marker.description or {}).get("suggested_value")
    raise KeyError(key)


def _assert_translated(result: ConfigFlowResult, section: str = "config") -> None:
    """Every step, field, menu option, error and abort the flow shows has English text."""
    strings = TRANSLATIONS[section]
    if result["type"] is FlowResultType.ABORT:
        assert result["reason"] in strings["abort"]
        return
    if result["type"] is FlowResultType.CREATE_ENTRY:
        return
    step = strings["step"][result["step_id"]]
    assert step["title"]
    if result["type"] is FlowResultType.MENU:
        assert set(cast(list[str], result["menu_options"])) <= set(step["menu_options"])
        return
    for marker in result["data_schema"].schema:  # type: ignore[union-attr]
        assert str(marker) in step["data"]
        assert str(marker) in step["data_description"]
    for error in (result["errors"] or {}).values():
        assert error in strings["error"]


async def _configure(
    hass: HomeAssistant, result: ConfigFlowResult, user_input: dict[str, Any]
) -> ConfigFlowResult:
    """Submit a form (or pick a menu option) and check the answer is translated."""
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    _assert_translated(result)
    return result


async def _start_user(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the flow and choose the power meter in its first menu."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    _assert_translated(result)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["power_meter", "utility_meters"]
    return await _configure(hass, result, {"next_step_id": "power_meter"})


async def _to_menu(hass: HomeAssistant) -> ConfigFlowResult:
    """Run the meter and devices steps with valid input, up to the InfluxDB menu."""
    result = await _start_user(hass)
    result = await _configure(hass, result, {CONF_METER: "sensor.house_power"})
    result = await _configure(hass, result, DEVICES_INPUT)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "influxdb_menu"
    return result


async def test_user_flow_without_influxdb(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    """The best meter and the other power sensors are proposed; skipping InfluxDB finishes."""
    result = await _start_user(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "power_meter"
    assert result["description_placeholders"] == {"candidates": "4"}
    assert _suggested(result, CONF_METER) == "sensor.house_power"
    assert _suggested(result, CONF_ENERGY_SENSOR) == "sensor.house_energy"
    assert result["last_step"] is False  # the button says "Next"

    result = await _configure(
        hass, result, {CONF_METER: "sensor.house_power", CONF_ENERGY_SENSOR: "sensor.house_energy"}
    )
    assert result["step_id"] == "devices"
    assert result["last_step"] is False
    assert _suggested(result, CONF_DOMAINS) == list(DEFAULT_DOMAINS)
    # Device meters and solar are no circuits: nothing is pre-filled in this home.
    assert _suggested(result, CONF_CIRCUITS) == []

    result = await _configure(hass, result, {CONF_DOMAINS: ["switch"]})
    result = await _configure(hass, result, {"next_step_id": "finish"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "House power"
    assert result["data"] == {
        CONF_METER: "sensor.house_power",
        CONF_ENERGY_SENSOR: "sensor.house_energy",
        CONF_DOMAINS: ["switch"],
        CONF_INCLUDE: [],
        CONF_EXCLUDE: [],
        CONF_CIRCUITS: [],
        CONF_INFLUX_ENABLED: False,
    }
    assert result["options"] == DEFAULT_OPTIONS
    assert result["result"].unique_id == "sensor.house_power"
    await hass.async_block_till_done()
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_flow_proposes_only_plausible_circuits(hass: HomeAssistant) -> None:
    """Channels of the meter's device and CT-named sensors are proposed; plugs and solar not."""
    device_reg = dr.async_get(hass)
    ent_reg = er.async_get(hass)
    entry = MockConfigEntry(domain="test")
    entry.add_to_hass(hass)

    def _on_device(device: str, *entity_ids: str) -> None:
        dev = device_reg.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={("test", device)}
        )
        for entity_id in entity_ids:
            domain, object_id = entity_id.split(".")
            ent_reg.async_get_or_create(
                domain, "test", entity_id, suggested_object_id=object_id, device_id=dev.id
            )

    _on_device("meter", "sensor.mains_power", "sensor.house_channel_b")
    _on_device("plug", "switch.kettle", "sensor.kettle_ct_power")  # a plug, whatever its name
    for entity_id in ("sensor.house_channel_b", "sensor.kettle_ct_power", "sensor.ct2_power"):
        hass.states.async_set(entity_id, "100", POWER_W)
    hass.states.async_set("sensor.mains_power", "900", POWER_W)
    hass.states.async_set("sensor.solar_ct_power", "3000", POWER_W)

    result = await _start_user(hass)
    result = await _configure(hass, result, {CONF_METER: "sensor.mains_power"})

    assert _suggested(result, CONF_CIRCUITS) == ["sensor.house_channel_b", "sensor.ct2_power"]


async def test_user_flow_with_influxdb(hass: HomeAssistant, mock_validate: AsyncMock) -> None:
    """InfluxDB is checked with a test write before the entry is created."""
    result = await _to_menu(hass)
    result = await _configure(hass, result, {"next_step_id": "influxdb"})
    assert result["step_id"] == "influxdb"
    assert _suggested(result, CONF_INFLUX_URL) == DEFAULT_INFLUX_URL
    assert _suggested(result, CONF_INFLUX_BUCKET) == DEFAULT_INFLUX_BUCKET
    assert _suggested(result, CONF_INFLUX_VERIFY_SSL) is True

    result = await _configure(hass, result, INFLUX_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_METER: "sensor.house_power",
        CONF_ENERGY_SENSOR: None,
        **DEVICES_INPUT,
        **INFLUX_INPUT,
        CONF_INFLUX_ENABLED: True,
    }
    mock_validate.assert_awaited_once_with(
        hass, "http://127.0.0.1:8086", TOKEN, "home", "energy", True
    )


@pytest.mark.parametrize(
    ("user_input", "state", "errors"),
    [
        ({CONF_METER: "sensor.nope"}, None, {CONF_METER: "meter_not_found"}),
        (
            {CONF_METER: "sensor.x"},
            ("21", {"unit_of_measurement": "°C"}),
            {CONF_METER: "meter_not_power"},
        ),
        ({CONF_METER: "sensor.x"}, ("unavailable", POWER_W), {CONF_METER: "meter_unavailable"}),
        ({CONF_METER: "sensor.x"}, ("unknown", POWER_W), {CONF_METER: "meter_unavailable"}),
        ({CONF_METER: "sensor.x"}, ("lots", POWER_W), {CONF_METER: "meter_not_numeric"}),
        (
            {CONF_METER: "sensor.house_power", CONF_ENERGY_SENSOR: "sensor.gone"},
            None,
            {CONF_ENERGY_SENSOR: "energy_not_found"},
        ),
        (  # a REST client or an old entity id: a temperature is no energy counter
            {CONF_METER: "sensor.house_power", CONF_ENERGY_SENSOR: "sensor.x"},
            ("21", {"unit_of_measurement": "°C"}),
            {CONF_ENERGY_SENSOR: "energy_not_energy"},
        ),
        (  # the meter itself (W) as its energy sensor
            {CONF_METER: "sensor.house_power", CONF_ENERGY_SENSOR: "sensor.house_power"},
            None,
            {CONF_ENERGY_SENSOR: "energy_not_energy"},
        ),
    ],
)
async def test_user_errors_then_success(
    hass: HomeAssistant,
    user_input: dict[str, str],
    state: tuple[str, dict[str, str]] | None,
    errors: dict[str, str],
) -> None:
    """A refused meter shows its error on the field, keeps the input, and can be corrected."""
    if state is not None:
        hass.states.async_set("sensor.x", *state)
    result = await _start_user(hass)
    result = await _configure(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "power_meter"
    assert result["errors"] == errors
    assert _suggested(result, CONF_METER) == user_input[CONF_METER]

    result = await _configure(hass, result, {CONF_METER: "sensor.house_power"})
    assert result["step_id"] == "devices"


async def test_user_already_configured(hass: HomeAssistant) -> None:
    """One entry per meter."""
    _entry(hass)
    result = await _start_user(hass)
    result = await _configure(hass, result, {CONF_METER: "sensor.house_power"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {**DEVICES_INPUT, CONF_CIRCUITS: ["sensor.house_power"]},
            {CONF_CIRCUITS: "circuit_is_meter"},
        ),
        ({CONF_DOMAINS: [], CONF_CIRCUITS: ["sensor.tv_power"]}, {"base": "no_devices"}),
        ({}, {"base": "no_devices"}),
    ],
)
async def test_devices_errors_then_success(
    hass: HomeAssistant, user_input: dict[str, Any], errors: dict[str, str]
) -> None:
    """The meter is no circuit and something must be watched."""
    result = await _start_user(hass)
    result = await _configure(hass, result, {CONF_METER: "sensor.house_power"})
    result = await _configure(hass, result, user_input)
    assert result["step_id"] == "devices"
    assert result["errors"] == errors

    result = await _configure(hass, result, {CONF_INCLUDE: ["switch.kettle"]})
    assert result["type"] is FlowResultType.MENU


@pytest.mark.parametrize(
    ("side_effect", "url", "errors"),
    [
        (_influx_error("cannot_connect"), None, {CONF_INFLUX_URL: "cannot_connect"}),
        (_influx_error("invalid_auth"), None, {CONF_INFLUX_TOKEN: "invalid_auth"}),
        (_influx_error("bucket_not_found"), None, {CONF_INFLUX_BUCKET: "bucket_not_found"}),
        (_influx_error("no_write_permission"), None, {CONF_INFLUX_TOKEN: "no_write_permission"}),
        (_influx_error("teapot"), None, {"base": "unknown"}),
        (RuntimeError(f"boom {TOKEN}"), None, {"base": "unknown"}),
        (None, "127.0.0.1:8086", {CONF_INFLUX_URL: "invalid_url"}),
        (None, "ftp://127.0.0.1", {CONF_INFLUX_URL: "invalid_url"}),
        (None, "http://", {CONF_INFLUX_URL: "invalid_url"}),
        # These raised ValueError in yarl: HTTP 500 from the flow on a real instance.
        (None, "http://[::1", {CONF_INFLUX_URL: "invalid_url"}),
        (None, "http://influx:99999", {CONF_INFLUX_URL: "invalid_url"}),
    ],
)
async def test_influxdb_errors_then_success(
    hass: HomeAssistant,
    mock_validate: AsyncMock,
    caplog: pytest.LogCaptureFixture,
    side_effect: Exception | None,
    url: str | None,
    errors: dict[str, str],
) -> None:
    """Each InfluxDB failure lands on its field; the token is never logged; a retry succeeds."""
    result = await _to_menu(hass)
    result = await _configure(hass, result, {"next_step_id": "influxdb"})
    mock_validate.side_effect = side_effect
    bad_input = {**INFLUX_INPUT, CONF_INFLUX_URL: url or INFLUX_INPUT[CONF_INFLUX_URL]}
    result = await _configure(hass, result, bad_input)
    assert result["step_id"] == "influxdb"
    assert result["errors"] == errors
    assert _suggested(result, CONF_INFLUX_URL) == bad_input[CONF_INFLUX_URL]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert TOKEN not in logged

    mock_validate.side_effect = None
    result = await _configure(hass, result, INFLUX_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.fixture
async def influx_server() -> AsyncGenerator[str]:
    """A local InfluxDB write endpoint: 401 for a wrong token, 404 for a wrong bucket."""

    async def write(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Token {TOKEN}":
            return web.Response(status=401)
        if request.query.get("bucket") != INFLUX_INPUT[CONF_INFLUX_BUCKET]:
            return web.Response(status=404)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/v2/write", write)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.mark.usefixtures("socket_enabled")
async def test_influxdb_real_validation(hass: HomeAssistant, influx_server: str) -> None:
    """Against a real HTTP endpoint: wrong token, wrong bucket, then success."""
    result = await _to_menu(hass)
    result = await _configure(hass, result, {"next_step_id": "influxdb"})
    good = {**INFLUX_INPUT, CONF_INFLUX_URL: influx_server}

    result = await _configure(hass, result, {**good, CONF_INFLUX_TOKEN: "wrong"})
    assert result["errors"] == {CONF_INFLUX_TOKEN: "invalid_auth"}
    result = await _configure(hass, result, {**good, CONF_INFLUX_BUCKET: "nope"})
    assert result["errors"] == {CONF_INFLUX_BUCKET: "bucket_not_found"}
    result = await _configure(hass, result, good)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_INFLUX_URL] == influx_server


async def test_options_flow(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    """Tunables are pre-filled with the current values and stored with whole numbers as int."""
    entry = _entry(hass, data={**ENTRY_DATA, **INFLUX_INPUT, CONF_INFLUX_ENABLED: True})
    hass.config_entries.async_update_entry(entry, options={OPT_MIN_DELTA_W: 12.0})

    result = await hass.config_entries.options.async_init(entry.entry_id)
    _assert_translated(result, "options")
    assert result["step_id"] == "init"
    assert _suggested(result, OPT_MIN_DELTA_W) == 12.0
    assert _suggested(result, OPT_SCAN_INTERVAL_S) == DEFAULT_OPTIONS[OPT_SCAN_INTERVAL_S]
    assert _suggested(result, OPT_BACKLOG_MAX_POINTS) == DEFAULT_OPTIONS[OPT_BACKLOG_MAX_POINTS]

    user_input = {
        **DEFAULT_OPTIONS,
        OPT_MIN_DELTA_W: 8,
        OPT_SCAN_INTERVAL_S: 2.0,
        OPT_HIGH_POWER_DURATION_S: 90.0,
        OPT_BACKLOG_MAX_POINTS: 50000.0,
        OPT_PRICE_ENTITY: "sensor.price",
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        **user_input,
        OPT_SCAN_INTERVAL_S: 2,
        OPT_HIGH_POWER_DURATION_S: 90,
        OPT_BACKLOG_MAX_POINTS: 50000,
    }
    assert isinstance(entry.options[OPT_SCAN_INTERVAL_S], int)
    assert len(mock_setup_entry.mock_calls) == 1  # reloaded by OptionsFlowWithReload

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert _suggested(result, OPT_PRICE_ENTITY) == "sensor.price"
    cleared = {key: value for key, value in user_input.items() if key != OPT_PRICE_ENTITY}
    result = await hass.config_entries.options.async_configure(result["flow_id"], cleared)
    assert OPT_PRICE_ENTITY not in entry.options


@pytest.mark.parametrize(
    ("price_entity", "state", "error"),
    [
        ("sensor.gone", None, "price_not_found"),
        ("sensor.x", ("21", {"unit_of_measurement": "°C"}), "price_not_a_price"),
        ("sensor.x", ("1.4", {"unit_of_measurement": "EUR/m³"}), "price_not_a_price"),
        ("sensor.house_power", None, "price_not_a_price"),
    ],
)
async def test_options_price_entity_errors_then_success(
    hass: HomeAssistant,
    price_entity: str,
    state: tuple[str, dict[str, str]] | None,
    error: str,
) -> None:
    """A price sensor that is missing or prices no kWh is refused on its field, then fixed."""
    if state is not None:
        hass.states.async_set("sensor.x", *state)
    entry = _entry(hass)
    shown = {k: v for k, v in DEFAULT_OPTIONS.items() if k != OPT_BACKLOG_MAX_POINTS}
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**shown, OPT_PRICE_ENTITY: price_entity}
    )
    _assert_translated(result, "options")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {OPT_PRICE_ENTITY: error}
    assert _suggested(result, OPT_PRICE_ENTITY) == price_entity
    assert entry.options == DEFAULT_OPTIONS
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**shown, OPT_PRICE_ENTITY: "sensor.price"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[OPT_PRICE_ENTITY] == "sensor.price"


async def test_options_without_influxdb(hass: HomeAssistant) -> None:
    """Without InfluxDB its backlog limit is not shown, and keeps its value."""
    entry = _entry(hass)
    hass.config_entries.async_update_entry(
        entry, options={**DEFAULT_OPTIONS, OPT_BACKLOG_MAX_POINTS: 5000}
    )

    result = await hass.config_entries.options.async_init(entry.entry_id)
    _assert_translated(result, "options")
    with pytest.raises(KeyError):
        _suggested(result, OPT_BACKLOG_MAX_POINTS)
    shown = {k: v for k, v in DEFAULT_OPTIONS.items() if k != OPT_BACKLOG_MAX_POINTS}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**shown, OPT_MIN_DELTA_W: 9}
    )
    await hass.async_block_till_done()

    assert entry.options == {**shown, OPT_MIN_DELTA_W: 9, OPT_BACKLOG_MAX_POINTS: 5000}


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> ConfigFlowResult:
    """Open the reconfigure menu and pick a step."""
    result = await entry.start_reconfigure_flow(hass)
    _assert_translated(result)
    assert result["type"] is FlowResultType.MENU
    return await _configure(hass, result, {"next_step_id": step})


async def test_reconfigure_menu(hass: HomeAssistant) -> None:
    """Disabling InfluxDB is offered only when it is enabled."""
    entry = _entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["menu_options"] == [
        "reconfigure_meter",
        "reconfigure_devices",
        "reconfigure_influxdb",
    ]
    influx_entry = _entry(
        hass,
        {**ENTRY_DATA, **INFLUX_INPUT, CONF_INFLUX_ENABLED: True, CONF_METER: "sensor.tv_power"},
        unique_id="sensor.tv_power",
    )
    result = await influx_entry.start_reconfigure_flow(hass)
    assert "disable_influxdb" in result["menu_options"]


async def test_reconfigure_same_meter(hass: HomeAssistant) -> None:
    """Keeping the meter but adding the energy sensor keeps the unique id."""
    entry = _entry(hass)
    result = await _reconfigure(hass, entry, "reconfigure_meter")
    assert _suggested(result, CONF_METER) == "sensor.house_power"

    result = await _configure(hass, result, {CONF_METER: "sensor.gone"})
    assert result["errors"] == {CONF_METER: "meter_not_found"}
    assert _suggested(result, CONF_METER) == "sensor.gone"

    result = await _configure(
        hass, result, {CONF_METER: "sensor.house_power", CONF_ENERGY_SENSOR: "sensor.house_energy"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "sensor.house_power"
    assert entry.data[CONF_ENERGY_SENSOR] == "sensor.house_energy"


async def test_reconfigure_new_meter_keeps_entity_ids(hass: HomeAssistant) -> None:
    """A new meter becomes the unique id and title and leaves the circuits; our entities'
    unique ids are keyed by the entry id, so they need no change."""
    entry = _entry(hass, minor_version=2)
    ent_reg = er.async_get(hass)
    ours = ent_reg.async_get_or_create(
        "sensor", DOMAIN, f"{entry.entry_id}_untracked_power", config_entry=entry
    )

    result = await _reconfigure(hass, entry, "reconfigure_meter")
    result = await _configure(hass, result, {CONF_METER: "sensor.kitchen_power"})

    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "sensor.kitchen_power"
    assert entry.title == "kitchen power"
    assert entry.data[CONF_METER] == "sensor.kitchen_power"
    assert entry.data[CONF_CIRCUITS] == []
    kept = ent_reg.async_get(ours.entity_id)
    assert kept is not None
    assert kept.unique_id == f"{entry.entry_id}_untracked_power"


async def test_reconfigure_refuses_our_own_sensors_as_energy_and_circuit(
    hass: HomeAssistant,
) -> None:
    """Our Energy today as the energy sensor, our Untracked power as a circuit: refused.

    Found on a real Home Assistant: Energy today then read its own value and stayed frozen
    for ever (and untracked power would subtract itself).
    """
    entry = _entry(hass)
    ent_reg = er.async_get(hass)
    today = ent_reg.async_get_or_create(
        "sensor", DOMAIN, f"{entry.entry_id}_energy_today", config_entry=entry
    )
    untracked = ent_reg.async_get_or_create(
        "sensor", DOMAIN, f"{entry.entry_id}_untracked_power", config_entry=entry
    )
    energy = {"device_class": "energy", "unit_of_measurement": "kWh", "state_class": "total"}
    hass.states.async_set(today.entity_id, "3.2", energy)
    hass.states.async_set(untracked.entity_id, "150", POWER_W)

    result = await _reconfigure(hass, entry, "reconfigure_meter")
    result = await _configure(
        hass, result, {CONF_METER: "sensor.house_power", CONF_ENERGY_SENSOR: today.entity_id}
    )
    assert result["errors"] == {CONF_ENERGY_SENSOR: "energy_is_ours"}
    result = await _configure(
        hass, result, {CONF_METER: "sensor.house_power", CONF_ENERGY_SENSOR: "sensor.house_energy"}
    )
    assert result["reason"] == "reconfigure_successful"

    result = await _reconfigure(hass, entry, "reconfigure_devices")
    result = await _configure(
        hass, result, {CONF_DOMAINS: ["switch"], CONF_CIRCUITS: [untracked.entity_id]}
    )
    assert result["errors"] == {CONF_CIRCUITS: "circuit_is_ours"}
    result = await _configure(
        hass, result, {CONF_DOMAINS: ["switch"], CONF_CIRCUITS: ["sensor.kitchen_power"]}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_ENERGY_SENSOR] == "sensor.house_energy"
    assert entry.data[CONF_CIRCUITS] == ["sensor.kitchen_power"]


async def test_reconfigure_meter_of_other_entry(hass: HomeAssistant) -> None:
    """A meter another entry already uses is refused."""
    entry = _entry(hass)
    _entry(hass, {**ENTRY_DATA, CONF_METER: "sensor.tv_power"}, unique_id="sensor.tv_power")
    result = await _reconfigure(hass, entry, "reconfigure_meter")
    result = await _configure(hass, result, {CONF_METER: "sensor.tv_power"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.unique_id == "sensor.house_power"


async def test_reconfigure_meter_entry_without_unique_id(hass: HomeAssistant) -> None:
    """An entry without unique id gets one from its (same) meter."""
    entry = _entry(hass, unique_id=None)
    result = await _reconfigure(hass, entry, "reconfigure_meter")
    result = await _configure(hass, result, {CONF_METER: "sensor.house_power"})
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "sensor.house_power"


async def test_renamed_meter_cannot_be_added_twice(hass: HomeAssistant) -> None:
    """An entry whose unique id predates a rename of its meter still owns that meter."""
    _entry(hass, {**ENTRY_DATA, CONF_METER: "sensor.tv_power"}, unique_id="sensor.old_tv")
    result = await _start_user(hass)
    result = await _configure(hass, result, {CONF_METER: "sensor.tv_power"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    entry = _entry(hass)
    result = await _reconfigure(hass, entry, "reconfigure_meter")
    result = await _configure(hass, result, {CONF_METER: "sensor.tv_power"})
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_METER] == "sensor.house_power"


async def test_reconfigure_devices(hass: HomeAssistant) -> None:
    """The devices form starts from the entry and is validated like the first time."""
    entry = _entry(hass)
    result = await _reconfigure(hass, entry, "reconfigure_devices")
    assert _suggested(result, CONF_CIRCUITS) == ["sensor.kitchen_power"]

    result = await _configure(hass, result, {CONF_CIRCUITS: ["sensor.house_power"]})
    assert result["errors"] == {CONF_CIRCUITS: "circuit_is_meter"}

    result = await _configure(hass, result, {CONF_INCLUDE: ["switch.kettle"]})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DOMAINS] == []
    assert entry.data[CONF_INCLUDE] == ["switch.kettle"]
    assert entry.data[CONF_CIRCUITS] == []
    assert entry.data[CONF_METER] == "sensor.house_power"


async def test_reconfigure_enable_influxdb(hass: HomeAssistant, mock_validate: AsyncMock) -> None:
    """InfluxDB can be added later, validated like in the first setup."""
    entry = _entry(hass)
    result = await _reconfigure(hass, entry, "reconfigure_influxdb")
    assert _suggested(result, CONF_INFLUX_URL) == DEFAULT_INFLUX_URL

    mock_validate.side_effect = _influx_error("invalid_auth")
    result = await _configure(hass, result, INFLUX_INPUT)
    assert result["errors"] == {CONF_INFLUX_TOKEN: "invalid_auth"}

    mock_validate.side_effect = None
    result = await _configure(hass, result, INFLUX_INPUT)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {**ENTRY_DATA, **INFLUX_INPUT, CONF_INFLUX_ENABLED: True}


async def test_reconfigure_influxdb_hides_token(
    hass: HomeAssistant, mock_validate: AsyncMock
) -> None:
    """The stored connection is pre-filled except the token."""
    entry = _entry(hass, {**ENTRY_DATA, **INFLUX_INPUT, CONF_INFLUX_ENABLED: True})
    result = await _reconfigure(hass, entry, "reconfigure_influxdb")
    assert _suggested(result, CONF_INFLUX_URL) == INFLUX_INPUT[CONF_INFLUX_URL]
    assert _suggested(result, CONF_INFLUX_ORG) == "home"
    assert _suggested(result, CONF_INFLUX_TOKEN) is None

    result = await _configure(hass, result, {**INFLUX_INPUT, CONF_INFLUX_BUCKET: "other"})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_INFLUX_BUCKET] == "other"


async def test_disable_influxdb(hass: HomeAssistant) -> None:
    """Disabling forgets the connection and its token."""
    entry = _entry(hass, {**ENTRY_DATA, **INFLUX_INPUT, CONF_INFLUX_ENABLED: True})
    result = await _reconfigure(hass, entry, "disable_influxdb")
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == ENTRY_DATA


async def test_reauth(hass: HomeAssistant, mock_validate: AsyncMock) -> None:
    """A refused token is replaced after a test write with the new one succeeds."""
    entry = _entry(hass, {**ENTRY_DATA, **INFLUX_INPUT, CONF_INFLUX_ENABLED: True})
    result = await entry.start_reauth_flow(hass)
    _assert_translated(result)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {
        "url": "http://127.0.0.1:8086",
        "bucket": "energy",
        "name": "House power",
    }

    mock_validate.side_effect = _influx_error("invalid_auth")
    result = await _configure(hass, result, {CONF_INFLUX_TOKEN: "still-wrong"})
    assert result["errors"] == {CONF_INFLUX_TOKEN: "invalid_auth"}

    mock_validate.side_effect = _influx_error("cannot_connect")
    result = await _configure(hass, result, {CONF_INFLUX_TOKEN: "new-token"})
    assert result["errors"] == {"base": "cannot_connect"}

    mock_validate.side_effect = None
    result = await _configure(hass, result, {CONF_INFLUX_TOKEN: "new-token"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_INFLUX_TOKEN] == "new-token"
    mock_validate.assert_awaited_with(
        hass, "http://127.0.0.1:8086", "new-token", "home", "energy", True
    )


async def test_reauth_broken_url(hass: HomeAssistant, mock_validate: AsyncMock) -> None:
    """A stored URL that cannot be used is reported on the form's base (it has no URL field)."""
    entry = _entry(
        hass, {**ENTRY_DATA, **INFLUX_INPUT, CONF_INFLUX_URL: "nope", CONF_INFLUX_ENABLED: True}
    )
    result = await entry.start_reauth_flow(hass)
    result = await _configure(hass, result, {CONF_INFLUX_TOKEN: "new-token"})
    assert result["errors"] == {"base": "invalid_url"}
    mock_validate.assert_not_awaited()


def test_translated_steps_exist() -> None:
    """No stale step in the translations: each one is a step of the flow it belongs to."""
    for step_id in TRANSLATIONS["config"]["step"]:
        assert hasattr(EnergyCorrelatorConfigFlow, f"async_step_{step_id}")
    for step_id in TRANSLATIONS["options"]["step"]:
        assert hasattr(EnergyCorrelatorOptionsFlow, f"async_step_{step_id}") or hasattr(
            UtilityOptionsFlow, f"async_step_{step_id}"
        )
