"""JsonlWriter: private files, whole lines under concurrency (threads, spawned and forked processes), fork safety,
what the log path may be (no links, FIFOs or other users' files), torn lines, held locks and moved files."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hilt import Session
from hilt.session import read_events
from hilt.writers.jsonl import JsonlWriter, UnsafeLogFileError, dumps_event

from tests._fifo import run_or_unblock
from tests._processes import fork_ok, run_processes, run_threads

PROCESSES, THREADS, EVENTS = 8, 4, 500

# Forking a process that runs other threads (the loopback server of other test modules) warns on 3.12+.


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
    writer.lock_wait = 30.0  # on a busy machine a lock holder can be descheduled for more than the default bound

    def run(thread: int) -> None:
        for index in range(EVENTS):
            writer.write(_event(worker, thread, index))

    run_threads(run, THREADS)
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
    workers = [f"{method}-{n}" for n in range(PROCESSES)]
    started = time.monotonic()
    assert run_processes(method, _write_many, [(str(path), w) for w in workers], timeout=60) == [0] * PROCESSES
    assert time.monotonic() - started < 20
    _check_lines(path, workers)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@fork_ok
def test_forked_child_reopens_the_file_and_has_its_own_lock(tmp_path: Path) -> None:
    """After a fork, the child's writes go to the same file through its own descriptor: the parent's flock makes it wait."""
    path = tmp_path / "fork.jsonl"
    writer = JsonlWriter(path)
    writer.write({"who": "parent", "n": 1})
    parent_fd = writer._fd
    assert parent_fd is not None
    fcntl.flock(parent_fd, fcntl.LOCK_EX)  # as if a parent thread were in the middle of a write
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            os.close(done_r)
            writer.write({"who": "child", "n": 2})
            # A shared descriptor would share the parent's lock: no wait, no timeout counted.
            os.write(done_w, b"%d %d" % (writer._pid == os.getpid(), writer.lock_timeouts))
            code = 0
        finally:
            os._exit(code)
    os.close(done_w)
    try:
        assert os.read(done_r, 16) == b"1 1"
    finally:
        fcntl.flock(parent_fd, fcntl.LOCK_UN)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.write({"who": "parent", "n": 3})
    writer.close()
    os.close(done_r)
    assert [json.loads(line) for line in path.read_bytes().splitlines()] == [
        {"who": "parent", "n": 1}, {"who": "child", "n": 2}, {"who": "parent", "n": 3},
    ]
    assert writer._pid == os.getpid() and writer.lock_timeouts == 0


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


# --- what the log path may be -------------------------------------------------------------------


def test_symlink_at_the_log_path_is_refused(tmp_path: Path) -> None:
    """A symbolic link at the log path is not followed: write raises UnsafeLogFileError and the target is untouched."""
    target = tmp_path / "bashrc"
    target.write_bytes(b"export A=1\n")
    link = tmp_path / "events.jsonl"
    link.symlink_to(target)
    writer = JsonlWriter(link)
    with pytest.raises(UnsafeLogFileError, match="symbolic link"):
        writer.write({"n": 1})
    assert target.read_bytes() == b"export A=1\n"
    assert link.is_symlink()


def test_dangling_symlink_creates_nothing(tmp_path: Path) -> None:
    """A symbolic link to a file that does not exist yet is refused too: the target is not created."""
    link = tmp_path / "events.jsonl"
    link.symlink_to(tmp_path / "elsewhere.jsonl")
    with pytest.raises(UnsafeLogFileError, match="symbolic link"):
        JsonlWriter(link).write({"n": 1})
    assert not (tmp_path / "elsewhere.jsonl").exists()


def test_fifo_with_a_reader_is_refused_and_receives_nothing(tmp_path: Path) -> None:
    """A FIFO at the log path with a reader attached is refused after fstat; the reader gets no byte."""
    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(UnsafeLogFileError, match="a FIFO, not a regular file"):
            JsonlWriter(fifo).write({"n": 1})
        assert os.read(reader, 10) == b""  # end of file: the refused writer closed the pipe without writing
    finally:
        os.close(reader)


def test_folder_at_the_log_path_raises_oserror(tmp_path: Path) -> None:
    """A folder at the log path raises OSError from write and stays as it was."""
    (tmp_path / "events.jsonl").mkdir()
    with pytest.raises(OSError):
        JsonlWriter(tmp_path / "events.jsonl").write({"n": 1})
    assert list((tmp_path / "events.jsonl").iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another uid needs root")
def test_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    """A log file pre-created by another user (uid 65534) is refused and stays empty."""
    path = tmp_path / "events.jsonl"
    path.touch(mode=0o666)
    os.chown(path, 65534, 65534)
    with pytest.raises(UnsafeLogFileError, match="owned by uid 65534"):
        JsonlWriter(path).write({"n": 1})
    assert path.read_bytes() == b""


def test_file_with_a_second_hard_link_is_refused(tmp_path: Path) -> None:
    """A log file with two names (a hard link planted at the log path) is refused: the other name is untouched."""
    original = tmp_path / "profile"
    original.write_bytes(b"PATH=/bin\n")
    os.link(original, tmp_path / "events.jsonl")
    with pytest.raises(UnsafeLogFileError, match="2 hard links"):
        JsonlWriter(tmp_path / "events.jsonl").write({"n": 1})
    assert original.read_bytes() == b"PATH=/bin\n"


def test_readable_by_others_is_written_and_warned_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A 0644 log is written, with one warning (once per path) that others can read it."""
    path = tmp_path / "events.jsonl"
    path.touch(mode=0o644)
    path.chmod(0o644)
    with caplog.at_level(logging.DEBUG, logger="hilt"):
        for n in range(2):
            writer = JsonlWriter(path)
            writer.write({"n": n})
            writer.close()
    warnings = [r.getMessage() for r in caplog.records if r.name == "hilt" and r.levelno == logging.WARNING]
    assert warnings == [f"HILT log {path} is readable by other users (mode 0644); `chmod 600` keeps prompts private"]
    assert path.read_bytes() == b'{"n":0}\n{"n":1}\n'


def test_private_file_gives_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A new 0600 log is written without any warning."""
    with caplog.at_level(logging.DEBUG, logger="hilt"):
        JsonlWriter(tmp_path / "events.jsonl").write({"n": 1})
    assert [r for r in caplog.records if r.name == "hilt"] == []


def test_null_device_is_accepted(caplog: pytest.LogCaptureFixture) -> None:
    """/dev/null stays a valid log path (it discards events) and gives no warning."""
    writer = JsonlWriter(os.devnull)
    with caplog.at_level(logging.DEBUG, logger="hilt"):
        writer.write({"n": 1})
        writer.write({"n": 2})
    writer.close()
    assert [r for r in caplog.records if r.name == "hilt"] == []


# --- torn lines, held locks, moved files ---------------------------------------------------------


def test_torn_last_line_does_not_swallow_the_next_event(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A file ending in an incomplete line gets a newline first: the next event is a whole line of its own."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"n":1}\n{"n":2,"te')
    path.chmod(0o600)
    writer = JsonlWriter(path)
    with caplog.at_level(logging.WARNING, logger="hilt"):
        writer.write({"n": 3})
        writer.write({"n": 4})
    writer.close()
    assert path.read_bytes() == b'{"n":1}\n{"n":2,"te\n{"n":3}\n{"n":4}\n'
    assert [r.getMessage() for r in caplog.records] == [
        f"HILT log {path} ended with an incomplete line (a killed process or a full disk?); the next event starts on a new line"
    ]


def test_torn_line_left_after_this_writers_own_line_is_noticed(tmp_path: Path) -> None:
    """A partial line appended by another process after this writer's last line is closed before the next event."""
    path = tmp_path / "events.jsonl"
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    with open(path, "ab") as other:  # a process killed in the middle of its line
        other.write(b'{"n":2,"text":"hal')
    writer.write({"n": 3})
    writer.close()
    assert path.read_bytes() == b'{"n":1}\n{"n":2,"text":"hal\n{"n":3}\n'


def test_complete_lines_from_another_writer_get_no_extra_newline(tmp_path: Path) -> None:
    """Whole lines appended by another writer in between are left as they are: no blank line is added."""
    path = tmp_path / "events.jsonl"
    first, second = JsonlWriter(path), JsonlWriter(path)
    for n in range(3):
        first.write({"w": 1, "n": n})
        second.write({"w": 2, "n": n})
    first.close()
    second.close()
    assert [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]] == [
        {"w": w, "n": n} for n in range(3) for w in (1, 2)
    ]


def test_lock_held_by_another_process_delays_a_write_by_the_bound_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Another process holding the flock for 3 s delays a write by about lock_wait; the line is whole and counted."""
    path = tmp_path / "events.jsonl"
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), "3"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        with caplog.at_level(logging.WARNING, logger="hilt"):
            started = time.monotonic()
            writer.write({"n": 2, "text": "x" * 10_000})
            elapsed = time.monotonic() - started
            writer.write({"n": 3})
        assert holder.poll() is None  # still holding the lock
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    writer.close()
    assert elapsed < 0.5  # 5 ms bound; generous for a busy machine
    assert writer.lock_timeouts == 2
    assert [json.loads(line) for line in path.read_bytes().splitlines()] == [
        {"n": 1}, {"n": 2, "text": "x" * 10_000}, {"n": 3},
    ]
    assert len(caplog.records) == 1 and "wrote without it" in caplog.records[0].getMessage()


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_deleted_log_is_recreated(tmp_path: Path) -> None:
    """After the log is deleted, events go to a new file at the same path (within path_check_interval)."""
    path = tmp_path / "events.jsonl"
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    path.unlink()
    time.sleep(writer.path_check_interval * 1.5)
    writer.write({"n": 2})
    writer.close()
    assert path.read_bytes() == b'{"n":2}\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rotated_log_is_reopened(tmp_path: Path) -> None:
    """After the log is renamed away (rotation), later events go to a new file at the path, earlier ones stay."""
    path = tmp_path / "events.jsonl"
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    path.rename(tmp_path / "events.jsonl.1")
    time.sleep(writer.path_check_interval * 1.5)
    writer.write({"n": 2})
    writer.close()
    assert (tmp_path / "events.jsonl.1").read_bytes() == b'{"n":1}\n'
    assert path.read_bytes() == b'{"n":2}\n'


def test_log_replaced_by_a_symlink_after_opening_is_not_followed(tmp_path: Path) -> None:
    """A log swapped for a symbolic link while the app runs is refused at the reopen; the link target is untouched."""
    path = tmp_path / "events.jsonl"
    target = tmp_path / "target"
    target.write_bytes(b"")
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    path.unlink()
    path.symlink_to(target)
    time.sleep(writer.path_check_interval * 1.5)
    with pytest.raises(UnsafeLogFileError):
        writer.write({"n": 2})
    assert target.read_bytes() == b""


# --- Session uses the same opener ------------------------------------------------------------------


def test_session_write_mode_never_truncates_a_symlink_target(tmp_path: Path) -> None:
    """Session(mode="w") on a symbolic link raises UnsafeLogFileError and leaves the link's target intact."""
    target = tmp_path / "bashrc"
    target.write_bytes(b"export A=1\n")
    (tmp_path / "events.jsonl").symlink_to(target)
    with pytest.raises(UnsafeLogFileError, match="symbolic link"):
        Session(tmp_path / "events.jsonl", mode="w").open()
    assert target.read_bytes() == b"export A=1\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another uid needs root")
def test_session_write_mode_never_truncates_another_users_file(tmp_path: Path) -> None:
    """Session(mode="w") on a file owned by another user refuses before truncating it."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"theirs":1}\n')
    os.chown(path, 65534, 65534)
    with pytest.raises(UnsafeLogFileError, match="owned by uid 65534"):
        Session(path, mode="w").open()
    assert path.read_bytes() == b'{"theirs":1}\n'


def test_reading_a_fifo_raises_instead_of_blocking(tmp_path: Path) -> None:
    """read_events on a FIFO raises UnsafeLogFileError at once instead of waiting for a writer."""
    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            list(read_events(fifo))
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion below
            outcome.append(exc)

    run_or_unblock(read, fifo, other_end=os.O_WRONLY, timeout=5, what="read_events")
    assert len(outcome) == 1 and isinstance(outcome[0], UnsafeLogFileError)
    assert "a FIFO, not a regular file" in str(outcome[0])


@pytest.mark.parametrize(
    ("event", "line"),
    [
        ({"x": float("inf"), "t": "\udc80"}, b'{"x":null,"t":"\\udc80"}\n'),
        ({"x": [float("nan"), -float("inf")], "big": 2**70}, b'{"x":[null,null],"big":1180591620717411303424}\n'),
        ({(1, 2): "tuple key", 3: "int key", None: 1, 1.5: 2}, b'{"(1, 2)":"tuple key","3":"int key","null":1,"1.5":2}\n'),
    ],
)
def test_slow_path_still_writes_strict_json(event: dict[Any, Any], line: bytes) -> None:
    """Events the fast encoder refuses (surrogates, huge ints, tuple keys) still become strict JSON: no NaN or Infinity."""
    assert dumps_event(event) == line
    json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in the line"))
