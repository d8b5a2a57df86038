"""The audit trail (``integrity = true``): real instrumented calls are chained; ``hilt logs verify`` finds
exactly the tampering done to the file afterwards, with its line number."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

import hilt
from hilt._integrity import anchor_path
from hilt.logs._verify import verify_logs
from hilt.writers.jsonl import JsonlWriter
from tests.cli._run import run_cli
from tests.privacy._chain import MESSAGES, calls, chained_log, findings, lines_of  # noqa: F401  (chained_log: a fixture)


def test_instrumented_calls_are_chained_and_verify(chained_log, client):
    """Four calls give eight chained events, seq 0 to 7, and verify reports no problem."""
    calls(client, 4)
    hilt.uninstrument()
    events = [json.loads(line) for line in lines_of(chained_log)]
    assert [event["extensions"]["chain"]["seq"] for event in events] == list(range(8))
    assert list(events[0]["extensions"]["chain"]) == ["seq", "prev", "mac"]  # the file's first line names its predecessor
    assert events[0]["extensions"]["chain"]["prev"] == "0" * 64
    assert [list(event["extensions"]["chain"]) for event in events[1:]] == [["seq", "mac"]] * 7
    report = verify_logs([chained_log])
    assert (report.ok, report.chained, report.lines, report.problems) == (True, 8, 8, [])


def test_integrity_off_writes_no_chain(instrumented, client):
    """Without the setting the writer has no chain and lines carry no chain field."""
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    hilt.uninstrument()
    assert ["chain" in json.loads(line).get("extensions", {}) for line in lines_of(instrumented)] == [False, False]
    assert JsonlWriter(instrumented).chain is None


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("edit", [("edited", 3)]),
        ("delete", [("missing", 4)]),
        ("insert", [("unchained", 4)]),
        ("copy", [("repeated", 6)]),
        ("reorder", [("reordered", 5)]),
        ("truncate", [("truncated", 6)]),
        ("torn", [("unreadable", 8), ("truncated", 7)]),
    ],
)
def test_verify_finds_exactly_the_tampering(chained_log, client, tamper, expected):
    """Each kind of tampering is reported once, as that kind, at the line where it happened."""
    calls(client, 4)
    hilt.uninstrument()
    lines = lines_of(chained_log)
    lines_of_original = list(lines)
    if tamper == "edit":
        event = json.loads(lines[2])
        event["content"]["text"] = "something else"
        lines[2] = json.dumps(event, separators=(",", ":")).encode() + b"\n"
    elif tamper == "delete":
        del lines[3]
    elif tamper == "insert":
        forged = json.loads(lines[0])
        del forged["extensions"]["chain"]
        lines.insert(3, json.dumps(forged).encode() + b"\n")
    elif tamper == "copy":
        lines.insert(5, lines[1])
    elif tamper == "reorder":
        lines[3], lines[4] = lines[4], lines[3]
    elif tamper == "truncate":
        lines = lines[:6]
    elif tamper == "torn":
        lines[-1] = lines[-1][:50]
    chained_log.write_bytes(b"".join(lines))
    assert findings(chained_log) == [(kind, chained_log.name, line) for kind, line in expected]
    chained_log.write_bytes(b"".join(lines_of_original))  # the fixture checks the lines against the schema


def test_a_rewritten_mac_does_not_hide_an_edit(chained_log, client):
    """A mac recomputed with another key (the attacker has none) still shows as an edited line, and the next
    line, chained to the original mac, no longer matches either."""
    import hashlib
    import hmac

    from hilt._integrity import parse_link

    calls(client, 2)
    hilt.uninstrument()
    lines = lines_of(chained_log)
    edited = lines[1].replace(b'"Say hello"', b'"Say bye!!"', 1)
    link = parse_link(edited)
    forged_mac = hmac.new(b"k" * 32, parse_link(lines[0]).mac + link.template, hashlib.sha256).hexdigest()
    lines[1] = edited[:-69] + forged_mac.encode() + b'"}}}\n'
    chained_log.write_bytes(b"".join(lines))
    assert findings(chained_log) == [("edited", chained_log.name, 2), ("edited", chained_log.name, 3)]


def test_chain_continues_across_rotated_files(chained_log, client):
    """After two renames (rotation) the chain crosses the three files; removing each one is reported where it was."""
    calls(client, 2)
    os.rename(chained_log, f"{chained_log}.2")
    calls(client, 2)
    os.rename(chained_log, f"{chained_log}.1")
    calls(client, 2)
    hilt.uninstrument()
    first_of_live = json.loads(lines_of(chained_log)[0])["extensions"]["chain"]
    last_of_previous = json.loads(lines_of(Path(f"{chained_log}.1"))[-1])["extensions"]["chain"]
    assert (first_of_live["seq"], first_of_live["prev"]) == (8, last_of_previous["mac"])
    report = verify_logs([chained_log])
    assert (report.ok, report.chained, len(report.files)) == (True, 12, 3)

    name = chained_log.name
    for removed, expected in [
        (".2", [("missing", f"{name}.1", 1)]),  # the oldest file: seq 0-3 missing before .1
        (".1", [("missing", name, 1)]),  # the middle one: a gap between .2 and the live file
        ("", [("truncated", f"{name}.1", 4)]),  # the newest: the anchor knows seq 8-11 were written
    ]:
        path = Path(f"{chained_log}{removed}")
        saved = path.read_bytes()
        path.unlink()
        assert findings(chained_log) == expected
        path.write_bytes(saved)
    assert verify_logs([chained_log]).ok


def test_lines_before_integrity_was_on_are_reported(log_path):
    """Lines written before integrity was turned on are reported as unchained, with their line numbers."""
    JsonlWriter(log_path).write({"action": "prompt"})
    JsonlWriter(log_path).write({"action": "completion"})
    chained = JsonlWriter(log_path, integrity=True)
    chained.write({"action": "prompt"})
    JsonlWriter(log_path).write({"action": "completion"})
    problems = verify_logs([log_path]).problems
    assert [(p.kind, p.line, p.message) for p in problems] == [
        ("unchained", 1, "lines 1-2 carry no chain (written before integrity was turned on?)"),
        ("unchained", 4, "line 4 carries no chain (inserted, or written with integrity off)"),
    ]


def _append_events(path: str, count: int, tag: int) -> None:
    writer = JsonlWriter(path, integrity=True)
    for number in range(count):
        writer.write({"action": "prompt", "extensions": {"writer": tag, "n": number}})
    writer.close()


def test_processes_appending_together_keep_one_valid_chain(log_path):
    """Three processes appending 60 events each to one file leave one chain, seq 0 to 179, that verifies."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_events, args=(str(log_path), 60, tag)) for tag in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    seqs = [json.loads(line)["extensions"]["chain"]["seq"] for line in lines_of(log_path)]
    assert seqs == list(range(180))
    report = verify_logs([log_path])
    assert (report.ok, report.chained) == (True, 180)


def test_key_and_anchor_are_private(chained_log, client):
    """The key is 32 bytes, 0600, in a 0700 folder; the anchor is 0600 too."""
    calls(client, 1)
    state = Path(os.environ["XDG_STATE_HOME"], "hilt")
    key = state / "integrity.key"
    assert len(key.read_bytes()) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE(anchor_path(chained_log).stat().st_mode) == 0o600


def test_cli_reports_problems_with_exit_1(chained_log, client):
    """``hilt logs verify`` prints each problem with file and line and exits 1; ``--json`` gives the same."""
    calls(client, 2)
    hilt.uninstrument()
    lines = lines_of(chained_log)
    del lines[1]
    chained_log.write_bytes(b"".join(lines))
    done = run_cli("logs", "verify", str(chained_log))
    assert (done.returncode, done.stdout.splitlines()) == (
        1,
        [
            f"{chained_log}:2: 1 event missing (seq 1) between line 1 and line 2",
            "FAILED: 1 problem(s); 3 chained events in 1 file(s)",
        ],
    )
    data = json.loads(run_cli("logs", "verify", str(chained_log), "--json").stdout)
    assert (data["ok"], data["chained"], data["problems"][0]["kind"], data["problems"][0]["line"]) == (False, 3, "missing", 2)


def test_cli_without_a_key_says_so(log_path):
    """Verifying where no key was ever made is an error naming the missing key, exit 1."""
    JsonlWriter(log_path).write({"action": "prompt"})
    done = run_cli("logs", "verify", str(log_path))
    assert done.returncode == 1
    assert "no integrity key" in done.stderr


def test_setting_comes_from_env_and_user_file_but_not_an_untrusted_project(tmp_path, monkeypatch):
    """HILT_INTEGRITY=1 turns it on; an untrusted ./hilt.toml can neither turn it on nor off."""
    from hilt._config import load_settings
    from hilt.exceptions import ConfigError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "hilt.toml").write_text("integrity = true\n")
    assert load_settings().integrity is False
    monkeypatch.setenv("HILT_INTEGRITY", "1")
    (tmp_path / "hilt.toml").write_text("integrity = false\n")
    assert load_settings().integrity is True
    user_file = Path(os.environ["XDG_CONFIG_HOME"], "hilt", "hilt.toml")
    user_file.parent.mkdir(parents=True)
    user_file.write_text('integrity = "yes"\n')
    monkeypatch.delenv("HILT_INTEGRITY")
    with pytest.raises(ConfigError, match="integrity"):
        load_settings()


def test_an_unusable_state_folder_never_breaks_the_call(log_path, client, monkeypatch, caplog):
    """When the key cannot be made (the state folder is a file), the call still returns its reply and HILT
    reports the write failure once on its logger."""
    blocker = log_path.parent.parent / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    hilt.instrument(backend="local", filepath=str(log_path), integrity=True)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert reply.choices[0].message.content
    assert [r.levelname for r in caplog.records if r.name == "hilt"] == ["WARNING"]


def test_a_writer_waiting_for_the_lock_follows_a_rotation(log_path):
    """A chained writer that waited for the lock while the file was rotated writes to the new file, after the
    line written there meanwhile: seq 0 in the rotated file, 1 and 2 in the new one, and the chain verifies."""
    import fcntl
    import threading
    import time

    waiting = JsonlWriter(log_path, integrity=True)
    waiting.write({"action": "prompt", "extensions": {"n": 0}})
    holder = os.open(log_path, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    blocked = threading.Thread(target=waiting.write, args=({"action": "prompt", "extensions": {"n": 2}},))
    blocked.start()
    time.sleep(0.3)  # the writer has checked the path and waits for the lock on the old file
    os.rename(log_path, f"{log_path}.1")
    other = JsonlWriter(log_path, integrity=True)
    other.write({"action": "prompt", "extensions": {"n": 1}})
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    blocked.join(10)
    waiting.close()
    other.close()
    rotated = [json.loads(line)["extensions"] for line in lines_of(Path(f"{log_path}.1"))]
    live = [json.loads(line)["extensions"] for line in lines_of(log_path)]
    assert [(e["n"], e["chain"]["seq"]) for e in rotated] == [(0, 0)]
    assert [(e["n"], e["chain"]["seq"]) for e in live] == [(1, 1), (2, 2)]
    assert verify_logs([log_path]).ok


def test_a_file_pruned_through_the_retention_hook_is_not_reported(log_path):
    """The oldest rotated file, recorded with record_pruned before it is deleted, leaves no problem; the next
    one deleted without the hook is reported."""
    from hilt._integrity import record_pruned

    writer = JsonlWriter(log_path, integrity=True)
    for rotation in (".2", ".1", ""):
        for number in range(2):
            writer.write({"action": "prompt", "extensions": {"n": number}})
        if rotation:
            os.rename(log_path, f"{log_path}{rotation}")
    writer.close()
    record_pruned(f"{log_path}.2", log_path)
    os.remove(f"{log_path}.2")
    assert verify_logs([log_path]).problems == []
    os.remove(f"{log_path}.1")
    assert findings(log_path) == [("missing", log_path.name, 1)]


def test_a_rotated_file_named_alone_verifies(chained_log, client):
    """A rotated file checked on its own verifies (its first line names its predecessor), with no claim about
    the events before it; named with its log it is read only once."""
    calls(client, 2)
    os.rename(chained_log, f"{chained_log}.1")
    calls(client, 2)
    hilt.uninstrument()
    rotated = Path(f"{chained_log}.1")
    os.rename(rotated, chained_log.parent / "archived.jsonl")  # no longer next to its log
    alone = verify_logs([chained_log])
    assert (alone.ok, alone.chained) == (False, 4)  # the live log misses its older file
    archived = verify_logs([chained_log.parent / "archived.jsonl"])
    assert (archived.ok, archived.chained, archived.problems) == (True, 4, [])
    os.rename(chained_log.parent / "archived.jsonl", rotated)
    both = verify_logs([chained_log, rotated])
    assert (both.ok, both.chained, [Path(f).name for f in both.files]) == (True, 8, [f"{chained_log.name}.1", chained_log.name])
