"""Fast tests of the pure consumption core (no hass)."""
