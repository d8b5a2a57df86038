"""Send a journal to a worksheet, exactly once, one batch per call: the synchronous core of the Sheets backend.

The journal (a HILT JSONL file) is the queue. A :class:`~hilt.writers.sheets._checkpoint.Checkpoint` says how
many journal bytes the sheet holds. One :meth:`Sender.step`:

1. If an earlier append's outcome is unknown (``inflight`` set: a time-out, a 5xx, a crash between the
   request and the checkpoint), *reconcile*: read back the sheet from the last row HILT knows it wrote
   (one ``values.get``, only the ``event_id`` column when it is configured) and keep only the journal rows
   that are not there. Appends are atomic, so a batch is either all there or all missing.
2. Read the next batch of complete journal lines (see :mod:`~hilt.writers.sheets._journal`).
3. Save ``inflight = [start, end)``, send one ``append_rows(..., value_input_option="RAW")``, then save
   ``offset = end`` and the last row written, and clear ``inflight``.

A 429 is a refusal (nothing written): ``inflight`` is cleared and the same batch is retried, with the
append alone (the spreadsheet is not reopened). A 5xx or a network error leaves ``inflight`` set, so the
retry starts with the read-back. Hence no row is sent twice and none is skipped, across retries, crashes
and restarts.

A 400 is a refusal of the rows themselves (a cell Google will not take): the batch is *bisected* (the
next steps send halves) until the bad row is alone, which is then replaced by a
:func:`~hilt.writers.sheets._rows.placeholder_row`, so later rows are never blocked. If Google refuses the
placeholder too, the fault is not in the rows and a ``WriterError`` is raised.

Errors are raised as :class:`~hilt.writers.sheets._errors.Retryable` (back off and call again) or
:class:`~hilt.exceptions.WriterError` (needs the user: bad credentials, sheet not shared, header conflict).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..._safety import report
from ._checkpoint import Checkpoint, SenderLock
from ...exceptions import WriterError
from ._client import Credentials, open_client
from ._errors import ApiCalls, Rejected
from ._journal import read_lines
from ._rows import column_letter, event_to_row, placeholder_row
from ._worksheet import a1, reply_values, settle_worksheet

__all__ = ["Sender", "StepResult"]

_RANGE_END_ROW = re.compile(r"![A-Z]+\d+:[A-Z]+(\d+)$|![A-Z]+(\d+)$")


@dataclass(frozen=True)
class StepResult:
    """What one :meth:`Sender.step` did."""

    rows: int  # rows appended by this step (0: nothing to send, or only a reconcile)
    more: bool  # journal bytes remain after this step
    requests: int = 0  # append requests this step made (a rejected one counts: it used quota)


def _end_row(response: Any) -> int | None:
    """The last sheet row an append reply says it wrote (``None`` when the reply does not say)."""
    updates = response.get("updates") if isinstance(response, dict) else None
    updated_range = updates.get("updatedRange") if isinstance(updates, dict) else None
    if not isinstance(updated_range, str):
        return None
    match = _RANGE_END_ROW.search(updated_range)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def _norm(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class Sender:
    """Moves rows from ``journal`` to a worksheet, tracked by the checkpoint at ``checkpoint_path``."""

    def __init__(
        self,
        settings: Any,
        credentials: Credentials,
        columns: tuple[str, ...],
        journal: str | os.PathLike[str],
        checkpoint_path: str | os.PathLike[str],
        *,
        skip_keys: Callable[[Sender], set[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.columns = columns
        self.journal = Path(journal)
        self.checkpoint_path = Path(checkpoint_path)
        self.lock = SenderLock(str(self.checkpoint_path) + ".lock")
        self.checkpoint: Checkpoint | None = None
        self._skip_keys_loader = skip_keys
        self._skip: set[str] | None = None
        self._key_index = columns.index("event_id") if "event_id" in columns else None
        self._limit: int | None = None  # rows per append while a rejected batch is bisected
        self._client: Any = None
        self._spreadsheet: Any = None
        self._worksheet: Any = None
        self.bad_lines = 0

    # --- lifecycle -----------------------------------------------------------------------

    def acquire(self) -> bool:
        """Become the only sender for this journal and worksheet; ``False`` if another process is."""
        if not self.lock.acquire():
            return False
        if self.checkpoint is None:
            self.checkpoint = Checkpoint.load(self.checkpoint_path)
        return True

    @property
    def connected(self) -> bool:
        return self._worksheet is not None

    def connect(self) -> None:
        """Authenticate, open the spreadsheet and settle the worksheet (never downloads the sheet)."""
        assert self.checkpoint is not None, "acquire() first"
        with self._calls("open the sheet"):
            self._client = open_client(self.settings, self.credentials)
            self._spreadsheet = self._client.open_by_key(self.settings.sheet_id)
            wanted = self.settings.worksheet_name or "Logs"
            self._worksheet, new_tail = settle_worksheet(self._spreadsheet, self.columns, wanted, self.settings.sheet_id)
        if self.checkpoint.worksheet != self._worksheet.title or new_tail is not None:
            self.checkpoint.worksheet = self._worksheet.title
            self.checkpoint.tail_row = new_tail  # None: rows of another worksheet tell nothing about this one
            self.checkpoint.save()
        if self._skip_keys_loader is not None and self._skip is None:
            self._skip = self._skip_keys_loader(self)

    def disconnect(self) -> None:
        """Forget the client (a later :meth:`connect` makes a new one)."""
        client, self._client, self._spreadsheet, self._worksheet = self._client, None, None, None
        session = getattr(getattr(client, "http_client", None), "session", None)
        if session is not None:
            try:
                session.close()
            except Exception:  # closing is best-effort
                pass

    def close(self) -> None:
        """Disconnect and give the sender lock up."""
        self.disconnect()
        self.lock.release()

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's client and lock without closing them for the parent."""
        self._client = self._spreadsheet = self._worksheet = None
        self.lock.forget()
        self.checkpoint = None

    # --- journal ---------------------------------------------------------------------------

    def pending_bytes(self) -> int:
        """Journal bytes not yet confirmed in the sheet (0 when the journal does not exist)."""
        offset = self.checkpoint.offset if self.checkpoint else 0
        try:
            size = self.journal.stat().st_size
        except FileNotFoundError:
            return 0
        return max(0, size - offset)

    def _rows(self, lines: Iterable[bytes], start: int) -> tuple[list[list[Any]], list[int]]:
        """The rows of journal ``lines`` read from offset ``start``, and the journal offset after each row's line."""
        rows: list[list[Any]] = []
        ends: list[int] = []
        offset = start
        for line in lines:
            offset += len(line)
            try:
                event = json.loads(line)
                if not isinstance(event, dict):
                    raise ValueError("not a JSON object")
            except ValueError:
                self.bad_lines += 1
                report(f"sheets-bad-line:{self.journal}", "HILT: skipped a line of %s that is not an event", self.journal)
                continue
            row = event_to_row(event, self.columns)
            if self._skip is not None and self._key(row) in self._skip:
                continue
            rows.append(row)
            ends.append(offset)
        return rows, ends

    def _key(self, row: list[Any]) -> str:
        if self._key_index is not None:
            return _norm(row[self._key_index]) if self._key_index < len(row) else ""
        cells = [_norm(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        return "\x1f".join(cells)

    # --- sending ---------------------------------------------------------------------------

    def step(self) -> StepResult:
        """Reconcile an unknown outcome if there is one, else send the next batch (at most one append).

        While a batch Google rejected (400) is being bisected, a batch is at most ``_limit`` rows.
        """
        assert self.checkpoint is not None and self.connected, "acquire() and connect() first"
        cp = self.checkpoint
        if cp.inflight:
            start, end = int(cp.inflight["start"]), int(cp.inflight["end"])
            lines, _ = read_lines(self.journal, start, end=end, checkpoint_path=self.checkpoint_path)
            rows, ends = self._rows(lines, start)
            landed = self._keys_after_tail() if rows else set()
            missing = [i for i, row in enumerate(rows) if self._key(row) not in landed]
            rows, ends = [rows[i] for i in missing], [ends[i] for i in missing]
        else:
            start = cp.offset
            lines, end = read_lines(self.journal, start, checkpoint_path=self.checkpoint_path)
            if not lines:
                return StepResult(0, False)
            rows, ends = self._rows(lines, start)
        if not rows:
            self._confirm(end, None)
            return StepResult(0, self.pending_bytes() > 0)
        if self._limit is not None and len(rows) > self._limit:
            rows, end = rows[: self._limit], ends[self._limit - 1]
        requests = self._append_or_bisect(rows, start, end)
        sent = len(rows) if self.checkpoint.offset == end else 0
        return StepResult(sent, self.pending_bytes() > 0, requests)

    def _append_or_bisect(self, rows: list[list[Any]], start: int, end: int) -> int:
        """Append ``rows`` (journal bytes ``[start, end)``); on a 400, narrow down the bad row. Returns the requests made."""
        try:
            self._append(rows, start, end)
        except Rejected as exc:
            self._refused()  # a 400 writes nothing
            if len(rows) > 1:
                self._limit = max(1, len(rows) // 2)  # the next steps send halves until the bad row is alone
                return 1
            try:
                self._append([placeholder_row(rows[0], self.columns, str(exc))], start, end)
            except Rejected as again:
                self._refused()
                self._limit = None
                raise WriterError(f"Google Sheets rejects every row sent to sheet {self.settings.sheet_id!r}: {again}") from again
            report(
                "sheets-rejected-row",
                "HILT: Google Sheets rejected a row (%s); it was replaced by a placeholder row, the event stays in %s",
                exc,
                self.journal,
            )
            self._limit = None
            return 2
        if self._limit is not None and len(rows) < self._limit:
            self._limit = None
        return 1

    def _append(self, rows: list[list[Any]], start: int, end: int) -> None:
        cp = self.checkpoint
        assert cp is not None
        cp.inflight = {"start": start, "end": end}
        cp.save()
        with self._calls("append rows", refused=self._refused, rejectable=True):
            response = self._worksheet.append_rows(rows, value_input_option="RAW")
        self._confirm(end, _end_row(response))

    def _refused(self) -> None:
        """A 429 or a 400: Google wrote nothing, so no read-back is needed before the retry."""
        cp = self.checkpoint
        if cp is not None and cp.inflight:
            cp.inflight = None
            cp.save()

    def _confirm(self, end: int, tail: int | None) -> None:
        cp = self.checkpoint
        assert cp is not None
        cp.offset = end
        cp.inflight = None
        if tail is not None:
            cp.tail_row = tail
        cp.save()

    def _keys_after_tail(self) -> set[str]:
        """Keys of the rows below the last row HILT knows it wrote (a bounded read, not the whole sheet).

        The read starts *at* that row (row 1, the header, when unknown), which always exists, so it needs
        no metadata request to stay inside the grid.
        """
        cp = self.checkpoint
        assert cp is not None
        known = cp.tail_row or 1
        title = self._worksheet.title
        if self._key_index is not None:
            letter = column_letter(self._key_index + 1)
            cells = f"{letter}{known}:{letter}"
        else:
            cells = f"A{known}:{column_letter(len(self.columns))}"
        try:
            with self._calls("read back the last rows", rejectable=True):
                found = self._spreadsheet.values_get(a1(title, cells), params={"valueRenderOption": "UNFORMATTED_VALUE"})
                values = reply_values(found)
        except Rejected:
            return set()  # the grid ends above that row: rows were deleted, and the append did not land after them
        after = values[1:]
        if self._key_index is not None:
            keys = {_norm(row[0]) for row in after if row}
        else:
            keys = {self._key(row) for row in after if row}
        if after:
            cp.tail_row = known + len(after)
        return keys

    def existing_keys(self) -> set[str]:
        """Every ``event_id`` already in the worksheet (reads that one column; for explicit backfills only)."""
        if self._key_index is None:
            return set()
        letter = column_letter(self._key_index + 1)
        with self._calls("read the event_id column"):
            found = reply_values(self._spreadsheet.values_get(a1(self._worksheet.title, f"{letter}2:{letter}")))
        return {_norm(row[0]) for row in found if row}

    # --- errors ----------------------------------------------------------------------------

    def _calls(self, what: str, refused: Callable[[], None] | None = None, *, rejectable: bool = False) -> ApiCalls:
        return ApiCalls(self.settings.sheet_id, self.credentials, what, refused, rejectable=rejectable)
