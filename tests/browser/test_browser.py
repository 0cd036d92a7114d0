"""What a new user sees, in a real browser: headless Debian Chromium (driven by Playwright, no
browser download) against a real Home Assistant with the simulated home of `config/`.

The user adds the integration keeping every default, a few devices switch, and then they see the
learned devices, the Activity timeline, the learned devices in the Energy dashboard after one
confirm, and the ready dashboard; then they add utility meters (utility_meters.py, on the same
Home Assistant). Screenshots go to build/screenshots (and, with EC_UPDATE_SCREENSHOTS=1, to
docs/screenshots for the README).

Two things are sped up so the test fits CI (about two minutes), both through Home Assistant's
own API: the learning windows are set to 6 s in the options (the defaults are 30 s, which
would need minutes of switching), and the recorder's first statistics of the learned sensors
are imported instead of waiting up to five minutes for its next compile.
"""

from collections.abc import Iterator
import json
from pathlib import Path
import re
import time
from typing import Any

import pytest

from .browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    DOMAIN,
    TRANSLATIONS,
    Browser,
    our_console_errors,
)
from .home_assistant import RunningHomeAssistant, home_assistant
from .utility_meters import utility_meters_in_the_browser

playwright = pytest.importorskip("playwright.sync_api")

# Toggled in turn, one change every SWITCH_EVERY_S seconds (the 6 s windows never overlap).
DEVICES = ("switch.kettle", "media_player.tv")
SWITCH_EVERY_S = 10.0
# Usually four changes teach a device; a busy machine (CI) may need a few more.
MAX_EVENTS = 8
FAST_OPTIONS = {"before_window_s": 6, "after_window_s": 6, "settle_s": 1, "scan_interval_s": 1}

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.timeout(300),
]


@pytest.fixture
def ha(socket_enabled: None, tmp_path: Path) -> Iterator[RunningHomeAssistant]:
    """The simulated home (sockets on: Home Assistant's test plugin still allows only 127.0.0.1)."""
    with home_assistant(tmp_path) as instance:
        yield instance


@pytest.fixture
def browser(ha: RunningHomeAssistant, tmp_path: Path) -> Iterator[Browser]:
    """Chromium with a fresh profile, the owner's login already in its storage."""
    with playwright.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 860},
        )
        tokens = json.dumps(ha.frontend_tokens())
        context.add_init_script(f"window.localStorage.setItem('hassTokens', {json.dumps(tokens)});")
        context.set_default_timeout(20_000)
        yield Browser(context.pages[0] if context.pages else context.new_page(), ha)
        context.close()


def _state(ha: RunningHomeAssistant, entity_id: str) -> dict[str, Any] | None:
    states = {s["entity_id"]: s for s in ha.request("GET", "/api/states")}
    return states.get(entity_id)


def _config_flow_keeping_the_defaults(browser: Browser) -> None:
    """Step by step: labels, the pre-selected meters, "Next" until the last step."""
    browser.open(f"/config/integrations/dashboard/add?domain={DOMAIN}")
    browser.button("OK").click()  # "Do you want to set up Energy Correlator?"
    browser.text("What do you want to analyse?")
    browser.text("Learn device power from a power meter").click()

    browser.text("Choose the sensor that measures the power of your whole home")
    for label in ("Whole-home power meter", "Whole-home energy meter"):
        browser.text(label, exact=True)
    browser.text("Home power", exact=True)  # the pre-selected meter
    browser.text("Home energy", exact=True)  # and energy meter
    assert browser.button("Next").is_visible()
    assert browser.button("Submit").count() == 0
    browser.shot("flow-1-meter")
    browser.button("Next").click()

    browser.text("Choose which devices Energy Correlator watches")
    for label in ("Device types to watch", "Also watch", "Never watch", "Circuit power meters"):
        browser.text(label)
    assert browser.button("Next").is_visible()
    browser.shot("flow-2-devices")
    browser.button("Next").click()

    browser.text("Finish without InfluxDB").click()
    browser.text("Name and assign")  # the entry's device, named after the meter
    browser.shot("flow-3-done")
    browser.button("Skip and finish").click()
    assert not our_console_errors(browser)


def _devices_learned_and_timeline(browser: Browser, ha: RunningHomeAssistant) -> list[str]:
    """A few switches later: learned power sensors, a readable timeline in Activity."""
    entry = next(
        e for e in ha.request("GET", "/api/config/config_entries/entry") if e["domain"] == DOMAIN
    )
    flow = ha.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry["entry_id"]}
    )
    current = {
        field["name"]: field["description"]["suggested_value"]
        for field in flow["data_schema"]
        if (field.get("description") or {}).get("suggested_value") is not None
    }
    ha.request(
        "POST",
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        {**current, **FAST_OPTIONS},
    )
    time.sleep(8)  # the entry reloads and hears the meter for a first window
    learned = []
    for entity_id in DEVICES:
        domain, name = entity_id.split(".")
        for count in range(1, MAX_EVENTS + 1):
            service = "turn_on" if count % 2 else "turn_off"
            ha.request("POST", f"/api/services/{domain}/{service}", {"entity_id": entity_id})
            time.sleep(SWITCH_EVERY_S)
            if count % 2 == 0 and _state(ha, f"sensor.{name}_learned_power") is not None:
                learned.append(name)
                break
    counters = {
        s["entity_id"]: (s["state"], s["attributes"].get("status"))
        for s in ha.request("GET", "/api/states")
        if "power_change" in s["entity_id"] or "skipped" in s["entity_id"]
    }
    # The kettle (2 kW) is learned for sure; the TV (120 W) on a machine this busy usually.
    assert "kettle" in learned, f"the kettle was not learned: {counters}"

    kettle = _state(ha, "sensor.kettle_learned_power")
    assert kettle is not None, "the kettle was not learned"
    assert kettle["attributes"]["friendly_name"] == "Kettle learned power"
    assert float(kettle["state"]) == pytest.approx(2000, rel=0.1)

    browser.open("/logbook")
    browser.text("turned on: +")
    browser.shot("activity")
    assert not our_console_errors(browser)
    return learned


def _energy_dashboard_in_one_step(
    browser: Browser, ha: RunningHomeAssistant, learned: list[str]
) -> None:
    """The repair "Add 2 learned devices to the Energy dashboard", one confirm, all valid."""
    browser.open("/config/repairs")
    now = time.time()
    hour = int(now // 3600 * 3600)
    for device in learned:
        entity_id = f"sensor.{device}_estimated_energy"
        value = float(_state(ha, entity_id)["state"])
        # What the recorder's next 5-minute compile would write first (see the module doc).
        browser.ws(
            {
                "type": "recorder/import_statistics",
                "metadata": {
                    "statistic_id": entity_id,
                    "source": "recorder",
                    "name": None,
                    "has_mean": False,
                    "mean_type": 0,
                    "has_sum": True,
                    "unit_of_measurement": "kWh",
                    "unit_class": "energy",
                },
                "stats": [
                    {
                        "start": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(hour - 3600)),
                        "state": value,
                        "sum": value,
                    }
                ],
            }
        )
    browser.ws(
        {
            "type": "energy/save_prefs",
            "energy_sources": [
                {
                    "type": "grid",
                    "stat_energy_from": "sensor.home_energy",
                    "stat_energy_to": None,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": 0.3,
                    "stat_compensation": None,
                    "entity_energy_price_export": None,
                    "number_energy_price_export": None,
                    "stat_rate": "sensor.home_power",
                    "cost_adjustment_day": 0,
                }
            ],
        }
    )
    browser.open("/config/repairs")
    devices = "1 learned device" if len(learned) == 1 else f"{len(learned)} learned devices"
    browser.text(f"Add {devices} to the Energy dashboard").click()
    browser.text("Kettle estimated energy")
    browser.shot("energy-repair")
    browser.button("Submit").click()
    browser.page.wait_for_timeout(1000)

    prefs = browser.ws({"type": "energy/get_prefs"})
    assert prefs["device_consumption"] == [
        {
            "stat_consumption": f"sensor.{d}_estimated_energy",
            "stat_rate": f"sensor.{d}_estimated_power",
        }
        for d in learned
    ]
    validation = browser.ws({"type": "energy/validate"})
    assert validation["device_consumption"] == [[] for _ in learned]

    # The kettle boils: the "Now" tab's power flow shows it by its own name.
    ha.request("POST", "/api/services/switch/turn_on", {"entity_id": "switch.kettle"})
    browser.open("/energy")
    browser.page.get_by_role("tab", name="Now").click()
    # (The chart is drawn on a canvas: the name, "Kettle estimated power", is in the screenshot;
    # the names themselves are asserted above, in the repair dialog.)
    browser.text("Current power flow").hover()
    browser.page.mouse.wheel(0, 450)  # down to the power flow
    browser.page.wait_for_timeout(1500)
    browser.shot("energy-dashboard")  # (the kettle stays on: the dashboard shows it drawing)
    assert not our_console_errors(browser)


def _device_page(browser: Browser) -> None:
    """The service device: its sensors under readable names."""
    devices = browser.ws({"type": "config/device_registry/list"})
    ours = next(d for d in devices if d["manufacturer"] == "Energy Correlator")
    browser.open(f"/config/devices/device/{ours['id']}")
    for name in ("Untracked power", "Energy today", "Last power change"):
        browser.text(name, exact=True)
    browser.shot("device")
    assert not our_console_errors(browser)


def _ready_dashboard(browser: Browser) -> None:
    """Added from "Add dashboard" in one click; opened with nothing cached, every card shows,
    named in the user's language, none says "not available"."""
    browser.open("/config/lovelace/dashboards")
    browser.button("Add dashboard").click()
    browser.text(TRANSLATIONS["common"]["dashboard_description"])  # the strategy's, translated
    browser.text("Energy Correlator", exact=True).click()  # the strategy, among the built-in ones
    browser.page.get_by_role("textbox", name="Title").fill("Energy Correlator")
    browser.button("Create").click()
    browser.page.wait_for_timeout(1500)
    dashboards = browser.ws({"type": "lovelace/dashboards/list"})
    url_path = next(d["url_path"] for d in dashboards if d["title"] == "Energy Correlator")

    # As on a browser's first visit (nothing cached): the small strategy module then loads
    # before the frontend's app bundle, which swaps the element registry after it.
    browser.page.context.new_cdp_session(browser.page).send("Network.clearBrowserCache")
    browser.open(f"/{url_path}/0")
    # Every heading and tile name in the user's language: the texts of translations/en.json
    # (a heading may be followed by its card's "Show more" link).
    common = TRANSLATIONS["common"]
    names = [
        common[f"dashboard_{key}"]
        for key in (
            "current_power",
            "cost_month",
            "top_consumers",
            "column_kwh_month",  # the top consumers' table (rendered by the server's template)
            "recent_changes",
            "learned_devices",
            "energy_per_device",
            "power",
        )
    ]
    sensors = ("daily_energy", "peak_power", "correlations_found", "untracked_power")
    names += [TRANSLATIONS["entity"]["sensor"][key]["name"] for key in sensors]
    for name in names:
        browser.text(re.compile(rf"^\s*{re.escape(name)}(\s|$)"))
    browser.text("Kettle", exact=True)
    browser.page.wait_for_timeout(2000)
    assert browser.page.get_by_text("Entity not available").count() == 0
    assert browser.page.locator("hui-warning").count() == 0
    browser.shot("dashboard")
    assert not our_console_errors(browser)


def _home_assistant_logged_no_error_of_ours(ha: RunningHomeAssistant) -> None:
    """Nothing above made the integration log an error or a traceback."""
    ours = [
        line
        for line in ha.log_text().splitlines()
        if "energy_correlator" in line and (" ERROR " in line or "Traceback" in line)
    ]
    assert not ours


def test_a_new_user_in_a_real_browser(browser: Browser, ha: RunningHomeAssistant) -> None:
    """One Home Assistant, one browser, the steps in the order a person takes them (one test, so
    pytest-xdist keeps them together)."""
    try:
        _config_flow_keeping_the_defaults(browser)
        learned = _devices_learned_and_timeline(browser, ha)
        _energy_dashboard_in_one_step(browser, ha, learned)
        _device_page(browser)
        _ready_dashboard(browser)
        utility_meters_in_the_browser(browser)
    except Exception:
        browser.shot("failure")  # what the page showed when it failed (build/screenshots)
        raise
    _home_assistant_logged_no_error_of_ours(ha)
