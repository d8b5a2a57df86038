"""The privacy features together: sampling, suppress, capture modes, metadata, rotation, compression,
retention, forget and the audit trail, each pair that one feature's own tests do not cover."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.cli import main
from hilt.logs import iter_events
from hilt.logs._files import expand_paths
from hilt.logs._forget import EventMatcher, forget_events
from hilt.logs._verify import verify_logs
from hilt.testing import read_lines
from hilt.writers._rotation import compress_rotated, prune_rotated

from tests.privacy._backends import every_backend
from tests.privacy._calls import rotate
from tests._processes import run_processes
from tests.privacy.test_sampling import conversation_ids

_APPENDER = Path(__file__).with_name("_appender.py")
LABELS = {"legal_basis": "contract", "retention": "P30D"}


def ask(client: Any, text: str = "hi", **headers: str) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}], extra_headers=headers or None)


def stream(client: Any, text: str, **headers: str) -> Any:
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], stream=True, extra_headers=headers or None
    )


def log_set(log: Path) -> list[Path]:
    """The log's files, rotated ones included, oldest first."""
    return expand_paths([log])


def whole_text(log: Path) -> bytes:
    """Every byte of every file of the set, gzipped ones decompressed, oldest first."""
    return b"".join(gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes() for p in log_set(log))


# sampling + integrity


def test_a_held_prompt_written_after_other_calls_keeps_the_chain_valid(client: Any, log_path: Path) -> None:
    """A dropped conversation's stream fails after a kept call was logged: its held prompt is chained after that call and verify passes."""
    (dropped,) = conversation_ids(0.5, False, 1)
    (kept,) = conversation_ids(0.5, True, 1)
    hilt.instrument(filepath=str(log_path), sample_rate=0.5, integrity=True)
    with hilt.conversation(id=dropped), pytest.raises(Exception):
        for _ in stream(client, "broken", **{"x-fake-stream-error-after": "2", "x-fake-chunk-delay-ms": "5"}):
            with hilt.conversation(id=kept):
                ask(client, "kept while the stream runs")
    hilt.uninstrument()
    events = read_lines(log_path)
    kept_calls = (len(events) - 2) // 2
    assert kept_calls >= 2  # the stream gave a role chunk and two content chunks before failing
    assert [(e["session_id"], e["action"]) for e in events] == [(kept, "prompt"), (kept, "completion")] * kept_calls + [
        (dropped, "prompt"),
        (dropped, "completion"),
    ]
    assert [e["extensions"]["chain"]["seq"] for e in events] == list(range(len(events)))
    assert events[-1]["extensions"]["reply_to"] == events[-2]["event_id"]
    report = verify_logs([log_path])
    assert (report.ok, report.chained, report.problems) == (True, len(events), [])


# suppress + streams + OpenTelemetry


def test_suppressed_streams_reach_no_backend(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams read whole, closed early and failing inside suppress() reach neither JSONL, Sheets nor OTLP; the call outside does."""
    with every_backend(tmp_path, monkeypatch, spans=1) as outputs:
        with hilt.suppress():
            suppressed = "".join(c.choices[0].delta.content or "" for c in stream(client, "secret one") if c.choices)
            with stream(client, "secret two") as early:
                next(iter(early))
            with pytest.raises(Exception):
                for _ in stream(client, "secret three", **{"x-fake-stream-error-after": "1"}):
                    pass
        recorded = "".join(c.choices[0].delta.content or "" for c in stream(client, "visible") if c.choices)
    assert suppressed == recorded == "Hello! How can I help you today?"
    assert [(e["action"], e["content"]["text"]) for e in outputs.events] == [("prompt", "visible"), ("completion", recorded)]
    assert len(outputs.sheet_rows) == 3  # the header row and the call's two events
    assert len(outputs.spans) == 1
    assert "secret" not in outputs.everything()


# metadata mode + integrity + forget


def test_forget_by_user_works_in_metadata_mode_on_a_chained_log(client: Any, log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without any text the user id still names each event: forget --user removes alice's events, bob's stay, verify reports the erasure."""
    hilt.instrument(filepath=str(log_path), capture_content="metadata", integrity=True)
    for user in ["alice", "bob", "alice"]:
        with hilt.conversation(user=user):
            ask(client, f"{user} private text")
    with hilt.conversation(user="alice"), pytest.raises(Exception):
        ask(client, "alice fails", **{"x-fake-status": "500"})
    hilt.uninstrument()
    assert b"private text" not in log_path.read_bytes()
    assert main(["logs", "forget", "--user", "alice", str(log_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "total: removed 6 event(s) from 1 file(s)"
    events = read_lines(log_path)
    assert [(e["action"], e["extensions"].get("user")) for e in events] == [("prompt", "bob"), ("completion", "bob"), ("system", None)]
    assert events[2]["extensions"]["erasure"]["events_removed"] == 6
    report = verify_logs([log_path])
    assert (report.ok, [e.events_removed for e in report.erasures]) == (True, [6])


# forget on a rotated + compressed + chained set while a rotating writer appends


def test_forget_while_a_rotating_chained_writer_appends(client: Any, server: Any, log_path: Path, tmp_path: Path) -> None:
    """Another process logs 200 calls with rotate, compress and integrity on while alice is forgotten again and again: bob's 100 calls all stay, verify passes."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    ready = tmp_path / "ready"
    env = {**os.environ, "HILT_ROTATE": "8KB", "HILT_COMPRESS": "1", "HILT_INTEGRITY": "1"}
    child = subprocess.Popen([sys.executable, str(_APPENDER), server.base_url, str(log_path), "200", str(ready)], env=env)
    forgets = 0
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        while child.poll() is None:
            forgets += sum(r.rewritten for r in forget_events([log_path], EventMatcher(users=["alice"])))
        assert child.wait(120) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    compress_rotated(log_path, grace=0.0)  # what the child's background compression had not done yet
    forget_events([log_path], EventMatcher(users=["alice"]))
    names = [p.name for p in log_set(log_path)]
    assert len(names) >= 3 and all(name.endswith(".gz") for name in names[:-1])
    events = [e for e in iter_events([log_path]) if e["session_id"] != "hilt-audit"]
    prompts = sorted(int(e["content"]["text"].split()[1]) for e in events if e["action"] == "prompt")
    assert prompts == list(range(0, 200, 2))  # every call of bob, once
    assert len(events) == 200 and {e["extensions"]["user"] for e in events} == {"bob"}
    assert forgets >= 2
    report = verify_logs([log_path])
    assert [(p.kind, Path(p.file).name, p.line, p.message) for p in report.problems] == []
    assert sum(e.events_removed for e in report.erasures) == 200


def test_forget_of_a_call_split_by_a_rotation_verifies(client: Any, log_path: Path) -> None:
    """alice's prompt ends one file and her reply starts the next: after forget each file's erasure counts one, and verify accounts the gap to both."""
    hilt.instrument(filepath=str(log_path), integrity=True)
    with hilt.conversation(user="bob"):
        ask(client, "bob before")
    with hilt.conversation(user="alice"):
        chunks = stream(client, "alice")
        rotate(log_path, ".1")  # after her prompt, before her reply
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello! How can I help you today?"
    with hilt.conversation(user="bob"):
        ask(client, "bob after")
    hilt.uninstrument()
    forget_events([log_path], EventMatcher(users=["alice"]))
    report = verify_logs([log_path])
    assert [(Path(e.file).name, e.events_removed) for e in report.erasures] == [("events.jsonl.1", 1), ("events.jsonl", 1)]
    assert (report.ok, report.problems) == (True, [])


# prune racing compress


def _old_rotated_files(log: Path, count: int, size: int) -> list[Path]:
    """``count`` rotated files of ``log`` named in January 2026 (older than any retention), untouched for an hour."""
    files = []
    line = (json.dumps({"text": "x" * 200}) + "\n").encode()
    for n in range(count):
        path = log.with_name(f"{log.name}.20260101T0000{n:02d}Z")
        path.write_bytes(line * (size // len(line)))
        os.chmod(path, 0o600)
        os.utime(path, (time.time() - 3600, time.time() - 3600))
        files.append(path)
    return files


def test_prune_racing_compression_leaves_no_pruned_data_behind(tmp_path: Path) -> None:
    """prune --older-than and the background compression run at once over old rotated files: afterwards neither a plain nor a .gz copy of any remains."""
    for attempt in range(12):
        log = tmp_path / f"run{attempt}" / "events.jsonl"
        log.parent.mkdir()
        log.write_bytes(b"")
        _old_rotated_files(log, 4, 2_000_000)
        compressor = threading.Thread(target=compress_rotated, args=(log,), kwargs={"grace": 0.0})
        compressor.start()
        time.sleep(0.002 * attempt)
        pruned = prune_rotated(log, time.time())
        compressor.join()
        assert sorted(os.listdir(log.parent)) == ["events.jsonl"], f"attempt {attempt}"
        assert len(pruned) >= 4


def test_forget_racing_compression_leaves_nothing_of_the_user(tmp_path: Path) -> None:
    """forget --user and the background compression run at once over rotated files: forget follows a file compressed under it to its .gz, removes all 60,000 alice events, and every bob line is there once."""
    for attempt in range(4):
        log = tmp_path / f"run{attempt}" / "events.jsonl"
        log.parent.mkdir()
        log.write_bytes(b"")
        lines = b"".join(json.dumps({"action": "prompt", "extensions": {"user": u}, "n": n}).encode() + b"\n" for n in range(20_000) for u in ("alice", "bob"))
        for n in range(3):
            path = log.with_name(f"{log.name}.2026110{n + 1}T000000Z")
            path.write_bytes(lines)
            os.chmod(path, 0o600)
            os.utime(path, (time.time() - 3600, time.time() - 3600))
        compressor = threading.Thread(target=compress_rotated, args=(log,), kwargs={"grace": 0.0})
        compressor.start()
        time.sleep(0.006 * attempt)
        results = forget_events([log], EventMatcher(users=["alice"]))
        compressor.join()
        assert sum(r.removed for r in results) == 60_000
        events = list(iter_events([log]))
        assert {e["extensions"]["user"] for e in events} == {"bob"}, f"attempt {attempt}"
        assert sorted(e["n"] for e in events) == sorted(list(range(20_000)) * 3)


# hilt logs commands: a rotated, gzipped, chained set reads as one log


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_logs_commands_read_a_rotated_gzipped_chained_set_as_one_log(
    client: Any, log_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tail, stats, show and export print the same over the rotated set as over one file holding the same lines."""
    hilt.instrument(filepath=str(log_path), rotate="4KB", compress=True, integrity=True)
    for n in range(12):
        with hilt.conversation(id=f"conv-{n % 3}", user=f"user-{n % 2}"):
            ask(client, f"question {n}")
            if n % 5 == 0:
                with pytest.raises(Exception):
                    ask(client, "fails", **{"x-fake-status": "429"})
    hilt.uninstrument()
    deadline = time.monotonic() + 10
    while len([p for p in log_set(log_path) if p.name.endswith(".gz")]) < len(log_set(log_path)) - 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    files = log_set(log_path)
    assert len(files) >= 3 and all(p.name.endswith(".gz") for p in files[:-1])
    single = tmp_path / "single" / "events.jsonl"
    single.parent.mkdir()
    single.write_bytes(whole_text(log_path))
    assert verify_logs([log_path]).ok
    for command in (["tail", "-n", "100"], ["stats", "--json"], ["show", "conv-1"], ["export", "--to", "csv", "--rows", "calls"]):
        rotated = _cli(capsys, "logs", *command, str(log_path))
        one = _cli(capsys, "logs", *command, str(single))
        assert rotated.count("\n") >= 4
        assert rotated.replace(str(log_path), "LOG") == one.replace(str(single), "LOG"), command
    stats = json.loads(_cli(capsys, "logs", "stats", "--json", str(log_path)))
    assert (stats["calls"], stats["errors"]) == (15, 3)


# sample_rate scaling with forget


def test_stats_scale_what_forget_leaves(client: Any, log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """At 0.5 each kept call counts twice; after forgetting alice only bob's kept calls are scaled, and the erasure event counts as no call."""
    kept = conversation_ids(0.5, True, 3)
    hilt.instrument(filepath=str(log_path), sample_rate=0.5, integrity=True)
    for index, conversation_id in enumerate(kept):
        with hilt.conversation(id=conversation_id, user="alice" if index else "bob"):
            ask(client)
            ask(client)
    hilt.uninstrument()
    before = json.loads(_cli(capsys, "logs", "stats", "--json", str(log_path)))
    assert main(["logs", "forget", "--user", "alice", str(log_path)]) == 0
    capsys.readouterr()
    after = json.loads(_cli(capsys, "logs", "stats", "--json", str(log_path)))
    assert (before["calls"], before["errors"]) == (12, 0)
    assert (after["calls"], after["errors"]) == (4, 0)


# capture_content per conversation and suppress, nested both ways


def test_suppress_wins_over_a_conversation_capture_mode_both_ways(client: Any, log_path: Path) -> None:
    """Inside suppress() a conversation's capture mode records nothing, and the reverse; after the inner block the outer rule is back."""
    hilt.instrument(filepath=str(log_path))
    with hilt.conversation(id="outer", capture_content="metadata"):
        ask(client, "outer before")
        with hilt.suppress():
            ask(client, "suppressed 1")
            with hilt.conversation(id="inner", capture_content="full"):
                ask(client, "suppressed 2")
        ask(client, "outer after")
    with hilt.suppress():
        with hilt.conversation(id="full inside suppress", capture_content="full"):
            ask(client, "suppressed 3")
    with hilt.conversation(id="hash", capture_content="hash"):
        ask(client, "hashed")
    hilt.uninstrument()
    events = read_lines(log_path)
    assert [(e["session_id"], e["action"], "text" in e.get("content", {})) for e in events] == [
        ("outer", "prompt", False), ("outer", "completion", False),
        ("outer", "prompt", False), ("outer", "completion", False),
        ("hash", "prompt", True), ("hash", "completion", True),
    ]  # fmt: skip
    assert b"suppressed" not in log_path.read_bytes()


# metadata: the setting and the conversation's on every event kind


def test_metadata_precedence_on_every_event_kind(client: Any, log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Prompt, completion, stream error and system error events carry the setting under the conversation's values; the erasure event carries none (it is about no conversation)."""
    hilt.instrument(filepath=str(log_path), metadata=LABELS, integrity=True)
    own = {"retention": "P7D", "ticket": 7}
    merged = {"legal_basis": "contract", "retention": "P7D", "ticket": 7}
    with hilt.conversation(user="alice", metadata=own):
        ask(client)
        with pytest.raises(Exception):
            for _ in stream(client, "s", **{"x-fake-stream-error-after": "1"}):
                pass
        with pytest.raises(Exception):
            ask(client, "e", **{"x-fake-status": "500"})
    with hilt.conversation(user="bob"):
        ask(client)
    hilt.uninstrument()
    assert main(["logs", "forget", "--user", "bob", str(log_path)]) == 0
    capsys.readouterr()
    events = read_lines(log_path)
    assert [(e["action"], e["extensions"].get("status"), e["extensions"].get("metadata")) for e in events] == [
        ("prompt", None, merged), ("completion", "ok", merged),
        ("prompt", None, merged), ("completion", "error", merged),
        ("prompt", None, merged), ("system", "error", merged),
        ("system", None, None),
    ]  # fmt: skip
    assert "erasure" in events[-1]["extensions"]


# fork / multiprocessing with rotation + integrity

PROCESSES, EVENTS = 3, 120
fork_ok = pytest.mark.skipif(sys.platform != "linux", reason="fork start method is only safe to test on Linux")


def _chained_writer(path: str, worker: str) -> None:
    """In one process: HILT's writer with rotation, compression and the chain, EVENTS events."""
    from hilt.writers.jsonl import JsonlWriter

    writer = JsonlWriter(path, rotate="8KB", compress=True, integrity=True)
    writer.lock_wait = 30.0
    writer.rotation.compress_grace = 0.3
    for index in range(EVENTS):
        writer.write({"hilt_version": "1.0", "event_id": f"{worker}-{index}", "session_id": worker, "action": "prompt", "extensions": {}})
    writer.close()
    writer.rotation.join(30)


@fork_ok
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_processes_sharing_a_rotating_chained_log_keep_one_valid_chain(tmp_path: Path, method: str) -> None:
    """3 processes append 120 events each to one log with rotate, compress and integrity: one chain of 360 events, no gap, verify passes."""
    log = tmp_path / "shared" / "events.jsonl"
    assert run_processes(method, _chained_writer, [(str(log), f"{method}-{n}") for n in range(PROCESSES)]) == [0] * PROCESSES
    events = list(iter_events([log]))
    assert len(log_set(log)) >= 3
    assert [e["extensions"]["chain"]["seq"] for e in events] == list(range(PROCESSES * EVENTS))
    assert sorted(e["event_id"] for e in events) == sorted(f"{method}-{n}-{i}" for n in range(PROCESSES) for i in range(EVENTS))
    report = verify_logs([log])
    assert (report.ok, report.chained, report.problems) == (True, PROCESSES * EVENTS, [])
