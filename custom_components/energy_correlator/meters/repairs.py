"""Repair issues of utility meters, and the fix flow that tells a meter swap.

- An unexplained drop (a meter that never resets went down by at least the core's
  `MeterConfig.decrease_tolerance` of its value; smaller drops are refused as noise): probably
  a new meter. The fix flow asks exactly what `replace_meter` needs: the old meter's final
  reading, the new meter's first reading and when. Until then the drop counts as a reset
  (never negative).
- A told swap whose implied consumption is more than 20 % off the expected: a warning; nothing
  is guessed.
- A source sensor deleted from the entity registry: readings stay, manual readings still work.
"""

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    DateTimeSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
from homeassistant.util import dt as dt_util
import probatio

from ..const import DOMAIN
from ..consumption import Replacement

if TYPE_CHECKING:
    from .data import UtilityConfigEntry
    from .runtime import MeterRuntime

DROP_ISSUE = "meter_drop"
SWAP_ISSUE = "meter_swap_mismatch"
SOURCE_ISSUE = "meter_source_removed"
ATTR_OLD_FINAL = "old_final"
ATTR_NEW_FIRST = "new_first"
ATTR_WHEN = "when"


def _drop_issue_id(subentry_id: str, ts: float) -> str:
    return f"{DROP_ISSUE}_{subentry_id}_{int(ts)}"


def _time(ts: float) -> str:
    return dt_util.as_local(dt_util.utc_from_timestamp(ts)).strftime("%Y-%m-%d %H:%M")


@callback
def async_sync_drop_issues(
    hass: HomeAssistant, entry: UtilityConfigEntry, runtime: MeterRuntime
) -> None:
    """One fixable issue per unexplained drop; issues of explained drops go away. The issue
    and its form speak the unit the meter shows (GJ, ft³), as add_meter_reading takes it."""
    from .services import meter_unit

    registry = ir.async_get(hass)
    unit = meter_unit(hass, runtime)
    if (per_unit := runtime.canonical(1.0, unit)) is None or per_unit <= 0:
        unit, per_unit = runtime.unit, 1.0
    wanted = {}
    for drop in runtime.meter.drops():
        wanted[_drop_issue_id(runtime.subentry_id, drop.ts)] = drop
    prefix = f"{DROP_ISSUE}_{runtime.subentry_id}_"
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(prefix) and issue_id not in wanted:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    for issue_id, drop in wanted.items():
        if registry.async_get_issue(DOMAIN, issue_id) is not None:
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=DROP_ISSUE,
            translation_placeholders=_drop_placeholders(
                runtime.name, unit, drop.previous / per_unit, drop.value / per_unit, drop.ts
            ),
            data={
                "entry_id": entry.entry_id,
                "subentry_id": runtime.subentry_id,
                "ts": drop.ts,
                "previous": drop.previous / per_unit,  # in `unit`
                "value": drop.value / per_unit,
                # the fix flow's form and errors show the same words as the issue
                "meter": runtime.name,
                "unit": unit,
                "per_unit": per_unit,  # kWh / m³ of one `unit`: the form's values are stored so
            },
        )


@callback
def async_swap_issue(
    hass: HomeAssistant, entry: UtilityConfigEntry, runtime: MeterRuntime, swap: Replacement
) -> None:
    """Warn that a swap's implied consumption is far off the meter's usual one."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{SWAP_ISSUE}_{runtime.subentry_id}_{int(swap.ts)}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=SWAP_ISSUE,
        translation_placeholders={
            "meter": runtime.name,
            "time": _time(swap.ts),
            "implied": "?" if swap.implied is None else f"{swap.implied:.3g}",
            "expected": "?" if swap.expected is None else f"{swap.expected:.3g}",
            "unit": runtime.unit,
        },
    )


@callback
def async_source_removed_issue(
    hass: HomeAssistant, entry: UtilityConfigEntry, runtime: MeterRuntime, entity_id: str
) -> None:
    """The source sensor was deleted."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{SOURCE_ISSUE}_{runtime.subentry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=SOURCE_ISSUE,
        translation_placeholders={"meter": runtime.name, "entity_id": entity_id},
    )


@callback
def async_delete_source_issue(hass: HomeAssistant, runtime: MeterRuntime) -> None:
    """The source is back (or another was chosen)."""
    ir.async_delete_issue(hass, DOMAIN, f"{SOURCE_ISSUE}_{runtime.subentry_id}")


@callback
def async_delete_meter_issues(hass: HomeAssistant, subentry_id: str) -> None:
    """A meter was deleted: its issues go with it."""
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and subentry_id in issue_id:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


def _number() -> NumberSelector:
    return NumberSelector(NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX))


class ReplaceMeterRepairFlow(RepairsFlow):
    """Tell the meter swap behind a drop: old final reading, new first reading, when."""

    def __init__(self, data: dict[str, Any]) -> None:
        """The issue's data: which meter, and the drop."""
        self._data = data

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Go to the form."""
        return await self.async_step_replace()

    async def async_step_replace(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """The swap's readings, pre-filled from the drop."""
        from .services import async_replace

        errors: dict[str, str] = {}
        if user_input is not None:
            when = dt_util.parse_datetime(user_input[ATTR_WHEN]) or dt_util.now()
            per_unit = float(self._data.get("per_unit", 1.0))
            try:
                await async_replace(
                    self.hass,
                    self._data["subentry_id"],
                    dt_util.as_utc(when).timestamp(),
                    float(user_input[ATTR_OLD_FINAL]) * per_unit,
                    float(user_input[ATTR_NEW_FIRST]) * per_unit,
                )
            except ServiceValidationError as err:
                # the action's keys are replace_<reason>; the form's errors are <reason>
                errors["base"] = (err.translation_key or "unknown").removeprefix("replace_")
            else:
                return self.async_create_entry(data={})
        when = dt_util.as_local(dt_util.utc_from_timestamp(float(self._data["ts"])))
        schema = probatio.Schema(
            {
                probatio.Required(ATTR_OLD_FINAL): _number(),
                probatio.Required(ATTR_NEW_FIRST): _number(),
                probatio.Required(ATTR_WHEN): DateTimeSelector(),
            }
        )
        suggested = user_input or {
            ATTR_OLD_FINAL: self._data["previous"],
            ATTR_NEW_FIRST: self._data["value"],
            ATTR_WHEN: when.strftime("%Y-%m-%d %H:%M:%S"),
        }
        return self.async_show_form(
            step_id="replace",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=_drop_placeholders(
                str(self._data.get("meter", "")),
                str(self._data.get("unit", "")),
                float(self._data["previous"]),
                float(self._data["value"]),
                float(self._data["ts"]),
            ),
        )


def _drop_placeholders(
    meter: str, unit: str, previous: float, value: float, ts: float
) -> dict[str, str]:
    """The words of a drop issue and of its fix flow."""
    return {
        "meter": meter,
        "previous": f"{previous:g}",
        "value": f"{value:g}",
        "unit": unit,
        "time": _time(ts),
    }


def is_meter_issue(issue_id: str) -> bool:
    """Whether a fixable issue is a meter drop."""
    return issue_id.startswith(f"{DROP_ISSUE}_")
