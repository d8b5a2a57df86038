"""The Python API under ``hilt logs``: the same answers whatever the block sizes, the clock or the order."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hilt.logs import (
    Filters,
    _find,
    _search,
    _tail,
    find_conversation,
    iter_calls,
    iter_events,
    last_calls,
    parse_time,
    percentile,
)
from hilt.logs._files import expand_paths
from hilt.logs._find import ConversationNotFoundError

from tests.cli._make import call, write_log


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """40 conversations of 3 calls each, interleaved, with texts of varied lengths."""
    items = []
    for turn in range(3):
        for number in range(40):
            items.append(
                call(
                    f"conv_{number:04d}",
                    f"2026-11-29T10:{turn:02d}:{number:02d}Z",
                    f"q{number}-{turn} " + "x" * (number * 7),
                    "a" * turn,
                )
            )
    return write_log(tmp_path / "many.jsonl", *items)


@pytest.mark.parametrize("window", [64, 333, 4096, 5000, 64 << 20])
def test_find_conversation_whatever_the_window_size(many: Path, monkeypatch: pytest.MonkeyPatch, window: int) -> None:
    """The mapped byte search finds exactly the events a full parse finds, for windows smaller and larger than a line."""
    monkeypatch.setattr(_search, "WINDOW", window)
    events = list(iter_events([many]))
    for number in (0, 1, 17, 39):
        conversation_id, found = find_conversation(f"conv_{number:04d}", [many])
        assert conversation_id == f"conv_{number:04d}"
        assert found == [e for e in events if e["session_id"] == conversation_id]


@pytest.mark.parametrize(("workers", "window"), [(2, 64 << 20), (3, 64 << 20), (4, 333)])
def test_find_conversation_in_forked_processes_finds_the_same(many: Path, monkeypatch: pytest.MonkeyPatch, workers: int, window: int) -> None:
    """Split across forked searchers, the search returns the same events in file order, and errors as without them."""
    monkeypatch.setattr(_search, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(_search, "WINDOW", window)
    forks = []
    fork_search = _search._fork_search
    monkeypatch.setattr(_search, "_fork_search", lambda *args: forks.append(args[1:3]) or fork_search(*args))
    events = list(iter_events([many]))
    for number in (0, 1, 17, 39):
        conversation_id, found = find_conversation(f"conv_{number:04d}", [many], workers=workers)
        assert found == [e for e in events if e["session_id"] == conversation_id == f"conv_{number:04d}"]
    with pytest.raises(ConversationNotFoundError, match="'conv_00' matches 20\\+ conversations"):
        find_conversation("conv_00", [many], workers=workers)
    lines = [line for line in many.read_bytes().splitlines(keepends=True) if b"conv_0017" in line]
    with many.open("rb") as stream:
        assert list(_search.lines_containing(stream.fileno(), many.stat().st_size, b"conv_0017", workers)) == lines
    alone = threading.active_count() == 1  # HILT never forks while another thread runs
    assert len(forks) == (6 * (workers - 1) if alone else 0)  # this process searched the first range itself


@pytest.mark.parametrize("block", [16, 100, 65536])
def test_lines_backwards_gives_every_line_and_offset(many: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """Reading from the end yields every line in reverse with its byte offset, whatever the block size."""
    monkeypatch.setattr(_tail, "_BLOCK", block)
    data = many.read_bytes()
    backwards = list(_tail.lines_backwards(many))
    assert [line for _, line in reversed(backwards)] == data.splitlines(keepends=True)
    for offset, line in backwards:
        assert data[offset : offset + len(line)] == line


def test_last_calls_equals_the_end_of_a_full_read(many: Path) -> None:
    """last_calls(n) returns the same calls, joined with their prompts, as the end of a full read."""
    everything = list(iter_calls(iter_events([many])))
    recent = last_calls([many], 7)
    assert [(c.prompt, c.reply) for c in recent] == [(c.prompt, c.reply) for c in everything[-7:]]
    only_17 = last_calls([many], 2, filters=Filters(conversation="conv_0017"))
    assert [c.prompt_text[:8] for c in only_17] == ["q17-1 xx", "q17-2 xx"]


def test_percentile_is_nearest_rank() -> None:
    """Nearest-rank percentiles: p50 of 1..4 is 2, p95 of 1..20 is 19, empty gives None."""
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile(list(range(1, 21)), 95) == 19
    assert percentile(list(range(1, 21)), 99) == 20
    assert percentile([], 50) is None


def test_parse_time_forms() -> None:
    """Durations count back from now; today/yesterday are UTC midnights; ISO times without zone are UTC."""
    now = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)
    assert parse_time("2h", now=now) == datetime(2026, 11, 30, 13, 30, tzinfo=timezone.utc)
    assert parse_time("1w", now=now) == datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc)
    assert parse_time("yesterday", now=now) == datetime(2026, 11, 29, tzinfo=timezone.utc)
    assert parse_time("2026-11-29T12:00+02:00") == datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="cannot read the time 'soon'"):
        parse_time("soon")


def test_rotated_siblings_oldest_first(tmp_path: Path) -> None:
    """Rotated siblings come before the live file: dates ascending, then .N descending, and each file once."""
    for name in (
        "app.jsonl",
        "app.jsonl.1",
        "app.jsonl.2.gz",
        "app.jsonl.10",
        "app.jsonl-20261128",
        "app.jsonl.bak",
        "other.jsonl",
    ):
        (tmp_path / name).write_text("")
    names = [p.name for p in expand_paths([tmp_path / "app.jsonl", tmp_path / "app.jsonl"])]
    assert names == ["app.jsonl-20261128", "app.jsonl.10", "app.jsonl.2.gz", "app.jsonl.1", "app.jsonl"]


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_scan_gives_the_same_numbers(many: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """Summing a log in byte ranges in forked workers gives exactly the one-process numbers, and corrupt
    lines keep their true line numbers."""
    from hilt.logs import ReadReport, _scan, summarize

    lines = many.read_text().splitlines()
    lines[50] = "garbage in the middle"  # two prompts: their replies still count
    lines[170] = '{"torn": '
    many.write_text("\n".join(lines) + "\n")
    alone, alone_report = summarize([many], by="conversation"), ReadReport()
    summarize([many], by="conversation", report=alone_report)
    monkeypatch.setattr(_scan, "_PARALLEL_MIN_BYTES", 0)
    report = ReadReport()
    split = summarize([many], by="conversation", report=report, workers=workers)
    assert split == alone
    assert split["calls"] == 120 and split["corrupt_lines"] == 2
    assert [(c.line, c.reason[:12]) for c in report.corrupt] == [(51, "invalid JSON"), (171, "invalid JSON")]
    assert [c.line for c in alone_report.corrupt] == [51, 171]


def _without_time(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "generated_at"}


def test_live_report_reads_only_what_was_appended(tmp_path: Path) -> None:
    """LiveReport gives, after appends, a rotation and a half-written line, the data a fresh full read gives;
    a truncation starts it over."""
    import json

    from hilt.logs import LiveReport, report_data

    log = write_log(tmp_path / "app.jsonl", call("conv_1", "2026-11-29T10:00:00Z", "one", "a", cost=0.001))
    live = LiveReport([log])
    assert live.update()["summary"]["calls"] == 1

    def append(*events: dict, tail: str = "") -> None:
        with open(log, "a", encoding="utf-8") as out:
            out.write("".join(json.dumps(e) + "\n" for e in events) + tail)

    append(*call("conv_2", "2026-11-29T11:00:00Z", "two", "b", cost=0.002), tail='{"half": ')
    grown = live.update()
    assert grown["summary"]["calls"] == 2 and grown["summary"]["corrupt_lines"] == 0  # the half line waits
    append(tail='"written"}\n')
    assert live.update()["summary"]["corrupt_lines"] == 0  # a JSON object now, not an event, yet not corrupt
    log.rename(tmp_path / "app.jsonl.1")
    write_log(log, call("conv_3", "2026-11-29T12:00:00Z", "three", "c", cost=0.004))
    rotated = live.update()
    assert rotated["summary"]["calls"] == 3 and rotated["summary"]["cost_usd"] == pytest.approx(0.007)
    assert _without_time(rotated) == _without_time(report_data([log]))
    log.write_text("")  # truncated in place: read everything again
    again = live.update()
    assert again["summary"]["calls"] == 2
    assert _without_time(again) == _without_time(report_data([log]))
