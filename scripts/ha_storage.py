"""Writes the `.storage` files that keep a development Home Assistant on 127.0.0.1.

Used by `scripts/develop` and the browser test (tests/browser). Since 2026.x the HTTP settings
live in `.storage/http`, not in YAML; without this file HA binds 0.0.0.0 and ::. Written with HA's
own schema and storage version. Only the loopback adapter is enabled (HA's shared HTTP client
resolves .local names through zeroconf, which otherwise joins mDNS on every interface).
Onboarding's location and analytics steps are marked done (configuration.yaml sets the location),
which leaves creating the owner account.

Usage: python scripts/ha_storage.py CONFIG_DIR PORT
"""

import json
import os
from pathlib import Path
import sys
from typing import Any

from homeassistant.components.http import config as http
from homeassistant.util import dt as dt_util


def _write(
    storage: Path, key: str, version: int, minor: int, data: Any, only_if_missing: bool = False
) -> None:
    path = storage / key
    if only_if_missing and path.exists():
        return
    doc = {"version": version, "minor_version": minor, "key": key, "data": data}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
    tmp.replace(path)


def write_storage(config: Path, port: int) -> None:
    """HTTP on 127.0.0.1:`port`, loopback only, onboarding down to the owner account."""
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    stable = http.HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port})
    stable.update(created_at=dt_util.utcnow().isoformat(), error=None, error_message=None)
    _write(
        storage,
        http.STORAGE_KEY,
        http.STORAGE_VERSION,
        http.STORAGE_MINOR_VERSION,
        {"stable": stable, "pending": None, "yaml_migration_done": True},
    )
    _write(storage, "core.network", 1, 1, {"configured_adapters": ["lo"]})
    _write(
        storage, "onboarding", 4, 1, {"done": ["core_config", "analytics"]}, only_if_missing=True
    )


if __name__ == "__main__":
    write_storage(Path(sys.argv[1]), int(sys.argv[2]))
