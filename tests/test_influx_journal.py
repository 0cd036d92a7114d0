"""The backlog journal: append-only while failing, settled marks, torn lines, unreadable files."""

import asyncio
from collections.abc import Callable
import logging
from pathlib import Path
import time

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.influx.backlog import Backlog
from custom_components.energy_correlator.influx.journal import HEADER, BacklogJournal
from custom_components.energy_correlator.influx.sink import InfluxSink, journal_path

from .victoria import (
    FakeInflux,
    entry_fixture,  # noqa: F401 - the `entry` fixture
    fake_influx_fixture,  # noqa: F401 - the `fake_influx` fixture
    make_sink,
    wait_until_drained,
)

BASE = 1_795_000_000.0


def _record(sink: InfluxSink, start: int, stop: int) -> None:
    for i in range(start, stop):
        sink.record("m", (("t", "x"),), (("v", float(i)),), BASE + i)


def _line(i: int) -> str:
    return f"m,t=x v={float(i)!r} {int((BASE + i) * 1e9)}"


async def _wait_for(predicate: Callable[[], object], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    assert predicate()


def test_backlog_numbers_lines_for_the_settled_mark() -> None:
    """`settled_before` is the number of the oldest pending line, across cap drops and retries."""
    backlog = Backlog(4)
    for i in range(4):
        backlog.append(str(i))
    assert backlog.settled_before == 0
    assert backlog.take(2) == ["0", "1"]
    assert backlog.append("4") == 1  # the cap drops "2" (queued), never the batch in flight
    assert backlog.settled_before == 0  # "0" may still be on the wire
    assert backlog.complete() == 2
    assert backlog.settled_before == 3  # 0, 1 written, 2 dropped: "3" is the oldest pending
    assert backlog.take(1) == ["3"]
    assert backlog.give_back() == 0
    assert backlog.settled_before == 3
    assert backlog.take(2) == ["3", "4"]
    assert backlog.complete(1) == 1
    assert backlog.settled_before == 4
    assert backlog.renumber() == ["4"]
    assert backlog.settled_before == 0
    backlog.append("5")
    assert backlog.next_seq == 2


async def test_failing_sink_only_appends(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux
) -> None:
    """While writes fail the file only grows at its end: what is on disk is never rewritten."""
    fake_influx.status_for = lambda _body: 503
    sink = make_sink(hass, entry, fake_influx.url)
    await sink.async_start()
    path = journal_path(hass, sink.settings)
    _record(sink, 0, 50)
    await _wait_for(lambda: path.exists() and path.stat().st_size > len(HEADER))
    await _wait_for(lambda: sink.journal_bytes_written == path.stat().st_size)
    before = path.read_bytes()
    for chunk in range(5):
        _record(sink, 50 + chunk * 20, 70 + chunk * 20)
        await asyncio.sleep(0.1)
    await _wait_for(lambda: path.stat().st_size >= len(before) + 100 * len(_line(99)))
    after = path.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].decode().splitlines() == [_line(i) for i in range(50, 150)]
    assert sink.journal_bytes_written == len(after)
    await sink.async_stop()


async def test_acknowledged_batch_is_marked_and_not_replayed(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux
) -> None:
    """A batch the server accepted is marked settled at once; a restart replays only the rest."""
    answers = iter([503, 204])
    fake_influx.status_for = lambda _body: next(answers, 503)
    sink = make_sink(hass, entry, fake_influx.url)
    sink.batch_size = 10
    _record(sink, 0, 30)
    await sink.async_start()
    await _wait_for(lambda: len(fake_influx.accepted) == 10)
    path = journal_path(hass, sink.settings)
    await _wait_for(lambda: "#settled 10\n" in path.read_text())
    assert fake_influx.accepted == [_line(i) for i in range(10)]

    replay = BacklogJournal(hass, path)  # what the next start would read
    assert await replay.async_load() == [_line(i) for i in range(10, 30)]
    await sink.async_stop()
    assert await replay.async_load() == [_line(i) for i in range(10, 30)]


async def test_catching_up_compacts_and_ends_the_file(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux
) -> None:
    """Once settled lines outnumber pending ones the file is compacted; drained, it goes."""
    fake_influx.status_for = lambda _body: 503
    sink = make_sink(hass, entry, fake_influx.url)
    sink.batch_size = 10
    sink.compact_min_lines = 20
    await sink.async_start()
    path = journal_path(hass, sink.settings)
    _record(sink, 0, 100)
    await _wait_for(lambda: path.exists() and path.read_text().count("\n") == 101)
    sizes: list[int] = []
    fake_influx.delay_s = 0.03  # a slow server: the file can be watched between batches
    fake_influx.status_for = lambda _body: 204
    while sink.stats.points_pending:
        if path.exists():
            sizes.append(path.stat().st_size)
        await asyncio.sleep(0.01)
    await wait_until_drained(sink)
    assert sorted(fake_influx.accepted) == sorted(_line(i) for i in range(100))
    assert len(fake_influx.accepted) == 100
    assert min(sizes) < max(sizes)  # compacted while catching up
    await _wait_for(lambda: not path.exists())
    await sink.async_stop()


async def test_torn_last_line_and_marks_on_load(hass: HomeAssistant, tmp_path: Path) -> None:
    """A crash mid-write leaves a torn line: it is skipped; the highest mark wins."""
    path = tmp_path / "journal"
    path.write_text(
        HEADER
        + "".join(f"{_line(i)}\n" for i in range(5))
        + "#settled 2\n#settled 1\n#settled bogus\n"
        + f"{_line(5)}\n"
        + _line(6)[:12]
    )
    assert await BacklogJournal(hass, path).async_load() == [_line(i) for i in (2, 3, 4, 5)]


@pytest.mark.parametrize(
    "content",
    [
        "not a backlog at all\nm v=1 1\n",
        "# energy_correlator influxdb backlog v99 (from the future)\nm v=1 1\n",
        "no newline anywhere",
    ],
)
async def test_unreadable_file_is_kept_aside(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    """A file that is not ours (or too new) is kept as `.unreadable`, and nothing is replayed."""
    caplog.set_level(logging.ERROR)
    path = tmp_path / "journal"
    path.write_text(content)
    assert await BacklogJournal(hass, path).async_load() == []
    assert not path.exists()
    assert (tmp_path / "journal.unreadable").read_text() == content
    assert "cannot be read" in caplog.text


async def test_a_hanging_write_starts_the_journal(
    hass: HomeAssistant, entry: MockConfigEntry, fake_influx: FakeInflux
) -> None:
    """A silent server (no refusal, no answer) is journaled long before the write times out."""
    fake_influx.delay_s = 2.0  # answers, but far later than `journal_after_s`
    sink = make_sink(hass, entry, fake_influx.url)
    sink.journal_after_s = 0.2
    sink.stop_flush_timeout_s = 0.2
    await sink.async_start()
    path = journal_path(hass, sink.settings)
    _record(sink, 0, 10)
    await _wait_for(lambda: len(fake_influx.requests) == 1)
    _record(sink, 10, 20)  # recorded while the first batch hangs
    await _wait_for(lambda: path.exists() and path.read_text().count("\n") == 21)
    assert sink.stats.failing_since is None  # nothing has failed yet
    assert await BacklogJournal(hass, path).async_load() == [_line(i) for i in range(20)]
    await sink.async_stop()
