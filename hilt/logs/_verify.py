"""``hilt logs verify``: check the audit trail (the hash chain ``integrity = true`` writes, see ``hilt/_integrity.py``).

Every chained line's mac is recomputed with the user's key. The chain is checked per log: the named
file with its rotated siblings, oldest first, plus the anchor that records the chain's last line. A
problem names the file and line: an edited line, lines missing between two lines (or a removed file),
lines out of order, a repeated line, lines that carry no chain, a cut end. Gaps that erasures
(``hilt logs forget``) account for are reported as erasures, not as problems.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._integrity import ChainLink, compute_mac, integrity_key, parse_link, read_anchor, read_pruned
from ._files import default_log, expand_paths, is_glob, open_binary
from ._reader import parse_line
from ._reseal import erasure_of

__all__ = ["Problem", "VerifyReport", "verify_logs"]


@dataclass
class Problem:
    """One finding: ``kind`` is ``edited``, ``missing``, ``reordered``, ``repeated``, ``unchained``,
    ``unreadable``, ``truncated`` or ``link``; ``line`` is 1-based (``None``: the file as a whole)."""

    kind: str
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass
class Erasure:
    """An erasure recorded in the chain: when, how many events, where the record is."""

    file: str
    line: int
    at: str
    events_removed: int


@dataclass
class VerifyReport:
    """What :func:`verify_logs` found; ``ok`` when there is no problem."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    chained: int = 0
    problems: list[Problem] = field(default_factory=list)
    erasures: list[Erasure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


@dataclass
class _Entry:
    file: str
    line: int
    link: ChainLink
    erasure: dict[str, Any] | None
    position: int  # among the chained entries of the chain, in reading order


def verify_logs(paths: Sequence[str | os.PathLike[str]] | None = None) -> VerifyReport:
    """Check the chain of each named log (default: the configured one) with its rotated files.

    Raises:
        FileNotFoundError: a named log does not exist, or there is no integrity key.
    """
    key = integrity_key(create=False)
    report = VerifyReport()
    for item in list(paths or []) or [default_log()]:
        text = os.fspath(item)
        files = [path for path in expand_paths([text]) if str(path) not in report.files]  # each file once
        live = None if is_glob(text) else Path(os.path.expanduser(text))
        _ChainCheck(key, report, live).run(files)
    return report


class _ChainCheck:
    """The checks of one chain (one log and its rotated files)."""

    def __init__(self, key: bytes, report: VerifyReport, live: Path | None) -> None:
        self.key, self.report, self.live = key, report, live
        self.entries: list[_Entry] = []
        self.problems = report.problems

    def problem(self, kind: str, file: str, line: int | None, message: str) -> None:
        self.problems.append(Problem(kind, file, line, message))

    def run(self, files: list[Path]) -> None:
        for path in files:
            self._read(path)
        by_seq: dict[int, list[_Entry]] = {}
        for entry in self.entries:
            by_seq.setdefault(entry.link.seq, []).append(entry)
        self._check_macs(by_seq)
        self._check_order()
        self._check_gaps()

    def _read(self, path: Path) -> None:
        name = str(path)
        self.report.files.append(name)
        unchained: list[int] = []
        with open_binary(path) as stream:
            for number, raw in enumerate(stream, start=1):
                if not raw.strip():
                    continue
                self.report.lines += 1
                link = parse_link(raw)  # a chained line is not parsed: its mac vouches for every byte
                if link is None:
                    event, reason = parse_line(raw)
                    if event is None:
                        self.problem("unreadable", name, number, f"not an event: {reason} (torn or damaged)")
                    else:
                        unchained.append(number)
                    continue
                self.report.chained += 1
                erasure = erasure_of(raw)
                if erasure is not None:
                    self.report.erasures.append(
                        Erasure(name, number, str(erasure.get("at")), _count(erasure.get("events_removed")))
                    )
                self.entries.append(_Entry(name, number, link, erasure, len(self.entries)))
        self._report_unchained(name, unchained)

    def _report_unchained(self, name: str, numbers: list[int]) -> None:
        for first, last in _runs(numbers):
            lines = f"line {first} carries" if first == last else f"lines {first}-{last} carry"
            after_chained = any(entry.file != name or entry.line < first for entry in self.entries)
            if after_chained:
                message = f"{lines} no chain (inserted, or written with integrity off)"
            else:
                message = f"{lines} no chain (written before integrity was turned on?)"
            self.problem("unchained", name, first, message)

    def _check_macs(self, by_seq: dict[int, list[_Entry]]) -> None:
        """Each mac against its possible predecessors: the previous line of the file and the line(s) with the
        previous seq (a line moved elsewhere still verifies; its move is reported by the order check)."""
        resealed = {erasure.file for erasure in self.report.erasures}
        previous: _Entry | None = None
        for entry in self.entries:
            link = entry.link
            if previous is not None and previous.file != entry.file:
                previous = None
            if link.prev is not None:
                neighbours: list[_Entry] = []
            else:
                neighbours = [*by_seq.get(link.seq - 1, []), *([previous] if previous is not None else [])]
                if entry.erasure is not None:  # it repeats the seq of the line before it
                    neighbours += [e for e in by_seq.get(link.seq, []) if e is not entry]
            candidates = [link.prev] if link.prev is not None else [e.link.mac for e in neighbours]
            if not any(compute_mac(self.key, prev, link.template) == link.mac for prev in candidates):
                self._report_mac(entry, previous, bool(by_seq.get(link.seq - 1)), entry.file in resealed)
            previous = entry

    def _report_mac(self, entry: _Entry, previous: _Entry | None, predecessor_present: bool, resealed: bool) -> None:
        """A mac that matches no predecessor: an edit, unless lines are missing before it (reported as a gap),
        which in a re-sealed file (chained across erased lines) is no excuse."""
        seq = entry.link.seq
        if entry.link.prev is not None or predecessor_present or (previous is not None and previous.link.seq == seq - 1):
            self.problem("edited", entry.file, entry.line, f"edited (seq {seq}: the mac does not match)")
        elif previous is not None and resealed:
            self.problem(
                "edited", entry.file, entry.line,
                f"does not follow line {previous.line} (seq {seq}: the mac does not match): edited, or lines removed before it",
            )

    def _check_order(self) -> None:
        seen: dict[int, _Entry] = {}
        highest: _Entry | None = None
        for entry in self.entries:
            if entry.erasure is not None:
                continue
            seq = entry.link.seq
            if seq in seen:
                first = seen[seq]
                self.problem("repeated", entry.file, entry.line, f"repeats seq {seq} of {_where(first, entry)} (a copied line)")
                continue
            if highest is not None and seq < highest.link.seq:
                self.problem(
                    "reordered", entry.file, entry.line,
                    f"out of order: seq {seq} comes after seq {highest.link.seq} ({_where(highest, entry)})",
                )
            seen[seq] = entry
            if highest is None or seq > highest.link.seq:
                highest = entry

    def _check_gaps(self) -> None:
        firsts: dict[int, _Entry] = {}
        for entry in self.entries:
            if entry.erasure is None:
                firsts.setdefault(entry.link.seq, entry)
        gaps = []
        ordered = sorted(firsts)
        start = (read_pruned(self.live) + 1) if self.live is not None else 0
        # Older events are known to be missing only for a live log (an anchor), not for a rotated file named alone.
        if ordered and ordered[0] > start and self.live is not None and read_anchor(self.live) is not None:
            gaps.append((start, ordered[0] - 1, None, firsts[ordered[0]]))
        for low, high in zip(ordered, ordered[1:], strict=False):
            if high > low + 1:
                gaps.append((low + 1, high - 1, firsts[low], firsts[high]))
        allowance: dict[str, int] = {}
        for erasure in self.report.erasures:
            allowance[erasure.file] = allowance.get(erasure.file, 0) + erasure.events_removed
        # Gaps inside one file first. A gap at a file boundary may be the end of the file before and the start
        # of the next (a prompt and its reply on both sides of a rotation): in chain order, the file before
        # (whose allowance nothing later can use) accounts for what it can, the next file for the rest.
        gaps.sort(key=lambda gap: (gap[2] is not None and gap[2].file != gap[3].file, gap[0]))
        for low, high, before, after in gaps:
            # A gap the erasures of its file account for is no problem; at a file boundary, the erasures of both
            # files together (the end of one file and the start of the next may both have been erased).
            count = high - low + 1
            files = [after.file] if before is None or before.file == after.file else [before.file, after.file]
            if sum(allowance.get(file, 0) for file in files) < count:
                self._report_gap(low, high, before, after)
                continue
            for file in files:  # the earlier file first: its allowance can serve no later gap
                taken = min(allowance.get(file, 0), count)
                allowance[file] = allowance.get(file, 0) - taken
                count -= taken
        if self.live is not None:
            self._check_tail(ordered[-1] if ordered else -1)

    def _report_gap(self, low: int, high: int, before: _Entry | None, after: _Entry) -> None:
        count = high - low + 1
        what = f"{count} event{'s' if count > 1 else ''} missing (seq {low}" + (f"-{high})" if high > low else ")")
        if before is None:
            self.problem("missing", after.file, after.line, f"{what} before this line: an older file removed?")
        elif before.file == after.file:
            self.problem("missing", after.file, after.line, f"{what} between line {before.line} and line {after.line}")
        else:
            self.problem(
                "missing", after.file, after.line,
                f"{what} between {before.file}:{before.line} and this line: a removed file, or a cut file end?",
            )

    def _check_tail(self, highest: int) -> None:
        anchored = read_anchor(self.live)  # type: ignore[arg-type]
        if anchored is None:
            return
        seq, mac = anchored
        last = self.entries[-1] if self.entries else None
        where = (last.file, last.line) if last else (str(self.live), None)
        if seq > highest:
            count = seq - highest
            seqs = f"seq {seq}" if count == 1 else f"seq {highest + 1}-{seq}"
            self.problem(
                "truncated", *where,
                f"{count} newer event{'s' if count > 1 else ''} missing after this line ({seqs} written): "
                "the file was cut or the newest file removed",
            )
        elif last is not None and seq == highest and mac not in {e.link.mac for e in self.entries if e.link.seq == seq}:
            self.problem("truncated", *where, "the last line is not the one last written (replaced or removed)")


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive line numbers grouped: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _where(entry: _Entry, relative_to: _Entry) -> str:
    return f"line {entry.line}" if entry.file == relative_to.file else f"{entry.file}:{entry.line}"
