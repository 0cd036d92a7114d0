"""Actions: read what was learned (with responses), backfill from history, relearn, reset."""

from typing import Any, cast

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_get_config_entry, async_register_admin_service
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import probatio as vol

from .backfill import DEFAULT_BACKFILL_DAYS, async_backfill
from .const import DOMAIN, MAX_BACKFILL_DAYS
from .coordinator import EnergyCorrelatorCoordinator
from .data import EnergyCorrelatorConfigEntry
from .engine import Correlation, ProfileSummary
from .meters.config_flow import is_utility_entry
from .meters.services import async_setup_meter_services
from .unique_ids import async_remove_device_entities

SERVICE_GET_CORRELATIONS = "get_correlations"
SERVICE_DEVICE_IMPACT = "device_impact"
SERVICE_TOP_CONSUMERS = "top_consumers"
SERVICE_BACKFILL = "backfill"
SERVICE_RELEARN = "relearn"
SERVICE_RESET_STATISTICS = "reset_statistics"

ATTR_SINCE = "since"
ATTR_MIN_DELTA_W = "min_delta_w"
ATTR_LIMIT = "limit"
ATTR_PERIOD = "period"
ATTR_DAYS = "days"

PERIOD_DAYS = {"day": 1, "week": 7, "month": 30}
IMPACT_CORRELATIONS = 20
ALL_DEVICES = 10_000

_ENTRY: dict[Any, Any] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}

GET_CORRELATIONS_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_ENTITY_ID): cv.entity_id,
        vol.Optional(ATTR_SINCE): cv.datetime,
        vol.Optional(ATTR_MIN_DELTA_W): vol.All(vol.Coerce(float), vol.Range(min=0)),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(vol.Coerce(int), vol.Range(min=1, max=500)),
    }
)
DEVICE_IMPACT_SCHEMA = vol.Schema({**_ENTRY, vol.Required(ATTR_ENTITY_ID): cv.entity_id})
TOP_CONSUMERS_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_PERIOD, default="month"): vol.In(list(PERIOD_DAYS)),
        vol.Optional(ATTR_LIMIT, default=10): vol.All(vol.Coerce(int), vol.Range(min=1, max=100)),
    }
)
BACKFILL_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_DAYS, default=DEFAULT_BACKFILL_DAYS): vol.All(
            vol.Coerce(float), vol.Range(min=0.01, max=MAX_BACKFILL_DAYS)
        ),
    }
)
# cv.entity_ids raises TypeError (not Invalid) on a number: only text or a list reaches it.
RELEARN_SCHEMA = vol.Schema(
    {**_ENTRY, vol.Optional(ATTR_ENTITY_ID): vol.All(vol.Any(str, list), cv.entity_ids)}
)
RESET_SCHEMA = vol.Schema(_ENTRY)


def _coordinator(hass: HomeAssistant, call: ServiceCall) -> EnergyCorrelatorCoordinator:
    """The coordinator of the entry the call names, or of the only loaded power entry."""
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        power = [
            entry
            for entry in hass.config_entries.async_loaded_entries(DOMAIN)
            if not is_utility_entry(entry)
        ]
        if len(power) == 1:
            entry_id = power[0].entry_id
    entry = cast(EnergyCorrelatorConfigEntry, async_get_config_entry(hass, DOMAIN, entry_id))
    if is_utility_entry(entry):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_power_entry",
            translation_placeholders={"entry": entry.title},
        )
    return entry.runtime_data.coordinator


def _name(hass: HomeAssistant, entity_id: str) -> str:
    return state.name if (state := hass.states.get(entity_id)) is not None else entity_id


def _money(kwh: float | None, price: float | None) -> float | None:
    return None if price is None or kwh is None else round(kwh * price, 2)


def _kwh(kwh: float | None, digits: int) -> float | None:
    return None if kwh is None else round(kwh, digits)


def modes_json(profile: ProfileSummary) -> list[dict[str, Any]]:
    """A profile's modes as response rows (dominant first)."""
    return [
        {"power_w": round(mode.power_w, 1), "events": mode.events, "share": mode.share}
        for mode in profile.modes
    ]


def _r(value: float | None, digits: int = 1) -> float | None:
    """Responses carry sensible precision: W and % to 0.1, shares and confidence to 0.001."""
    return None if value is None else round(value, digits)


# Precision of a correlation's float fields in responses (watts and percent to 0.1).
_CORRELATION_DIGITS = {
    "previous_level": 3,
    "level": 3,
    "power_before_w": 1,
    "power_after_w": 1,
    "power_delta_w": 1,
    "power_delta_pct": 1,
    "confidence": 3,
    "compensated_w": 1,
    "reference_delta_w": 1,
}


def correlation_json(corr: Correlation) -> dict[str, Any]:
    """A correlation as a response row: its fields, rounded, plus an ISO time."""
    row = corr.as_dict()
    for key, digits in _CORRELATION_DIGITS.items():
        row[key] = _r(row[key], digits)
    row["time"] = dt_util.utc_from_timestamp(corr.ts).isoformat()
    return row


def _get_correlations(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    engine = _coordinator(hass, call).engine
    since = call.data.get(ATTR_SINCE)
    min_delta = call.data.get(ATTR_MIN_DELTA_W)
    rows = [
        correlation_json(corr)
        for corr in engine.recent_correlations(
            entity_id=call.data.get(ATTR_ENTITY_ID),
            since=None if since is None else dt_util.as_utc(since).timestamp(),
        )
        if min_delta is None
        or (corr.power_delta_w is not None and abs(corr.power_delta_w) >= min_delta)
    ]
    return {"correlations": cast(list[JsonValueType], rows[: call.data[ATTR_LIMIT]])}


def _device_impact(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(hass, call)
    engine = coordinator.engine
    entity_id: str = call.data[ATTR_ENTITY_ID]
    if (profile := engine.profile(entity_id)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_profile",
            translation_placeholders={"entity_id": entity_id},
        )
    now = dt_util.utcnow().timestamp()
    row = next(
        (r for r in engine.top_consumers(now, ALL_DEVICES) if r.entity_id == entity_id), None
    )
    kwh_day = row.kwh_per_day if row is not None else None
    kwh_month = row.kwh_per_month if row is not None else None
    price = coordinator.data.price_per_kwh
    return {
        "entity_id": entity_id,
        "name": _name(hass, entity_id),
        "kind": str(profile.kind),
        "learned_power_w": _r(profile.learned_power_w),
        "uncertainty_w": _r(profile.uncertainty_w, 2),
        "modes": cast(list[JsonValueType], modes_json(profile)),
        "confidence": _r(profile.confidence, 3),
        "events": profile.events,
        "on_delta_w": _r(profile.on_delta_w),
        "off_delta_w": _r(profile.off_delta_w),
        "spread_w": _r(profile.spread_w),
        "standby_w": _r(profile.standby_w),
        "estimated_power_w": _r(engine.estimated_power_w(entity_id)),
        "energy_kwh": round(engine.device_energy_kwh(entity_id), 4),
        "on_fraction": None if row is None else round(row.on_fraction, 4),
        "observed_days": None if row is None else round(row.observed_days, 3),
        "observed_kwh": None if row is None else round(row.observed_kwh, 4),
        "kwh_per_day": _kwh(kwh_day, 4),
        "kwh_per_month": _kwh(kwh_month, 3),
        "price_per_kwh": price,
        "cost_per_day": _money(kwh_day, price),
        "cost_per_month": _money(kwh_month, price),
        "reference_power_w": _r(profile.reference_power_w),
        "validation_error_pct": _r(profile.validation_error_pct),
        "last_seen": None
        if profile.last_seen is None
        else dt_util.utc_from_timestamp(profile.last_seen).isoformat(),
        "correlations": [
            correlation_json(corr)
            for corr in engine.recent_correlations(entity_id=entity_id, limit=IMPACT_CORRELATIONS)
        ],
    }


def _top_consumers(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(hass, call)
    period: str = call.data[ATTR_PERIOD]
    days = PERIOD_DAYS[period]
    price = coordinator.data.price_per_kwh
    rows = coordinator.engine.top_consumers(dt_util.utcnow().timestamp(), call.data[ATTR_LIMIT])
    return {
        "period": period,
        "price_per_kwh": price,
        "consumers": [
            {
                "entity_id": row.entity_id,
                "name": _name(hass, row.entity_id),
                "learned_power_w": round(row.learned_power_w, 1),
                "on_fraction": round(row.on_fraction, 4),
                "observed_days": round(row.observed_days, 3),
                "observed_kwh": round(row.observed_kwh, 4),
                "kwh": _kwh(_period_kwh(row.kwh_per_day, days), 3),
                "cost": _money(_period_kwh(row.kwh_per_day, days), price),
            }
            for row in rows
        ],
    }


def _period_kwh(kwh_per_day: float | None, days: int) -> float | None:
    """Energy over a period from the observed daily rate; None while less than a day seen."""
    return None if kwh_per_day is None else kwh_per_day * days


async def _async_changed(coordinator: EnergyCorrelatorCoordinator) -> None:
    """After an action changed what was learned: persist it and show it now."""
    coordinator.store.async_schedule_save()
    await coordinator.async_refresh()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once for the integration (they resolve the entry per call)."""

    async def get_correlations(call: ServiceCall) -> ServiceResponse:
        return _get_correlations(hass, call)

    async def device_impact(call: ServiceCall) -> ServiceResponse:
        return _device_impact(hass, call)

    async def top_consumers(call: ServiceCall) -> ServiceResponse:
        return _top_consumers(hass, call)

    # Backfill, relearn and reset of one entry run one at a time (its learning lock).
    async def backfill(call: ServiceCall) -> ServiceResponse:
        coordinator = _coordinator(hass, call)
        async with coordinator.learning_lock:
            result = await async_backfill(hass, coordinator, call.data[ATTR_DAYS])
            await _async_changed(coordinator)
        return result.as_dict()

    async def relearn(call: ServiceCall) -> None:
        coordinator = _coordinator(hass, call)
        entity_ids = call.data.get(ATTR_ENTITY_ID)
        async with coordinator.learning_lock:
            if entity_ids and (
                unknown := [e for e in entity_ids if coordinator.engine.profile(e) is None]
            ):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="nothing_to_relearn",
                    translation_placeholders={"entity_id": ", ".join(unknown)},
                )
            coordinator.engine.forget(entity_ids)
            coordinator.event_ledger.forget(entity_ids)
            await coordinator.event_ledger.async_save()
            # The per-device entities it made unknown go; they come back once relearned.
            async_remove_device_entities(hass, coordinator.config_entry, entity_ids)
            await _async_changed(coordinator)

    async def reset_statistics(call: ServiceCall) -> None:
        coordinator = _coordinator(hass, call)
        async with coordinator.learning_lock:
            coordinator.engine.reset_statistics()
            await _async_changed(coordinator)

    for name, handler, schema in (
        (SERVICE_GET_CORRELATIONS, get_correlations, GET_CORRELATIONS_SCHEMA),
        (SERVICE_DEVICE_IMPACT, device_impact, DEVICE_IMPACT_SCHEMA),
        (SERVICE_TOP_CONSUMERS, top_consumers, TOP_CONSUMERS_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.ONLY
        )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_BACKFILL,
        backfill,
        schema=BACKFILL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(hass, DOMAIN, SERVICE_RELEARN, relearn, schema=RELEARN_SCHEMA)
    async_register_admin_service(
        hass, DOMAIN, SERVICE_RESET_STATISTICS, reset_statistics, schema=RESET_SCHEMA
    )
    async_setup_meter_services(hass)
