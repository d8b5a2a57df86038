"""Fault suite: killed and terminated processes, a full disk, log files that are FIFOs, links, deleted or
rotated away, and property-based fuzzing of request and response shapes. In every case the host's call
behaves as without HILT and every line HILT leaves is a valid event (at most one torn line, reported)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import openai
import pytest
from _support import read_lines

import hilt
from hilt.session import read_events

MESSAGES = [{"role": "user", "content": "Hello"}]

# A child process: instrument, then call in a loop and report each returned call on stdout.
CHILD = r"""
import json, logging, os, signal, sys
import openai, hilt

mode, base_url, log = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "term-handler":
    def on_term(signum, frame):
        print("handler", flush=True)
        sys.exit(3)
    signal.signal(signal.SIGTERM, on_term)
before = signal.getsignal(signal.SIGTERM)
hilt.instrument(filepath=log)
print("handler-kept" if signal.getsignal(signal.SIGTERM) is before else "handler-changed", flush=True)
client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
for i in range(100_000):
    messages = [{"role": "user", "content": f"call {i}"}]
    if i % 3 == 2:
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True):
            pass
    else:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    print(i, flush=True)
"""


def _start_child(mode: str, base_url: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, base_url, str(log)],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=dict(os.environ),
    )


def _run_until_then_signal(child: subprocess.Popen[bytes], calls: int, signum: int) -> tuple[list[str], int]:
    """Read the child's progress until ``calls`` calls returned, send ``signum``; return every line it
    printed and its exit code."""
    assert child.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while sum(line.isdigit() for line in lines) < calls and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line.decode().strip())
        os.kill(child.pid, signum)
        lines += [line.strip() for line in child.stdout.read().decode().splitlines()]
        return lines, child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()


def _returned_calls_are_logged(log: Path, returned: int, caplog: pytest.LogCaptureFixture) -> None:
    """Calls 0..returned-1 each have a prompt and a linked completion; at most one torn line, the last, reported."""
    with caplog.at_level(logging.WARNING, logger="hilt"):
        events = [e.to_dict() for e in read_events(log)]
    skipped = [r.getMessage() for r in caplog.records if r.name == "hilt"]
    line_count = len(log.read_bytes().splitlines())
    assert len(skipped) <= 1
    if skipped:
        assert skipped[0].startswith(f"{log}:{line_count}: skipped a line")
    prompts = {e["content"]["text"]: e["event_id"] for e in events if e["action"] == "prompt"}
    answered = {e["extensions"]["reply_to"] for e in events if e["action"] == "completion"}
    for i in range(returned):
        assert prompts[f"call {i}"] in answered, f"call {i} returned but its events are not both on disk"


def test_sigkill_during_a_burst_loses_no_returned_call(server, tmp_path, caplog):
    """A child SIGKILLed in a burst of calls: every call that returned before the kill is in the log."""
    log = tmp_path / "killed.jsonl"
    lines, code = _run_until_then_signal(_start_child("plain", server.base_url, log), 20, signal.SIGKILL)
    assert code == -signal.SIGKILL
    returned = [int(line) for line in lines if line.isdigit()]
    assert returned == list(range(len(returned))) and len(returned) >= 20
    _returned_calls_are_logged(log, len(returned), caplog)


def test_sigterm_without_a_handler_keeps_the_default_exit(server, tmp_path, caplog):
    """HILT installs no SIGTERM handler: the child dies of SIGTERM, with every returned call in the log."""
    log = tmp_path / "terminated.jsonl"
    lines, code = _run_until_then_signal(_start_child("plain", server.base_url, log), 10, signal.SIGTERM)
    assert lines[0] == "handler-kept"
    assert code == -signal.SIGTERM
    _returned_calls_are_logged(log, sum(line.isdigit() for line in lines), caplog)


def test_sigterm_runs_the_applications_handler(server, tmp_path, caplog):
    """The application's SIGTERM handler stays installed, runs, and its exit status (3) is the process's."""
    log = tmp_path / "handled.jsonl"
    lines, code = _run_until_then_signal(_start_child("term-handler", server.base_url, log), 10, signal.SIGTERM)
    assert lines[0] == "handler-kept"
    assert lines[-1] == "handler"
    assert code == 3
    _returned_calls_are_logged(log, sum(line.isdigit() for line in lines), caplog)


FULL_DISK_CHILD = r"""
import json, logging, os, resource, signal, sys
import openai, hilt

base_url, log = sys.argv[1], sys.argv[2]
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())
logging.getLogger("hilt").addHandler(Keep())
hilt.instrument(filepath=log)
client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
def call(i):
    return type(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"call {i}"}])).__name__
types = [call(0)]
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then a write past the limit fails (EFBIG) like one on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(log) + 100, hard))
types += [call(1), call(2)]
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
types.append(call(3))
print(json.dumps({"types": types, "warnings": warnings}))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
def test_full_disk_never_breaks_the_call_and_the_torn_line_swallows_nothing(server, tmp_path, caplog):
    """Writes failing mid-line (a full disk, here a file-size limit) are reported once; the calls return their
    objects; once writes work again the next event starts on a new line and the reader skips only the torn one."""
    log = tmp_path / "full.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, server.base_url, str(log)],
        capture_output=True, timeout=60, env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert result["types"] == ["ChatCompletion"] * 4
    assert len(result["warnings"]) == 2
    assert "File too large" in result["warnings"][0]
    assert result["warnings"][1] == (
        f"HILT log {log} ended with an incomplete line (a killed process or a full disk?); the next event starts on a new line"
    )
    lines = log.read_bytes().split(b"\n")
    assert len(lines) == 6 and lines[-1] == b"" and len(lines[2]) == 100  # 2 events, the torn line, 2 events
    with caplog.at_level(logging.WARNING, logger="hilt"):
        events = list(read_events(log))
    assert [e.content.text for e in events if e.action == "prompt"] == ["call 0", "call 3"]
    assert [e.action for e in events] == ["prompt", "completion", "prompt", "completion"]
    assert len(caplog.records) == 1 and caplog.records[0].getMessage().startswith(f"{log}:3: skipped a line")


# --- the log path is not a private regular file -------------------------------------------------


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hilt" and r.levelno >= logging.WARNING]


def test_fifo_at_the_log_path_never_blocks_the_call(client, tmp_path, caplog):
    """A FIFO at the log path (no reader): the first call returns promptly, the refusal is reported once."""
    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)
    hilt.instrument(filepath=str(fifo))
    results: list[Any] = []

    def call() -> None:
        for _ in range(2):
            results.append(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))

    with caplog.at_level(logging.DEBUG, logger="hilt"):
        caller = threading.Thread(target=call, daemon=True)
        started = time.monotonic()
        caller.start()
        caller.join(10)
        if caller.is_alive():  # release the blocked open before failing
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            caller.join(5)
            pytest.fail("the call blocked on the FIFO")
    assert time.monotonic() - started < 5
    assert [type(r) for r in results] == [openai.types.chat.ChatCompletion] * 2
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "the log path is a FIFO, not a regular file" in warnings[0]


def test_symlink_at_the_log_path_receives_nothing(client, tmp_path, caplog):
    """A symbolic link at the log path: the call returns, nothing reaches the link's target, one warning."""
    target = tmp_path / "bashrc"
    target.write_bytes(b"export A=1\n")
    (tmp_path / "events.jsonl").symlink_to(target)
    hilt.instrument(filepath=str(tmp_path / "events.jsonl"))
    with caplog.at_level(logging.DEBUG, logger="hilt"):
        response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(response) is openai.types.chat.ChatCompletion
    assert target.read_bytes() == b"export A=1\n"
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "the log path is a symbolic link; HILT does not follow it" in warnings[0]


@pytest.mark.parametrize("move", ["delete", "rotate"])
def test_log_deleted_or_rotated_mid_run_is_reopened(client, log_path, move):
    """The log deleted or renamed away while the app runs: HILT creates it again and later calls are logged there."""
    hilt.instrument(filepath=str(log_path))
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "before"}])
    if move == "delete":
        log_path.unlink()
    else:
        log_path.rename(log_path.with_name("events.jsonl.1"))
    time.sleep(0.15)  # JsonlWriter.path_check_interval is 0.1 s
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "after"}])
    assert [(e["action"], e["content"]["text"]) for e in read_lines(log_path)][0] == ("prompt", "after")
    assert [e["action"] for e in read_lines(log_path)] == ["prompt", "completion"]
    if move == "rotate":
        rotated = read_lines(log_path.with_name("events.jsonl.1"))
        assert [(e["action"], e["content"]["text"]) for e in rotated][0] == ("prompt", "before")
        assert len(rotated) == 2
