"""Utility meters as a person sets them up in the browser, on the Home Assistant the power steps
already use (one more start would cost CI half a minute): the first meter from the menu (a gas
meter read by the simulated home's sensor), a hand-read meter added on the entry's page, readings
typed into the action in the Tools panel, the meter's device page, a virtual meter, and the
meter's reconfigure and the entry's options pre-filled.

Every wrong input on the way must come back as a translated sentence on the field (or under the
action), not as a schema message: the texts are taken from translations/en.json.
"""

import time
from typing import Any
import urllib.error

from .browser import DOMAIN, TRANSLATIONS, Browser, console_errors_since
from .home_assistant import RunningHomeAssistant

FIRST_METER = TRANSLATIONS["config"]["step"]["utility_meter"]
METER = TRANSLATIONS["config_subentries"]["meter"]
ERRORS = METER["error"]
EXCEPTIONS = TRANSLATIONS["exceptions"]
SENSORS = TRANSLATIONS["entity"]["sensor"]
OPTIONS = TRANSLATIONS["options"]["step"]["utility_options"]


def _sentence(message: str) -> str:
    """The fixed text of a message up to its first placeholder (what a test can look for)."""
    return message.split("{", 1)[0].strip() or message


def _state(ha: RunningHomeAssistant, entity_id: str) -> dict[str, Any]:
    """The entity's state, once it exists (a meter's entities come with the entry's reload)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return ha.request("GET", f"/api/states/{entity_id}")
        except urllib.error.HTTPError as err:
            if err.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.25)


def _first_meter_from_the_menu(browser: Browser) -> None:
    """Add integration → Utility meters: a gas meter from its sensor, after a wrong meter type."""
    browser.open(f"/config/integrations/dashboard/add?domain={DOMAIN}")
    browser.button("OK").click()
    browser.text(TRANSLATIONS["config"]["step"]["user"]["menu_options"]["utility_meters"]).click()
    browser.text(FIRST_METER["title"])
    for key in ("name", "meter_type", "source_entity", "unit", "price", "price_entity"):
        browser.text(FIRST_METER["data"][key])
    page = browser.page
    page.get_by_role("textbox", name=FIRST_METER["data"]["name"]).fill("Gas")
    page.get_by_role("radio", name="Water").check()  # the wrong type for a gas sensor
    browser.pick("Select an entity", "Gas meter")
    browser.button("Submit").click()
    browser.text(ERRORS["source_wrong_type"])
    browser.shot("utility-wrong-type", readme=False)

    page.get_by_role("radio", name="Gas").check()
    browser.button("Submit").click()
    gas = TRANSLATIONS["config"]["step"]["utility_gas"]
    browser.text(gas["title"])
    # The calorific value and z-factor are pre-filled with the usual values of a gas bill.
    calorific = page.get_by_role("spinbutton", name=gas["data"]["calorific_value"])
    assert calorific.input_value() == "11.504"
    assert page.get_by_role("spinbutton", name=gas["data"]["correction_factor"]).input_value() == (
        "0.8885"
    )
    browser.button("Submit").click()
    browser.text("Name and assign")  # the meter's device, named after the meter
    browser.button("Skip and finish").click()
    assert _state(browser.ha, "sensor.gas_consumption_today")["attributes"]["statistic_id"]


def _manual_meter_on_the_entry_page(browser: Browser) -> None:
    """Add meter: a hand-read cellar gas meter; no unit, then a unit of energy, are refused."""
    browser.open(f"/config/integrations/integration/{DOMAIN}")
    browser.button(METER["initiate_flow"]["user"]).click()
    browser.text(METER["step"]["user"]["title"])
    page = browser.page
    page.get_by_role("textbox", name=METER["step"]["user"]["data"]["name"]).fill("Cellar gas")
    page.get_by_role("radio", name="Gas").check()
    browser.button("Submit").click()
    browser.text(ERRORS["unit_required"])
    unit = METER["step"]["user"]["data"]["unit"]
    browser.text(unit, exact=True).click()
    page.get_by_role("menuitem", name="kWh", exact=True).click()
    browser.button("Submit").click()
    browser.text(ERRORS["unit_wrong_kind"])
    browser.shot("utility-meter-error")
    browser.text(unit, exact=True).click()
    page.get_by_role("menuitem", name="m³", exact=True).click()
    browser.button("Submit").click()
    browser.text(METER["step"]["gas"]["title"])
    browser.button("Submit").click()
    browser.text("Created configuration for Cellar gas")
    browser.button("Finish").click()


def _readings_typed_into_the_action(browser: Browser) -> None:
    """Tools → Actions → Add meter reading: a reading, a typo (refused, with the sentence of
    translations/en.json), and the next reading with the consumption since the first."""
    browser.open("/config/tools/action")
    service = TRANSLATIONS["services"]["add_meter_reading"]
    browser.pick("Action", service["name"], search=service["name"].lower())
    browser.pick("Select a device", "Cellar gas")
    page = browser.page
    value = page.get_by_role("spinbutton").first
    response = page.locator(".cm-content").last

    def perform(reading: str) -> None:
        for _ in range(10):  # the form renders again once the device is chosen
            value.fill(reading)
            if value.input_value() == reading:
                break
            page.wait_for_timeout(200)
        browser.button("Perform action").click()

    perform("1234.5")
    browser.text("Response", exact=True)
    response.get_by_text("value: 1234.5").wait_for()
    perform("12345")  # the decimal point forgotten
    refused = _sentence(EXCEPTIONS["reading_implausible"]["message"].replace("{value}", "12345"))
    browser.text(refused)
    browser.shot("utility-reading-refused", readme=False)
    perform("1236.25")
    response.get_by_text("consumption_since_previous: 1.75").wait_for()
    assert float(_state(browser.ha, "sensor.cellar_gas_consumption_today")["state"]) >= 0


def _virtual_meter_on_the_entry_page(browser: Browser) -> None:
    """Add virtual meter: heating gas = gas - cellar gas, in m³."""
    virtual = TRANSLATIONS["config_subentries"]["virtual_meter"]
    browser.open(f"/config/integrations/integration/{DOMAIN}")
    browser.button(virtual["initiate_flow"]["user"]).click()
    browser.text(virtual["step"]["user"]["title"])
    page = browser.page
    page.get_by_role("textbox", name=virtual["step"]["user"]["data"]["name"]).fill("Heating gas")
    # The frontend pre-selects the first meter (Gas) as the base; nothing is subtracted yet.
    browser.button("Submit").click()
    browser.text(virtual["error"]["nothing_subtracted"])
    browser.button(virtual["step"]["user"]["data"]["subtract_meters"]).click()
    page.get_by_role("dialog", name="Select option").get_by_text("Cellar gas", exact=True).click()
    browser.button("Remove Cellar gas").wait_for()  # chosen: its chip shows
    page.get_by_role(
        "radio", name=TRANSLATIONS["selector"]["output_kind"]["options"]["volume"]
    ).check()
    browser.button("Submit").click()
    browser.text("Created configuration for Heating gas")
    browser.button("Finish").click()
    assert (
        _state(browser.ha, "sensor.heating_gas_consumption_today")["attributes"][
            "unit_of_measurement"
        ]
        == "m³"
    )


def _meter_device_page(browser: Browser) -> None:
    """The meter's device: each sensor under its translated name, none unavailable."""
    devices = browser.ws({"type": "config/device_registry/list"})
    cellar = next(d for d in devices if d["name"] == "Cellar gas")
    browser.open(f"/config/devices/device/{cellar['id']}")
    for key in ("consumption_today", "consumption_this_month", "days_since_reading"):
        browser.text(SENSORS[key]["name"], exact=True)
    browser.text(TRANSLATIONS["entity"]["binary_sensor"]["meter_anomaly"]["name"], exact=True)
    browser.page.wait_for_timeout(1000)
    assert browser.page.get_by_text("Entity not available").count() == 0
    sensors = browser.page.locator("ha-device-entities-card")
    assert sensors.count() > 0
    assert sensors.get_by_text("Unavailable", exact=True).count() == 0
    browser.shot("utility-device")


def _reconfigure_and_options(browser: Browser) -> None:
    """The hand-read meter's Reconfigure shows what was chosen; the entry's Configure the
    defaults."""
    browser.open(f"/config/integrations/integration/{DOMAIN}")
    page = browser.page
    browser.button(METER["initiate_flow"]["reconfigure"]).first.click()  # Cellar gas, first
    browser.text(METER["step"]["reconfigure"]["title"])
    name = page.get_by_role("textbox", name=METER["step"]["reconfigure"]["data"]["name"])
    assert name.input_value() == "Cellar gas"
    assert page.get_by_role("radio", name="Gas").is_checked()
    browser.text("m³", exact=True)  # the unit of its readings, pre-selected
    browser.button("Submit").click()
    browser.text(METER["step"]["gas"]["title"])
    browser.button("Submit").click()
    # The frontend's own sentence: for a subentry it does not show the integration's.
    browser.text("Reconfiguration was successful")
    browser.button("Close").last.click()

    browser.button("Configure").last.click()  # the power entry's comes first ("Home power")
    browser.text(OPTIONS["title"])
    gap = page.get_by_role("spinbutton", name=OPTIONS["data"]["gap_days"])
    assert float(gap.input_value()) == 2
    browser.button("Submit").click()
    browser.text("Options successfully saved")
    browser.button("Finish").click()


def utility_meters_in_the_browser(browser: Browser) -> None:
    """The utility-meter steps in the order a person takes them; no console error at all on the
    way (a form, selector or translation of ours that breaks the page need not name us)."""
    start = len(browser.console_errors)
    _first_meter_from_the_menu(browser)
    _manual_meter_on_the_entry_page(browser)
    _readings_typed_into_the_action(browser)
    _meter_device_page(browser)
    _virtual_meter_on_the_entry_page(browser)
    _reconfigure_and_options(browser)
    assert not console_errors_since(browser, start)
