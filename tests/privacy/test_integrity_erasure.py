"""The audit trail across an erasure: ``hilt logs forget`` re-seals each rewritten file and records the
erasure in the chain; ``hilt logs verify`` reports it as an erasure, and still finds tampering around it."""

from __future__ import annotations

import json
from pathlib import Path

import hilt
from hilt._integrity import integrity_key
from hilt.logs._reseal import reseal_after_erasure
from hilt.logs._verify import verify_logs
from hilt.writers.jsonl import JsonlWriter
from tests.cli._run import run_cli
from tests.privacy._chain import calls, chained_log, findings, lines_of  # noqa: F401  (chained_log: a fixture)


def forget(path: Path, user: str) -> int:
    """What ``hilt logs forget`` does to one file (drop the user's events), then the re-seal it calls."""
    lines = lines_of(path)
    kept = [line for line in lines if json.loads(line).get("extensions", {}).get("user") != user]
    path.write_bytes(b"".join(kept))
    return reseal_after_erasure(path, len(lines) - len(kept), "2026-11-30T05:30:00+00:00")


def test_erasure_reseals_and_is_reported_as_erasure(chained_log, client):
    """Erasing one user's events re-seals the file: verify reports the erasure (when, how many), not tampering,
    and later writes continue the chain."""
    calls(client, 2, user="alice")
    calls(client, 1, user="bob")
    calls(client, 1, user="alice")
    assert forget(chained_log, "bob") == 7  # six kept lines and the erasure event
    calls(client, 1, user="alice")
    hilt.uninstrument()
    report = verify_logs([chained_log])
    assert (report.ok, report.chained, report.problems) == (True, 9, [])
    assert [(e.line, e.at, e.events_removed) for e in report.erasures] == [(7, "2026-11-30T05:30:00+00:00", 2)]
    erasure_line = lines_of(chained_log)[6]
    assert b"bob" not in erasure_line
    assert json.loads(erasure_line)["extensions"]["erasure"] == {"at": "2026-11-30T05:30:00+00:00", "events_removed": 2}
    done = run_cli("logs", "verify", str(chained_log))
    assert (done.returncode, done.stdout.splitlines()) == (
        0,
        [f"{chained_log}:7: erasure of 2 events at 2026-11-30T05:30:00+00:00", "OK: 9 chained events in 1 file(s), chain intact"],
    )


def _erase_bob(chained_log: Path, client) -> list[bytes]:
    """Alice's 2 calls, bob's 1, alice's 2 more; bob forgotten; the log's lines."""
    calls(client, 2, user="alice")
    calls(client, 1, user="bob")
    calls(client, 2, user="alice")
    forget(chained_log, "bob")
    hilt.uninstrument()
    return lines_of(chained_log)


def test_deleting_more_than_the_erasure_is_still_found(chained_log, client):
    """A line deleted after an erasure is reported: the erasure accounts only for the events it removed."""
    lines = _erase_bob(chained_log, client)
    del lines[5]
    chained_log.write_bytes(b"".join(lines))
    assert findings(chained_log) == [("edited", chained_log.name, 6), ("missing", chained_log.name, 6)]
    assert str(verify_logs([chained_log]).problems[0]).endswith(
        ":6: does not follow line 5 (seq 8: the mac does not match): edited, or lines removed before it"
    )


def test_an_edit_next_to_an_erased_gap_is_found(chained_log, client):
    """In a re-sealed file a line right after the erased events is chained across the gap, so editing it is found."""
    lines = _erase_bob(chained_log, client)
    lines[4] = lines[4].replace(b'"Say hello"', b'"Say bye!!"', 1)
    chained_log.write_bytes(b"".join(lines))
    assert findings(chained_log) == [("edited", chained_log.name, 5)]


def test_reseal_leaves_an_unchained_log_alone(log_path):
    """Re-sealing a file without a chain changes nothing (forget may call it on every rewrite)."""
    writer = JsonlWriter(log_path)
    writer.write({"action": "prompt"})
    writer.close()
    integrity_key()
    assert reseal_after_erasure(log_path, 3) == 0
    assert log_path.read_bytes() == b'{"action":"prompt"}\n'


def test_reseal_keeps_seqs_increasing_when_a_late_line_repeats_one(log_path):
    """A line appended during a rewrite with a seq already used (a writer of the old file) gets the next seq
    when the file is re-sealed, so the chain verifies with only the erasure to report."""
    writer = JsonlWriter(log_path, integrity=True)
    for number in range(3):
        writer.write({"action": "prompt", "extensions": {"n": number}})
    writer.close()
    lines = lines_of(log_path)
    late = lines[1].replace(b'"n":1', b'"n":9')
    log_path.write_bytes(lines[0] + lines[2] + late)  # line n=1 erased; a late line reused its seq 1
    assert reseal_after_erasure(log_path, 1, "2026-11-30T05:40:00+00:00") == 4
    chains = [json.loads(line)["extensions"]["chain"]["seq"] for line in lines_of(log_path)]
    assert chains == [0, 2, 3, 3]  # the erasure event repeats the last seq
    report = verify_logs([log_path])
    assert (report.ok, [(e.line, e.events_removed) for e in report.erasures]) == (True, [(4, 1)])


def test_erasure_in_a_gzipped_rotated_file(log_path):
    """Erasing from a gzipped rotated file re-seals it gzipped; the chain into the live file still verifies, and
    the erasure is listed for that file."""
    import gzip
    import os

    writer = JsonlWriter(log_path, integrity=True)
    for number in range(4):
        writer.write({"action": "prompt", "extensions": {"user": "bob" if number == 1 else "alice"}})
    os.rename(log_path, f"{log_path}.1")
    writer.write({"action": "prompt", "extensions": {"user": "alice"}})
    writer.close()
    rotated = Path(f"{log_path}.1.gz")
    rotated.write_bytes(gzip.compress(Path(f"{log_path}.1").read_bytes()))
    os.remove(f"{log_path}.1")
    kept = [line for line in gzip.decompress(rotated.read_bytes()).splitlines(keepends=True) if b'"bob"' not in line]
    rotated.write_bytes(gzip.compress(b"".join(kept)))
    assert reseal_after_erasure(rotated, 1, "2026-11-30T06:00:00+00:00") == 4
    assert gzip.decompress(rotated.read_bytes()).count(b"\n") == 4
    report = verify_logs([log_path])
    assert (report.ok, report.chained, [(Path(e.file).name, e.line, e.events_removed) for e in report.erasures]) == (
        True,
        5,
        [(rotated.name, 4, 1)],
    )
