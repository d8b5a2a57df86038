"""``hilt logs forget`` and ``export --rows original``: erasure and access requests over every file of a log."""

from __future__ import annotations

import gzip
import json
import os
import stat
from pathlib import Path

import pytest

from hilt.cli import main
from hilt.logs import iter_events
from hilt.logs._forget import EventMatcher, forget_events

from tests.privacy._calls import call, three_generations


def _all_lines(log: Path) -> dict[str, list[bytes]]:
    """Every line of each file of the rotated set, by file name."""
    lines = {}
    for path in sorted(log.parent.iterdir()):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as stream:
            lines[path.name] = stream.read().splitlines(keepends=True)
    return lines


def _users(log: Path) -> list[str]:
    return [e["extensions"]["user"] for e in iter_events([log])]


def _not_alice(lines: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    return {name: [raw for raw in rows if json.loads(raw)["extensions"].get("user") != "alice"] for name, rows in lines.items()}


def test_forget_user_removes_their_calls_from_every_file(instrumented, client, capsys):
    """forget --user removes the 6 events of alice's 3 calls from log.2.gz, log.1 and log, keeps bob's lines byte for byte, the modes and the gzip."""
    log = instrumented
    three_generations(client, log)
    before = _all_lines(log)
    assert sorted(before) == ["events.jsonl", "events.jsonl.1", "events.jsonl.2.gz"]

    assert main(["logs", "forget", "--user", "alice", str(log)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{log}.2.gz: removed 2 event(s)",
        f"{log}.1: removed 2 event(s)",
        f"{log}: removed 2 event(s)",
        "total: removed 6 event(s) from 3 file(s)",
    ]
    assert _all_lines(log) == _not_alice(before)
    assert _users(log) == ["bob"] * 6
    for name in before:
        assert stat.S_IMODE(os.stat(log.parent / name).st_mode) == 0o600
    assert (log.parent / "events.jsonl.2.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert sorted(os.listdir(log.parent)) == sorted(before)  # no temporary file left


def test_forget_keeps_another_mode(instrumented, client, capsys):
    """A log of mode 0640 is still 0640 after forget rewrote it."""
    log = instrumented
    call(client, "alice", "conv_a", "hi")
    call(client, "bob", "conv_b", "hi")
    os.chmod(log, 0o640)
    assert main(["logs", "forget", "--user", "alice", str(log)]) == 0
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o640
    assert _users(log) == ["bob", "bob"]


def test_forget_conversation(instrumented, client, capsys):
    """forget --conversation removes that conversation's events only, whoever the user."""
    log = instrumented
    call(client, "bob", "conv_keep", "one")
    call(client, "bob", "conv_drop", "two")
    call(client, None, "conv_drop", "three")
    assert main(["logs", "forget", "--conversation", "conv_drop", str(log)]) == 0
    assert [e["session_id"] for e in iter_events([log])] == ["conv_keep", "conv_keep"]
    assert capsys.readouterr().out.splitlines()[-1] == "total: removed 4 event(s) from 1 file(s)"


def test_dry_run_changes_nothing(instrumented, client, capsys):
    """--dry-run prints what would go and leaves every file byte for byte as it was."""
    log = instrumented
    three_generations(client, log)
    before = _all_lines(log)
    assert main(["logs", "forget", "--user", "alice", "--dry-run", str(log)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "total: would remove 6 event(s) from 3 file(s)"
    assert _all_lines(log) == before


def test_refuses_without_a_data_subject(instrumented, client, capsys):
    """forget with neither --user nor --conversation exits 2 and touches nothing."""
    log = instrumented
    call(client, "alice", "conv_a", "hi")
    before = log.read_bytes()
    assert main(["logs", "forget", str(log)]) == 2
    assert "--user ID and/or --conversation ID" in capsys.readouterr().err
    assert log.read_bytes() == before


def test_corrupt_lines_are_kept_and_listed(instrumented, client, tmp_path, capsys):
    """A line that is not an event stays where it was and is reported with its line number."""
    call(client, "alice", "conv_a", "hi")
    call(client, "bob", "conv_b", "hi")
    lines = instrumented.read_bytes().splitlines(keepends=True)
    log = tmp_path / "damaged.jsonl"
    log.write_bytes(b"".join(lines[:2]) + b'{"torn": \n' + b"".join(lines[2:]))
    assert main(["logs", "forget", "--user", "alice", str(log)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [f"{log}: removed 2 event(s)", "  kept 1 line(s) that are not events (check them by hand): line 3"]
    assert log.read_bytes() == b'{"torn": \n' + b"".join(lines[2:])


def test_json_output(instrumented, client, capsys):
    """--json gives per-file counts and the total."""
    log = instrumented
    call(client, "alice", "conv_a", "hi")
    call(client, "bob", "conv_b", "hi")
    assert main(["logs", "forget", "--user", "alice", "--json", str(log)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "dry_run": False,
        "files": [{"path": str(log), "removed": 2, "kept": 2, "corrupt_lines": [], "late_lines": 0, "rewritten": True}],
        "removed": 2,
        "sheet": None,
    }


def test_export_original_is_the_users_lines_byte_for_byte(instrumented, client, capsys):
    """export --user --to jsonl --rows original writes alice's 6 lines exactly as logged, oldest file first, .gz included."""
    log = instrumented
    three_generations(client, log)
    before = _all_lines(log)
    expected = b"".join(
        raw
        for name in ("events.jsonl.2.gz", "events.jsonl.1", "events.jsonl")
        for raw in before[name]
        if json.loads(raw)["extensions"].get("user") == "alice"
    )
    out = log.parent.parent / "alice.jsonl"
    assert main(["logs", "export", "--user", "alice", "--to", "jsonl", "--rows", "original", "-o", str(out), str(log)]) == 0
    assert out.read_bytes() == expected
    assert expected.count(b"\n") == 6


def test_export_original_needs_jsonl(instrumented, client, capsys):
    """--rows original with --to csv is a usage error."""
    call(client, "alice", "conv_a", "hi")
    assert main(["logs", "export", "--user", "alice", "--rows", "original", str(instrumented)]) == 2
    assert "--to jsonl" in capsys.readouterr().err


def test_replies_that_do_not_name_the_user_go_with_their_prompt(tmp_path):
    """A reply without extensions.user (older HILT files) is matched through reply_to to the user's prompt."""
    log = tmp_path / "old.jsonl"
    events = [
        {"event_id": "p1", "session_id": "s1", "actor": {"type": "human", "id": "alice"}, "action": "prompt"},
        {"event_id": "p2", "session_id": "s2", "actor": {"type": "human", "id": "user"}, "action": "prompt"},
        {"event_id": "r1", "session_id": "s1", "actor": {"type": "agent", "id": "openai"}, "action": "completion", "extensions": {"reply_to": "p1"}},
        {"event_id": "r2", "session_id": "s2", "actor": {"type": "agent", "id": "openai"}, "action": "completion", "extensions": {"reply_to": "p2"}},
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    (result,) = forget_events([log], EventMatcher(users=["alice"]))
    assert (result.removed, result.removed_ids) == (2, ["p1", "r1"])
    assert [e["event_id"] for e in iter_events([log])] == ["p2", "r2"]


def test_a_symbolic_link_is_refused(instrumented, client, tmp_path, capsys):
    """forget does not follow a symbolic link (it would replace the link by a file): exit 1, nothing changed."""
    call(client, "alice", "conv_a", "hi")
    link = tmp_path / "link.jsonl"
    link.symlink_to(instrumented)
    before = instrumented.read_bytes()
    assert main(["logs", "forget", "--user", "alice", "--no-rotated", str(link)]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert instrumented.read_bytes() == before and link.is_symlink()


def test_a_torn_last_line_is_kept_and_listed(instrumented, client, tmp_path):
    """A last line cut short (a killed writer) is kept, ended with a newline, and listed as not an event; it is not counted as appended meanwhile."""
    call(client, "alice", "conv_a", "hi")
    call(client, "bob", "conv_b", "hi")
    lines = instrumented.read_bytes().splitlines(keepends=True)
    log = tmp_path / "torn.jsonl"
    log.write_bytes(b"".join(lines) + lines[0][:40])
    (result,) = forget_events([log], EventMatcher(users=["alice"]))
    assert (result.removed, result.kept, result.corrupt, result.late_lines) == (2, 2, [5], 0)
    assert log.read_bytes() == lines[2] + lines[3] + lines[0][:40] + b"\n"
