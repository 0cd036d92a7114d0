"""The browser side of the browser tests: one Chromium page logged in as the owner, with the
few ways a person uses it (open a panel, find a text or a button, take a screenshot) and the
console errors it collected."""

import json
import os
from pathlib import Path
import re
import shutil
from typing import Any

from .home_assistant import ROOT, RunningHomeAssistant

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "build" / "screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
DOMAIN = "energy_correlator"
# What a person must see: the texts of translations/en.json, not copies of them in the tests.
TRANSLATIONS: dict[str, Any] = json.loads(
    (ROOT / "custom_components" / DOMAIN / "translations" / "en.json").read_text(encoding="utf-8")
)


class Browser:
    """One page of Chromium, logged in as the owner, collecting console errors."""

    def __init__(self, page: Any, ha: RunningHomeAssistant) -> None:
        """Watch the console of `page`."""
        self.page = page
        self.ha = ha
        self.console_errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.console_errors.append(str(err)))

    def _on_console(self, msg: Any) -> None:
        if msg.type == "error":
            # A failed request's message names no URL: add where it came from.
            url = (msg.location or {}).get("url") or ""
            self.console_errors.append(f"{msg.text} ({url})" if url else msg.text)

    def open(self, path: str) -> None:
        """Go to a panel and wait until the frontend has connected."""
        self.page.goto(self.ha.url + path)
        self.page.wait_for_function(
            "() => document.querySelector('home-assistant')?.hass?.connected === true"
        )

    def ws(self, message: dict[str, Any]) -> Any:
        """A websocket command through the frontend's own connection."""
        return self.page.evaluate(
            "(msg) => document.querySelector('home-assistant').hass.callWS(msg)", message
        )

    def shot(self, name: str, *, readme: bool = True) -> None:
        """A screenshot for CI's artefacts and, when `readme`, the README."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.wait_for_timeout(800)  # let animations settle
        self.page.screenshot(path=str(path))
        if readme and os.environ.get("EC_UPDATE_SCREENSHOTS"):
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, README_SHOTS / path.name)

    def text(self, text: str | re.Pattern[str], *, exact: bool = False) -> Any:
        """The first visible element showing `text` (shadow roots included)."""
        locator = self.page.get_by_text(text, exact=exact).filter(visible=True).first
        locator.wait_for(state="visible")
        return locator

    def button(self, name: str) -> Any:
        """A visible button by its label."""
        return self.page.get_by_role("button", name=name, exact=True)

    def pick(self, placeholder: str, item: str, *, search: str | None = None) -> None:
        """Choose `item` in a picker (entity, device, action) showing `placeholder`, optionally
        searching for it first as a person types into the picker's search field."""
        self.text(placeholder, exact=True).click()
        if search is not None:
            self.page.get_by_placeholder("Search").filter(visible=True).last.fill(search)
        self.text(item, exact=True).click()


def our_console_errors(browser: Browser) -> list[str]:
    """The console errors that name the integration."""
    return [e for e in browser.console_errors if "energy" in e.lower() and "correlat" in e.lower()]


# Integrations of the simulated home without a brand icon: the frontend's request for it fails.
_OTHERS_ICONS = re.compile(r"404 \(Not Found\) \(.*/api/brands/integration/(?!energy_correlator/)")


def console_errors_since(browser: Browser, start: int) -> list[str]:
    """Every console error after the first `start` ones, but other integrations' missing icons."""
    return [e for e in browser.console_errors[start:] if not _OTHERS_ICONS.search(e)]
