"""``hilt logs forget`` while other processes append: no line of theirs is lost or duplicated."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from hilt.logs import iter_events
from hilt.logs._forget import EventMatcher, forget_events, rewrite_log_file

from tests.privacy._calls import call

_APPENDER = Path(__file__).with_name("_appender.py")


def test_a_concurrent_appender_loses_no_line(instrumented, client, server, tmp_path):
    """While another process logs 300 calls (alice and bob in turn), repeated forgets of alice lose none of bob's 150 calls and leave no alice event."""
    log = instrumented
    call(client, "alice", "conv_a", "alice before")
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, str(_APPENDER), server.base_url, str(log), "300", str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        rewrites = 0
        while child.poll() is None:
            rewrites += sum(r.rewritten for r in forget_events([log], EventMatcher(users=["alice"])))
        assert child.wait(120) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    forget_events([log], EventMatcher(users=["alice"]))
    events = list(iter_events([log]))
    prompts = sorted(int(e["content"]["text"].split()[1]) for e in events if e["action"] == "prompt")
    assert prompts == list(range(0, 300, 2))  # every bob call, once
    assert len(events) == 300  # each with its reply
    assert {e["extensions"]["user"] for e in events} == {"bob"}
    assert rewrites >= 2  # the forgets really overlapped the appender


def test_lines_appended_to_the_old_file_are_moved_into_the_new_one(instrumented, client, tmp_path):
    """A line a writer appends to the old file after the rename (it has not reopened yet) is filtered into the new file."""
    call(client, "alice", "conv_a", "hi")
    call(client, "bob", "conv_b", "hi")
    lines = instrumented.read_bytes().splitlines(keepends=True)
    log = tmp_path / "copy.jsonl"
    log.write_bytes(b"".join(lines))
    late_alice, late_bob = lines[0].replace(b'"prompt"', b'"prompt" ', 1), lines[2].replace(b"hi", b"late", 1)
    old = os.open(log, os.O_WRONLY | os.O_APPEND)
    inode = os.stat(log).st_ino

    def slow_writer() -> None:
        deadline = time.monotonic() + 10
        while os.stat(log).st_ino == inode and time.monotonic() < deadline:
            time.sleep(0.001)
        os.write(old, late_alice + late_bob)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        result = rewrite_log_file(log, EventMatcher(users=["alice"]))
    finally:
        thread.join()
        os.close(old)
    assert (result.removed, result.late_lines) == (3, 2)
    assert log.read_bytes() == lines[2] + lines[3] + late_bob
