"""The audit trail with HILT's own rotation, ``hilt logs forget`` and ``hilt logs prune``: each keeps the
chain verifiable, so ``hilt logs verify`` reports erasures and prunes as such, never as tampering."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import hilt
from hilt.logs._verify import verify_logs
from tests.cli._run import run_cli
from tests.privacy._chain import calls


def _rotated(log_path: Path) -> list[Path]:
    return sorted(path for path in log_path.parent.iterdir() if path.name.startswith(log_path.name + "."))


def test_hilt_rotation_keeps_one_chain(log_path: Path, client: Any) -> None:
    """With rotate and integrity on, the rotated files and the live one verify as one chain of every event."""
    hilt.instrument(backend="local", filepath=str(log_path), integrity=True, rotate="4KB")
    calls(client, 12)
    hilt.uninstrument()
    report = verify_logs([log_path])
    assert len(_rotated(log_path)) >= 2
    assert (report.ok, report.chained, report.problems) == (True, 24, [])


def test_forget_then_verify_reports_the_erasure(log_path: Path, client: Any) -> None:
    """``hilt logs forget --user`` on a chained log re-seals it: verify exits 0 and names the erasure of bob's events."""
    hilt.instrument(backend="local", filepath=str(log_path), integrity=True)
    calls(client, 2, user="alice")
    calls(client, 1, user="bob")
    calls(client, 1, user="alice")
    hilt.uninstrument()
    forgot = run_cli("logs", "forget", "--user", "bob", str(log_path))
    assert forgot.returncode == 0, forgot.stderr
    assert b"bob" not in log_path.read_bytes()
    verified = run_cli("logs", "verify", str(log_path), "--json")
    assert verified.returncode == 0, verified.stdout
    report = verify_logs([log_path])
    assert (report.ok, report.chained, [e.events_removed for e in report.erasures]) == (True, 7, [2])


def test_prune_with_integrity_is_not_reported_as_removal(log_path: Path, client: Any) -> None:
    """``hilt logs prune`` records what it deletes from a chained log: verify still passes on the files left."""
    hilt.instrument(backend="local", filepath=str(log_path), integrity=True, rotate="4KB")
    calls(client, 12)
    hilt.uninstrument()
    rotated = _rotated(log_path)
    for second, path in enumerate(rotated[:2]):  # the two oldest, rotated two months ago
        os.rename(path, log_path.with_name(f"{log_path.name}.20260930T00000{second}Z"))
    pruned = run_cli("logs", "prune", "--older-than", "30d", str(log_path))
    assert pruned.returncode == 0, pruned.stderr
    assert len(_rotated(log_path)) == len(rotated) - 2
    assert verify_logs([log_path]).problems == []
    assert json.loads(log_path.read_bytes().splitlines()[-1])["extensions"]["chain"]["seq"] == 23
