"""Rotation inside HILT: by size or by day, gzip off the hot path, retention, reading the rotated set as one log,
and several processes writing while the file rotates."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt import Session
from hilt.cli import main
from hilt.logs import expand_paths, open_binary
from hilt.writers.jsonl import JsonlWriter
from tests._processes import fork_ok, run_processes, run_threads

MESSAGES = [{"role": "user", "content": "Say hello"}]
HILT_NAME = re.compile(r"^events\.jsonl\.\d{8}T\d{6}Z(?:-\d+)?(?:\.gz)?$")


def _rotated(log: Path) -> list[Path]:
    return sorted(p for p in log.parent.iterdir() if p.name != log.name)


def _events_in_set(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in expand_paths([log]) for line in _lines(path)]


def _lines(path: Path) -> list[bytes]:
    with open_binary(path) as stream:
        return stream.read().splitlines()


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _chat(client: Any, count: int) -> list[str]:
    return [client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).id for _ in range(count)]


def test_size_rotation_of_instrumented_calls_reads_back_as_one_log(client: Any, log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With rotate = "2KB", 12 real calls fill several 0600 files named by time; Session and hilt logs read all 24 events in order."""
    hilt.instrument(backend="local", filepath=str(log_path), rotate="2KB")
    _chat(client, 12)
    hilt.uninstrument()
    rotated = _rotated(log_path)
    assert len(rotated) >= 3
    assert all(HILT_NAME.match(p.name) and not p.name.endswith(".gz") for p in rotated)
    assert all(p.stat().st_size >= 2000 for p in rotated)  # rotated once full, never earlier
    assert [_mode(p) for p in (*rotated, log_path)] == [0o600] * (len(rotated) + 1)
    events = list(Session(log_path, mode="r").read())
    assert [e.action for e in events] == ["prompt", "completion"] * 12
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    assert list(Session(log_path, mode="r").read(rotated=False)) == events[-len(_lines(log_path)) :]
    assert main(["logs", "stats", str(log_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["calls"] == 12


def test_compressed_rotation_writes_private_gz_and_removes_the_plain_file(tmp_path: Path) -> None:
    """With compress, every rotated file ends up as a 0600 .gz (no plain copy, no temporary) holding the same lines."""
    log = tmp_path / "events.jsonl"
    writer = JsonlWriter(log, rotate="1KB", compress=True)
    writer.rotation.compress_grace = 0.05
    for index in range(60):
        writer.write({"index": index, "text": "x" * 40})
    writer.rotation.join(10)
    writer.close()
    rotated = _rotated(log)
    assert len(rotated) >= 3
    assert all(HILT_NAME.match(p.name) and p.name.endswith(".gz") for p in rotated)
    assert [_mode(p) for p in rotated] == [0o600] * len(rotated)
    assert [p.read_bytes()[:2] for p in rotated] == [b"\x1f\x8b"] * len(rotated)
    assert [e["index"] for e in _events_in_set(log)] == list(range(60))


def test_instrumented_compressed_log_reads_back_through_session(client: Any, log_path: Path) -> None:
    """Real calls with rotate and compress: Session(path, "r").read() returns every event, from the .gz files first."""
    hilt.instrument(backend="local", filepath=str(log_path), rotate="2KB", compress=True)
    ids = _chat(client, 8)
    state = hilt.instrumentation.current()
    writer = next(w for w in state.pipeline.writers if isinstance(w, JsonlWriter))
    writer.rotation.join(10)
    hilt.uninstrument()
    assert any(p.name.endswith(".gz") for p in _rotated(log_path))
    events = list(Session(log_path, mode="r").read())
    assert [e.action for e in events] == ["prompt", "completion"] * 8
    assert len({e.session_id for e in events}) >= 1 and len(ids) == 8


def test_daily_rotation_moves_yesterdays_lines_aside(tmp_path: Path) -> None:
    """rotate = "daily": the first write after midnight renames the file holding yesterday's lines; today's lines start a new file."""
    log = tmp_path / "events.jsonl"
    log.write_text('{"day":"yesterday"}\n')
    os.chmod(log, 0o600)
    yesterday = time.time() - 86400
    os.utime(log, (yesterday, yesterday))
    writer = JsonlWriter(log, rotate="daily")
    writer.write({"day": "today"})
    writer.write({"day": "today again"})
    writer.close()
    [rotated] = _rotated(log)
    assert HILT_NAME.match(rotated.name)
    assert rotated.read_text() == '{"day":"yesterday"}\n'
    assert log.read_text() == '{"day":"today"}\n{"day":"today again"}\n'
    writer = JsonlWriter(log, rotate="daily")
    writer.write({"day": "same day, new process"})
    writer.close()
    assert _rotated(log) == [rotated] and len(log.read_text().splitlines()) == 3


def test_retention_removes_only_this_logs_old_rotated_files(tmp_path: Path) -> None:
    """retention_days=30: after a rotation, this log's rotated files from 40 days ago go; newer ones, other logs' files, other names and symlinks stay."""
    log = tmp_path / "events.jsonl"
    old_stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 40 * 86400))
    new_stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 5 * 86400))
    outside = tmp_path / "elsewhere" / "precious.txt"
    outside.parent.mkdir()
    outside.write_text("keep me")
    kept = [
        tmp_path / f"events.jsonl.{new_stamp}.gz",
        tmp_path / f"other.jsonl.{old_stamp}",
        tmp_path / "events.jsonl.bak",
        tmp_path / "notes.txt",
    ]
    removed = [tmp_path / f"events.jsonl.{old_stamp}", tmp_path / f"events.jsonl.{old_stamp}-1.gz"]
    for path in kept + removed:
        path.write_text("{}\n")
    link = tmp_path / "events.jsonl.20000101T000000Z"
    link.symlink_to(outside)
    writer = JsonlWriter(log, rotate="200B", retention_days=30)
    for index in range(4):
        writer.write({"index": index, "text": "y" * 80})
    writer.rotation.join(10)
    writer.close()
    assert [p.exists() for p in removed] == [False, False]
    assert [p.exists() for p in kept] == [True] * len(kept)
    assert link.is_symlink() and outside.read_text() == "keep me"
    lines = [line for path in expand_paths([log]) if not path.is_symlink() for line in _lines(path)]
    assert [json.loads(line)["index"] for line in lines if b"index" in line] == [0, 1, 2, 3]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may rename in a read-only folder")
def test_rotation_that_cannot_rename_keeps_writing_and_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A folder where the log cannot be renamed: every line still lands in the live file and one warning says why."""
    folder = tmp_path / "ro"
    folder.mkdir()
    log = folder / "events.jsonl"
    writer = JsonlWriter(log, rotate="100B")
    writer.write({"index": 0, "text": "z" * 120})
    os.chmod(folder, 0o500)
    try:
        with caplog.at_level(logging.WARNING, logger="hilt"):
            for index in range(1, 5):
                writer.write({"index": index, "text": "z" * 120})
    finally:
        os.chmod(folder, 0o700)
        writer.close()
    assert [json.loads(line)["index"] for line in log.read_text().splitlines()] == [0, 1, 2, 3, 4]
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [f"HILT could not rotate {log}"]


def test_rotation_off_writer_has_no_rotation_state(tmp_path: Path) -> None:
    """Without rotate the writer keeps rotation None (the hot path's one attribute check) and never renames."""
    log = tmp_path / "events.jsonl"
    writer = JsonlWriter(log)
    for index in range(50):
        writer.write({"index": index, "text": "w" * 100})
    writer.close()
    assert writer.rotation is None and _rotated(log) == []


PROCESSES, THREADS, EVENTS = 4, 3, 250


def _write_rotating(path: str, worker: str) -> None:
    """In one process: THREADS threads share one rotating, compressing writer and append EVENTS events each."""
    writer = JsonlWriter(path, rotate="16KB", compress=True)
    writer.lock_wait = 30.0  # a busy machine can deschedule a lock holder for longer than the default bound
    writer.rotation.compress_grace = 0.3

    def run(thread: int) -> None:
        for index in range(EVENTS):
            writer.write({"worker": worker, "thread": thread, "index": index, "text": "é" * (index % 200)})

    run_threads(run, THREADS)
    writer.close()
    writer.rotation.join(30)


@fork_ok
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_processes_writing_while_the_log_rotates_lose_and_split_nothing(tmp_path: Path, method: str) -> None:
    """4 processes x 3 threads x 250 events with 16 KB rotation and gzip: every line is in exactly one file, whole, and every file is 0600."""
    log = tmp_path / "shared" / "events.jsonl"
    workers = [f"{method}-{n}" for n in range(PROCESSES)]
    assert run_processes(method, _write_rotating, [(str(log), w) for w in workers]) == [0] * PROCESSES
    files = sorted(log.parent.iterdir())
    assert len(files) >= 10
    assert [f.name for f in files if not (f == log or HILT_NAME.match(f.name))] == []
    assert [_mode(f) for f in files] == [0o600] * len(files)
    lines = [line for path in expand_paths([log]) for line in _lines(path)]
    events = [json.loads(line) for line in lines]  # a split line would not parse
    seen = sorted((e["worker"], e["thread"], e["index"]) for e in events)
    assert seen == sorted((w, t, i) for w in workers for t in range(THREADS) for i in range(EVENTS))
    for event in events:
        assert event["text"] == "é" * (event["index"] % 200)
    per_thread: dict[tuple[str, int], list[int]] = {}
    for event in events:
        per_thread.setdefault((event["worker"], event["thread"]), []).append(event["index"])
    assert all(indexes == list(range(EVENTS)) for indexes in per_thread.values())  # the set reads in order


def test_session_reads_rotated_files_of_a_name_with_glob_characters(tmp_path: Path) -> None:
    """Session takes its path literally (no glob): logs/[a].jsonl and its .gz rotated file read as one log; a missing log with no rotated file raises."""
    log = tmp_path / "[a].jsonl"
    writer = JsonlWriter(log, rotate="300B", compress=True)
    writer.rotation.compress_grace = 0.0
    for index in range(6):
        writer.write({"event_id": f"e{index}", "session_id": "s", "actor": {"type": "human", "id": "u"}, "action": "prompt",
                      "content": {"text": "q" * 100}})
    writer.rotation.join(10)
    writer.close()
    assert any(p.name.endswith(".gz") for p in _rotated(log))
    assert [e.event_id for e in Session(log, mode="r").read()] == [f"e{i}" for i in range(6)]
    with pytest.raises(FileNotFoundError, match="HILT log not found"):
        Session(tmp_path / "missing.jsonl", mode="r").open()
