"""JsonlWriter: private files, whole lines under concurrency (threads, spawned and forked processes), fork safety."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import select
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hilt.writers.jsonl import JsonlWriter, dumps_event

PROCESSES, THREADS, EVENTS = 8, 4, 500

# Forking a process that runs other threads (the loopback server of other test modules) warns on 3.12+.
fork_ok = pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")


def _event(worker: str, thread: int, index: int) -> dict[str, Any]:
    from hilt._ids import new_event_id

    # Every 50th line is far longer than PIPE_BUF (4096), where unlocked appends could tear.
    size = 20_000 if index % 50 == 0 else index % 300
    return {
        "event_id": new_event_id(),
        "session_id": worker,
        "actor": {"type": "tool", "id": f"{thread}"},
        "action": "tool_call",
        "content": {"text": "é" * size},
        "extensions": {"index": index},
    }


def _write_many(path: str, worker: str) -> None:
    """In one process: THREADS threads share one writer and append EVENTS events each."""
    writer = JsonlWriter(path)

    def run(thread: int) -> None:
        for index in range(EVENTS):
            writer.write(_event(worker, thread, index))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()


def _check_lines(path: Path, workers: list[str]) -> None:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    lines = data.split(b"\n")[:-1]
    assert len(lines) == len(workers) * THREADS * EVENTS
    events = [json.loads(line) for line in lines]  # every line is one whole JSON object
    assert len({e["event_id"] for e in events}) == len(events)
    seen = sorted((e["session_id"], e["actor"]["id"], e["extensions"]["index"]) for e in events)
    assert seen == sorted((w, str(t), i) for w in workers for t in range(THREADS) for i in range(EVENTS))
    for event in events:
        index = event["extensions"]["index"]
        assert event["content"]["text"] == "é" * (20_000 if index % 50 == 0 else index % 300)


def test_new_file_is_0600_and_parents_are_created_0700(tmp_path: Path) -> None:
    """The first write creates missing parent folders with mode 0700 and the file with mode 0600."""
    path = tmp_path / "a" / "b" / "events.jsonl"
    writer = JsonlWriter(path)
    writer.write({"x": 1})
    writer.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700
    assert path.read_bytes() == b'{"x":1}\n'


def test_existing_file_mode_is_kept(tmp_path: Path) -> None:
    """Appending to an existing file does not change its mode or its content."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"old":true}\n')
    path.chmod(0o644)
    writer = JsonlWriter(path)
    writer.write({"new": True})
    writer.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_bytes() == b'{"old":true}\n{"new":true}\n'


def test_dumps_event_is_one_compact_utf8_line() -> None:
    """An event becomes compact UTF-8 JSON (non-ASCII kept) with exactly one trailing newline."""
    assert dumps_event({"text": "é\nx", "n": [1, 2]}) == '{"text":"é\\nx","n":[1,2]}\n'.encode()


def test_write_after_close_reopens(tmp_path: Path) -> None:
    """close() releases the descriptor and a later write reopens the file and appends."""
    path = tmp_path / "events.jsonl"
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    writer.close()
    writer.close()
    writer.write({"n": 2})
    writer.sync()
    writer.close()
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'


@fork_ok
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_processes_and_threads_append_whole_lines(tmp_path: Path, method: str) -> None:
    """8 processes x 4 threads x 500 events give exactly 16,000 whole JSON lines with unique ids."""
    path = tmp_path / "shared" / "events.jsonl"
    context = multiprocessing.get_context(method)
    workers = [f"{method}-{n}" for n in range(PROCESSES)]
    started = time.monotonic()
    processes = [context.Process(target=_write_many, args=(str(path), w)) for w in workers]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    assert time.monotonic() - started < 20
    _check_lines(path, workers)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@fork_ok
def test_forked_child_reopens_the_file_and_has_its_own_lock(tmp_path: Path) -> None:
    """After a fork, the child's writes go to the same file through its own descriptor, so the parent's flock blocks it."""
    path = tmp_path / "fork.jsonl"
    writer = JsonlWriter(path)
    writer.write({"who": "parent", "n": 1})
    parent_fd = writer._fd
    assert parent_fd is not None
    fcntl.flock(parent_fd, fcntl.LOCK_EX)  # as if a parent thread were in the middle of a write
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            os.close(ready_r)
            os.close(done_r)
            os.write(ready_w, b"1")
            writer.write({"who": "child", "n": 2})
            os.write(done_w, b"1" if writer._pid == os.getpid() else b"0")
            code = 0
        finally:
            os._exit(code)
    os.close(ready_w)
    os.close(done_w)
    try:
        assert os.read(ready_r, 1) == b"1"  # the child is about to write
        blocked, _, _ = select.select([done_r], [], [], 0.5)
        assert blocked == []  # the child waits for the parent's lock: it does not share the parent's descriptor
        assert path.read_bytes() == b'{"who":"parent","n":1}\n'
    finally:
        fcntl.flock(parent_fd, fcntl.LOCK_UN)
    assert os.read(done_r, 1) == b"1"
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.write({"who": "parent", "n": 3})
    writer.close()
    os.close(ready_r)
    os.close(done_r)
    assert [json.loads(line) for line in path.read_bytes().splitlines()] == [
        {"who": "parent", "n": 1}, {"who": "child", "n": 2}, {"who": "parent", "n": 3},
    ]
    assert writer._pid == os.getpid()


@fork_ok
def test_fork_while_another_thread_holds_the_writer_lock(tmp_path: Path) -> None:
    """A child forked while a parent thread holds the writer's thread lock can still write (no deadlock)."""
    path = tmp_path / "fork-lock.jsonl"
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    with writer._lock:  # the state a fork from a busy multi-threaded process can copy
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                writer.write({"n": 2})
                code = 0
            finally:
                os._exit(code)
    deadline = time.monotonic() + 10
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    if not done:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert done == pid, "the child deadlocked on the copied lock"
    assert os.waitstatus_to_exitcode(status) == 0
    writer.close()
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'


def test_path_under_a_regular_file_raises_oserror(tmp_path: Path) -> None:
    """A log path whose folder cannot exist (it is under a regular file) raises OSError from write, for every user."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    writer = JsonlWriter(tmp_path / "file" / "sub" / "x.jsonl")
    with pytest.raises(OSError):
        writer.write({"n": 1})
    with pytest.raises(OSError):  # and again: nothing half-open is kept
        writer.write({"n": 2})
    assert blocker.read_text() == "not a folder"


def test_read_only_folder_raises_oserror(tmp_path: Path) -> None:
    """Writing into a folder without write permission raises PermissionError from write."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("permissions are not enforced for this user (root)")
        writer = JsonlWriter(folder / "x.jsonl")
        with pytest.raises(PermissionError):
            writer.write({"n": 1})
    finally:
        folder.chmod(0o700)


def test_lone_surrogate_is_written_as_valid_utf8(tmp_path: Path) -> None:
    """A string with a lone surrogate is written as ASCII-escaped JSON: valid UTF-8 that reads back to the same string."""
    path = tmp_path / "s.jsonl"
    writer = JsonlWriter(path)
    writer.write({"text": "é\udc80"})
    writer.write({"text": "é"})
    writer.close()
    data = path.read_bytes()
    assert data == b'{"text":"\\u00e9\\udc80"}\n{"text":"\xc3\xa9"}\n'
    assert [json.loads(line) for line in data.decode("utf-8").splitlines()] == [{"text": "é\udc80"}, {"text": "é"}]
