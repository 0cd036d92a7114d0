"""Names and defaults shared by the integration; nothing else lives here."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "energy_correlator"
LOGGER = logging.getLogger(__package__)

# Config entry data (set by the config flow; changed by reconfigure / reauth).
CONF_METER: Final = "meter_entity"  # whole-home power sensor (any power unit)
CONF_ENERGY_SENSOR: Final = "energy_entity"  # optional whole-home energy sensor (kWh)
CONF_DOMAINS: Final = "watched_domains"
CONF_INCLUDE: Final = "include_entities"
CONF_EXCLUDE: Final = "exclude_entities"
CONF_CIRCUITS: Final = "circuit_entities"
CONF_INFLUX_ENABLED: Final = "influxdb_enabled"  # also the utility entry's options switch
CONF_INFLUX_URL: Final = "influxdb_url"
CONF_INFLUX_TOKEN: Final = "influxdb_token"
CONF_INFLUX_ORG: Final = "influxdb_org"
CONF_INFLUX_BUCKET: Final = "influxdb_bucket"
CONF_INFLUX_VERIFY_SSL: Final = "influxdb_verify_ssl"

DEFAULT_DOMAINS: Final = (
    "switch",
    "light",
    "fan",
    "climate",
    "cover",
    "media_player",
    "humidifier",
    "water_heater",
    "vacuum",
)
DEFAULT_INFLUX_URL: Final = "http://localhost:8086"
DEFAULT_INFLUX_BUCKET: Final = "energy"

# Options (tunables; options flow).
OPT_MIN_DELTA_W: Final = "min_delta_w"
OPT_BEFORE_WINDOW_S: Final = "before_window_s"
OPT_AFTER_WINDOW_S: Final = "after_window_s"
OPT_SETTLE_S: Final = "settle_s"
OPT_SCAN_INTERVAL_S: Final = "scan_interval_s"
OPT_PHANTOM_THRESHOLD_W: Final = "phantom_threshold_w"
OPT_HIGH_POWER_W: Final = "high_power_w"
OPT_HIGH_POWER_DURATION_S: Final = "high_power_duration_s"
OPT_PRICE_PER_KWH: Final = "price_per_kwh"
OPT_PRICE_ENTITY: Final = "price_entity"  # also a utility meter's subentry data
OPT_BACKLOG_MAX_POINTS: Final = "backlog_max_points"
OPT_MAX_POWER_W: Final = "max_power_w"

DEFAULT_MIN_DELTA_W: Final = 5.0
DEFAULT_BEFORE_WINDOW_S: Final = 30.0
DEFAULT_AFTER_WINDOW_S: Final = 30.0
DEFAULT_SETTLE_S: Final = 5.0
DEFAULT_SCAN_INTERVAL_S: Final = 5
DEFAULT_PHANTOM_THRESHOLD_W: Final = 200.0
DEFAULT_HIGH_POWER_W: Final = 10_000.0
DEFAULT_HIGH_POWER_DURATION_S: Final = 60
DEFAULT_PRICE_PER_KWH: Final = 0.30
# A meter reading beyond ± this is refused as implausible (a home's supply is far below it).
DEFAULT_MAX_POWER_W: Final = 100_000.0
# An energy sensor's rise is plausible up to the maximum power over the time since its last
# reading plus this much (a sensor that reports late); beyond it (1e308 kWh) it is not counted.
ENERGY_STEP_SLACK_S: Final = 3600.0
# 24 h of the default rate (one smart_meter point per 5 s = 17 280/day) with room for circuits,
# correlations and profiles.
DEFAULT_BACKLOG_MAX_POINTS: Final = 200_000


# Bus event fired for every correlation (public contract, see README).
EVENT_CORRELATION: Final = "energy_correlator_correlation"

# Persistence.
STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 2  # 2: buckets keep standard errors (1 loads with 0)
STORAGE_SAVE_DELAY_S: Final = 30

# Backfill: how far back the recorder's history may be replayed (days).
MAX_BACKFILL_DAYS: Final = 90

# Repairs: how long a failure must last before the user is told.
REPAIR_AFTER: Final = timedelta(minutes=15)
# The entities derived from the meter turn unavailable after it has been away this long.
METER_UNAVAILABLE_AFTER: Final = timedelta(minutes=1)
