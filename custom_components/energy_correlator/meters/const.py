"""Names and defaults of the utility-meter wing; nothing else lives here."""

from datetime import timedelta
from enum import StrEnum
from typing import Final

# Config entry data: which wing an entry belongs to. Absent means the power entry, so entries
# created before the utility wing existed keep working unchanged.
CONF_ENTRY_KIND: Final = "entry_kind"
ENTRY_KIND_UTILITY: Final = "utility"
UTILITY_UNIQUE_ID: Final = "utility_meters"

# Subentry types.
SUBENTRY_METER: Final = "meter"
SUBENTRY_VIRTUAL: Final = "virtual_meter"

# Subentry data of a meter.
CONF_NAME: Final = "name"
CONF_METER_TYPE: Final = "meter_type"
CONF_SOURCE: Final = "source_entity"  # entity id; absent/None = manual readings
CONF_UNIT: Final = "unit"  # unit of manual readings (a source sensor brings its own)
CONF_CALORIFIC: Final = "calorific_value"  # kWh per m³
CONF_CORRECTION: Final = "correction_factor"  # z-factor
CONF_PRICE: Final = "price"  # fixed price per canonical unit (kWh or m³)
CONF_TEMPERATURE: Final = "temperature_entity"  # optional outdoor temperature of a heating meter
# A meter's price sensor is stored under the power entry's `const.OPT_PRICE_ENTITY`.

# Subentry data of a virtual meter.
CONF_BASE: Final = "base_meter"  # subentry id
CONF_SUBTRACT: Final = "subtract_meters"  # subentry ids
CONF_OUTPUT: Final = "output_kind"  # "energy" (kWh) or "volume" (m³)

DEFAULT_CALORIFIC: Final = 11.504
DEFAULT_CORRECTION: Final = 0.8885

# Entry options.
OPT_GAP_DAYS: Final = "gap_days"
OPT_ZSCORE: Final = "anomaly_zscore"
OPT_IQR: Final = "anomaly_iqr_factor"
OPT_ROLLING_Z: Final = "anomaly_rolling_zscore"
OPT_MIN_METHODS: Final = "anomaly_min_methods"
# Whether to write to InfluxDB: `const.CONF_INFLUX_ENABLED`, in the options (the form's switch)
# and in the data (the shared sink reads it there), as for the power entry.

DEFAULT_GAP_DAYS: Final = 2.0
DEFAULT_ZSCORE: Final = 3.0
DEFAULT_IQR: Final = 1.5
DEFAULT_ROLLING_Z: Final = 2.5
DEFAULT_MIN_METHODS: Final = 2

# Bus event fired when a day is found anomalous (public contract, see README).
EVENT_METER_ANOMALY: Final = "energy_correlator_meter_anomaly"

# A swap whose implied consumption is further than this from the expected one is warned about.
SWAP_TOLERANCE: Final = 0.2

# Persistence.
METER_STORAGE_VERSION: Final = 1
METER_STORAGE_MINOR_VERSION: Final = 1
METER_SAVE_DELAY: Final = timedelta(seconds=10)
# The consumption computation behind each meter's imported long-term statistics. Raise it with a
# fix that changes hours already imported: each meter stored with an older one re-imports all its
# hours from its readings once. 1: before versions (no key stored); 2: a reset inside an hour
# keeps the reading before the drop (efbcf94; the hour's use before the reset had been lost).
STATISTICS_VERSION: Final = 2


class OutputKind(StrEnum):
    """What a virtual meter's result is expressed in."""

    ENERGY = "energy"  # kWh
    VOLUME = "volume"  # m³
