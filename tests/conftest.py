"""Shared fixtures. Importing the integration at module level makes `custom_components` resolve to
this checkout before pytest-homeassistant-custom-component's own testing config."""

import pytest

import custom_components.energy_correlator  # noqa: F401


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let hass load custom integrations, only for tests that use hass (engine tests stay fast)."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")
