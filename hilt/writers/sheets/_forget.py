"""Erase a data subject's events from the Sheets backend: the local journal, then the rows of the sheet.

The sender lock is taken first, so no process sends rows meanwhile (a running app holding it makes the
command stop with a clear message). The journal is rewritten like any HILT log
(:func:`~hilt.logs._forget.rewrite_log_file`) and the checkpoint's offsets are moved to match, so the rows
still pending are neither skipped nor sent twice. In the sheet, the rows are found by reading the
``event_id``, ``reply_to``, ``user``, ``speaker`` and ``conversation_id`` columns (those the worksheet has)
and deleted with one ``spreadsheets.batchUpdate`` of ``deleteDimension`` requests, bottom-up so that row
numbers stay valid. What cannot be found or deleted is described row by row in :attr:`SheetForgetResult.manual`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...exceptions import WriterError
from ...logs._forget import EventMatcher, RewriteResult, rewrite_log_file
from ._checkpoint import Checkpoint, SenderLock
from ._client import Credentials, open_client
from ._errors import ApiCalls
from ._rows import column_letter
from ._settings import checkpoint_path_for, journal_path_for, validate_sheets_settings
from ._worksheet import a1, reply_values

__all__ = ["SheetForgetResult", "forget_in_sheet", "row_ranges"]

_LOOKUP_COLUMNS = ("event_id", "reply_to", "user", "speaker", "conversation_id")


@dataclass
class SheetForgetResult:
    """What :func:`forget_in_sheet` did: the journal rewrite, the sheet rows found (1-based), whether they were
    deleted, and the instructions for what HILT could not do itself."""

    journal: RewriteResult | None
    worksheet: str
    rows: list[int] = field(default_factory=list)
    deleted: bool = False
    manual: list[str] = field(default_factory=list)


def row_ranges(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as ``(first, last)`` runs, bottom run first: ``[2, 3, 7]`` → ``[(7, 7), (2, 3)]``."""
    runs: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs[::-1]


def forget_in_sheet(
    settings: Any, matcher: EventMatcher, *, known_ids: Iterable[str] = (), dry_run: bool = False
) -> SheetForgetResult:
    """Remove ``matcher``'s events from the journal and their rows from the configured worksheet.

    ``known_ids`` are event ids already removed elsewhere (local logs): their rows go too.

    Raises:
        WriterError: another process is sending the journal, or Google refused access.
    """
    columns, credentials = validate_sheets_settings(settings)
    journal = journal_path_for(settings)
    checkpoint_path = checkpoint_path_for(journal, settings, columns)
    lock = SenderLock(str(checkpoint_path) + ".lock")
    if not lock.acquire():
        raise WriterError(
            f"a running process is sending {journal} to the sheet (an app with backend sheets): "
            "stop it, then run the command again"
        )
    try:
        checkpoint = Checkpoint.load(checkpoint_path)
        journal_result = _forget_journal(journal, checkpoint, matcher, dry_run) if journal.exists() else None
        ids = set(known_ids) | set(journal_result.removed_ids if journal_result else ())
        title = checkpoint.worksheet or settings.worksheet_name or "Logs"
        result = SheetForgetResult(journal_result, title)
        _forget_rows(settings, credentials, result, matcher, ids, checkpoint, dry_run)
        return result
    finally:
        lock.release()


def _forget_journal(journal: Any, checkpoint: Checkpoint, matcher: EventMatcher, dry_run: bool) -> RewriteResult:
    """Rewrite the journal, then move the checkpoint's offsets to the same lines of the new file."""
    result = rewrite_log_file(journal, matcher, dry_run=dry_run)
    if result.rewritten:
        checkpoint.offset = result.new_offset(checkpoint.offset)
        if checkpoint.inflight:
            checkpoint.inflight = {key: result.new_offset(value) for key, value in checkpoint.inflight.items()}
        checkpoint.save()
    return result


def _forget_rows(
    settings: Any,
    credentials: Credentials,
    result: SheetForgetResult,
    matcher: EventMatcher,
    ids: set[str],
    checkpoint: Checkpoint,
    dry_run: bool,
) -> None:
    with ApiCalls(settings.sheet_id, credentials, "open the sheet"):
        spreadsheet = open_client(settings, credentials).open_by_key(settings.sheet_id)
        titles = {ws.title: ws for ws in spreadsheet.worksheets()}
    worksheet = titles.get(result.worksheet)
    if worksheet is None:
        return  # nothing was ever sent there
    with ApiCalls(settings.sheet_id, credentials, "read the worksheet"):
        header = [str(cell) for cell in (reply_values(spreadsheet.values_get(a1(result.worksheet, "1:1"))) or [[]])[0]]
        cells = {
            name: _column(spreadsheet, result.worksheet, header.index(name)) for name in _LOOKUP_COLUMNS if name in header
        }
    result.rows = _matching_rows(cells, matcher, ids)
    result.manual.extend(_blind_spots(cells, matcher, result.worksheet))
    if dry_run or not result.rows:
        return
    requests = [
        {"deleteDimension": {"range": {"sheetId": worksheet.id, "dimension": "ROWS", "startIndex": first - 1, "endIndex": last}}}
        for first, last in row_ranges(result.rows)
    ]
    try:
        with ApiCalls(settings.sheet_id, credentials, "delete rows"):
            spreadsheet.batch_update({"requests": requests})
    except WriterError as exc:
        result.manual.append(f"Google refused the deletion ({exc}): {_by_hand(result.worksheet, result.rows)}")
        return
    result.deleted = True
    if checkpoint.tail_row is not None:
        checkpoint.tail_row -= sum(1 for row in result.rows if row <= checkpoint.tail_row)
        checkpoint.save()


def _column(spreadsheet: Any, title: str, index: int) -> list[str]:
    """Column ``index`` (0-based) from row 2 down, as text (``""`` for empty cells)."""
    letter = column_letter(index + 1)
    values = reply_values(spreadsheet.values_get(a1(title, f"{letter}2:{letter}"), params={"valueRenderOption": "UNFORMATTED_VALUE"}))
    return [str(row[0]) if row else "" for row in values]


def _matching_rows(cells: dict[str, list[str]], matcher: EventMatcher, ids: set[str]) -> list[int]:
    """Sheet row numbers whose event belongs to the matcher's users or conversations, top to bottom."""
    length = max((len(values) for values in cells.values()), default=0)
    speakers = {f"human: {user}" for user in matcher.users if user != "user"}
    found: list[int] = []
    prompt_ids = set(matcher.prompt_ids) | ids
    for index in range(length):
        row = {name: values[index] if index < len(values) else "" for name, values in cells.items()}
        hit = (
            row.get("event_id", "") in ids
            or row.get("user", "") in matcher.users
            or row.get("speaker", "") in speakers
            or row.get("conversation_id", "") in matcher.conversations
            or (row.get("reply_to", "") != "" and row.get("reply_to", "") in prompt_ids)
        )
        if hit:
            found.append(index + 2)
            if row.get("event_id"):
                prompt_ids.add(row["event_id"])
    return found


def _blind_spots(cells: dict[str, list[str]], matcher: EventMatcher, title: str) -> list[str]:
    """What HILT cannot look for in this worksheet, and how to find it by hand."""
    notes = []
    if matcher.users and "user" not in cells and "speaker" not in cells:
        users = ", ".join(repr(u) for u in sorted(matcher.users))
        notes.append(
            f"worksheet {title!r} has neither a 'user' nor a 'speaker' column: only rows of events found in the local "
            f"logs were matched; rows of {users} whose events are no longer there must be found and deleted by hand"
        )
    if matcher.conversations and "conversation_id" not in cells:
        ids = ", ".join(repr(c) for c in sorted(matcher.conversations))
        notes.append(
            f"worksheet {title!r} has no 'conversation_id' column: only rows of events found in the local logs were "
            f"matched; delete by hand the other rows of conversation {ids} (the 'session' column shows 'Conv.' and its last 8 characters)"
        )
    return notes


def _by_hand(title: str, rows: list[int]) -> str:
    runs = ", ".join(f"{first}" if first == last else f"{first}-{last}" for first, last in row_ranges(rows)[::-1])
    return f"delete rows {runs} of worksheet {title!r} by hand (Edit > Delete, bottom first)"
