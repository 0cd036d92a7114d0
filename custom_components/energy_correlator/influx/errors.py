"""What a failed InfluxDB write means for the sink: retry, shrink, isolate, reauth or repair."""

from enum import StrEnum

import aiohttp
from influxdb_client.rest import ApiException

# What a write can raise when the server or the network fails (anything else is a bug).
WRITE_ERRORS = (ApiException, aiohttp.ClientError, TimeoutError, OSError)


class Failure(StrEnum):
    """How a failed write is handled (the value is what `last_error` shows)."""

    BAD_DATA = "bad_data"  # 400/422: some point is invalid -> isolate it and drop it
    TOO_LARGE = "request_too_large"  # 413: smaller batches
    AUTH = "invalid_auth"  # 401/403: reauth, keep retrying slowly
    BUCKET = "bucket_not_found"  # 404: repair issue, keep retrying
    TRANSIENT = "cannot_connect"  # network, timeouts, 429, 5xx: back off and retry


def classify(err: BaseException) -> tuple[Failure, str]:
    """Map a write exception to its handling and a short description.

    Only the status line is kept from HTTP errors (never headers or body), and the sink still
    masks its token in what comes back.
    """
    if isinstance(err, ApiException):
        status = err.status or 0
        text = f"HTTP {status} {err.reason or ''}".strip()
        if status in (400, 422):
            return Failure.BAD_DATA, text
        if status == 413:
            return Failure.TOO_LARGE, text
        if status in (401, 403):
            return Failure.AUTH, text
        if status == 404:
            return Failure.BUCKET, text
        return Failure.TRANSIENT, text
    if isinstance(err, TimeoutError):
        return Failure.TRANSIENT, "timeout"
    return Failure.TRANSIENT, f"{type(err).__name__}: {err}"
