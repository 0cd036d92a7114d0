"""Sink reactions to answers VictoriaMetrics never gives (fake server on 127.0.0.1)."""

import asyncio
from collections.abc import Callable
import logging
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from influxdb_client.client.write_api_async import WriteApiAsync
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.influx import InfluxSink, journal
from custom_components.energy_correlator.influx.journal import BacklogJournal
from custom_components.energy_correlator.influx.repairs import (
    ISSUE_BUCKET_NOT_FOUND,
    ISSUE_POINTS_DROPPED,
)
from custom_components.energy_correlator.influx.sink import journal_path

from .victoria import (
    TOKEN,
    FakeInflux,
    entry_fixture,  # noqa: F401 - the `entry` fixture
    fake_influx_fixture,  # noqa: F401 - the `fake_influx` fixture
    make_sink,
    wait_until_drained,
)

BASE = float(round(time.time()) - 3600)


def _record(sink: InfluxSink, count: int, bad: int | None = None) -> None:
    for i in range(count):
        meter = "sensor.bad" if i == bad else "sensor.home_power"
        sink.record_meter(BASE + i, meter, float(i), None)


async def _wait_for(predicate: Callable[[], object], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    assert predicate()


@pytest.mark.parametrize("status", [400, 422])
async def test_bad_point_is_isolated_dropped_and_counted(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    fake_influx: FakeInflux,
    issue_registry: ir.IssueRegistry,
    status: int,
) -> None:
    """One bad point among good ones: the good ones are written once, the bad one dropped."""
    fake_influx.status_for = lambda body: status if "sensor.bad" in body else 204
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    _record(sink, 40, bad=17)
    await wait_until_drained(sink)
    await sink.async_stop()
    values = sorted(int(line.split("=")[-1].split(".")[0]) for line in fake_influx.accepted)
    assert values == [i for i in range(40) if i != 17]
    assert sink.stats.points_written == 39
    assert sink.stats.points_dropped == 1
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE_POINTS_DROPPED}_{entry.entry_id}")


async def test_request_too_large_splits_the_batch(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux
) -> None:
    """413 halves the batch until the server takes it; nothing is dropped."""
    fake_influx.status_for = lambda body: 413 if body.count("\n") >= 8 else 204
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    _record(sink, 50)
    await wait_until_drained(sink)
    await sink.async_stop()
    assert len(fake_influx.accepted) == 50
    assert sink.stats.points_dropped == 0


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failure_starts_reauth_and_keeps_points(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    fake_influx: FakeInflux,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    """401/403 start one reauth flow; points stay until the server accepts them again."""
    caplog.set_level(logging.DEBUG)
    fake_influx.status_for = lambda _body: status
    sink = make_sink(hass, entry, fake_influx.url)
    with patch.object(entry, "async_start_reauth") as start_reauth:
        await sink.async_start()
        _record(sink, 10)
        await _wait_for(lambda: len(fake_influx.requests) >= 3)
        start_reauth.assert_called_once_with(hass)
        assert sink.stats.points_pending == 10
        assert sink.stats.last_error is not None
        assert sink.stats.last_error.startswith("invalid_auth")
        fake_influx.status_for = lambda _body: 204
        await wait_until_drained(sink)
        await sink.async_stop()
    assert len(fake_influx.accepted) == 10
    assert fake_influx.requests[0].headers["Authorization"] == f"Token {TOKEN}"
    assert TOKEN not in caplog.text


async def test_bucket_not_found_raises_and_clears_repair(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    fake_influx: FakeInflux,
    issue_registry: ir.IssueRegistry,
) -> None:
    """404 raises `influxdb_bucket_not_found` and keeps retrying; success clears it."""
    fake_influx.status_for = lambda _body: 404
    issue_id = f"{ISSUE_BUCKET_NOT_FOUND}_{entry.entry_id}"
    sink = make_sink(hass, entry, fake_influx.url, bucket="gone")
    await sink.async_start()
    _record(sink, 5)
    await _wait_for(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"title": "Home", "bucket": "gone", "org": "home"}
    assert sink.stats.points_pending == 5
    fake_influx.status_for = lambda _body: 204
    await wait_until_drained(sink)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await sink.async_stop()
    assert fake_influx.requests[-1].query["bucket"] == "gone"


async def test_server_errors_back_off_and_retry(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux
) -> None:
    """5xx and 429 are transient: same batch retried with growing delays, written once."""
    answers = iter([503, 429, 500])
    fake_influx.status_for = lambda _body: next(answers, 204)
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    _record(sink, 7)
    await wait_until_drained(sink)
    await sink.async_stop()
    assert len(fake_influx.requests) == 4
    assert len(fake_influx.accepted) == 7
    assert sink.stats.success_pct == 25.0
    assert sink.stats.points_dropped == 0


async def test_stop_persists_when_the_final_flush_fails(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux, tmp_path: Path
) -> None:
    """async_stop tries once more, then saves everything pending for the next start."""
    fake_influx.status_for = lambda _body: 503
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    _record(sink, 12)
    await _wait_for(lambda: len(fake_influx.requests) >= 1)
    await sink.async_stop()
    saved = journal_path(hass, sink.settings)
    assert len(saved.read_text().splitlines()) == 13  # header + 12 points
    sink.record_meter(BASE, "sensor.home_power", 1.0, None)  # after stop: ignored
    assert sink.stats.points_pending == 12


async def test_write_in_flight_survives_cancellation(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux, tmp_path: Path
) -> None:
    """HA stop cancels background tasks first: the request finishes, is counted, not redone."""
    fake_influx.delay_s = 0.3
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    _record(sink, 20)
    await _wait_for(lambda: len(fake_influx.requests) == 1)
    assert sink._task is not None
    sink._task.cancel()  # what hass.async_stop does to background tasks
    await sink.async_stop()
    assert len(fake_influx.requests) == 1
    assert len(fake_influx.accepted) == 20
    assert sink.stats.points_written == 20
    assert sink.stats.points_pending == 0
    assert not (journal_path(hass, sink.settings)).exists()


async def test_garbage_values_never_raise(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux
) -> None:
    """The record callbacks run on the loop: a bad value is counted, never raised."""
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    sink.record_meter(BASE, "sensor.p", "garbage", None)  # type: ignore[arg-type]
    sink.record_circuit(BASE, "sensor.c", "sensor.p", None, None)  # type: ignore[arg-type]
    sink.record_meter(BASE, "sensor.p", float("nan"), None)  # no finite field: nothing
    await sink.async_stop()
    assert sink.stats.points_dropped == 1
    assert sink.stats.points_pending == 0
    assert fake_influx.accepted == []


async def test_stop_gives_up_on_a_hanging_server_and_saves(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux, tmp_path: Path
) -> None:
    """The final flush is brief: a server that does not answer cannot hold the stop."""
    fake_influx.delay_s = 2.0
    sink = make_sink(hass, entry, fake_influx.url)
    sink.stop_flush_timeout_s = 0.2
    await sink.async_start()
    _record(sink, 9)
    await _wait_for(lambda: len(fake_influx.requests) == 1)
    started = time.monotonic()
    await sink.async_stop()
    assert time.monotonic() - started < 1.5
    assert sink.stats.points_pending == 9
    saved = journal_path(hass, sink.settings)
    assert len(saved.read_text().splitlines()) == 10


async def test_unexpected_library_error_is_logged_once_and_retried(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    fake_influx: FakeInflux,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in the client library does not end the writer or lose the batch."""
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    real_write = WriteApiAsync.write
    calls = 0

    async def flaky_write(self: WriteApiAsync, **kwargs: Any) -> bool:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError("library bug")
        return await real_write(self, **kwargs)

    with patch.object(WriteApiAsync, "write", flaky_write):
        _record(sink, 6)
        await wait_until_drained(sink)
    await sink.async_stop()
    assert len(fake_influx.accepted) == 6
    assert caplog.text.count("unexpected error while writing") == 1


async def test_backlog_file_errors_are_logged_not_raised(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    fake_influx: FakeInflux,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unreadable or unwritable backlog file costs the replay, not the sink."""
    fake_influx.status_for = lambda _body: 503
    sink = make_sink(hass, entry, fake_influx.url)
    with (
        patch.object(journal, "_read", side_effect=PermissionError("denied")),
        patch.object(BacklogJournal, "_rewrite", side_effect=OSError("disk full")),
        patch.object(BacklogJournal, "_append", side_effect=OSError("disk full")),
    ):
        await sink.async_start()
        _record(sink, 3)
        await _wait_for(lambda: len(fake_influx.requests) >= 2)
        await sink.async_stop()
    assert "cannot read the saved backlog" in caplog.text
    assert "cannot write the backlog journal" in caplog.text
    assert sink.stats.points_pending == 3
