"""A new sensor meter learns its past from the recorder, so it has consumption and an anomaly
baseline on day one (utility-core's `meters/history.py` reads statistics and states in chunks)."""

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..consumption import ReadingSource
from ..units import state_unit
from .history import async_read_history
from .runtime import MeterRuntime

# Long-term statistics are kept forever; the core keeps about five years.
HISTORY_LOOKBACK = timedelta(days=5 * 365)


async def async_learn_history(hass: HomeAssistant, runtime: MeterRuntime) -> bool:
    """Read the source's history into the meter once; False when it could not be read."""
    if "recorder" not in hass.config.components or not runtime.source:
        return False
    state = hass.states.get(runtime.source)
    end = dt_util.utcnow()
    try:
        history = await async_read_history(
            hass,
            runtime.source,
            state_unit(state) if state is not None else None,
            end - HISTORY_LOOKBACK,
            end,
        )
    except Exception:
        LOGGER.exception("Could not read the history of %s for %s", runtime.source, runtime.name)
        return False
    result = runtime.meter.add_readings(
        history.ts, history.values, end.timestamp(), ReadingSource.HISTORY
    )
    runtime.learned = True
    runtime.meter.learn_profile()
    LOGGER.info(
        "%s learned %d readings from the recorder (%d from statistics, %d from states, %d gaps)",
        runtime.name,
        result.accepted,
        history.from_statistics,
        history.from_states,
        history.skipped,
    )
    return True
