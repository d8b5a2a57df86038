"""Crash, restart, hang at exit, fork: the sheet ends with every journaled row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.testing import read_lines, wait_for

from tests.sheets._helpers import event_ids, sheets_writer

CHILD = Path(__file__).with_name("_child.py")


def _env(options: dict[str, Any], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HILT_")}
    for key, value in options.items():
        env["HILT_" + key.upper()] = str(value)
    env.update(extra)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def _assert_exactly_once(sheets: Any, journal: Path) -> None:
    sheet_ids = event_ids(sheets)
    assert len(sheet_ids) == len(set(sheet_ids)), "a row was appended twice"
    assert sheet_ids == [e["event_id"] for e in read_lines(journal)]


def _catch_up(options: dict[str, Any]) -> None:
    """The "next run": instrument, let the worker catch up from the journal, stop."""
    hilt.instrument(**options)
    writer = sheets_writer()
    assert writer.flush(10)
    hilt.uninstrument()


def test_killed_while_an_append_is_in_flight_then_restarted(server, sheets, sheet_options, tmp_path):
    """A process killed during an append that landed is caught up by the next run with one read-back and no duplicate."""
    journal = Path(sheet_options["journal_path"])
    with open(tmp_path / "child.err", "wb") as err:
        child = subprocess.Popen(
            [sys.executable, str(CHILD), server.base_url, "0", "0.01"],
            env=_env(sheet_options),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        wait_for(lambda: len(event_ids(sheets)) >= 6, timeout=20)
        sheets.fail_after_apply(0)  # the next append is written, then the answer never comes
        wait_for(lambda: sheets.waiting, timeout=10)
        time.sleep(0.2)  # more calls journaled meanwhile
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    sheets.release()
    landed = event_ids(sheets)
    assert len(landed) > 6  # the hung append was written before the kill
    assert len(landed) < len(read_lines(journal))  # and the crash left rows to catch up
    sheets.clear_requests()
    _catch_up(sheet_options)
    _assert_exactly_once(sheets, journal)
    read_backs = [r for r in sheets.requests if r.kind == "values_get" and r.query.get("valueRenderOption") == "UNFORMATTED_VALUE"]
    assert len(read_backs) == 1  # the restart read back what the hung append had written instead of resending it


def test_exit_with_google_hanging_is_bounded_and_the_next_run_delivers(server, sheets, sheet_options):
    """With Google hanging, exit after the last call takes the 1 s drain limit, not the HTTP time-out; the next run delivers every row."""
    journal = Path(sheet_options["journal_path"])
    sheets.hang = True
    options = dict(sheet_options, shutdown_timeout=1.0, flush_interval=0.05)
    child = subprocess.Popen(
        [sys.executable, str(CHILD), server.base_url, "5"], env=_env(options), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines = [child.stdout.readline() for _ in range(5)]
        last_call = time.monotonic()  # the child is done with its calls: only the exit is left
        assert lines[-1] == "call 4\n", (lines, child.stderr.read())
        returncode = child.wait(30)
        elapsed = time.monotonic() - last_call
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert returncode == 0
    assert elapsed < 1.0 + 2.0, elapsed  # the 1 s drain limit (+ shutdown), not the 10 s / 60 s HTTP time-outs
    assert len(read_lines(journal)) == 10
    assert event_ids(sheets) == []
    sheets.release()
    _catch_up(sheet_options)
    _assert_exactly_once(sheets, journal)


def test_a_normal_exit_drains_the_queue(server, sheets, sheet_options):
    """A normal exit sends the rows a 30 s flush interval had not sent yet."""
    journal = Path(sheet_options["journal_path"])
    options = dict(sheet_options, flush_interval=30.0)  # only the exit drain can send them
    done = subprocess.run(
        [sys.executable, str(CHILD), server.base_url, "4"], env=_env(options), capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    _assert_exactly_once(sheets, journal)
    assert len(event_ids(sheets)) == 8


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12+: fork() with threads running
def test_fork_child_gets_its_own_worker_and_nothing_is_lost(client, sheets, sheet_options):
    """A forked child runs its own worker, and parent and child rows all reach the sheet exactly once."""
    journal = Path(sheet_options["journal_path"])
    hilt.instrument(**sheet_options)
    writer = sheets_writer()
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "parent before"}])
    assert writer.flush(5)
    pid = os.fork()
    if pid == 0:  # the child: a worker of its own, then the exit drain
        code = 1
        try:
            import openai

            with openai.OpenAI(base_url=str(client.base_url), api_key="k", max_retries=0) as child_client:
                for i in range(3):
                    child_client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"child {i}"}])
            worker = writer._worker
            code = 0 if worker is not None and worker.pid == os.getpid() and worker.thread.is_alive() else 2
            hilt.uninstrument()
        finally:
            os._exit(code)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "parent after"}])
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert writer.flush(10)
    hilt.uninstrument()
    assert len(read_lines(journal)) == 10
    _assert_exactly_once(sheets, journal)
